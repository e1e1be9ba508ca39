#pragma once

// Small helpers shared by the builtins_*.cc files.

#include <optional>
#include <span>
#include <string>

#include "common/result.h"
#include "engine/feel/builtins.h"

namespace tern::feel::builtin {

using Args = std::span<const Value>;
using Out = tern::Result<Value, std::string>;

inline const Value& arg(Args args, std::size_t i) {
  static const Value kNull;
  return i < args.size() ? args[i] : kNull;
}
inline bool has(Args args, std::size_t i) {
  return i < args.size() && !args[i].is_null();
}

inline const std::string* str(Args args, std::size_t i) {
  return i < args.size() && args[i].is(Kind::kString) ? &args[i].as_string() : nullptr;
}
inline const Decimal* num(Args args, std::size_t i) {
  return i < args.size() && args[i].is(Kind::kNumber) ? &args[i].as_number() : nullptr;
}
inline const List* list(Args args, std::size_t i) {
  return i < args.size() && args[i].is(Kind::kList) ? &args[i].as_list() : nullptr;
}
inline std::optional<std::int64_t> integer(Args args, std::size_t i) {
  const Decimal* d = num(args, i);
  if (d == nullptr) return std::nullopt;
  return d->to_int64();
}

inline Value number_value(std::optional<Decimal> d) {
  return d ? Value::number(*d) : Value();
}

inline Out too_long(const Limits& limits) {
  return tern::unexpected("result longer than the limit of "
                          + std::to_string(limits.max_string_bytes) + " bytes");
}
inline Out too_many(const Limits& limits) {
  return tern::unexpected("list longer than the limit of "
                          + std::to_string(limits.max_collection_size) + " elements");
}

}  // namespace tern::feel::builtin
