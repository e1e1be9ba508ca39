#include "engine/feel/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/feel/posix_tz.h"

namespace tern::feel {
namespace {

// One zone's history: transition instants and the offset that applies from each one on.
struct ZoneRules {
  std::vector<std::int64_t> transitions;  // ascending, seconds since the epoch
  std::vector<std::int32_t> offsets;      // offsets[i] applies from transitions[i]
  std::int32_t initial_offset = 0;        // before the first transition
  std::optional<PosixTzRule> footer;      // the rule for instants after the last transition

  std::int32_t offset_at(std::int64_t instant) const {
    auto it = std::upper_bound(transitions.begin(), transitions.end(), instant);
    if (it == transitions.end() && footer
        && (transitions.empty() || instant >= transitions.back())) {
      return footer->offset_at(instant);
    }
    if (it == transitions.begin()) return initial_offset;
    return offsets[static_cast<std::size_t>(std::distance(transitions.begin(), it) - 1)];
  }
};

std::int64_t read_be(const std::string& data, std::size_t pos, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(data[pos + i]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '/') return false;
  if (id.find("..") != std::string_view::npos) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/'
           || c == '_' || c == '-' || c == '+';
  });
}

// Parses a TZif file (version 2+ uses the 64-bit second section; version 1 the first).
std::optional<ZoneRules> parse_tzif(const std::string& data) {
  auto header_ok = [&](std::size_t at) {
    return data.size() >= at + 44 && data.compare(at, 4, "TZif") == 0;
  };
  if (!header_ok(0)) return std::nullopt;
  auto counts = [&](std::size_t at) {
    std::vector<std::int64_t> c(6);
    for (std::size_t i = 0; i < 6; ++i)
      c[i] = read_be(data, at + 20 + i * 4, 4);
    return c;  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  };
  std::size_t at = 0;
  std::size_t time_size = 4;
  auto c = counts(0);
  if (data[4] >= '2') {
    std::size_t v1_size =
        static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    at = 44 + v1_size;
    if (!header_ok(at)) return std::nullopt;
    c = counts(at);
    time_size = 8;
  }
  std::size_t timecnt = static_cast<std::size_t>(c[3]), typecnt = static_cast<std::size_t>(c[4]);
  std::size_t pos = at + 44;
  if (typecnt == 0 || data.size() < pos + timecnt * (time_size + 1) + typecnt * 6)
    return std::nullopt;
  ZoneRules rules;
  std::vector<std::size_t> type_index(timecnt);
  for (std::size_t i = 0; i < timecnt; ++i)
    rules.transitions.push_back(read_be(data, pos + i * time_size, time_size));
  pos += timecnt * time_size;
  for (std::size_t i = 0; i < timecnt; ++i)
    type_index[i] = static_cast<unsigned char>(data[pos + i]);
  pos += timecnt;
  std::vector<std::int32_t> type_offsets(typecnt);
  for (std::size_t i = 0; i < typecnt; ++i)
    type_offsets[i] = static_cast<std::int32_t>(read_be(data, pos + i * 6, 4));
  for (std::size_t i = 0; i < timecnt; ++i) {
    if (type_index[i] >= typecnt) return std::nullopt;
    rules.offsets.push_back(type_offsets[type_index[i]]);
  }
  rules.initial_offset = type_offsets[0];
  if (time_size == 8) {
    // Version 2+: after the 64-bit data comes "\n<POSIX TZ rule>\n".
    std::size_t leapcnt = static_cast<std::size_t>(c[2]), charcnt = static_cast<std::size_t>(c[5]);
    std::size_t footer = pos + typecnt * 6 + charcnt + leapcnt * 12 + static_cast<std::size_t>(c[1])
                         + static_cast<std::size_t>(c[0]);
    if (footer < data.size() && data[footer] == '\n') {
      auto end = data.find('\n', footer + 1);
      if (end != std::string::npos) {
        rules.footer = parse_posix_tz(std::string_view(data).substr(footer + 1, end - footer - 1));
      }
    }
  }
  return rules;
}

class ZoneRegistry {
 public:
  static ZoneRegistry& instance() {
    static ZoneRegistry registry;
    return registry;
  }

  std::shared_ptr<const ZoneRules> find(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = zones_.find(id);
    if (it != zones_.end()) return it->second;
    std::shared_ptr<const ZoneRules> rules;
    if (valid_id(id) && zones_.size() < 1024) {
      const char* dir = std::getenv("TZDIR");
      std::string path =
          std::string(dir != nullptr ? dir : "/usr/share/zoneinfo") + "/" + std::string(id);
      std::ifstream in(path, std::ios::binary);
      if (in) {
        std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (auto parsed = parse_tzif(data))
          rules = std::make_shared<const ZoneRules>(std::move(*parsed));
      }
    }
    zones_.emplace(std::string(id), rules);  // failures are remembered too
    return rules;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const ZoneRules>, std::less<>> zones_;
};

}  // namespace

bool is_known_zone(std::string_view id) {
  return id == "UTC" || id == "Z" || ZoneRegistry::instance().find(id) != nullptr;
}

std::optional<std::int32_t> offset_at_instant(std::string_view id, std::int64_t epoch_seconds) {
  if (id == "UTC" || id == "Z") return 0;
  auto rules = ZoneRegistry::instance().find(id);
  if (!rules) return std::nullopt;
  return rules->offset_at(epoch_seconds);
}

std::optional<std::int32_t> offset_for_local_time(std::string_view id, std::int64_t local_seconds) {
  if (id == "UTC" || id == "Z") return 0;
  auto rules = ZoneRegistry::instance().find(id);
  if (!rules) return std::nullopt;
  // Offsets never exceed a day, and transitions are far more than a day apart, so the offsets a
  // day either side bracket every candidate.
  std::int32_t earlier = rules->offset_at(local_seconds - 86400);
  std::int32_t later = rules->offset_at(local_seconds + 86400);
  if (rules->offset_at(local_seconds - earlier) == earlier) return earlier;
  if (rules->offset_at(local_seconds - later) == later) return later;
  return earlier;  // in a gap
}

}  // namespace tern::feel
