// Temporal built-ins. now() and today() read the injected clock only; without one they are an
// error rather than a silent read of the wall clock.

#include <chrono>

#include "engine/feel/builtin_support.h"
#include "engine/feel/operators.h"

namespace tern::feel {
namespace {

using builtin::Args;
using builtin::Out;
using builtin::str;

tern::Result<DateTime, std::string> clock_now(CallContext& ctx) {
  if (ctx.clock() == nullptr) {
    return tern::unexpected(std::string("now() and today() need a clock, and none was given"));
  }
  auto since = ctx.clock()->now().time_since_epoch();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since).count();
  std::int64_t days = nanos >= 0 ? nanos / kNanosPerDay : (nanos - kNanosPerDay + 1) / kNanosPerDay;
  // Millisecond precision, as the engine's record timestamps have.
  std::int64_t of_day = (nanos - days * kNanosPerDay) / 1'000'000 * 1'000'000;
  return DateTime{Date{days}, of_day, Zone{0, ""}};
}

Out now(Args, CallContext& ctx) {
  auto n = clock_now(ctx);
  if (!n) return tern::unexpected(n.error());
  return Value::date_time(*n);
}

Out today(Args, CallContext& ctx) {
  auto n = clock_now(ctx);
  if (!n) return tern::unexpected(n.error());
  return Value::date(n->date);
}

Out date(Args a, CallContext&) {
  if (a.size() == 3) {
    auto y = builtin::integer(a, 0), m = builtin::integer(a, 1), d = builtin::integer(a, 2);
    if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return Value();
    if (*y < -999999999 || *y > 999999999) return Value();
    if (!is_valid_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d))) return Value();
    return Value::date(
        Date{days_from_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d))});
  }
  if (a[0].is(Kind::kDate)) return a[0];
  if (a[0].is(Kind::kDateTime)) return Value::date(a[0].as_date_time().date);
  auto s = str(a, 0);
  if (!s) return Value();
  if (auto d = Date::parse(*s)) return Value::date(*d);
  return Value();
}

Out time(Args a, CallContext&) {
  if (a.size() >= 3) {
    auto h = builtin::integer(a, 0), m = builtin::integer(a, 1);
    auto sec = builtin::num(a, 2);
    if (!h || !m || !sec || *h < 0 || *h > 23 || *m < 0 || *m > 59) return Value();
    if (sec->is_negative() || !(*sec < Decimal(60))) return Value();
    auto nanos = sec->multiply(Decimal(kNanosPerSecond));
    if (!nanos) return Value();
    auto whole = nanos->round(0, Decimal::Rounding::kDown);
    if (!whole) return Value();
    auto n = whole->to_int64();
    if (!n) return Value();
    Time t{(*h * 3600 + *m * 60) * kNanosPerSecond + *n, {}};
    if (a.size() == 4 && !a[3].is_null()) {
      if (!a[3].is(Kind::kDaysTimeDuration)) return Value();
      t.zone.offset_seconds = static_cast<std::int32_t>(a[3].as_days_time().seconds);
    }
    return Value::time(t);
  }
  if (a[0].is(Kind::kTime)) return a[0];
  if (a[0].is(Kind::kDateTime)) {
    const auto& dt = a[0].as_date_time();
    return Value::time(Time{dt.nanos_of_day, dt.zone});
  }
  if (a[0].is(Kind::kDate)) return Value::time(Time{0, Zone{0, ""}});
  auto s = str(a, 0);
  if (!s) return Value();
  if (auto t = Time::parse(*s)) return Value::time(*t);
  return Value();
}

Out date_and_time(Args a, CallContext&) {
  if (a.size() == 2) {
    if (!a[1].is(Kind::kTime)) return Value();
    Date d;
    if (a[0].is(Kind::kDate)) {
      d = a[0].as_date();
    } else if (a[0].is(Kind::kDateTime)) {
      d = a[0].as_date_time().date;
    } else {
      return Value();
    }
    return Value::date_time(DateTime{d, a[1].as_time().nanos_of_day, a[1].as_time().zone});
  }
  if (a[0].is(Kind::kDateTime)) return a[0];
  if (a[0].is(Kind::kDate)) return Value::date_time(at_midnight(a[0].as_date()));
  auto s = str(a, 0);
  if (!s) return Value();
  if (s->find('T') == std::string::npos) return Value();
  if (auto dt = DateTime::parse(*s)) return Value::date_time(*dt);
  return Value();
}

Out duration(Args a, CallContext&) {
  auto s = str(a, 0);
  if (!s) return Value();
  if (auto ym = YearsMonthsDuration::parse(*s)) return Value::duration(*ym);
  if (auto d = DaysTimeDuration::parse(*s)) return Value::duration(*d);
  return Value();
}

Out years_and_months_duration(Args a, CallContext&) {
  auto date_of = [](const Value& v) -> std::optional<Date> {
    if (v.is(Kind::kDate)) return v.as_date();
    if (v.is(Kind::kDateTime)) return v.as_date_time().date;
    return std::nullopt;
  };
  auto from = date_of(a[0]), to = date_of(a[1]);
  if (!from || !to) return Value();
  std::int64_t months =
      (to->year() - from->year()) * 12 + (static_cast<std::int64_t>(to->month()) - from->month());
  // Whole months only: an incomplete last month does not count.
  if (months > 0 && to->day() < from->day()) --months;
  if (months < 0 && to->day() > from->day()) ++months;
  return Value::duration(YearsMonthsDuration{months});
}

std::optional<Date> date_arg(Args a) {
  if (a[0].is(Kind::kDate)) return a[0].as_date();
  if (a[0].is(Kind::kDateTime)) return a[0].as_date_time().date;
  return std::nullopt;
}

Out day_of_week(Args a, CallContext&) {
  static constexpr const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
  auto d = date_arg(a);
  if (!d) return Value();
  std::int64_t index = ((d->days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday
  return Value::string(kDays[index]);
}

Out day_of_year(Args a, CallContext&) {
  auto d = date_arg(a);
  if (!d) return Value();
  return Value::number(Decimal(d->days - days_from_civil(d->year(), 1, 1) + 1));
}

Out month_of_year(Args a, CallContext&) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  auto d = date_arg(a);
  if (!d) return Value();
  return Value::string(kMonths[d->month() - 1]);
}

Out week_of_year(Args a, CallContext&) {
  auto d = date_arg(a);
  if (!d) return Value();
  // ISO 8601 week: the week with the year's first Thursday is week 1.
  std::int64_t weekday = ((d->days % 7) + 7 + 3) % 7;  // 0 = Monday
  std::int64_t thursday = d->days - weekday + 3;
  Date t{thursday};
  std::int64_t first = days_from_civil(t.year(), 1, 1);
  return Value::number(Decimal((thursday - first) / 7 + 1));
}

}  // namespace

void add_temporal_builtins(std::vector<Builtin>& t) {
  t.push_back({"now", {}, 0, 0, now});
  t.push_back({"today", {}, 0, 0, today});
  t.push_back({"date", {"from", "month", "day"}, 1, 3, date});
  t.push_back({"time", {"from", "minute", "second", "offset"}, 1, 4, time});
  t.push_back({"date and time", {"from", "time"}, 1, 2, date_and_time});
  t.push_back({"duration", {"from"}, 1, 1, duration});
  t.push_back({"years and months duration", {"from", "to"}, 2, 2, years_and_months_duration});
  t.push_back({"day of week", {"date"}, 1, 1, day_of_week});
  t.push_back({"day of year", {"date"}, 1, 1, day_of_year});
  t.push_back({"month of year", {"date"}, 1, 1, month_of_year});
  t.push_back({"week of year", {"date"}, 1, 1, week_of_year});
}

}  // namespace tern::feel
