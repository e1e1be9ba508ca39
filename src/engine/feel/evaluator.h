#pragma once

// Walks a compiled tree against variables. One Evaluator per evaluation, on the caller's thread;
// it holds the counters that bound the work (nesting depth, iterations) and the optional clock.
// Local names (loop variables, `item`, lambda parameters, context entries being built) live in a
// chain of Scope frames on the C++ stack; everything else comes from the VariableResolver.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/feel/ast.h"
#include "engine/feel/builtins.h"
#include "engine/feel/feel.h"

namespace tern::feel::detail {

struct EvalError {
  std::size_t pos = 0;
  std::string message;
};

using EvalResult = tern::Result<Value, EvalError>;

struct Scope {
  const Scope* parent = nullptr;
  std::string_view name;  // a single binding ...
  const Value* value = nullptr;
  const Context* entries = nullptr;  // ... or every entry of a context
};

class Evaluator final : public CallContext {
 public:
  Evaluator(const VariableResolver& variables, const Clock* clock, const Limits& limits,
            std::shared_ptr<const void> tree_owner)
      : variables_(variables), clock_(clock), limits_(limits), owner_(std::move(tree_owner)) {}

  EvalResult eval(const Node& node, const Scope* scope);

  const Clock* clock() const override { return clock_; }
  const Limits& limits() const override { return limits_; }
  tern::Result<Value, std::string> call(const Function& function, std::vector<Value> args) override;

 private:
  Value lookup(std::string_view name, const Scope* scope) const;
  EvalResult eval_call(const Node& node, const Scope* scope);
  EvalResult eval_filter(const Node& node, const Scope* scope);
  EvalResult eval_context(const Node& node, const Scope* scope);
  EvalResult eval_iteration(const Node& node, const Scope* scope);
  EvalResult eval_in(const Node& node, const Scope* scope);
  EvalResult eval_test(const Node& test, const Value& input, const Scope* scope);
  EvalResult eval_lambda(const Node& node, const Scope* scope);
  EvalResult eval_logic(const Node& node, const Scope* scope);
  tern::Result<std::vector<Value>, EvalError> iteration_items(const Node& node, const Value& v);
  bool count_iteration();
  EvalError iteration_error(std::size_t pos) const;
  // Adds what `v` holds at its top level to the bytes produced; false once over the limit.
  bool charge(const Value& v);
  EvalResult charged(EvalResult r, std::size_t pos);
  EvalError bytes_error(std::size_t pos) const;

  const VariableResolver& variables_;
  const Clock* clock_;
  const Limits& limits_;
  std::shared_ptr<const void> owner_;
  std::size_t depth_ = 0;
  std::size_t iterations_ = 0;
  std::size_t bytes_ = 0;
};

// `value.name`: context entries, temporal properties, projection over lists.
Value path_of(const Value& value, std::string_view name);
// Whether `value` is an instance of the FEEL type written `type`; nullopt for unknown types.
std::optional<bool> instance_of(const Value& value, std::string_view type);

}  // namespace tern::feel::detail
