#pragma once

// Timer definitions as Zeebe accepts them: ISO 8601 dates (timeDate), durations (timeDuration),
// repeating intervals `R[n]/[start/]duration` and Spring-style six-field cron expressions
// (timeCycle). Parsed once at deployment for static values; the runtime parses the result of an
// expression with the same functions. Pure functions of their input: no clock is read here, the
// caller passes "now" (the timestamp of the record being processed), so replay is deterministic.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::engine::bpmn {

// Milliseconds since 1970-01-01T00:00:00Z, the unit of record timestamps and due dates.
using EpochMillis = std::int64_t;

enum class TimerKind : std::uint8_t { DATE, DURATION, CYCLE };

enum class TimerErrorCode : std::uint8_t { kInvalidDate, kInvalidDuration, kInvalidCycle };

struct TimerError {
  TimerErrorCode code = TimerErrorCode::kInvalidDuration;
  std::string message;  // names the offending text and what is wrong with it
};

// An ISO 8601 duration, P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]]. Years, months and days are
// calendar fields (added in UTC, a month after Jan 31 is the end of February, as java.time does);
// the time part is exact milliseconds.
struct IsoDuration {
  std::int32_t years = 0;
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t millis = 0;
  bool negative = false;

  // `start` plus this duration.
  EpochMillis add_to(EpochMillis start) const;
  // True when the duration adds nothing (P0D, PT0S), which a cycle cannot repeat on.
  bool is_zero() const { return years == 0 && months == 0 && days == 0 && millis == 0; }
};

Result<IsoDuration, TimerError> parse_iso_duration(std::string_view text);

// An ISO 8601 date-time with a zone offset: 2024-03-01T10:00:00Z, 2024-03-01T10:00:00.5+02:00;
// an appended region id in brackets ([Europe/Berlin]) is accepted and the offset used.
Result<EpochMillis, TimerError> parse_iso_date_time(std::string_view text);

// A cron schedule in Spring's six-field form: second minute hour day-of-month month day-of-week,
// with `*`, `?`, lists, ranges, steps, month and weekday names, the day-of-month forms `L`,
// `L-n`, `LW`, `nW`, the day-of-week forms `dL` and `d#n`, and the macros @yearly @annually
// @monthly @weekly @daily @midnight @hourly. Day-of-month and day-of-week must both match.
// Evaluated in UTC.
struct CronSchedule {
  enum class DayRule : std::uint8_t { kSet, kLast, kLastWeekday, kNearestWeekday };
  enum class WeekdayRule : std::uint8_t { kSet, kLast, kNth };

  std::bitset<60> seconds;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bit 1..31 (DayRule::kSet)
  std::bitset<13> months;         // bit 1..12
  std::bitset<7> days_of_week;    // bit 0 = Sunday .. 6 = Saturday (WeekdayRule::kSet)
  DayRule day_rule = DayRule::kSet;
  int day_value = 0;  // kLast: days before the month's last day; kNearestWeekday: the day
  WeekdayRule weekday_rule = WeekdayRule::kSet;
  int weekday = 0;  // kLast, kNth: 0 = Sunday .. 6 = Saturday
  int nth = 0;      // kNth: 1..5

  // The first matching instant strictly after `now` (whole seconds), or nullopt when nothing
  // matches within the next eight years (e.g. "0 0 0 30 2 *").
  std::optional<EpochMillis> next_after(EpochMillis now) const;
};

Result<CronSchedule, TimerError> parse_cron(std::string_view text);

// A parsed timer value of any kind.
struct TimerValue {
  TimerKind kind = TimerKind::DURATION;
  EpochMillis date = 0;              // DATE: the due date
  IsoDuration duration;              // DURATION, and the interval of an ISO cycle
  std::int32_t repetitions = -1;     // CYCLE: number of firings, -1 = unbounded ("R/...")
  std::optional<EpochMillis> start;  // CYCLE: R[n]/<start>/<interval>
  std::optional<CronSchedule> cron;  // CYCLE: a cron expression instead of an ISO interval

  // When a timer created at `now` first fires: the date, now + duration, or the first cycle
  // firing after now.
  std::optional<EpochMillis> first_due(EpochMillis now) const;

  // CYCLE: the firing that follows `now` (the previous due date, or creation time). For an ISO
  // interval with a start, firings are start + k*interval; without, now + interval. The caller
  // counts repetitions. For DATE/DURATION the same as first_due.
  std::optional<EpochMillis> next_fire_after(EpochMillis now) const;
};

Result<TimerValue, TimerError> parse_timer_value(TimerKind kind, std::string_view text);

}  // namespace tern::engine::bpmn
