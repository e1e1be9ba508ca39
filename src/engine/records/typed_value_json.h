#pragma once

// The JSON side shared by the engine's typed record values (ProcessInstanceValue, JobValue): each
// keeps the fields it knows as members and everything else — unknown keys, a known key with a
// value of another type, or a value that is not an object at all — in `extra`, so that
// from_json followed by to_json gives back the document it was given.

#include <algorithm>
#include <array>
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

// The indexes of `fields` sorted by the JSON name `name_of` gives each: the order in which a JSON
// object (a map sorted by key) holds them, for writing a typed value's MessagePack directly.
template <typename Field, std::size_t kCount, typename NameOf>
constexpr std::array<std::size_t, kCount> sorted_order(const std::array<Field, kCount>& fields,
                                                       NameOf name_of) {
  std::array<std::size_t, kCount> order{};
  for (std::size_t i = 0; i < kCount; ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::string_view(name_of(fields[a])) < std::string_view(name_of(fields[b]));
  });
  return order;
}

// Adds the keys kept in `extra` to `out` (after the known fields, as they were read).
inline void add_extra(Json& out, const Json& extra) {
  if (!extra.is_object()) return;
  for (auto it = extra.begin(); it != extra.end(); ++it)
    out[it.key()] = it.value();
}

}  // namespace tern::engine::typed_json
