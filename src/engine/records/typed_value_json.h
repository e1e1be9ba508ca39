#pragma once

// The JSON side shared by the engine's typed record values (ProcessInstanceValue, JobValue): each
// keeps the fields it knows as members and everything else — unknown keys, a known key with a
// value of another type, or a value that is not an object at all — in `extra`, so that
// from_json followed by to_json gives back the document it was given.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/records/record.h"

namespace tern::engine::typed_json {

// Reads `value` into a typed value: `field_index(name)` names a known field, `assign(index, json)`
// stores it (false when the JSON value does not fit the field's type); returns the bit set of the
// fields assigned and fills `extra` with what was not.
template <typename FieldIndex, typename Assign>
std::uint32_t read_fields(const Json& value, Json& extra, FieldIndex&& field_index,
                          Assign&& assign) {
  std::uint32_t present = 0;
  if (!value.is_object()) {
    extra = value;  // not an object at all: kept as it is
    return present;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    std::optional<std::size_t> index = field_index(std::string_view(it.key()));
    if (index && assign(*index, it.value())) {
      present |= 1u << *index;
    } else {
      extra[it.key()] = it.value();
    }
  }
  return present;
}

// Adds the keys kept in `extra` to `out` (after the known fields, as they were read).
inline void add_extra(Json& out, const Json& extra) {
  if (!extra.is_object()) return;
  for (auto it = extra.begin(); it != extra.end(); ++it)
    out[it.key()] = it.value();
}

}  // namespace tern::engine::typed_json
