// FEEL equality and ordering (declared in builtins.h, shared by operators and built-ins).

#include "engine/feel/builtins.h"

namespace tern::feel {
namespace {

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Times with offsets compare as instants of the day; two zone-less times compare as written.
std::optional<int> compare_times(const Time& a, const Time& b) {
  if (a.zone.offset_seconds.has_value() != b.zone.offset_seconds.has_value()) {
    if (a.zone.has_zone() || b.zone.has_zone()) return std::nullopt;
  }
  std::int64_t x = a.nanos_of_day - a.zone.offset_seconds.value_or(0) * kNanosPerSecond;
  std::int64_t y = b.nanos_of_day - b.zone.offset_seconds.value_or(0) * kNanosPerSecond;
  return three_way(x, y);
}

std::optional<int> compare_date_times(const DateTime& a, const DateTime& b) {
  if (a.zone.has_zone() != b.zone.has_zone()) return std::nullopt;
  auto x = a.epoch_seconds(), y = b.epoch_seconds();
  if (!x || !y) return std::nullopt;
  if (*x != *y) return three_way(*x, *y);
  return three_way(a.nanos_of_day % kNanosPerSecond, b.nanos_of_day % kNanosPerSecond);
}

}  // namespace

std::optional<int> feel_compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) {
    // A date compares with a date-time at its midnight.
    if (a.is(Kind::kDate) && b.is(Kind::kDateTime)) {
      return compare_date_times(DateTime{a.as_date(), 0, b.as_date_time().zone}, b.as_date_time());
    }
    if (a.is(Kind::kDateTime) && b.is(Kind::kDate)) {
      return compare_date_times(a.as_date_time(), DateTime{b.as_date(), 0, a.as_date_time().zone});
    }
    return std::nullopt;
  }
  switch (a.kind()) {
    case Kind::kNumber: {
      auto c = a.as_number() <=> b.as_number();
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kString: {
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kDate:
      return three_way(a.as_date().days, b.as_date().days);
    case Kind::kTime:
      return compare_times(a.as_time(), b.as_time());
    case Kind::kDateTime:
      return compare_date_times(a.as_date_time(), b.as_date_time());
    case Kind::kDaysTimeDuration:
      return three_way(a.as_days_time(), b.as_days_time());
    case Kind::kYearsMonthsDuration:
      return three_way(a.as_years_months().months, b.as_years_months().months);
    default:
      return std::nullopt;
  }
}

std::optional<bool> feel_equal(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.kind() != b.kind()) return std::nullopt;
  switch (a.kind()) {
    case Kind::kBoolean:
      return a.as_boolean() == b.as_boolean();
    case Kind::kList: {
      const List &x = a.as_list(), &y = b.as_list();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        auto e = feel_equal(x[i], y[i]);
        if (!e) return std::nullopt;
        if (!*e) return false;
      }
      return true;
    }
    case Kind::kContext: {
      const Context &x = a.as_context(), &y = b.as_context();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.entries()) {
        const Value* other = y.find(key);
        if (other == nullptr) return false;
        auto e = feel_equal(value, *other);
        if (!e) return std::nullopt;
        if (!*e) return false;
      }
      return true;
    }
    case Kind::kRange:
      return a == b;
    case Kind::kFunction:
      return &a.as_function() == &b.as_function();
    case Kind::kDateTime: {
      // Equal instants written with different offsets are equal; a zone id must match too.
      auto c = feel_compare(a, b);
      if (!c) return std::nullopt;
      return *c == 0;
    }
    default: {
      auto c = feel_compare(a, b);
      if (!c) return std::nullopt;
      return *c == 0;
    }
  }
}

std::size_t code_point_count(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace tern::feel
