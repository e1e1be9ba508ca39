#include "engine/feel/temporal.h"

#include <cstdio>

#include "engine/feel/time_zone.h"

namespace tern::feel {
namespace {

// A tiny cursor over ISO 8601 text.
struct Scanner {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos;
    return true;
  }
  // Exactly `count` digits (or at least `count` when `at_least`).
  std::optional<std::int64_t> digits(std::size_t count, bool at_least = false) {
    std::size_t start = pos;
    std::int64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9'
           && (at_least || pos - start < count)) {
      if (pos - start >= 18) return std::nullopt;
      value = value * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos - start < count) return std::nullopt;
    return value;
  }
};

std::string pad(std::int64_t value, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*lld", width, static_cast<long long>(value));
  return buffer;
}

// "HH:MM[:SS[.fffffffff]]" into nanos of day.
std::optional<std::int64_t> scan_clock(Scanner& s) {
  auto hour = s.digits(2);
  if (!hour || !s.eat(':')) return std::nullopt;
  auto minute = s.digits(2);
  if (!minute) return std::nullopt;
  std::int64_t second = 0, nanos = 0;
  if (s.eat(':')) {
    auto sec = s.digits(2);
    if (!sec) return std::nullopt;
    second = *sec;
    if (s.eat('.')) {
      int count = 0;
      while (!s.done() && s.text[s.pos] >= '0' && s.text[s.pos] <= '9') {
        if (count < 9) {
          nanos = nanos * 10 + (s.text[s.pos] - '0');
          ++count;
        }
        ++s.pos;
      }
      if (count == 0) return std::nullopt;
      for (; count < 9; ++count)
        nanos *= 10;
    }
  }
  if (*hour > 23 || *minute > 59 || second > 59) return std::nullopt;
  return ((*hour * 60 + *minute) * 60 + second) * kNanosPerSecond + nanos;
}

// "Z", "+01:00", "-0530" or "@Europe/Berlin"; nothing at all is a valid, zone-less time.
std::optional<Zone> scan_zone(Scanner& s) {
  Zone zone;
  if (s.done()) return zone;
  if (s.eat('Z') || s.eat('z')) {
    zone.offset_seconds = 0;
  } else if (s.peek('+') || s.peek('-')) {
    bool negative = s.text[s.pos] == '-';
    ++s.pos;
    auto hours = s.digits(2);
    if (!hours) return std::nullopt;
    s.eat(':');
    std::int64_t minutes = 0;
    if (!s.done()) {
      auto m = s.digits(2);
      if (!m) return std::nullopt;
      minutes = *m;
    }
    if (*hours > 18 || minutes > 59) return std::nullopt;
    auto offset = static_cast<std::int32_t>((*hours * 60 + minutes) * 60);
    zone.offset_seconds = negative ? -offset : offset;
  }
  if (s.eat('@') || (s.eat('[') && s.text.back() == ']')) {
    std::size_t end = s.text.back() == ']' ? s.text.size() - 1 : s.text.size();
    std::string id(s.text.substr(s.pos, end - s.pos));
    s.pos = s.text.size();
    if (!is_known_zone(id)) return std::nullopt;
    if (id == "UTC" || id == "Z") {
      zone.offset_seconds = 0;
    } else {
      zone.id = std::move(id);
      zone.offset_seconds.reset();
    }
  }
  if (!s.done()) return std::nullopt;
  return zone;
}

std::optional<Date> scan_date(Scanner& s) {
  bool negative = s.eat('-');
  auto year = s.digits(4, true);
  if (!year || !s.eat('-')) return std::nullopt;
  auto month = s.digits(2);
  if (!month || !s.eat('-')) return std::nullopt;
  auto day = s.digits(2);
  if (!day) return std::nullopt;
  std::int64_t y = negative ? -*year : *year;
  if (*year > 999999999) return std::nullopt;
  auto m = static_cast<unsigned>(*month), d = static_cast<unsigned>(*day);
  if (!is_valid_civil(y, m, d)) return std::nullopt;
  return Date{days_from_civil(y, m, d)};
}

std::string clock_string(std::int64_t nanos_of_day) {
  std::int64_t seconds = nanos_of_day / kNanosPerSecond;
  std::int64_t fraction = nanos_of_day % kNanosPerSecond;
  std::string out =
      pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2);
  if (fraction != 0) {
    std::string digits = pad(fraction, 9);
    while (digits.back() == '0')
      digits.pop_back();
    out += "." + digits;
  }
  return out;
}

std::string offset_string(std::int32_t offset) {
  if (offset == 0) return "Z";
  std::int32_t magnitude = offset < 0 ? -offset : offset;
  std::string out =
      (offset < 0 ? "-" : "+") + pad(magnitude / 3600, 2) + ":" + pad(magnitude / 60 % 60, 2);
  if (magnitude % 60 != 0) out += ":" + pad(magnitude % 60, 2);
  return out;
}

std::string zone_string(const Zone& zone) {
  if (!zone.id.empty()) return "@" + zone.id;
  if (zone.offset_seconds) return offset_string(*zone.offset_seconds);
  return "";
}

}  // namespace

// Howard Hinnant's public-domain civil calendar algorithms (days <-> y/m/d).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& year, unsigned& month, unsigned& day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool is_valid_civil(std::int64_t year, unsigned month, unsigned day) {
  return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

std::optional<Date> Date::parse(std::string_view text) {
  Scanner s{text};
  auto date = scan_date(s);
  if (!date || !s.done()) return std::nullopt;
  return date;
}

std::int64_t Date::year() const {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return y;
}
unsigned Date::month() const {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return m;
}
unsigned Date::day() const {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return d;
}

std::string Date::to_string() const {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::string year = y < 0 ? "-" + pad(-y, 4) : pad(y, 4);
  return year + "-" + pad(m, 2) + "-" + pad(d, 2);
}

std::optional<Time> Time::parse(std::string_view text) {
  Scanner s{text};
  auto nanos = scan_clock(s);
  if (!nanos) return std::nullopt;
  auto zone = scan_zone(s);
  if (!zone) return std::nullopt;
  return Time{*nanos, std::move(*zone)};
}

std::string Time::to_string() const {
  return clock_string(nanos_of_day) + zone_string(zone);
}

std::optional<DateTime> DateTime::parse(std::string_view text) {
  Scanner s{text};
  auto date = scan_date(s);
  if (!date) return std::nullopt;
  if (s.done()) return DateTime{*date, 0, {}};
  if (!s.eat('T')) return std::nullopt;
  auto nanos = scan_clock(s);
  if (!nanos) return std::nullopt;
  auto zone = scan_zone(s);
  if (!zone) return std::nullopt;
  return DateTime{*date, *nanos, std::move(*zone)};
}

std::optional<std::int32_t> DateTime::offset_seconds() const {
  if (zone.offset_seconds) return zone.offset_seconds;
  if (zone.id.empty()) return 0;
  std::int64_t local = date.days * kSecondsPerDay + nanos_of_day / kNanosPerSecond;
  return offset_for_local_time(zone.id, local);
}

std::optional<std::int64_t> DateTime::epoch_seconds() const {
  auto offset = offset_seconds();
  if (!offset) return std::nullopt;
  return date.days * kSecondsPerDay + nanos_of_day / kNanosPerSecond - *offset;
}

std::string DateTime::to_string() const {
  return date.to_string() + "T" + clock_string(nanos_of_day) + zone_string(zone);
}

std::optional<DaysTimeDuration> DaysTimeDuration::parse(std::string_view text) {
  Scanner s{text};
  bool negative = s.eat('-');
  if (!s.eat('P')) return std::nullopt;
  std::int64_t seconds = 0, nanos = 0;
  bool any = false, in_time = false;
  while (!s.done()) {
    if (s.eat('T')) {
      if (in_time) return std::nullopt;
      in_time = true;
      continue;
    }
    auto number = s.digits(1, true);
    if (!number) return std::nullopt;
    std::int64_t fraction = 0;
    bool has_fraction = false;
    if (s.eat('.')) {
      int count = 0;
      while (!s.done() && s.text[s.pos] >= '0' && s.text[s.pos] <= '9') {
        if (count < 9) {
          fraction = fraction * 10 + (s.text[s.pos] - '0');
          ++count;
        }
        ++s.pos;
      }
      for (; count < 9; ++count)
        fraction *= 10;
      has_fraction = true;
    }
    if (s.done()) return std::nullopt;
    char unit = s.text[s.pos++];
    std::int64_t scale = 0;
    if (!in_time && unit == 'D') scale = kSecondsPerDay;
    if (in_time && unit == 'H') scale = 3600;
    if (in_time && unit == 'M') scale = 60;
    if (in_time && unit == 'S') scale = 1;
    if (scale == 0 || (has_fraction && unit != 'S')) return std::nullopt;
    if (*number > INT64_MAX / scale / 2) return std::nullopt;
    seconds += *number * scale;
    nanos += fraction;
    any = true;
  }
  if (!any) return std::nullopt;
  seconds += nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  DaysTimeDuration d{seconds, static_cast<std::int32_t>(nanos)};
  if (negative) d = DaysTimeDuration{-d.seconds, -d.nanos};
  return d;
}

std::string DaysTimeDuration::to_string() const {
  bool negative = seconds < 0 || nanos < 0;
  std::int64_t s = negative ? -seconds : seconds;
  std::int64_t n = negative ? -nanos : nanos;
  std::string out = negative ? "-P" : "P";
  std::int64_t days = s / kSecondsPerDay, hours = s / 3600 % 24, minutes = s / 60 % 60;
  std::int64_t secs = s % 60;
  if (days != 0) out += std::to_string(days) + "D";
  if (hours == 0 && minutes == 0 && secs == 0 && n == 0) return days == 0 ? "PT0S" : out;
  out += "T";
  if (hours != 0) out += std::to_string(hours) + "H";
  if (minutes != 0) out += std::to_string(minutes) + "M";
  if (secs != 0 || n != 0) {
    out += std::to_string(secs);
    if (n != 0) {
      std::string digits = pad(n, 9);
      while (digits.back() == '0')
        digits.pop_back();
      out += "." + digits;
    }
    out += "S";
  }
  return out;
}

std::optional<YearsMonthsDuration> YearsMonthsDuration::parse(std::string_view text) {
  Scanner s{text};
  bool negative = s.eat('-');
  if (!s.eat('P')) return std::nullopt;
  std::int64_t months = 0;
  bool any = false;
  char last_unit = 0;
  while (!s.done()) {
    auto number = s.digits(1, true);
    if (!number || s.done() || *number > 999999999) return std::nullopt;
    char unit = s.text[s.pos++];
    if (unit == 'Y' && last_unit == 0) {
      months += *number * 12;
    } else if (unit == 'M' && last_unit != 'M') {
      months += *number;
    } else {
      return std::nullopt;
    }
    last_unit = unit;
    any = true;
  }
  if (!any) return std::nullopt;
  return YearsMonthsDuration{negative ? -months : months};
}

std::string YearsMonthsDuration::to_string() const {
  std::int64_t m = months < 0 ? -months : months;
  std::string out = months < 0 ? "-P" : "P";
  if (m == 0) return "P0M";
  if (m / 12 != 0) out += std::to_string(m / 12) + "Y";
  if (m % 12 != 0) out += std::to_string(m % 12) + "M";
  return out;
}

}  // namespace tern::feel
