#pragma once

// FEEL's temporal values: date, time, date and time, and the two duration kinds. Plain value
// types with the ISO 8601 parsing and printing FEEL needs, and the calendar arithmetic the
// evaluator uses. Zone ids (`@Europe/Berlin`) are resolved to offsets through the system's TZif
// files (see time_zone.h). Immutable; any thread.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::feel {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kNanosPerDay = kSecondsPerDay * kNanosPerSecond;

// Days since 1970-01-01 <-> proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day);
bool is_valid_civil(std::int64_t year, unsigned month, unsigned day);
unsigned days_in_month(std::int64_t year, unsigned month);

struct Date {
  std::int64_t days = 0;  // since 1970-01-01

  static std::optional<Date> parse(std::string_view text);  // "2024-01-31" (also "-0001-...")
  std::int64_t year() const;
  unsigned month() const;
  unsigned day() const;
  std::string to_string() const;
  friend auto operator<=>(const Date&, const Date&) = default;
};

// A time zone attached to a time or date-time: either a fixed offset or a zone id (whose offset
// depends on the instant).
struct Zone {
  // Set for "Z", "+01:00"; with a zone id, set once the offset is known (after arithmetic), which
  // tells apart the two instants of an ambiguous local time. Unset with an id: resolved from the
  // local time, the earlier offset winning.
  std::optional<std::int32_t> offset_seconds;
  std::string id;  // set for "@Europe/Berlin"; empty otherwise
  bool has_zone() const { return offset_seconds.has_value() || !id.empty(); }
  friend bool operator==(const Zone&, const Zone&) = default;
};

struct Time {
  std::int64_t nanos_of_day = 0;
  Zone zone;

  static std::optional<Time> parse(std::string_view text);  // "10:30:00", "10:30:00.5+01:00"
  std::string to_string() const;
  friend bool operator==(const Time&, const Time&) = default;
};

struct DateTime {
  Date date;
  std::int64_t nanos_of_day = 0;
  Zone zone;  // no zone: a local date-time

  static std::optional<DateTime> parse(std::string_view text);  // "2024-01-31T10:00:00Z"
  // Seconds since the epoch, using the offset (zone ids are resolved at that local time; a
  // local date-time is treated as UTC for arithmetic between two local values).
  std::optional<std::int64_t> epoch_seconds() const;
  // The effective UTC offset (resolved for zone ids), 0 for local date-times.
  std::optional<std::int32_t> offset_seconds() const;
  std::string to_string() const;
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// Days, hours, minutes and seconds: an exact span of time.
struct DaysTimeDuration {
  std::int64_t seconds = 0;  // normalised: nanos has the same sign as seconds
  std::int32_t nanos = 0;

  static std::optional<DaysTimeDuration> parse(std::string_view text);  // "P1DT2H", "-PT0.5S"
  std::string to_string() const;
  friend auto operator<=>(const DaysTimeDuration&, const DaysTimeDuration&) = default;
};

// Years and months: a calendar span.
struct YearsMonthsDuration {
  std::int64_t months = 0;

  static std::optional<YearsMonthsDuration> parse(std::string_view text);  // "P1Y2M"
  std::string to_string() const;
  friend auto operator<=>(const YearsMonthsDuration&, const YearsMonthsDuration&) = default;
};

}  // namespace tern::feel
