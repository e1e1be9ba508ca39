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

std::optional<int> small_number(std::string_view text, int min, int max) {
  auto value = parse_value(text, Field{"", min, max, nullptr, 0});
  if (!value || *value < min || *value > max) return std::nullopt;
  return value;
}

// Day-of-month: L, L-n, LW, nW, or a plain field.
std::string parse_day_of_month(std::string_view text, CronSchedule& schedule) {
  using DayRule = CronSchedule::DayRule;
  auto bad = [&] { return "bad day-of-month '" + std::string(text) + "'"; };
  if (text == "L" || text == "LW" || text.rfind("L-", 0) == 0) {
    schedule.days_of_month.set();
    if (text == "LW") {
      schedule.day_rule = DayRule::kLastWeekday;
      return {};
    }
    schedule.day_rule = DayRule::kLast;
    if (text.size() > 1) {
      auto offset = small_number(text.substr(2), 0, 30);
      if (!offset) return bad();
      schedule.day_value = *offset;
    }
    return {};
  }
  if (text.size() > 1 && text.back() == 'W') {
    auto day = small_number(text.substr(0, text.size() - 1), 1, 31);
    if (!day) return bad();
    schedule.days_of_month.set();
    schedule.day_rule = DayRule::kNearestWeekday;
    schedule.day_value = *day;
    return {};
  }
  if (text.find_first_of("LW#") != std::string_view::npos) return bad();
  bool any = false;
  return parse_field(text, {"day-of-month", 1, 31, nullptr, 0}, schedule.days_of_month, any);
}

// Day-of-week: dL, d#n, or a plain field (0 and 7 are both Sunday).
std::string parse_day_of_week(std::string_view text, CronSchedule& schedule) {
  using WeekdayRule = CronSchedule::WeekdayRule;
  const Field field{"day-of-week", 0, 7, kDayNames, 7};
  auto bad = [&] { return "bad day-of-week '" + std::string(text) + "'"; };
  auto weekday_of = [&](std::string_view part) -> std::optional<int> {
    auto day = parse_value(part, field);
    if (!day || *day > 7) return std::nullopt;
    return *day % 7;
  };
  if (auto hash = text.find('#'); hash != std::string_view::npos) {
    auto day = weekday_of(text.substr(0, hash));
    auto nth = small_number(text.substr(hash + 1), 1, 5);
    if (!day || !nth) return bad();
    schedule.days_of_week.set();
    schedule.weekday_rule = WeekdayRule::kNth;
    schedule.weekday = *day;
    schedule.nth = *nth;
    return {};
  }
  if (text.size() > 1 && text.back() == 'L') {
    auto day = weekday_of(text.substr(0, text.size() - 1));
    if (!day) return bad();
    schedule.days_of_week.set();
    schedule.weekday_rule = WeekdayRule::kLast;
    schedule.weekday = *day;
    return {};
  }
  std::bitset<8> days;
  bool any = false;
  std::string error = parse_field(text, field, days, any);
  for (std::size_t d = 0; d < 7; ++d)
    schedule.days_of_week[d] = days[d];
  if (days[7]) schedule.days_of_week.set(0);
  return error;
}

// The day of the month a day-of-month rule selects in (year, month).
int selected_day(const CronSchedule& schedule, std::int64_t year, int month) {
  using DayRule = CronSchedule::DayRule;
  int last = days_in_month(year, month);
  auto weekday = [&](int day) { return weekday_from_days(days_from_civil({year, month, day})); };
  switch (schedule.day_rule) {
    case DayRule::kLast:
      return last - schedule.day_value;
    case DayRule::kLastWeekday: {
      int wd = weekday(last);
      return wd == 6 ? last - 1 : wd == 0 ? last - 2 : last;
    }
    case DayRule::kNearestWeekday: {
      int day = schedule.day_value;
      if (day > last) return 0;  // no such day this month
      int wd = weekday(day);
      if (wd == 6) return day == 1 ? day + 2 : day - 1;  // never leaves the month
      if (wd == 0) return day == last ? day - 2 : day + 1;
      return day;
    }
    case DayRule::kSet:
      break;
  }
  return 0;
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
  if (error.empty()) error = parse_day_of_month(fields[3], schedule);
  if (error.empty()) {
    error = parse_field(fields[4], {"month", 1, 12, kMonthNames, 12}, schedule.months, any);
  }
  if (error.empty()) error = parse_day_of_week(fields[5], schedule);
  if (!error.empty()) return unexpected(cron_error(original, error));
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
    bool dom_ok = day_rule == DayRule::kSet
                      ? days_of_month[static_cast<std::size_t>(date.day)]
                      : date.day == selected_day(*this, date.year, date.month);
    int wd = weekday_from_days(day);
    bool dow_ok = false;
    switch (weekday_rule) {
      case WeekdayRule::kSet:
        dow_ok = days_of_week[static_cast<std::size_t>(wd)];
        break;
      case WeekdayRule::kLast:
        dow_ok = wd == weekday && date.day + 7 > days_in_month(date.year, date.month);
        break;
      case WeekdayRule::kNth:
        dow_ok = wd == weekday && (date.day - 1) / 7 + 1 == nth;
        break;
    }
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
