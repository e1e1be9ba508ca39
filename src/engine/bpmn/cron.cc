// Six-field cron expressions (second minute hour day-of-month month day-of-week), as Zeebe
// accepts them in timeCycle. Day-of-month and day-of-week must both match when both are given.

#include <cctype>
#include <string>
#include <vector>

#include "engine/bpmn/civil_time.h"
#include "engine/bpmn/timer.h"

namespace tern::engine::bpmn {
namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // value = min + position, or null
  int name_count;
};

TimerError cron_error(std::string_view text, std::string why) {
  return {TimerErrorCode::kInvalidCycle,
          "'" + std::string(text) + "' is not a valid cron expression (" + why + ")"};
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

std::optional<int> parse_value(std::string_view token, const Field& field) {
  if (token.empty()) return std::nullopt;
  if (field.names != nullptr) {
    std::string upper;
    for (char c : token)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int i = 0; i < field.name_count; ++i) {
      if (field.names[i] == upper) return field.min + i;
    }
  }
  int value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > 1000) return std::nullopt;
  }
  return value;
}

// Parses one field into `bits` (indexed by value). Returns an error text or empty.
template <std::size_t N>
std::string parse_field(std::string_view text, const Field& field, std::bitset<N>& bits,
                        bool& any) {
  any = text == "*" || text == "?";
  for (std::string_view part : split(text, ',')) {
    int step = 1;
    std::string_view range = part;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      auto parsed =
          parse_value(part.substr(slash + 1), Field{field.name, 1, field.max, nullptr, 0});
      if (!parsed || *parsed == 0) {
        return "bad step in " + std::string(field.name) + " '" + std::string(part) + "'";
      }
      step = *parsed;
      range = part.substr(0, slash);
    }
    int low = field.min;
    int high = field.max;
    if (range != "*" && range != "?") {
      auto dash = range.find('-');
      auto first = parse_value(range.substr(0, dash), field);
      if (!first) return "bad " + std::string(field.name) + " '" + std::string(part) + "'";
      low = *first;
      high = *first;
      if (dash != std::string_view::npos) {
        auto last = parse_value(range.substr(dash + 1), field);
        if (!last) return "bad " + std::string(field.name) + " '" + std::string(part) + "'";
        high = *last;
      } else if (part.find('/') != std::string_view::npos) {
        high = field.max;  // "5/10" means from 5 on, every 10
      }
    }
    if (low < field.min || high > field.max || low > high) {
      return std::string(field.name) + " '" + std::string(part) + "' is out of range "
             + std::to_string(field.min) + "-" + std::to_string(field.max);
    }
    for (int v = low; v <= high; v += step)
      bits.set(static_cast<std::size_t>(v));
  }
  return {};
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 0 1 1 *";
  if (text == "@monthly") return "0 0 0 1 * *";
  if (text == "@weekly") return "0 0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 0 * * *";
  if (text == "@hourly") return "0 0 * * * *";
  return text;
}

}  // namespace

Result<CronSchedule, TimerError> parse_cron(std::string_view original) {
  std::string_view text = expand_macro(original);
  std::vector<std::string_view> fields;
  for (std::string_view part : split(text, ' ')) {
    if (!part.empty()) fields.push_back(part);
  }
  if (fields.size() != 6) {
    return unexpected(cron_error(original,
                                 "expected 6 fields (second minute hour day-of-month "
                                 "month day-of-week), found "
                                     + std::to_string(fields.size())));
  }
  CronSchedule schedule;
  bool any = false;
  std::string error;
  if (error.empty())
    error = parse_field(fields[0], {"second", 0, 59, nullptr, 0}, schedule.seconds, any);
  if (error.empty())
    error = parse_field(fields[1], {"minute", 0, 59, nullptr, 0}, schedule.minutes, any);
  if (error.empty())
    error = parse_field(fields[2], {"hour", 0, 23, nullptr, 0}, schedule.hours, any);
  if (error.empty()) {
    if (fields[3] == "L") {
      schedule.last_day_of_month = true;
      schedule.day_of_month_any = false;
    } else {
      error = parse_field(fields[3], {"day-of-month", 1, 31, nullptr, 0}, schedule.days_of_month,
                          schedule.day_of_month_any);
    }
  }
  if (error.empty()) {
    error = parse_field(fields[4], {"month", 1, 12, kMonthNames, 12}, schedule.months, any);
  }
  if (error.empty()) {
    std::bitset<8> days;  // 0..7, 7 also Sunday
    error =
        parse_field(fields[5], {"day-of-week", 0, 7, kDayNames, 7}, days, schedule.day_of_week_any);
    for (std::size_t d = 0; d < 7; ++d)
      schedule.days_of_week[d] = days[d];
    if (days[7]) schedule.days_of_week.set(0);
  }
  if (!error.empty()) {
    if (original.find_first_of("LW#") != std::string_view::npos) {
      error += "; of L, W and #, only 'L' alone as day-of-month is supported";
    }
    return unexpected(cron_error(original, error));
  }
  return schedule;
}

std::optional<EpochMillis> CronSchedule::next_after(EpochMillis now) const {
  constexpr std::int64_t kMaxDays = 366 * 8;  // covers leap-day-only schedules
  std::int64_t next_second = floor_div(now, 1000) + 1;
  std::int64_t day = floor_div(next_second, 86400);
  std::int64_t second_of_day = next_second - day * 86400;
  for (std::int64_t scanned = 0; scanned < kMaxDays; ++scanned, ++day, second_of_day = 0) {
    CivilDate date = civil_from_days(day);
    if (!months[static_cast<std::size_t>(date.month)]) continue;
    bool dom_ok = last_day_of_month ? date.day == days_in_month(date.year, date.month)
                                    : days_of_month[static_cast<std::size_t>(date.day)];
    bool dow_ok = days_of_week[static_cast<std::size_t>(weekday_from_days(day))];
    if (!dom_ok || !dow_ok) continue;
    for (std::int64_t s = second_of_day; s < 86400; ++s) {
      auto hour = static_cast<std::size_t>(s / 3600);
      if (!hours[hour]) {
        s = static_cast<std::int64_t>(hour + 1) * 3600 - 1;
        continue;
      }
      auto minute = static_cast<std::size_t>((s / 60) % 60);
      if (!minutes[minute]) {
        s = (s / 60 + 1) * 60 - 1;
        continue;
      }
      if (seconds[static_cast<std::size_t>(s % 60)]) return (day * 86400 + s) * 1000;
    }
  }
  return std::nullopt;
}

}  // namespace tern::engine::bpmn
