#include "engine/feel/evaluator.h"

#include "engine/feel/function.h"
#include "engine/feel/operators.h"

namespace tern::feel::detail {
namespace {

Value bool_or_null(std::optional<bool> b) {
  return b ? Value::boolean(*b) : Value();
}

std::optional<bool> as_bool(const Value& v) {
  if (v.is(Kind::kBoolean)) return v.as_boolean();
  return std::nullopt;
}

// Leaves a frame's depth counted while it lives.
struct DepthFrame {
  std::size_t& depth;
  explicit DepthFrame(std::size_t& d) : depth(d) { ++depth; }
  ~DepthFrame() { --depth; }
};

}  // namespace

Value Evaluator::lookup(std::string_view name, const Scope* scope) const {
  for (const Scope* s = scope; s != nullptr; s = s->parent) {
    if (s->entries != nullptr) {
      if (const Value* v = s->entries->find(name)) return *v;
    } else if (s->name == name) {
      return *s->value;
    }
  }
  if (auto v = variables_.lookup(name)) return std::move(*v);
  return {};
}

bool Evaluator::count_iteration() {
  return ++iterations_ <= limits_.max_iterations;
}

bool Evaluator::charge(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
      bytes_ += v.as_string().size();
      break;
    case Kind::kList:
      bytes_ += v.as_list().size() * sizeof(Value);
      break;
    case Kind::kContext:
      bytes_ += v.as_context().size() * (sizeof(Value) + sizeof(std::string));
      break;
    default:
      break;
  }
  return bytes_ <= limits_.max_total_bytes;
}

EvalError Evaluator::bytes_error(std::size_t pos) const {
  return EvalError{pos, "evaluation built more than the limit of "
                            + std::to_string(limits_.max_total_bytes) + " bytes"};
}

EvalResult Evaluator::charged(EvalResult r, std::size_t pos) {
  if (r && !charge(*r)) return tern::unexpected(bytes_error(pos));
  return r;
}

EvalError Evaluator::iteration_error(std::size_t pos) const {
  return EvalError{pos, "evaluation exceeded the limit of " + std::to_string(limits_.max_iterations)
                            + " iterations"};
}

EvalResult Evaluator::eval(const Node& node, const Scope* scope) {
  DepthFrame frame(depth_);
  if (depth_ > limits_.max_nesting_depth * 4) {
    return tern::unexpected(EvalError{node.pos, "evaluation nested too deeply"});
  }
  switch (node.op) {
    case Op::kLiteral:
      return node.literal;
    case Op::kName:
      return lookup(node.name, scope);
    case Op::kInput:
      return lookup("?", scope);
    case Op::kPath: {
      auto base = eval(*node.kids[0], scope);
      if (!base) return base;
      return charged(path_of(*base, node.name), node.pos);
    }
    case Op::kFilter:
      return charged(eval_filter(node, scope), node.pos);
    case Op::kCall:
      return charged(eval_call(node, scope), node.pos);
    case Op::kList: {
      if (node.kids.size() > limits_.max_collection_size) {
        return tern::unexpected(EvalError{node.pos, "list longer than the limit"});
      }
      List items;
      items.reserve(node.kids.size());
      for (const auto& kid : node.kids) {
        auto v = eval(*kid, scope);
        if (!v) return v;
        items.push_back(std::move(*v));
      }
      return charged(Value::list(std::move(items)), node.pos);
    }
    case Op::kContext:
      return charged(eval_context(node, scope), node.pos);
    case Op::kRange: {
      auto start = eval(*node.kids[0], scope);
      if (!start) return start;
      auto end = eval(*node.kids[1], scope);
      if (!end) return end;
      Range r;
      if (!start->is_null()) r.start = std::move(*start);
      if (!end->is_null()) r.end = std::move(*end);
      r.start_inclusive = node.start_inclusive;
      r.end_inclusive = node.end_inclusive;
      if (r.start && r.end && r.start->kind() != r.end->kind()) return Value();
      return Value::range(std::move(r));
    }
    case Op::kNegate: {
      auto v = eval(*node.kids[0], scope);
      if (!v) return v;
      return negate(*v);
    }
    case Op::kAdd:
    case Op::kSubtract:
    case Op::kMultiply:
    case Op::kDivide:
    case Op::kPower: {
      auto a = eval(*node.kids[0], scope);
      if (!a) return a;
      auto b = eval(*node.kids[1], scope);
      if (!b) return b;
      auto r = arithmetic(node.op, *a, *b, limits_);
      if (!r) return tern::unexpected(EvalError{node.pos, r.error()});
      return charged(std::move(*r), node.pos);
    }
    case Op::kEqual:
    case Op::kNotEqual: {
      auto a = eval(*node.kids[0], scope);
      if (!a) return a;
      auto b = eval(*node.kids[1], scope);
      if (!b) return b;
      auto eq = feel_equal(*a, *b);
      if (!eq) return Value();
      return Value::boolean(node.op == Op::kEqual ? *eq : !*eq);
    }
    case Op::kLess:
    case Op::kLessEqual:
    case Op::kGreater:
    case Op::kGreaterEqual: {
      auto a = eval(*node.kids[0], scope);
      if (!a) return a;
      auto b = eval(*node.kids[1], scope);
      if (!b) return b;
      auto c = feel_compare(*a, *b);
      if (!c) return Value();
      switch (node.op) {
        case Op::kLess:
          return Value::boolean(*c < 0);
        case Op::kLessEqual:
          return Value::boolean(*c <= 0);
        case Op::kGreater:
          return Value::boolean(*c > 0);
        default:
          return Value::boolean(*c >= 0);
      }
    }
    case Op::kAnd:
    case Op::kOr:
      return eval_logic(node, scope);
    case Op::kIf: {
      auto condition = eval(*node.kids[0], scope);
      if (!condition) return condition;
      bool taken = condition->is(Kind::kBoolean) && condition->as_boolean();
      return eval(*node.kids[taken ? 1 : 2], scope);
    }
    case Op::kFor:
    case Op::kSome:
    case Op::kEvery:
      return eval_iteration(node, scope);
    case Op::kBetween: {
      EvalResult parts[3] = {eval(*node.kids[0], scope), Value(), Value()};
      if (!parts[0]) return parts[0];
      for (int i = 1; i < 3; ++i) {
        parts[i] = eval(*node.kids[static_cast<std::size_t>(i)], scope);
        if (!parts[i]) return parts[i];
      }
      auto low = feel_compare(*parts[0], *parts[1]);
      auto high = feel_compare(*parts[0], *parts[2]);
      if (!low || !high) return Value();
      return Value::boolean(*low >= 0 && *high <= 0);
    }
    case Op::kIn:
      return eval_in(node, scope);
    case Op::kInstanceOf: {
      auto v = eval(*node.kids[0], scope);
      if (!v) return v;
      auto r = instance_of(*v, node.name);
      if (!r) return tern::unexpected(EvalError{node.pos, "unknown type '" + node.name + "'"});
      return Value::boolean(*r);
    }
    case Op::kLambda:
      return eval_lambda(node, scope);
    case Op::kUnaryTest:
    case Op::kNot:
    case Op::kAny: {
      Value input = lookup("?", scope);
      return eval_test(node, input, scope);
    }
  }
  return tern::unexpected(EvalError{node.pos, "unsupported construct"});
}

EvalResult Evaluator::eval_logic(const Node& node, const Scope* scope) {
  bool is_and = node.op == Op::kAnd;
  auto a = eval(*node.kids[0], scope);
  if (!a) return a;
  auto x = as_bool(*a);
  // Short cut: false and _ = false, true or _ = true, whatever the other side is.
  if (x && *x != is_and) return Value::boolean(*x);
  auto b = eval(*node.kids[1], scope);
  if (!b) return b;
  auto y = as_bool(*b);
  if (y && *y != is_and) return Value::boolean(*y);
  if (x && y) return Value::boolean(is_and);
  return Value();
}

EvalResult Evaluator::eval_context(const Node& node, const Scope* scope) {
  Context context;
  Scope frame{scope, {}, nullptr, &context};  // later entries see earlier ones
  for (std::size_t i = 0; i < node.kids.size(); ++i) {
    auto v = eval(*node.kids[i], &frame);
    if (!v) return v;
    context.put(node.names[i], std::move(*v));
  }
  return Value::context(std::move(context));
}

EvalResult Evaluator::eval_filter(const Node& node, const Scope* scope) {
  auto base = eval(*node.kids[0], scope);
  if (!base) return base;
  if (base->is_null()) return Value();
  const Node& filter = *node.kids[1];
  List single;
  const List* items = nullptr;
  if (base->is(Kind::kList)) {
    items = &base->as_list();
  } else {
    single.push_back(*base);
    items = &single;
  }
  if (items->empty()) {
    auto probe = eval(filter, scope);
    if (!probe) return probe;
    return probe->is(Kind::kNumber) ? Value() : Value::list({});
  }
  List out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    if (!count_iteration()) return tern::unexpected(iteration_error(node.pos));
    const Value& item = (*items)[i];
    Scope item_scope{scope, "item", &item, nullptr};
    Scope entries_scope{
        &item_scope, {}, nullptr, item.is(Kind::kContext) ? &item.as_context() : nullptr};
    auto r = eval(filter, item.is(Kind::kContext) ? &entries_scope : &item_scope);
    if (!r) return r;
    if (i == 0 && r->is(Kind::kNumber)) {
      // A numeric filter is an index: 1-based, negative counts from the end.
      auto index = r->as_number().to_int64();
      auto size = static_cast<std::int64_t>(items->size());
      if (!index || *index == 0 || *index > size || *index < -size) return Value();
      return (*items)[static_cast<std::size_t>(*index > 0 ? *index - 1 : size + *index)];
    }
    if (r->is(Kind::kBoolean) && r->as_boolean()) out.push_back(item);
  }
  return Value::list(std::move(out));
}

tern::Result<std::vector<Value>, EvalError> Evaluator::iteration_items(const Node& node,
                                                                       const Value& v) {
  if (v.is(Kind::kList)) return v.as_list();
  if (v.is(Kind::kRange)) {
    const Range& r = v.as_range();
    if (!r.start || !r.end || !r.start->is(Kind::kNumber) || !r.end->is(Kind::kNumber)) {
      return tern::unexpected(EvalError{node.pos, "can only iterate over a range of integers"});
    }
    auto from = r.start->as_number().to_int64(), to = r.end->as_number().to_int64();
    if (!from || !to) {
      return tern::unexpected(EvalError{node.pos, "can only iterate over a range of integers"});
    }
    std::int64_t step = *from <= *to ? 1 : -1;
    std::int64_t first = *from, last = *to;
    if (!r.start_inclusive) first += step;
    if (!r.end_inclusive) last -= step;
    std::vector<Value> out;
    std::int64_t span = (last - first) * step;
    if (span < 0) return out;
    if (static_cast<std::uint64_t>(span) >= limits_.max_collection_size) {
      return tern::unexpected(EvalError{node.pos, "range longer than the limit of "
                                                      + std::to_string(limits_.max_collection_size)
                                                      + " elements"});
    }
    for (std::int64_t i = first;; i += step) {
      out.push_back(Value::number(Decimal(i)));
      if (i == last) break;
    }
    return out;
  }
  if (v.is_null()) return std::vector<Value>{};
  return std::vector<Value>{v};
}

EvalResult Evaluator::eval_iteration(const Node& node, const Scope* scope) {
  std::size_t variables = node.names.size();
  const Node& body = *node.kids.back();
  List results;
  bool any_true = false, all_true = true;
  // Depth-first over the nested iteration contexts; each level's collection may use the
  // variables bound by the levels before it.
  struct Level {
    std::vector<Value> items;
    std::size_t next = 0;
  };
  std::vector<Level> levels(variables);
  std::vector<Scope> frames(variables + 1);
  Value partial = node.uses_input ? Value::list({}) : Value();
  frames[0] = Scope{scope, "partial", &partial, nullptr};
  const Scope* base = node.op == Op::kFor ? &frames[0] : scope;
  std::size_t level = 0;
  auto enter = [&](std::size_t l) -> tern::Result<bool, EvalError> {
    const Scope* outer = l == 0 ? base : &frames[l];
    auto collection = eval(*node.kids[l], outer);
    if (!collection) return tern::unexpected(collection.error());
    auto items = iteration_items(*node.kids[l], *collection);
    if (!items) return tern::unexpected(items.error());
    levels[l].items = std::move(*items);
    levels[l].next = 0;
    return true;
  };
  if (auto r = enter(0); !r) return tern::unexpected(r.error());
  while (true) {
    Level& current = levels[level];
    if (current.next >= current.items.size()) {
      if (level == 0) break;
      --level;
      continue;
    }
    const Value& item = current.items[current.next++];
    frames[level + 1] =
        Scope{level == 0 ? base : &frames[level], node.names[level], &item, nullptr};
    if (level + 1 < variables) {
      ++level;
      if (auto r = enter(level); !r) return tern::unexpected(r.error());
      continue;
    }
    if (!count_iteration()) return tern::unexpected(iteration_error(node.pos));
    auto v = eval(body, &frames[variables]);
    if (!v) return v;
    if (node.op == Op::kFor) {
      if (results.size() >= limits_.max_collection_size) {
        return tern::unexpected(EvalError{node.pos, "list longer than the limit"});
      }
      results.push_back(std::move(*v));
      bytes_ += sizeof(Value);
      if (node.uses_input) {
        // Only when the body reads it: publishing copies the results so far, so it is paid for
        // in iterations and bytes (otherwise a loop over `partial` would cost n^2 unbounded).
        iterations_ += results.size();
        if (iterations_ > limits_.max_iterations)
          return tern::unexpected(iteration_error(node.pos));
        partial = Value::list(results);
        if (!charge(partial)) return tern::unexpected(bytes_error(node.pos));
      }
      if (bytes_ > limits_.max_total_bytes) return tern::unexpected(bytes_error(node.pos));
    } else {
      bool t = v->is(Kind::kBoolean) && v->as_boolean();
      any_true = any_true || t;
      all_true = all_true && t;
      if (node.op == Op::kSome && any_true) return Value::boolean(true);
      if (node.op == Op::kEvery && !all_true) return Value::boolean(false);
    }
  }
  if (node.op == Op::kFor) return Value::list(std::move(results));
  return Value::boolean(node.op == Op::kSome ? any_true : all_true);
}

EvalResult Evaluator::eval_in(const Node& node, const Scope* scope) {
  auto input = eval(*node.kids[0], scope);
  if (!input) return input;
  Scope input_scope{scope, "?", &*input, nullptr};
  bool saw_null = false;
  for (std::size_t i = 1; i < node.kids.size(); ++i) {
    auto r = eval_test(*node.kids[i], *input, &input_scope);
    if (!r) return r;
    if (r->is(Kind::kBoolean) && r->as_boolean()) return Value::boolean(true);
    if (!r->is(Kind::kBoolean)) saw_null = true;
  }
  return saw_null ? Value() : Value::boolean(false);
}

EvalResult Evaluator::eval_test(const Node& test, const Value& input, const Scope* scope) {
  if (test.op == Op::kAny) return Value::boolean(true);
  if (test.op == Op::kNot) {
    bool saw_null = false;
    for (const auto& kid : test.kids) {
      auto r = eval_test(*kid, input, scope);
      if (!r) return r;
      if (r->is(Kind::kBoolean) && r->as_boolean()) return Value::boolean(false);
      if (!r->is(Kind::kBoolean)) saw_null = true;
    }
    return saw_null ? Value() : Value::boolean(true);
  }
  auto v = eval(*test.kids[0], scope);
  if (!v) return v;
  if (test.test_op != Op::kIn) {
    if (test.test_op == Op::kEqual || test.test_op == Op::kNotEqual) {
      auto eq = feel_equal(input, *v);
      if (!eq) return Value();
      return Value::boolean(test.test_op == Op::kEqual ? *eq : !*eq);
    }
    auto c = feel_compare(input, *v);
    if (!c) return Value();
    switch (test.test_op) {
      case Op::kLess:
        return Value::boolean(*c < 0);
      case Op::kLessEqual:
        return Value::boolean(*c <= 0);
      case Op::kGreater:
        return Value::boolean(*c > 0);
      default:
        return Value::boolean(*c >= 0);
    }
  }
  if (v->is(Kind::kRange)) return bool_or_null(range_contains(v->as_range(), input));
  if (v->is(Kind::kBoolean) && (test.uses_input || !input.is(Kind::kBoolean))) return *v;
  if (v->is(Kind::kList) && !input.is(Kind::kList)) {
    for (const auto& element : v->as_list()) {
      if (element.is(Kind::kRange)) {
        if (range_contains(element.as_range(), input).value_or(false)) return Value::boolean(true);
      } else if (feel_equal(input, element).value_or(false)) {
        return Value::boolean(true);
      }
    }
    return Value::boolean(false);
  }
  return bool_or_null(feel_equal(input, *v));
}

EvalResult Evaluator::eval_lambda(const Node& node, const Scope* scope) {
  auto function = std::make_shared<Function>();
  function->params = node.names;
  function->body = node.kids[0].get();
  function->owner = owner_;
  // Capture the local bindings visible here, innermost first (outer duplicates are skipped).
  Context seen;
  for (const Scope* s = scope; s != nullptr; s = s->parent) {
    if (s->entries != nullptr) {
      for (const auto& [key, value] : s->entries->entries()) {
        if (seen.find(key) == nullptr) seen.put(key, value);
      }
    } else if (seen.find(s->name) == nullptr) {
      seen.put(std::string(s->name), *s->value);
    }
  }
  function->captured = seen.entries();
  return Value::function(std::move(function));
}

}  // namespace tern::feel::detail
