#pragma once

// MessagePack as the log holds record values: a writer that emits exactly the bytes nlohmann's
// to_msgpack emits (smallest forms, floats as float32 when exact, object keys in the JSON
// object's order) and a reader that builds exactly the JSON value nlohmann's from_msgpack builds
// (same number types, binary and ext values, last duplicate key wins), both without the library's
// per-byte virtual calls and SAX layer. Typed record values (ProcessInstanceValue, JobValue) use
// the writer's pieces to encode themselves without building a JSON value first.
//
// well_formed() checks the structure of a value in one walk without allocating, so that a log
// can refuse an undecodable value when it is committed instead of when it is read.
//
// Thread: plain functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/records/record.h"

namespace tern::engine::msgpack {

void put_nil(std::string& out);
void put_bool(std::string& out, bool value);
void put_unsigned(std::string& out, std::uint64_t value);
// A JSON signed integer: non-negative values take the unsigned forms, as nlohmann writes them.
void put_signed(std::string& out, std::int64_t value);
void put_float(std::string& out, double value);
void put_string(std::string& out, std::string_view text);
void put_array_header(std::string& out, std::size_t size);
void put_map_header(std::string& out, std::size_t size);
// Any JSON value, recursively.
void put(std::string& out, const Json& value);

// Reads one value spanning all of `bytes` into `value`; false when `bytes` is not exactly one
// well-formed value (truncated, a reserved type byte, a map key that is not a string, trailing
// bytes). `value` is unspecified after a failure.
bool read(std::string_view bytes, Json& value);

// True when `bytes` is exactly one well-formed value, by the rules of read(); allocates nothing.
bool well_formed(std::string_view bytes);

// The reading pieces, for typed values that read their own MessagePack without building a JSON
// value (the reverse of the put_ pieces). Each reads one item of its kind at `offset` and moves
// `offset` past it; false, `offset` unchanged, when the item there is of another kind, truncated,
// or (read_int64) an integer beyond std::int64_t. A caller that meets `false` can always fall back
// to read(), which decides what the bytes mean.
bool read_map_header(std::string_view bytes, std::size_t& offset, std::size_t& count);
bool read_string(std::string_view bytes, std::size_t& offset, std::string_view& text);
bool read_int64(std::string_view bytes, std::size_t& offset, std::int64_t& value);

}  // namespace tern::engine::msgpack
