#include "engine/records/record_codec.h"

#include <string_view>

#include "engine/records/binary_io.h"
#include "engine/records/msgpack.h"

namespace tern::engine {

namespace {

constexpr std::uint8_t kFormatVersion = 1;

using binary::put_bytes;
using binary::put_signed;
using binary::put_varint;
using binary::Reader;

Unexpected<CodecError> truncated(std::string_view what) {
  return unexpected(CodecError{CodecErrorCode::kTruncated,
                               "record truncated while reading its " + std::string(what)});
}

}  // namespace

void encode_record(const Record& record, std::string& out) {
  out.push_back(static_cast<char>(kFormatVersion));
  put_signed(out, record.position.value());
  put_signed(out, record.source_position.value());
  put_signed(out, record.key.value());
  put_signed(out, record.timestamp_ms);
  out.push_back(static_cast<char>(record.record_type));
  out.push_back(static_cast<char>(record.value_type));
  out.push_back(static_cast<char>(record.intent));
  out.push_back(static_cast<char>(record.rejection_type));
  put_signed(out, record.partition_id.value());
  put_signed(out, record.request.stream_id);
  put_signed(out, record.request.request_id);
  put_bytes(out, record.rejection_reason);
  if (record.has_packed_value()) {
    put_bytes(out, record.packed_value);  // the same length prefix and bytes, already encoded
    return;
  }
  // The value is written in place after room for its length, which is then filled in (the
  // room grown or shrunk when the length's varint is not the two bytes guessed).
  constexpr std::size_t kGuess = 2;
  std::size_t at = out.size();
  out.append(kGuess, '\0');
  encode_value(record.value, out);
  std::size_t size = out.size() - at - kGuess;
  std::string length;
  put_varint(length, size);
  if (length.size() != kGuess) out.replace(at, kGuess, length.size(), '\0');
  out.replace(at, length.size(), length);
}

void encode_value(const Json& value, std::string& out) {
  msgpack::put(out, value);
}

std::string encode_record(const Record& record) {
  std::string out;
  encode_record(record, out);
  return out;
}

Result<std::string_view, CodecError> decode_record_metadata(std::string_view bytes,
                                                            std::size_t& offset, Record& record) {
  Reader in(bytes, offset);
  std::uint8_t version = 0;
  if (!in.byte(version)) return truncated("format version");
  if (version != kFormatVersion) {
    return unexpected(CodecError{CodecErrorCode::kBadVersion,
                                 "unknown record format version " + std::to_string(version)});
  }
  std::int64_t position = 0, source = 0, key = 0, partition = 0, stream = 0, request = 0;
  if (!in.signed_varint(position) || !in.signed_varint(source) || !in.signed_varint(key)
      || !in.signed_varint(record.timestamp_ms)) {
    return truncated("metadata");
  }
  std::uint8_t record_type = 0, value_type = 0, intent = 0, rejection = 0;
  if (!in.byte(record_type) || !in.byte(value_type) || !in.byte(intent) || !in.byte(rejection)) {
    return truncated("type bytes");
  }
  if (record_type > static_cast<std::uint8_t>(RecordType::kCommandRejection)
      || value_type >= static_cast<std::uint8_t>(ValueType::kCount_)
      || intent >= static_cast<std::uint8_t>(Intent::kCount_)
      || rejection > static_cast<std::uint8_t>(RejectionType::kExceededBatchRecordSize)) {
    return unexpected(CodecError{CodecErrorCode::kBadEnum,
                                 "record has an unknown record type, value type, intent or "
                                 "rejection type"});
  }
  if (!in.signed_varint(partition) || !in.signed_varint(stream) || !in.signed_varint(request)) {
    return truncated("partition and request");
  }
  std::string_view reason, value;
  if (!in.bytes(reason)) return truncated("rejection reason");
  if (!in.bytes(value)) return truncated("value");
  offset = in.offset();
  record.position = Position(position);
  record.source_position = Position(source);
  record.key = Key(key);
  record.record_type = static_cast<RecordType>(record_type);
  record.value_type = static_cast<ValueType>(value_type);
  record.intent = static_cast<Intent>(intent);
  record.rejection_type = static_cast<RejectionType>(rejection);
  record.partition_id = PartitionId(static_cast<std::int32_t>(partition));
  record.request = RequestRef{static_cast<std::int32_t>(stream), request};
  record.rejection_reason.assign(reason);
  record.value = Json();
  record.packed_value.clear();
  return value;
}

Result<void, CodecError> decode_value(std::string_view packed, Json& value) {
  if (!msgpack::read(packed, value)) {
    return unexpected(
        CodecError{CodecErrorCode::kBadValue, "record value is not valid MessagePack"});
  }
  return {};
}

Result<void, CodecError> decode_logged_value(std::string_view packed, Record& record) {
  if (record.value_type != ValueType::kProcessInstance) return decode_value(packed, record.value);
  // A MessagePack value is never empty, so a non-empty packed_value always marks the form.
  if (!msgpack::well_formed(packed)) {
    return unexpected(
        CodecError{CodecErrorCode::kBadValue, "record value is not valid MessagePack"});
  }
  record.value = Json();
  record.packed_value.assign(packed);
  return {};
}

Result<Record, CodecError> decode_record(std::string_view bytes, std::size_t& offset) {
  Record record(Record::kValueToFill);
  auto packed = decode_record_metadata(bytes, offset, record);
  if (!packed) return unexpected(std::move(packed.error()));
  if (auto decoded = decode_value(*packed, record.value); !decoded) {
    return unexpected(std::move(decoded.error()));
  }
  return record;
}

Result<Record, CodecError> decode_record(std::string_view bytes) {
  std::size_t offset = 0;
  return decode_record(bytes, offset);
}

std::string encode_batch(const std::vector<Record>& records) {
  // Most records encode to well under 256 bytes: one allocation for a typical batch.
  constexpr std::size_t kTypicalRecordBytes = 256;
  std::string out;
  out.reserve(8 + kTypicalRecordBytes * records.size());
  put_varint(out, records.size());
  for (const auto& record : records)
    encode_record(record, out);
  return out;
}

Result<std::vector<Record>, CodecError> decode_batch(std::string_view bytes) {
  Reader in(bytes);
  std::uint64_t count = 0;
  if (!in.varint(count)) return truncated("batch count");
  std::size_t offset = in.offset();
  std::vector<Record> records;
  for (std::uint64_t i = 0; i < count; ++i) {
    auto record = decode_record(bytes, offset);
    if (!record) return unexpected(std::move(record.error()));
    records.push_back(std::move(record.value()));
  }
  return records;
}

}  // namespace tern::engine
