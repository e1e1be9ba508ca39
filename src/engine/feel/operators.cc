#include "engine/feel/operators.h"

#include "engine/feel/builtins.h"
#include "engine/feel/time_zone.h"

namespace tern::feel {
namespace {

using detail::Op;

constexpr std::int64_t kMaxDurationSeconds = 999'999'999LL * kSecondsPerDay;

std::optional<DaysTimeDuration> make_duration(Int128 total_nanos) {
  Int128 seconds = total_nanos / kNanosPerSecond;
  if (seconds > kMaxDurationSeconds || seconds < -kMaxDurationSeconds) return std::nullopt;
  return DaysTimeDuration{static_cast<std::int64_t>(seconds),
                          static_cast<std::int32_t>(total_nanos % kNanosPerSecond)};
}

Int128 total_nanos(const DaysTimeDuration& d) {
  return static_cast<Int128>(d.seconds) * kNanosPerSecond + d.nanos;
}

Value duration_or_null(std::optional<DaysTimeDuration> d) {
  return d ? Value::duration(*d) : Value();
}

// Scales a duration by a decimal factor, to the nearest nanosecond.
Value scale_duration(const DaysTimeDuration& d, const Decimal& factor, bool divide) {
  auto nanos = Decimal::make(total_nanos(d), 0);
  if (!nanos) return {};
  auto scaled = divide ? nanos->divide(factor) : nanos->multiply(factor);
  if (!scaled) return {};
  auto rounded = scaled->round(0, Decimal::Rounding::kHalfEven);
  // No duration reaches 10^24 ns (the largest is 999,999,999 days, ~8.6e22 ns): stop there so
  // the Int128 cannot overflow.
  if (!rounded || rounded->exponent() > 24) return {};
  Int128 n = rounded->coefficient();
  constexpr Int128 kBound = static_cast<Int128>(1'000'000'000'000) * 1'000'000'000'000;
  for (std::int32_t i = 0; i < rounded->exponent(); ++i) {
    n *= 10;
    if (n > kBound || n < -kBound) return {};
  }
  return duration_or_null(make_duration(n));
}

Value scale_months(const YearsMonthsDuration& d, const Decimal& factor, bool divide) {
  auto scaled = divide ? Decimal(d.months).divide(factor) : Decimal(d.months).multiply(factor);
  if (!scaled) return {};
  auto rounded = scaled->round(0, Decimal::Rounding::kDown);
  if (!rounded) return {};
  auto months = rounded->to_int64();
  if (!months || *months > 12LL * 999'999'999 || *months < -12LL * 999'999'999) return {};
  return Value::duration(YearsMonthsDuration{*months});
}

Value time_plus(const Time& t, const DaysTimeDuration& d, bool subtract) {
  Int128 delta = total_nanos(d) % kNanosPerDay;
  if (subtract) delta = -delta;
  Int128 n = (t.nanos_of_day + delta) % kNanosPerDay;
  if (n < 0) n += kNanosPerDay;
  return Value::time(Time{static_cast<std::int64_t>(n), t.zone});
}

Value add_values(const Value& a, const Value& b, bool subtract, const Limits& limits,
                 std::string& error) {
  Kind ka = a.kind(), kb = b.kind();
  if (ka == Kind::kNumber && kb == Kind::kNumber) {
    auto r = subtract ? a.as_number().subtract(b.as_number()) : a.as_number().add(b.as_number());
    return r ? Value::number(*r) : Value();
  }
  if (ka == Kind::kString && kb == Kind::kString && !subtract) {
    if (a.as_string().size() + b.as_string().size() > limits.max_string_bytes) {
      error =
          "string longer than the limit of " + std::to_string(limits.max_string_bytes) + " bytes";
      return {};
    }
    return Value::string(a.as_string() + b.as_string());
  }
  if (ka == Kind::kDaysTimeDuration && kb == Kind::kDaysTimeDuration) {
    Int128 x = total_nanos(a.as_days_time()), y = total_nanos(b.as_days_time());
    return duration_or_null(make_duration(subtract ? x - y : x + y));
  }
  if (ka == Kind::kYearsMonthsDuration && kb == Kind::kYearsMonthsDuration) {
    std::int64_t x = a.as_years_months().months, y = b.as_years_months().months;
    return Value::duration(YearsMonthsDuration{subtract ? x - y : x + y});
  }
  // Temporal +/- duration (either order for +).
  const Value* temporal = &a;
  const Value* duration = &b;
  if (!subtract && (ka == Kind::kDaysTimeDuration || ka == Kind::kYearsMonthsDuration)) {
    std::swap(temporal, duration);
  }
  Kind kt = temporal->kind(), kd = duration->kind();
  if (kd == Kind::kYearsMonthsDuration) {
    std::int64_t months = duration->as_years_months().months * (subtract ? -1 : 1);
    if (kt == Kind::kDate) return Value::date(add_months(temporal->as_date(), months));
    if (kt == Kind::kDateTime)
      return Value::date_time(add_months(temporal->as_date_time(), months));
    return {};
  }
  if (kd == Kind::kDaysTimeDuration) {
    DaysTimeDuration d = duration->as_days_time();
    if (subtract) d = DaysTimeDuration{-d.seconds, -d.nanos};
    if (kt == Kind::kDateTime) {
      auto r = add_duration(temporal->as_date_time(), d);
      return r ? Value::date_time(*r) : Value();
    }
    if (kt == Kind::kDate) {
      // A date moves by whole days, as a date-time at midnight would, keeping the date kind.
      auto r = add_duration(at_midnight(temporal->as_date()), d);
      return r ? Value::date(r->date) : Value();
    }
    if (kt == Kind::kTime)
      return time_plus(temporal->as_time(), duration->as_days_time(), subtract);
    return {};
  }
  if (subtract) {
    if (ka == Kind::kDate && kb == Kind::kDate) {
      return Value::duration(
          DaysTimeDuration{(a.as_date().days - b.as_date().days) * kSecondsPerDay, 0});
    }
    auto as_dt = [](const Value& v) -> std::optional<DateTime> {
      if (v.is(Kind::kDateTime)) return v.as_date_time();
      if (v.is(Kind::kDate)) return at_midnight(v.as_date());
      return std::nullopt;
    };
    auto x = as_dt(a), y = as_dt(b);
    if (x && y) return duration_or_null(between(*y, *x));
    if (ka == Kind::kTime && kb == Kind::kTime) {
      const Time &x_t = a.as_time(), &y_t = b.as_time();
      std::int64_t ox = x_t.zone.offset_seconds.value_or(0),
                   oy = y_t.zone.offset_seconds.value_or(0);
      Int128 diff = static_cast<Int128>(x_t.nanos_of_day - ox * kNanosPerSecond)
                    - (y_t.nanos_of_day - oy * kNanosPerSecond);
      return duration_or_null(make_duration(diff));
    }
  }
  return {};
}

}  // namespace

Date add_months(const Date& date, std::int64_t months) {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(date.days, y, m, d);
  std::int64_t total = y * 12 + (m - 1) + months;
  std::int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  auto nm = static_cast<unsigned>(total - ny * 12 + 1);
  unsigned nd = std::min(d, days_in_month(ny, nm));
  return Date{days_from_civil(ny, nm, nd)};
}

DateTime add_months(const DateTime& dt, std::int64_t months) {
  DateTime r = dt;
  r.date = add_months(dt.date, months);
  if (!r.zone.id.empty()) r.zone.offset_seconds.reset();  // re-resolved for the new date
  return r;
}

DateTime at_midnight(const Date& date) {
  return DateTime{date, 0, Zone{}};
}

std::optional<DateTime> add_duration(const DateTime& dt, const DaysTimeDuration& d) {
  Int128 delta = total_nanos(d);
  if (!dt.zone.id.empty()) {
    auto instant = dt.epoch_seconds();
    if (!instant) return std::nullopt;
    Int128 utc =
        static_cast<Int128>(*instant) * kNanosPerSecond + dt.nanos_of_day % kNanosPerSecond + delta;
    Int128 utc_seconds =
        utc >= 0 ? utc / kNanosPerSecond : (utc - kNanosPerSecond + 1) / kNanosPerSecond;
    auto offset = offset_at_instant(dt.zone.id, static_cast<std::int64_t>(utc_seconds));
    if (!offset) return std::nullopt;
    Int128 local = utc + static_cast<Int128>(*offset) * kNanosPerSecond;
    Int128 days = local >= 0 ? local / kNanosPerDay : (local - kNanosPerDay + 1) / kNanosPerDay;
    // Keep the resolved offset with the zone id: it tells the two 01:30s of a fall-back night
    // apart.
    return DateTime{Date{static_cast<std::int64_t>(days)},
                    static_cast<std::int64_t>(local - days * kNanosPerDay),
                    Zone{*offset, dt.zone.id}};
  }
  Int128 local = static_cast<Int128>(dt.date.days) * kNanosPerDay + dt.nanos_of_day + delta;
  Int128 days = local >= 0 ? local / kNanosPerDay : (local - kNanosPerDay + 1) / kNanosPerDay;
  return DateTime{Date{static_cast<std::int64_t>(days)},
                  static_cast<std::int64_t>(local - days * kNanosPerDay), dt.zone};
}

std::optional<DaysTimeDuration> between(const DateTime& from, const DateTime& to) {
  if (from.zone.has_zone() != to.zone.has_zone()) return std::nullopt;
  auto a = from.epoch_seconds(), b = to.epoch_seconds();
  if (!a || !b) return std::nullopt;
  Int128 diff = (static_cast<Int128>(*b) - *a) * kNanosPerSecond
                + (to.nanos_of_day % kNanosPerSecond) - (from.nanos_of_day % kNanosPerSecond);
  return make_duration(diff);
}

tern::Result<Value, std::string> arithmetic(detail::Op op, const Value& a, const Value& b,
                                            const Limits& limits) {
  std::string error;
  Value result;
  switch (op) {
    case Op::kAdd:
    case Op::kSubtract:
      result = add_values(a, b, op == Op::kSubtract, limits, error);
      break;
    case Op::kMultiply:
      if (a.is(Kind::kNumber) && b.is(Kind::kNumber)) {
        auto r = a.as_number().multiply(b.as_number());
        if (r) result = Value::number(*r);
      } else if (a.is(Kind::kDaysTimeDuration) && b.is(Kind::kNumber)) {
        result = scale_duration(a.as_days_time(), b.as_number(), false);
      } else if (a.is(Kind::kNumber) && b.is(Kind::kDaysTimeDuration)) {
        result = scale_duration(b.as_days_time(), a.as_number(), false);
      } else if (a.is(Kind::kYearsMonthsDuration) && b.is(Kind::kNumber)) {
        result = scale_months(a.as_years_months(), b.as_number(), false);
      } else if (a.is(Kind::kNumber) && b.is(Kind::kYearsMonthsDuration)) {
        result = scale_months(b.as_years_months(), a.as_number(), false);
      }
      break;
    case Op::kDivide:
      if (a.is(Kind::kNumber) && b.is(Kind::kNumber)) {
        auto r = a.as_number().divide(b.as_number());
        if (r) result = Value::number(*r);
      } else if (a.is(Kind::kDaysTimeDuration) && b.is(Kind::kNumber)) {
        if (!b.as_number().is_zero())
          result = scale_duration(a.as_days_time(), b.as_number(), true);
      } else if (a.is(Kind::kYearsMonthsDuration) && b.is(Kind::kNumber)) {
        if (!b.as_number().is_zero())
          result = scale_months(a.as_years_months(), b.as_number(), true);
      } else if (a.is(Kind::kDaysTimeDuration) && b.is(Kind::kDaysTimeDuration)) {
        auto x = Decimal::make(total_nanos(a.as_days_time()), 0);
        auto y = Decimal::make(total_nanos(b.as_days_time()), 0);
        if (x && y) {
          if (auto r = x->divide(*y)) result = Value::number(*r);
        }
      } else if (a.is(Kind::kYearsMonthsDuration) && b.is(Kind::kYearsMonthsDuration)) {
        auto r = Decimal(a.as_years_months().months).divide(Decimal(b.as_years_months().months));
        if (r) result = Value::number(*r);
      }
      break;
    case Op::kPower:
      if (a.is(Kind::kNumber) && b.is(Kind::kNumber)) {
        auto r = a.as_number().power(b.as_number());
        if (r) result = Value::number(*r);
      }
      break;
    default:
      break;
  }
  if (!error.empty()) return tern::unexpected(std::move(error));
  return result;
}

Value negate(const Value& v) {
  switch (v.kind()) {
    case Kind::kNumber:
      return Value::number(v.as_number().negate());
    case Kind::kDaysTimeDuration:
      return Value::duration(DaysTimeDuration{-v.as_days_time().seconds, -v.as_days_time().nanos});
    case Kind::kYearsMonthsDuration:
      return Value::duration(YearsMonthsDuration{-v.as_years_months().months});
    default:
      return {};
  }
}

std::optional<bool> range_contains(const Range& range, const Value& v) {
  if (range.start && !range.start->is_null()) {
    auto c = feel_compare(v, *range.start);
    if (!c) return std::nullopt;
    if (*c < 0 || (*c == 0 && !range.start_inclusive)) return false;
  }
  if (range.end && !range.end->is_null()) {
    auto c = feel_compare(v, *range.end);
    if (!c) return std::nullopt;
    if (*c > 0 || (*c == 0 && !range.end_inclusive)) return false;
  }
  return true;
}

}  // namespace tern::feel
