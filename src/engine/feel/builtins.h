#pragma once

// The table of built-in functions (string, number, list, context, temporal, conversion). Each
// entry checks its own argument types: a wrong type gives null (FEEL's rule), while a broken
// limit or a missing clock is a hard error that stops the evaluation.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/feel/feel.h"
#include "engine/feel/value.h"

namespace tern::feel {

// What a built-in may ask of the evaluator that calls it.
class CallContext {
 public:
  virtual ~CallContext() = default;
  virtual const Clock* clock() const = 0;
  virtual const Limits& limits() const = 0;
  // Calls a function value (for `sort`'s ordering function); errors are hard errors.
  virtual tern::Result<Value, std::string> call(const Function& function,
                                                std::vector<Value> args) = 0;
};

using BuiltinImpl = tern::Result<Value, std::string> (*)(std::span<const Value> args,
                                                         CallContext& context);

struct Builtin {
  std::string_view name;
  std::vector<std::string_view> params;  // for named arguments; last may be variadic
  std::size_t min_args = 0;
  std::size_t max_args = 0;  // kVariadic for any number
  BuiltinImpl impl = nullptr;
};

constexpr std::size_t kVariadic = static_cast<std::size_t>(-1);

// Nullptr when there is no built-in of that name.
const Builtin* find_builtin(std::string_view name);

// Registration from each group's file (builtins_*.cc).
void add_string_builtins(std::vector<Builtin>& table);
void add_number_builtins(std::vector<Builtin>& table);
void add_list_builtins(std::vector<Builtin>& table);
void add_context_builtins(std::vector<Builtin>& table);
void add_temporal_builtins(std::vector<Builtin>& table);

// Shared helpers for built-ins and the evaluator.
// FEEL equality: nullopt when the two values cannot be compared (FEEL's null).
std::optional<bool> feel_equal(const Value& a, const Value& b);
// FEEL ordering: nullopt when not comparable. Negative, zero or positive.
std::optional<int> feel_compare(const Value& a, const Value& b);
// Number of Unicode code points in UTF-8 text.
std::size_t code_point_count(std::string_view text);

}  // namespace tern::feel
