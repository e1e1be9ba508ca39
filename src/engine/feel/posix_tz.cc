#include "engine/feel/posix_tz.h"

#include <cctype>

#include "engine/feel/temporal.h"

namespace tern::feel {
namespace {

struct Reader {
  std::string_view s;
  std::size_t pos = 0;

  bool done() const { return pos >= s.size(); }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  std::optional<int> number() {
    std::size_t start = pos;
    int v = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) && pos - start < 6) {
      v = v * 10 + (s[pos++] - '0');
    }
    if (pos == start) return std::nullopt;
    return v;
  }
  // A zone abbreviation: letters, or anything between '<' and '>'.
  bool name() {
    if (eat('<')) {
      while (pos < s.size() && s[pos] != '>')
        ++pos;
      return eat('>');
    }
    std::size_t start = pos;
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos])))
      ++pos;
    return pos - start >= 3;
  }
  // [+-]hh[:mm[:ss]] as seconds.
  std::optional<std::int32_t> hms() {
    bool negative = false;
    if (eat('-')) {
      negative = true;
    } else {
      eat('+');
    }
    auto h = number();
    if (!h || *h > 167) return std::nullopt;
    std::int32_t total = *h * 3600;
    if (eat(':')) {
      auto m = number();
      if (!m) return std::nullopt;
      total += *m * 60;
      if (eat(':')) {
        auto sec = number();
        if (!sec) return std::nullopt;
        total += *sec;
      }
    }
    return negative ? -total : total;
  }
  std::optional<PosixTzRule::Change> change() {
    PosixTzRule::Change c;
    if (eat('M')) {
      auto m = number();
      if (!m || !eat('.')) return std::nullopt;
      auto w = number();
      if (!w || !eat('.')) return std::nullopt;
      auto d = number();
      if (!d || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *d > 6) return std::nullopt;
      c.month = *m;
      c.week = *w;
      c.weekday = *d;
    } else {
      c.kind = eat('J') ? PosixTzRule::Change::Kind::kJulianNoLeap
                        : PosixTzRule::Change::Kind::kJulianZeroBased;
      auto n = number();
      if (!n || *n > 365) return std::nullopt;
      c.day = *n;
    }
    if (eat('/')) {
      auto t = hms();
      if (!t) return std::nullopt;
      c.seconds = *t;
    }
    return c;
  }
};

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Seconds since the epoch of the change in `year`, in local time with the given offset.
std::int64_t change_instant(const PosixTzRule::Change& c, std::int64_t year, std::int32_t offset) {
  std::int64_t days = 0;
  switch (c.kind) {
    case PosixTzRule::Change::Kind::kMonthWeekDay: {
      auto month = static_cast<unsigned>(c.month);
      std::int64_t first = days_from_civil(year, month, 1);
      std::int64_t first_weekday = ((first % 7) + 7 + 4) % 7;  // 0 = Sunday; 1970-01-01 Thursday
      std::int64_t day = first + (c.weekday - first_weekday + 7) % 7 + (c.week - 1) * 7;
      std::int64_t last = first + days_in_month(year, month) - 1;
      while (day > last)
        day -= 7;  // week 5 means "the last"
      days = day;
      break;
    }
    case PosixTzRule::Change::Kind::kJulianNoLeap:
      days = days_from_civil(year, 1, 1) + c.day - 1 + (is_leap(year) && c.day >= 60 ? 1 : 0);
      break;
    case PosixTzRule::Change::Kind::kJulianZeroBased:
      days = days_from_civil(year, 1, 1) + c.day;
      break;
  }
  return days * kSecondsPerDay + c.seconds - offset;
}

}  // namespace

std::optional<PosixTzRule> parse_posix_tz(std::string_view text) {
  Reader r{text};
  PosixTzRule rule;
  if (!r.name()) return std::nullopt;
  auto std_offset = r.hms();
  if (!std_offset) return std::nullopt;
  rule.std_offset = -*std_offset;
  if (r.done()) return rule;
  if (!r.name()) return std::nullopt;
  rule.dst_offset = rule.std_offset + 3600;
  if (!r.done() && !(r.s[r.pos] == ',')) {
    auto dst = r.hms();
    if (!dst) return std::nullopt;
    rule.dst_offset = -*dst;
  }
  if (!r.eat(',')) return std::nullopt;
  auto start = r.change();
  if (!start || !r.eat(',')) return std::nullopt;
  auto end = r.change();
  if (!end || !r.done()) return std::nullopt;
  rule.start = *start;
  rule.end = *end;
  return rule;
}

std::int32_t PosixTzRule::offset_at(std::int64_t epoch_seconds) const {
  if (!dst_offset) return std_offset;
  Date local{(epoch_seconds + std_offset) >= 0
                 ? (epoch_seconds + std_offset) / kSecondsPerDay
                 : (epoch_seconds + std_offset - kSecondsPerDay + 1) / kSecondsPerDay};
  std::int64_t year = local.year();
  // Daylight saving starts at a local standard time and ends at a local daylight time.
  std::int64_t begins = change_instant(start, year, std_offset);
  std::int64_t ends = change_instant(end, year, *dst_offset);
  bool in_dst = begins < ends ? (epoch_seconds >= begins && epoch_seconds < ends)
                              : (epoch_seconds >= begins || epoch_seconds < ends);  // south
  return in_dst ? *dst_offset : std_offset;
}

}  // namespace tern::feel
