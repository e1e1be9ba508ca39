// List and context built-ins. Positions are 1-based; negative positions count from the end.

#include "engine/feel/builtin_support.h"
#include "engine/feel/function.h"

namespace tern::feel {
namespace {

using builtin::Args;
using builtin::list;
using builtin::Out;

// A 1-based (or negative) position into a list of `size`, as a 0-based index.
std::optional<std::size_t> position(Args a, std::size_t i, std::size_t size, bool allow_end) {
  auto p = builtin::integer(a, i);
  if (!p || *p == 0) return std::nullopt;
  auto n = static_cast<std::int64_t>(size);
  std::int64_t index = *p > 0 ? *p - 1 : n + *p;
  if (index < 0 || index > n || (index == n && !allow_end)) return std::nullopt;
  return static_cast<std::size_t>(index);
}

bool contains_value(const List& items, const Value& v) {
  for (const auto& item : items) {
    if (feel_equal(item, v).value_or(false)) return true;
  }
  return false;
}

Out checked(List items, const Limits& limits) {
  if (items.size() > limits.max_collection_size) return builtin::too_many(limits);
  return Value::list(std::move(items));
}

Out count(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  return Value::number(Decimal(static_cast<std::int64_t>(l->size())));
}

Out list_contains(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  return Value::boolean(contains_value(*l, builtin::arg(a, 1)));
}

Out append(Args a, CallContext& ctx) {
  auto l = list(a, 0);
  if (!l) return Value();
  List out = *l;
  out.insert(out.end(), a.begin() + 1, a.end());
  return checked(std::move(out), ctx.limits());
}

Out concatenate(Args a, CallContext& ctx) {
  List out;
  for (const auto& part : a) {
    if (!part.is(Kind::kList)) return Value();
    if (out.size() + part.as_list().size() > ctx.limits().max_collection_size) {
      return builtin::too_many(ctx.limits());
    }
    out.insert(out.end(), part.as_list().begin(), part.as_list().end());
  }
  return Value::list(std::move(out));
}

Out distinct_values(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  List out;
  for (const auto& item : *l) {
    if (!contains_value(out, item)) out.push_back(item);
  }
  return Value::list(std::move(out));
}

bool flatten_into(const List& items, List& out, std::size_t depth, std::size_t max) {
  if (depth > 64) return false;
  for (const auto& item : items) {
    if (item.is(Kind::kList)) {
      if (!flatten_into(item.as_list(), out, depth + 1, max)) return false;
    } else {
      if (out.size() >= max) return false;
      out.push_back(item);
    }
  }
  return true;
}

Out flatten(Args a, CallContext& ctx) {
  auto l = list(a, 0);
  if (!l) return Value();
  List out;
  if (!flatten_into(*l, out, 0, ctx.limits().max_collection_size))
    return builtin::too_many(ctx.limits());
  return Value::list(std::move(out));
}

Out index_of(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  List out;
  for (std::size_t i = 0; i < l->size(); ++i) {
    if (feel_equal((*l)[i], builtin::arg(a, 1)).value_or(false)) {
      out.push_back(Value::number(Decimal(static_cast<std::int64_t>(i + 1))));
    }
  }
  return Value::list(std::move(out));
}

Out reverse(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  return Value::list(List(l->rbegin(), l->rend()));
}

// Merge sort: safe with any `precedes` function (std::sort needs a strict weak order and is
// undefined otherwise, which a user's function does not promise).
tern::Result<bool, std::string> merge_sort(List& items, const Function* precedes,
                                           CallContext& ctx) {
  if (items.size() < 2) return true;
  List right(items.begin() + static_cast<std::ptrdiff_t>(items.size() / 2), items.end());
  List left(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(items.size() / 2));
  for (List* half : {&left, &right}) {
    auto r = merge_sort(*half, precedes, ctx);
    if (!r || !*r) return r;
  }
  std::size_t i = 0, j = 0, k = 0;
  while (i < left.size() && j < right.size()) {
    bool take_right;
    if (precedes != nullptr) {
      auto r = ctx.call(*precedes, {right[j], left[i]});
      if (!r) return tern::unexpected(r.error());
      take_right = r->is(Kind::kBoolean) && r->as_boolean();
    } else {
      auto c = feel_compare(right[j], left[i]);
      if (!c) return false;
      take_right = *c < 0;
    }
    items[k++] = take_right ? right[j++] : left[i++];
  }
  while (i < left.size())
    items[k++] = left[i++];
  while (j < right.size())
    items[k++] = right[j++];
  return true;
}

Out sort(Args a, CallContext& ctx) {
  auto l = list(a, 0);
  if (!l) return Value();
  const Function* precedes = nullptr;
  if (a.size() > 1) {
    if (!a[1].is(Kind::kFunction)) return Value();
    precedes = &a[1].as_function();
  }
  List items = *l;
  auto r = merge_sort(items, precedes, ctx);
  if (!r) return tern::unexpected(r.error());
  if (!*r) return Value();
  return Value::list(std::move(items));
}

Out sublist(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  auto from = position(a, 1, l->size(), false);
  if (!from) return Value();
  std::size_t to = l->size();
  if (a.size() > 2) {
    auto length = builtin::integer(a, 2);
    if (!length || *length < 0) return Value();
    to = std::min<std::size_t>(to, *from + static_cast<std::size_t>(*length));
  }
  return Value::list(List(l->begin() + static_cast<std::ptrdiff_t>(*from),
                          l->begin() + static_cast<std::ptrdiff_t>(to)));
}

Out remove(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  auto at = position(a, 1, l->size(), false);
  if (!at) return Value();
  List out = *l;
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(*at));
  return Value::list(std::move(out));
}

Out insert_before(Args a, CallContext& ctx) {
  auto l = list(a, 0);
  if (!l) return Value();
  auto at = position(a, 1, l->size(), false);
  if (!at) return Value();
  List out = *l;
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(*at), builtin::arg(a, 2));
  return checked(std::move(out), ctx.limits());
}

Out is_empty(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  return Value::boolean(l->empty());
}

// all/any: three-valued over a list of booleans.
Out all_any(Args a, bool want_all) {
  Args items = a.size() == 1 && a[0].is(Kind::kList) ? Args(a[0].as_list()) : a;
  bool saw_null = false;
  for (const auto& item : items) {
    if (!item.is(Kind::kBoolean)) {
      saw_null = true;
    } else if (item.as_boolean() != want_all) {
      return Value::boolean(!want_all);
    }
  }
  if (saw_null) return Value();
  return Value::boolean(want_all);
}
Out all(Args a, CallContext&) {
  return all_any(a, true);
}
Out any(Args a, CallContext&) {
  return all_any(a, false);
}

Out union_of(Args a, CallContext& ctx) {
  List out;
  for (const auto& part : a) {
    if (!part.is(Kind::kList)) return Value();
    for (const auto& item : part.as_list()) {
      if (!contains_value(out, item)) out.push_back(item);
    }
  }
  return checked(std::move(out), ctx.limits());
}

// --- contexts ---------------------------------------------------------------------------------

Out get_value(Args a, CallContext&) {
  if (!a[0].is(Kind::kContext)) return Value();
  const Value* current = &a[0];
  if (a[1].is(Kind::kString)) {
    const Value* v = current->as_context().find(a[1].as_string());
    return v != nullptr ? *v : Value();
  }
  if (!a[1].is(Kind::kList)) return Value();
  for (const auto& key : a[1].as_list()) {
    if (!key.is(Kind::kString) || !current->is(Kind::kContext)) return Value();
    current = current->as_context().find(key.as_string());
    if (current == nullptr) return Value();
  }
  return *current;
}

Out get_entries(Args a, CallContext&) {
  if (!a[0].is(Kind::kContext)) return Value();
  List out;
  for (const auto& [key, value] : a[0].as_context().entries()) {
    Context entry;
    entry.put("key", Value::string(key));
    entry.put("value", value);
    out.push_back(Value::context(std::move(entry)));
  }
  return Value::list(std::move(out));
}

Value put_path(const Value& base, const List& keys, std::size_t i, const Value& value) {
  Context c = base.is(Kind::kContext) ? base.as_context() : Context();
  const std::string& key = keys[i].as_string();
  if (i + 1 == keys.size()) {
    c.put(key, value);
  } else {
    const Value* inner = c.find(key);
    c.put(key, put_path(inner != nullptr ? *inner : Value(), keys, i + 1, value));
  }
  return Value::context(std::move(c));
}

Out context_put(Args a, CallContext&) {
  if (!a[0].is(Kind::kContext)) return Value();
  if (a[1].is(Kind::kString)) {
    Context c = a[0].as_context();
    c.put(a[1].as_string(), builtin::arg(a, 2));
    return Value::context(std::move(c));
  }
  if (!a[1].is(Kind::kList) || a[1].as_list().empty()) return Value();
  for (const auto& k : a[1].as_list()) {
    if (!k.is(Kind::kString)) return Value();
  }
  return put_path(a[0], a[1].as_list(), 0, builtin::arg(a, 2));
}

Out context_merge(Args a, CallContext&) {
  Args items = a.size() == 1 && a[0].is(Kind::kList) ? Args(a[0].as_list()) : a;
  Context out;
  for (const auto& item : items) {
    if (!item.is(Kind::kContext)) return Value();
    for (const auto& [key, value] : item.as_context().entries())
      out.put(key, value);
  }
  return Value::context(std::move(out));
}

Out context_of(Args a, CallContext&) {
  auto l = list(a, 0);
  if (!l) return Value();
  Context out;
  for (const auto& entry : *l) {
    if (!entry.is(Kind::kContext)) return Value();
    const Value* key = entry.as_context().find("key");
    const Value* value = entry.as_context().find("value");
    if (key == nullptr || !key->is(Kind::kString)) return Value();
    out.put(key->as_string(), value != nullptr ? *value : Value());
  }
  return Value::context(std::move(out));
}

}  // namespace

void add_list_builtins(std::vector<Builtin>& t) {
  t.push_back({"count", {"list"}, 1, 1, count});
  t.push_back({"list contains", {"list", "element"}, 2, 2, list_contains});
  t.push_back({"append", {"list", "item"}, 1, kVariadic, append});
  t.push_back({"concatenate", {"list"}, 0, kVariadic, concatenate});
  t.push_back({"distinct values", {"list"}, 1, 1, distinct_values});
  t.push_back({"flatten", {"list"}, 1, 1, flatten});
  t.push_back({"index of", {"list", "match"}, 2, 2, index_of});
  t.push_back({"reverse", {"list"}, 1, 1, reverse});
  t.push_back({"sort", {"list", "precedes"}, 1, 2, sort});
  t.push_back({"sublist", {"list", "start position", "length"}, 2, 3, sublist});
  t.push_back({"remove", {"list", "position"}, 2, 2, remove});
  t.push_back({"insert before", {"list", "position", "newItem"}, 3, 3, insert_before});
  t.push_back({"is empty", {"list"}, 1, 1, is_empty});
  t.push_back({"all", {"list"}, 1, kVariadic, all});
  t.push_back({"any", {"list"}, 1, kVariadic, any});
  t.push_back({"union", {"list"}, 1, kVariadic, union_of});
}

void add_context_builtins(std::vector<Builtin>& t) {
  t.push_back({"get value", {"context", "key"}, 2, 2, get_value});
  t.push_back({"get entries", {"context"}, 1, 1, get_entries});
  t.push_back({"context put", {"context", "key", "value"}, 3, 3, context_put});
  t.push_back({"context merge", {"contexts"}, 1, kVariadic, context_merge});
  t.push_back({"context", {"entries"}, 1, 1, context_of});
}

}  // namespace tern::feel
