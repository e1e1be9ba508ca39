#pragma once

// The log's binary encoding of records: a version byte, the metadata as zig-zag varints and
// single bytes, then the value as MessagePack. Compact (a typical event is well under 200 bytes)
// and self-describing enough that a corrupt or truncated entry is reported, never misread.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/records/record.h"

namespace tern::engine {

enum class CodecErrorCode { kTruncated, kBadVersion, kBadEnum, kBadValue };

struct CodecError {
  CodecErrorCode code;
  std::string message;
};

// Appends the encoding of `record` to `out`.
void encode_record(const Record& record, std::string& out);
std::string encode_record(const Record& record);

// Decodes one record starting at `offset`, advancing it past the record.
Result<Record, CodecError> decode_record(std::string_view bytes, std::size_t& offset);
Result<Record, CodecError> decode_record(std::string_view bytes);

// Decodes one record but for its value, starting at `offset` and advancing past it: fills every
// field of `record` but `value` (left null) and returns the value's MessagePack bytes, a view into
// `bytes`. For readers that need the value of only some records (decode_value for those).
Result<std::string_view, CodecError> decode_record_metadata(std::string_view bytes,
                                                            std::size_t& offset, Record& record);
// Appends `value` as MessagePack to `out`: the bytes nlohmann's to_msgpack writes (smallest
// forms, floats as float32 when exact), without its per-byte virtual calls and the copy of every
// object key into a JSON string.
void encode_value(const Json& value, std::string& out);
// Decodes a value's MessagePack bytes into `value`.
Result<void, CodecError> decode_value(std::string_view packed, Json& value);
// Decodes the value of a record read from a log (LogStream::read) into `record`:
// a PROCESS_INSTANCE value is kept as its MessagePack in `packed_value` (checked well-formed; its
// readers take it typed, ProcessInstanceValue::from_record, without a JSON value in between),
// every other value is decoded into `value`.
Result<void, CodecError> decode_logged_value(std::string_view packed, Record& record);

// A batch: a record count followed by the records, for one log entry.
std::string encode_batch(const std::vector<Record>& records);
Result<std::vector<Record>, CodecError> decode_batch(std::string_view bytes);

}  // namespace tern::engine
