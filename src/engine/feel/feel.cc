#include "engine/feel/feel.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/feel/evaluator.h"
#include "engine/feel/parser.h"

namespace tern::feel {
namespace detail {

struct CompiledExpression {
  std::string source;
  Limits limits;
  NodePtr root;
  std::vector<std::string> referenced;
};

struct CompiledUnaryTests {
  std::string source;
  Limits limits;
  NodePtr root;
};

namespace {

// Collects the names an expression reads from its variables: names bound inside it (loop
// variables, lambda parameters, earlier context entries, `item`) are left out.
void collect_names(const Node& node, std::vector<std::string>& bound, std::set<std::string>& out) {
  auto visit_kids = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      collect_names(*node.kids[i], bound, out);
  };
  switch (node.op) {
    case Op::kName:
      if (std::find(bound.begin(), bound.end(), node.name) == bound.end()) out.insert(node.name);
      return;
    case Op::kFor:
    case Op::kSome:
    case Op::kEvery: {
      std::size_t before = bound.size();
      bound.push_back("partial");
      for (std::size_t i = 0; i < node.names.size(); ++i) {
        collect_names(*node.kids[i], bound, out);
        bound.push_back(node.names[i]);
      }
      collect_names(*node.kids.back(), bound, out);
      bound.resize(before);
      return;
    }
    case Op::kLambda: {
      std::size_t before = bound.size();
      bound.insert(bound.end(), node.names.begin(), node.names.end());
      visit_kids(0, node.kids.size());
      bound.resize(before);
      return;
    }
    case Op::kContext: {
      std::size_t before = bound.size();
      for (std::size_t i = 0; i < node.kids.size(); ++i) {
        collect_names(*node.kids[i], bound, out);
        bound.push_back(node.names[i]);
      }
      bound.resize(before);
      return;
    }
    case Op::kFilter: {
      // Inside a filter, names may be entries of each item; they are reported too, since the
      // caller only uses this list to know which variables might be read.
      collect_names(*node.kids[0], bound, out);
      bound.push_back("item");
      collect_names(*node.kids[1], bound, out);
      bound.pop_back();
      return;
    }
    default:
      visit_kids(0, node.kids.size());
  }
}

Error make_error(std::string_view source, std::size_t pos, std::string message) {
  return Error{std::string(source), pos, std::move(message)};
}

// The evaluator recurses once per tree level. Operator chains (`a + b + c ...`) are parsed by
// loops, so their height is not bounded by the parser's nesting limit: measure it here, without
// recursion, and refuse trees the evaluator could not walk within its own limit.
const Node* too_tall(const Node& root, std::size_t max_height) {
  std::vector<std::pair<const Node*, std::size_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [node, height] = stack.back();
    stack.pop_back();
    if (height > max_height) return node;
    for (const auto& kid : node->kids)
      stack.emplace_back(kid.get(), height + 1);
  }
  return nullptr;
}

// Evaluation depth allowed: the evaluator's own guard (evaluator.cc) with room for the frames
// that function calls add.
std::size_t max_tree_height(const Limits& limits) {
  return limits.max_nesting_depth * 3;
}

}  // namespace
}  // namespace detail

std::string Error::to_string() const {
  return "failed to evaluate expression '" + expression + "': " + message + " at position "
         + std::to_string(position);
}

MapResolver::MapResolver(const nlohmann::json& object) {
  if (!object.is_object()) return;
  for (const auto& [key, value] : object.items())
    values_.emplace(key, from_json(value));
}

MapResolver::MapResolver(std::map<std::string, Value, std::less<>> values)
    : values_(std::move(values)) {}

void MapResolver::set(std::string name, Value value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

std::optional<Value> MapResolver::lookup(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> expression_text(std::string_view attribute) {
  if (attribute.empty() || attribute.front() != '=') return std::nullopt;
  return attribute.substr(1);
}

tern::Result<Expression, Error> Expression::compile(std::string_view source) {
  return compile(source, Limits{});
}

tern::Result<Expression, Error> Expression::compile(std::string_view source, const Limits& limits) {
  if (source.size() > limits.max_source_bytes) {
    return tern::unexpected(detail::make_error(source.substr(0, 64), 0,
                                               "expression is longer than the limit of "
                                                   + std::to_string(limits.max_source_bytes)
                                                   + " bytes"));
  }
  auto root = detail::parse_expression(source, limits.max_nesting_depth);
  if (!root) {
    return tern::unexpected(detail::make_error(source, root.error().pos, root.error().message));
  }
  if (const auto* node = detail::too_tall(**root, detail::max_tree_height(limits))) {
    return tern::unexpected(
        detail::make_error(source, node->pos, "expression is nested too deeply"));
  }
  auto compiled = std::make_shared<detail::CompiledExpression>();
  compiled->source = std::string(source);
  compiled->limits = limits;
  compiled->root = std::move(*root);
  std::vector<std::string> bound;
  std::set<std::string> names;
  detail::collect_names(*compiled->root, bound, names);
  compiled->referenced.assign(names.begin(), names.end());
  return Expression(std::move(compiled));
}

namespace {

tern::Result<Value, Error> run(const detail::CompiledExpression& c,
                               const std::shared_ptr<const void>& owner,
                               const VariableResolver& variables, const Clock* clock) {
  detail::Evaluator evaluator(variables, clock, c.limits, owner);
  auto r = evaluator.eval(*c.root, nullptr);
  if (!r) return tern::unexpected(detail::make_error(c.source, r.error().pos, r.error().message));
  return std::move(*r);
}

tern::Result<bool, Error> as_condition(const std::string& source, tern::Result<Value, Error> r) {
  if (!r) return tern::unexpected(std::move(r.error()));
  if (!r->is(Kind::kBoolean)) {
    return tern::unexpected(detail::make_error(source, 0,
                                               "expected the condition to be a boolean but it was "
                                                   + std::string(kind_name(r->kind())) + " ("
                                                   + r->debug_string().substr(0, 200) + ")"));
  }
  return r->as_boolean();
}

}  // namespace

tern::Result<Value, Error> Expression::evaluate(const VariableResolver& variables) const {
  return run(*compiled_, compiled_, variables, nullptr);
}

tern::Result<Value, Error> Expression::evaluate(const VariableResolver& variables,
                                                const Clock& clock) const {
  return run(*compiled_, compiled_, variables, &clock);
}

tern::Result<bool, Error> Expression::evaluate_condition(const VariableResolver& variables) const {
  return as_condition(compiled_->source, evaluate(variables));
}

tern::Result<bool, Error> Expression::evaluate_condition(const VariableResolver& variables,
                                                         const Clock& clock) const {
  return as_condition(compiled_->source, evaluate(variables, clock));
}

const std::string& Expression::source() const {
  return compiled_->source;
}

std::vector<std::string> Expression::referenced_names() const {
  return compiled_->referenced;
}

tern::Result<UnaryTests, Error> UnaryTests::compile(std::string_view source) {
  Limits limits;
  if (source.size() > limits.max_source_bytes) {
    return tern::unexpected(
        detail::make_error(source.substr(0, 64), 0, "unary tests are longer than the limit"));
  }
  auto root = detail::parse_unary_tests(source, limits.max_nesting_depth);
  if (!root) {
    return tern::unexpected(detail::make_error(source, root.error().pos, root.error().message));
  }
  if (const auto* node = detail::too_tall(**root, detail::max_tree_height(limits))) {
    return tern::unexpected(
        detail::make_error(source, node->pos, "unary tests are nested too deeply"));
  }
  auto compiled = std::make_shared<detail::CompiledUnaryTests>();
  compiled->source = std::string(source);
  compiled->limits = limits;
  compiled->root = std::move(*root);
  return UnaryTests(std::move(compiled));
}

namespace {

tern::Result<bool, Error> run_tests(const detail::CompiledUnaryTests& c,
                                    const std::shared_ptr<const void>& owner, const Value& input,
                                    const VariableResolver& variables, const Clock* clock) {
  detail::Evaluator evaluator(variables, clock, c.limits, owner);
  // The root is `? in (tests)`; bind the input as `?` for it.
  detail::Scope input_scope{nullptr, "?", &input, nullptr};
  auto r = evaluator.eval(*c.root, &input_scope);
  if (!r) return tern::unexpected(detail::make_error(c.source, r.error().pos, r.error().message));
  return r->is(Kind::kBoolean) && r->as_boolean();
}

}  // namespace

tern::Result<bool, Error> UnaryTests::matches(const Value& input,
                                              const VariableResolver& variables) const {
  return run_tests(*compiled_, compiled_, input, variables, nullptr);
}

tern::Result<bool, Error> UnaryTests::matches(const Value& input, const VariableResolver& variables,
                                              const Clock& clock) const {
  return run_tests(*compiled_, compiled_, input, variables, &clock);
}

const std::string& UnaryTests::source() const {
  return compiled_->source;
}

ExpressionCache::ExpressionCache(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)) {}

tern::Result<Expression, Error> ExpressionCache::get(std::string_view source) {
  {
    std::lock_guard lock(mutex_);
    auto it = index_.find(source);
    if (it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
  }
  // Compile outside the lock: two threads may compile the same text; the second insert wins
  // nothing and is dropped.
  auto compiled = Expression::compile(source);
  if (!compiled) return compiled;
  std::lock_guard lock(mutex_);
  if (index_.find(source) == index_.end()) {
    order_.emplace_front(std::string(source), *compiled);
    index_.emplace(order_.front().first, order_.begin());
    while (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  return compiled;
}

std::size_t ExpressionCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace tern::feel
