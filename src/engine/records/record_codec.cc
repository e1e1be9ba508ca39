#include "engine/records/record_codec.h"

#include <bit>
#include <functional>
#include <limits>
#include <string_view>
#include <type_traits>

#include "engine/records/binary_io.h"

namespace tern::engine {

namespace {

constexpr std::uint8_t kFormatVersion = 1;

using binary::put_bytes;
using binary::put_signed;
using binary::put_varint;
using binary::Reader;

// Big-endian, as MessagePack stores numbers.
template <typename Int>
void put_big_endian(std::string& out, Int value) {
  auto bits = static_cast<std::make_unsigned_t<Int>>(value);
  char bytes[sizeof(Int)];
  for (std::size_t i = 0; i < sizeof(Int); ++i)
    bytes[i] = static_cast<char>(bits >> (8 * (sizeof(Int) - 1 - i)));
  out.append(bytes, sizeof(Int));
}

void put_tagged(std::string& out, std::uint8_t tag) {
  out.push_back(static_cast<char>(tag));
}

void put_msgpack_unsigned(std::string& out, std::uint64_t value) {
  if (value < 128) {
    put_tagged(out, static_cast<std::uint8_t>(value));
  } else if (value <= 0xff) {
    put_tagged(out, 0xcc);
    put_big_endian(out, static_cast<std::uint8_t>(value));
  } else if (value <= 0xffff) {
    put_tagged(out, 0xcd);
    put_big_endian(out, static_cast<std::uint16_t>(value));
  } else if (value <= 0xffffffff) {
    put_tagged(out, 0xce);
    put_big_endian(out, static_cast<std::uint32_t>(value));
  } else {
    put_tagged(out, 0xcf);
    put_big_endian(out, value);
  }
}

void put_msgpack_signed(std::string& out, std::int64_t value) {
  if (value >= 0) {
    put_msgpack_unsigned(out, static_cast<std::uint64_t>(value));
  } else if (value >= -32) {
    put_big_endian(out, static_cast<std::int8_t>(value));  // negative fixint
  } else if (value >= std::numeric_limits<std::int8_t>::min()) {
    put_tagged(out, 0xd0);
    put_big_endian(out, static_cast<std::int8_t>(value));
  } else if (value >= std::numeric_limits<std::int16_t>::min()) {
    put_tagged(out, 0xd1);
    put_big_endian(out, static_cast<std::int16_t>(value));
  } else if (value >= std::numeric_limits<std::int32_t>::min()) {
    put_tagged(out, 0xd2);
    put_big_endian(out, static_cast<std::int32_t>(value));
  } else {
    put_tagged(out, 0xd3);
    put_big_endian(out, value);
  }
}

void put_msgpack_float(std::string& out, double value) {
  // The smaller float when it holds the value exactly.
  auto narrow = static_cast<float>(value);
  if (value >= static_cast<double>(std::numeric_limits<float>::lowest())
      && value <= static_cast<double>(std::numeric_limits<float>::max())
      && std::equal_to<double>()(static_cast<double>(narrow), value)) {
    put_tagged(out, 0xca);
    put_big_endian(out, std::bit_cast<std::uint32_t>(narrow));
  } else {
    put_tagged(out, 0xcb);
    put_big_endian(out, std::bit_cast<std::uint64_t>(value));
  }
}

void put_msgpack_string(std::string& out, std::string_view text) {
  std::size_t size = text.size();
  if (size <= 31) {
    put_tagged(out, static_cast<std::uint8_t>(0xa0 | size));
  } else if (size <= 0xff) {
    put_tagged(out, 0xd9);
    put_big_endian(out, static_cast<std::uint8_t>(size));
  } else if (size <= 0xffff) {
    put_tagged(out, 0xda);
    put_big_endian(out, static_cast<std::uint16_t>(size));
  } else {
    put_tagged(out, 0xdb);
    put_big_endian(out, static_cast<std::uint32_t>(size));
  }
  out.append(text);
}

// A container's header: fix form below `fix_limit`, else 16 or 32 bits.
void put_msgpack_container(std::string& out, std::size_t size, std::uint8_t fix_tag,
                           std::uint8_t tag16) {
  if (size <= 15) {
    put_tagged(out, static_cast<std::uint8_t>(fix_tag | size));
  } else if (size <= 0xffff) {
    put_tagged(out, tag16);
    put_big_endian(out, static_cast<std::uint16_t>(size));
  } else {
    put_tagged(out, static_cast<std::uint8_t>(tag16 + 1));
    put_big_endian(out, static_cast<std::uint32_t>(size));
  }
}

void put_msgpack(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      put_tagged(out, 0xc0);
      break;
    case Json::value_t::boolean:
      put_tagged(out, value.get<bool>() ? 0xc3 : 0xc2);
      break;
    case Json::value_t::number_integer:
      put_msgpack_signed(out, value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      put_msgpack_unsigned(out, value.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      put_msgpack_float(out, value.get<double>());
      break;
    case Json::value_t::string:
      put_msgpack_string(out, value.get_ref<const std::string&>());
      break;
    case Json::value_t::array:
      put_msgpack_container(out, value.size(), 0x90, 0xdc);
      for (const auto& element : value.get_ref<const Json::array_t&>())
        put_msgpack(out, element);
      break;
    case Json::value_t::object:
      put_msgpack_container(out, value.size(), 0x80, 0xde);
      for (const auto& [name, element] : value.get_ref<const Json::object_t&>()) {
        put_msgpack_string(out, name);
        put_msgpack(out, element);
      }
      break;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      // Never in a record value; the library's writer encodes them as it always has.
      Json::to_msgpack(value, nlohmann::detail::output_adapter<char>(out));
      break;
  }
}

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
  put_msgpack(out, value);
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
  return value;
}

Result<void, CodecError> decode_value(std::string_view packed, Json& value) {
  value = Json::from_msgpack(packed.begin(), packed.end(), true, false);
  if (value.is_discarded()) {
    return unexpected(
        CodecError{CodecErrorCode::kBadValue, "record value is not valid MessagePack"});
  }
  return {};
}

Result<Record, CodecError> decode_record(std::string_view bytes, std::size_t& offset) {
  Record record;
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
