#pragma once

// Zone ids (`Europe/Berlin`) resolved through the system's tz database: a small reader of the
// TZif files under /usr/share/zoneinfo (or $TZDIR). Each zone is read once and kept for the life
// of the process behind a mutex; lookups after that only take the lock to find the zone.
//
// Instants after the last listed transition follow the POSIX TZ rule at the end of the file.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tern::feel {

// Whether `id` names a zone we can resolve ("UTC" and "Z" always can).
bool is_known_zone(std::string_view id);

// The UTC offset of the zone at an instant (seconds since the epoch).
std::optional<std::int32_t> offset_at_instant(std::string_view id, std::int64_t epoch_seconds);

// The UTC offset to use for a local wall-clock time in the zone (seconds since the epoch as if
// the local time were UTC). In an overlap (clocks turned back) the earlier offset wins; in a gap
// (clocks turned forward) the offset before the gap is used, which moves the instant forward by
// the length of the gap, as java.time does.
std::optional<std::int32_t> offset_for_local_time(std::string_view id, std::int64_t local_seconds);

}  // namespace tern::feel
