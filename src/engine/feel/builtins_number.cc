// Number built-ins, plus the aggregates over lists of numbers (min and max take any comparable).

#include <algorithm>
#include <cmath>

#include "engine/feel/builtin_support.h"
#include "engine/feel/operators.h"

namespace tern::feel {
namespace {

using builtin::Args;
using builtin::num;
using builtin::number_value;
using builtin::Out;
using Rounding = Decimal::Rounding;

Out number(Args a, CallContext&) {
  if (a[0].is(Kind::kNumber)) return a[0];
  auto s = builtin::str(a, 0);
  if (!s) return Value();
  std::string text = *s;
  auto grouping = builtin::str(a, 1);
  auto decimal_sep = builtin::str(a, 2);
  if (grouping != nullptr) {
    if (*grouping != " " && *grouping != "," && *grouping != ".") return Value();
    std::string cleaned;
    for (char c : text) {
      if (std::string(1, c) != *grouping) cleaned += c;
    }
    text = cleaned;
  }
  if (decimal_sep != nullptr) {
    if (*decimal_sep != "," && *decimal_sep != ".") return Value();
    if (grouping != nullptr && *grouping == *decimal_sep) return Value();
    for (char& c : text) {
      if (std::string(1, c) == *decimal_sep) c = '.';
    }
  }
  return number_value(Decimal::parse(text));
}

// round-like functions: (n) or (n, scale).
Out rounded(Args a, Rounding mode, bool scale_required) {
  auto n = num(a, 0);
  if (!n) return Value();
  std::int64_t scale = 0;
  if (a.size() > 1 || scale_required) {
    auto s = builtin::integer(a, 1);
    if (!s || *s < -6111 || *s > 6176) return Value();
    scale = *s;
  }
  return number_value(n->round(static_cast<std::int32_t>(scale), mode));
}

Out decimal(Args a, CallContext&) {
  return rounded(a, Rounding::kHalfEven, true);
}
Out floor(Args a, CallContext&) {
  return rounded(a, Rounding::kFloor, false);
}
Out ceiling(Args a, CallContext&) {
  return rounded(a, Rounding::kCeiling, false);
}
Out round_up(Args a, CallContext&) {
  return rounded(a, Rounding::kUp, true);
}
Out round_down(Args a, CallContext&) {
  return rounded(a, Rounding::kDown, true);
}
Out round_half_up(Args a, CallContext&) {
  return rounded(a, Rounding::kHalfUp, true);
}
Out round_half_down(Args a, CallContext&) {
  return rounded(a, Rounding::kHalfDown, true);
}

Out abs(Args a, CallContext&) {
  if (a[0].is(Kind::kNumber)) return Value::number(a[0].as_number().abs());
  if (a[0].is(Kind::kDaysTimeDuration)) {
    auto d = a[0].as_days_time();
    return Value::duration(d.seconds < 0 || d.nanos < 0 ? DaysTimeDuration{-d.seconds, -d.nanos}
                                                        : d);
  }
  if (a[0].is(Kind::kYearsMonthsDuration)) {
    auto m = a[0].as_years_months().months;
    return Value::duration(YearsMonthsDuration{m < 0 ? -m : m});
  }
  return Value();
}

Out modulo(Args a, CallContext&) {
  auto x = num(a, 0), y = num(a, 1);
  if (!x || !y) return Value();
  return number_value(x->modulo(*y));
}

Out sqrt(Args a, CallContext&) {
  auto n = num(a, 0);
  if (!n) return Value();
  return number_value(n->sqrt());
}

Out log(Args a, CallContext&) {
  auto n = num(a, 0);
  if (!n || n->signum() <= 0) return Value();
  return number_value(Decimal::from_double(std::log(n->to_double())));
}

Out exp(Args a, CallContext&) {
  auto n = num(a, 0);
  if (!n) return Value();
  return number_value(Decimal::from_double(std::exp(n->to_double())));
}

Out odd_even(Args a, bool want_odd) {
  auto n = num(a, 0);
  if (!n || !n->is_integer()) return Value();
  auto r = n->modulo(Decimal(2));
  if (!r) return Value();
  return Value::boolean(r->is_zero() != want_odd);
}
Out odd(Args a, CallContext&) {
  return odd_even(a, true);
}
Out even(Args a, CallContext&) {
  return odd_even(a, false);
}

// The items of an aggregate: one list argument, or the arguments themselves.
Args items_of(Args a) {
  if (a.size() == 1 && a[0].is(Kind::kList)) return Args(a[0].as_list());
  return a;
}

Out extreme(Args a, bool want_max) {
  Args items = items_of(a);
  if (items.empty()) return Value();
  const Value* best = &items[0];
  for (const auto& item : items) {
    auto c = feel_compare(item, *best);
    if (!c) return Value();
    if (want_max ? *c > 0 : *c < 0) best = &item;
  }
  return *best;
}
Out min(Args a, CallContext&) {
  return extreme(a, false);
}
Out max(Args a, CallContext&) {
  return extreme(a, true);
}

std::optional<Decimal> total(Args items) {
  Decimal sum;
  for (const auto& item : items) {
    if (!item.is(Kind::kNumber)) return std::nullopt;
    auto s = sum.add(item.as_number());
    if (!s) return std::nullopt;
    sum = *s;
  }
  return sum;
}

Out sum(Args a, CallContext&) {
  Args items = items_of(a);
  if (items.empty()) return Value();
  return number_value(total(items));
}

Out mean(Args a, CallContext&) {
  Args items = items_of(a);
  if (items.empty()) return Value();
  auto s = total(items);
  if (!s) return Value();
  return number_value(s->divide(Decimal(static_cast<std::int64_t>(items.size()))));
}

Out product(Args a, CallContext&) {
  Args items = items_of(a);
  if (items.empty()) return Value();
  Decimal p(1);
  for (const auto& item : items) {
    if (!item.is(Kind::kNumber)) return Value();
    auto r = p.multiply(item.as_number());
    if (!r) return Value();
    p = *r;
  }
  return Value::number(p);
}

Out median(Args a, CallContext&) {
  Args items = items_of(a);
  if (items.empty()) return Value();
  std::vector<Decimal> values;
  for (const auto& item : items) {
    if (!item.is(Kind::kNumber)) return Value();
    values.push_back(item.as_number());
  }
  std::sort(values.begin(), values.end());
  std::size_t mid = values.size() / 2;
  if (values.size() % 2 == 1) return Value::number(values[mid]);
  auto s = values[mid - 1].add(values[mid]);
  if (!s) return Value();
  return number_value(s->divide(Decimal(2)));
}

}  // namespace

void add_number_builtins(std::vector<Builtin>& t) {
  t.push_back({"number", {"from", "grouping separator", "decimal separator"}, 1, 3, number});
  t.push_back({"decimal", {"n", "scale"}, 2, 2, decimal});
  t.push_back({"floor", {"n", "scale"}, 1, 2, floor});
  t.push_back({"ceiling", {"n", "scale"}, 1, 2, ceiling});
  t.push_back({"round up", {"n", "scale"}, 2, 2, round_up});
  t.push_back({"round down", {"n", "scale"}, 2, 2, round_down});
  t.push_back({"round half up", {"n", "scale"}, 2, 2, round_half_up});
  t.push_back({"round half down", {"n", "scale"}, 2, 2, round_half_down});
  t.push_back({"abs", {"n"}, 1, 1, abs});
  t.push_back({"modulo", {"dividend", "divisor"}, 2, 2, modulo});
  t.push_back({"sqrt", {"number"}, 1, 1, sqrt});
  t.push_back({"log", {"number"}, 1, 1, log});
  t.push_back({"exp", {"number"}, 1, 1, exp});
  t.push_back({"odd", {"number"}, 1, 1, odd});
  t.push_back({"even", {"number"}, 1, 1, even});
  t.push_back({"min", {"list"}, 1, kVariadic, min});
  t.push_back({"max", {"list"}, 1, kVariadic, max});
  t.push_back({"sum", {"list"}, 1, kVariadic, sum});
  t.push_back({"mean", {"list"}, 1, kVariadic, mean});
  t.push_back({"product", {"list"}, 1, kVariadic, product});
  t.push_back({"median", {"list"}, 1, kVariadic, median});
}

}  // namespace tern::feel
