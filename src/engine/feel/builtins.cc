// The built-in function table, and the few built-ins that belong to no group.

#include "engine/feel/builtins.h"

#include <algorithm>

#include "engine/feel/builtin_support.h"

namespace tern::feel {
namespace {

using builtin::Args;
using builtin::Out;

Out not_(Args a, CallContext&) {
  if (!a[0].is(Kind::kBoolean)) return Value();
  return Value::boolean(!a[0].as_boolean());
}

// With Zeebe's null semantics a missing variable is null, so "defined" means "not null".
Out is_defined(Args a, CallContext&) {
  return Value::boolean(!a[0].is_null());
}

Out get_or_else(Args a, CallContext&) {
  return a[0].is_null() ? builtin::arg(a, 1) : a[0];
}

std::vector<Builtin> build_table() {
  std::vector<Builtin> t;
  t.push_back({"not", {"negand"}, 1, 1, not_});
  t.push_back({"is defined", {"value"}, 1, 1, is_defined});
  t.push_back({"get or else", {"value", "default"}, 2, 2, get_or_else});
  add_string_builtins(t);
  add_number_builtins(t);
  add_list_builtins(t);
  add_context_builtins(t);
  add_temporal_builtins(t);
  std::sort(t.begin(), t.end(), [](const Builtin& x, const Builtin& y) { return x.name < y.name; });
  return t;
}

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  static const std::vector<Builtin> table = build_table();
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const Builtin& b, std::string_view n) { return b.name < n; });
  if (it == table.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace tern::feel
