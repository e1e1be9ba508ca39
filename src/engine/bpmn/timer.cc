// ISO 8601 dates, durations and repeating intervals (cron lives in cron.cc).

#include "engine/bpmn/timer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "engine/bpmn/civil_time.h"

namespace tern::engine::bpmn {
namespace {

constexpr std::int64_t kMillisPerSecond = 1000;
constexpr std::int64_t kMillisPerMinute = 60 * kMillisPerSecond;
constexpr std::int64_t kMillisPerHour = 60 * kMillisPerMinute;

TimerError duration_error(std::string_view text, std::string_view why) {
  return {TimerErrorCode::kInvalidDuration,
          "'" + std::string(text) + "' is not an ISO 8601 duration (" + std::string(why) + ")"};
}

TimerError date_error(std::string_view text, std::string_view why) {
  return {TimerErrorCode::kInvalidDate, "'" + std::string(text)
                                            + "' is not an ISO 8601 date-time with zone offset ("
                                            + std::string(why) + ")"};
}

// Reads exactly `width` digits at `pos`.
bool fixed_digits(std::string_view text, std::size_t& pos, int width, int& out) {
  if (pos + static_cast<std::size_t>(width) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(width);
  out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

EpochMillis IsoDuration::add_to(EpochMillis start) const {
  const std::int64_t sign = negative ? -1 : 1;
  EpochMillis result = start;
  if (years != 0 || months != 0 || days != 0) {
    std::int64_t day = floor_div(result, kMillisPerDay);
    std::int64_t time_of_day = result - day * kMillisPerDay;
    CivilDate date = civil_from_days(day);
    std::int64_t month_index = date.year * 12 + (date.month - 1) + sign * (years * 12LL + months);
    date.year = floor_div(month_index, 12);
    date.month = static_cast<int>(month_index - date.year * 12) + 1;
    date.day = std::min(date.day, days_in_month(date.year, date.month));
    day = days_from_civil(date) + sign * days;
    result = day * kMillisPerDay + time_of_day;
  }
  return result + sign * millis;
}

Result<IsoDuration, TimerError> parse_iso_duration(std::string_view text) {
  IsoDuration duration;
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    duration.negative = text[pos] == '-';
    ++pos;
  }
  if (pos >= text.size() || (text[pos] != 'P' && text[pos] != 'p')) {
    return unexpected(duration_error(text, "it must start with 'P'"));
  }
  ++pos;
  bool in_time = false;
  bool any = false;
  std::string_view order_date = "YMWD";
  std::string_view order_time = "HMS";
  std::size_t next_designator = 0;
  while (pos < text.size()) {
    char c = text[pos];
    if (c == 'T' || c == 't') {
      if (in_time) return unexpected(duration_error(text, "'T' appears twice"));
      in_time = true;
      next_designator = 0;
      ++pos;
      if (pos == text.size()) return unexpected(duration_error(text, "nothing follows 'T'"));
      continue;
    }
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    if (pos == start) return unexpected(duration_error(text, "a number is expected"));
    std::int64_t number = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + pos, number);
    if (ec != std::errc() || number > 1'000'000'000LL) {
      return unexpected(duration_error(text, "a number is out of range"));
    }
    std::int64_t fraction_millis = 0;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      std::int64_t scale = 100;
      std::size_t digits_start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        fraction_millis += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == digits_start) return unexpected(duration_error(text, "a fraction is empty"));
      if (pos >= text.size() || (text[pos] != 'S' && text[pos] != 's') || !in_time) {
        return unexpected(duration_error(text, "only seconds may have a fraction"));
      }
    }
    if (pos >= text.size()) return unexpected(duration_error(text, "a designator is missing"));
    char designator = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos])));
    ++pos;
    std::string_view order = in_time ? order_time : order_date;
    auto where = order.find(designator, next_designator);
    if (where == std::string_view::npos) {
      return unexpected(duration_error(
          text, std::string("unexpected or out-of-order designator '") + designator + "'"));
    }
    next_designator = where + 1;
    any = true;
    if (!in_time) {
      switch (designator) {
        case 'Y':
          duration.years = static_cast<std::int32_t>(number);
          break;
        case 'M':
          duration.months = static_cast<std::int32_t>(number);
          break;
        case 'W':
          duration.days += static_cast<std::int32_t>(number * 7);
          break;
        default:
          duration.days += static_cast<std::int32_t>(number);
          break;
      }
    } else {
      switch (designator) {
        case 'H':
          duration.millis += number * kMillisPerHour;
          break;
        case 'M':
          duration.millis += number * kMillisPerMinute;
          break;
        default:
          duration.millis += number * kMillisPerSecond + fraction_millis;
          break;
      }
    }
  }
  if (!any) return unexpected(duration_error(text, "it has no components"));
  return duration;
}

Result<EpochMillis, TimerError> parse_iso_date_time(std::string_view text) {
  std::size_t pos = 0;
  CivilDate date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int year = 0;
  if (!fixed_digits(text, pos, 4, year) || !expect(text, pos, '-')
      || !fixed_digits(text, pos, 2, date.month) || !expect(text, pos, '-')
      || !fixed_digits(text, pos, 2, date.day)) {
    return unexpected(date_error(text, "expected YYYY-MM-DD"));
  }
  date.year = year;
  if (!(expect(text, pos, 'T') || expect(text, pos, 't')) || !fixed_digits(text, pos, 2, hour)
      || !expect(text, pos, ':') || !fixed_digits(text, pos, 2, minute)) {
    return unexpected(date_error(text, "expected a time THH:MM after the date"));
  }
  std::int64_t millis = 0;
  if (expect(text, pos, ':')) {
    if (!fixed_digits(text, pos, 2, second)) return unexpected(date_error(text, "bad seconds"));
    if (expect(text, pos, '.')) {
      std::int64_t scale = 100;
      std::size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        millis += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return unexpected(date_error(text, "empty fraction of a second"));
    }
  }
  if (date.month < 1 || date.month > 12 || date.day < 1
      || date.day > days_in_month(date.year, date.month) || hour > 23 || minute > 59
      || second > 59) {
    return unexpected(date_error(text, "a field is out of range"));
  }
  std::int64_t offset_minutes = 0;
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours = 0;
    int offset_mins = 0;
    if (!fixed_digits(text, pos, 2, offset_hours)) {
      return unexpected(date_error(text, "bad zone offset"));
    }
    expect(text, pos, ':');
    if (!fixed_digits(text, pos, 2, offset_mins) || offset_hours > 18 || offset_mins > 59) {
      return unexpected(date_error(text, "bad zone offset"));
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  } else {
    return unexpected(date_error(text, "a zone offset such as 'Z' or '+01:00' is required"));
  }
  if (pos < text.size() && text[pos] == '[') {
    auto close = text.find(']', pos);
    if (close == std::string_view::npos) return unexpected(date_error(text, "unclosed '['"));
    pos = close + 1;  // the offset given decides the instant
  }
  if (pos != text.size()) return unexpected(date_error(text, "unexpected trailing characters"));
  std::int64_t days = days_from_civil(date);
  return days * kMillisPerDay + hour * kMillisPerHour + minute * kMillisPerMinute
         + second * kMillisPerSecond + millis - offset_minutes * kMillisPerMinute;
}

Result<TimerValue, TimerError> parse_timer_value(TimerKind kind, std::string_view text) {
  TimerValue value;
  value.kind = kind;
  if (kind == TimerKind::DATE) {
    auto date = parse_iso_date_time(text);
    if (!date.ok()) return unexpected(date.error());
    value.date = *date;
    return value;
  }
  if (kind == TimerKind::DURATION) {
    auto duration = parse_iso_duration(text);
    if (!duration.ok()) return unexpected(duration.error());
    if (duration->negative) {
      return unexpected(duration_error(text, "a timer duration must not be negative"));
    }
    value.duration = *duration;
    return value;
  }
  if (text.empty() || (text.front() != 'R' && text.front() != 'r')) {
    auto cron = parse_cron(text);
    if (!cron.ok()) return unexpected(cron.error());
    value.cron = std::move(cron).value();
    return value;
  }
  auto cycle_error = [&](std::string why) {
    return TimerError{TimerErrorCode::kInvalidCycle,
                      "'" + std::string(text)
                          + "' is not a repeating interval R[n]/[start/]duration"
                          + " or a cron expression (" + why + ")"};
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return unexpected(cycle_error("'/' is missing"));
  std::string_view count = text.substr(1, slash - 1);
  if (!count.empty()) {
    auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), value.repetitions);
    if (ec != std::errc() || ptr != count.data() + count.size() || value.repetitions < 0) {
      return unexpected(cycle_error("the repetition count is not a number"));
    }
  }
  std::string_view rest = text.substr(slash + 1);
  if (auto second = rest.find('/'); second != std::string_view::npos) {
    auto start = parse_iso_date_time(rest.substr(0, second));
    if (!start.ok()) return unexpected(cycle_error(start.error().message));
    value.start = *start;
    rest = rest.substr(second + 1);
  }
  auto interval = parse_iso_duration(rest);
  if (!interval.ok()) return unexpected(cycle_error(interval.error().message));
  if (interval->negative || interval->is_zero()) {
    return unexpected(cycle_error("the interval must be positive"));
  }
  value.duration = *interval;
  return value;
}

std::optional<EpochMillis> TimerValue::first_due(EpochMillis now) const {
  switch (kind) {
    case TimerKind::DATE:
      return date;
    case TimerKind::DURATION:
      return duration.add_to(now);
    case TimerKind::CYCLE:
      if (start && *start >= now) return *start;
      return next_fire_after(now);
  }
  return std::nullopt;
}

std::optional<EpochMillis> TimerValue::next_fire_after(EpochMillis now) const {
  if (kind != TimerKind::CYCLE) return first_due(now);
  if (cron) return cron->next_after(now);
  if (!start) return duration.add_to(now);
  if (*start > now) return *start;
  if (duration.years == 0 && duration.months == 0 && duration.days == 0) {
    return *start + ((now - *start) / duration.millis + 1) * duration.millis;
  }
  // Step from the start; calendar intervals make this a walk, bounded by the count of firings
  // that fit between start and now (timers are rescheduled as they fire, so it stays short).
  EpochMillis at = *start;
  for (std::int64_t steps = 0; at <= now; ++steps) {
    if (steps > 10'000'000) return std::nullopt;
    at = duration.add_to(at);
  }
  return at;
}

}  // namespace tern::engine::bpmn
