#pragma once

// The POSIX TZ rule a TZif file ends with ("CET-1CEST,M3.5.0,M10.5.0/3"): how a zone's offset
// changes every year after the transitions the file lists. Parsed once per zone; immutable.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tern::feel {

struct PosixTzRule {
  // When daylight saving starts or ends, as a day rule plus the local time of day.
  struct Change {
    enum class Kind { kMonthWeekDay, kJulianNoLeap, kJulianZeroBased } kind = Kind::kMonthWeekDay;
    int month = 0, week = 0, weekday = 0;  // Mm.w.d
    int day = 0;                           // Jn (1..365, no Feb 29) or n (0..365)
    std::int32_t seconds = 7200;           // local time of the change (default 02:00)
  };

  std::int32_t std_offset = 0;  // seconds east of UTC (the POSIX sign is inverted on parsing)
  std::optional<std::int32_t> dst_offset;
  Change start, end;

  std::int32_t offset_at(std::int64_t epoch_seconds) const;
};

std::optional<PosixTzRule> parse_posix_tz(std::string_view text);

}  // namespace tern::feel
