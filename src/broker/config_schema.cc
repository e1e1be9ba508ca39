#include "broker/config_schema.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tern::broker {
namespace {

constexpr std::array kKeys = {
    KeySpec{"cluster.node-id", KeyKind::kInteger},
    KeySpec{"cluster.size", KeyKind::kInteger},
    KeySpec{"cluster.partitions", KeyKind::kInteger},
    KeySpec{"cluster.replication-factor", KeyKind::kInteger},
    KeySpec{"cluster.contact-points", KeyKind::kStringList},
    KeySpec{"cluster.region", KeyKind::kString},
    KeySpec{"cluster.region-count", KeyKind::kInteger},
    KeySpec{"cluster.region-index", KeyKind::kInteger},
    KeySpec{"cluster.pod-name", KeyKind::kString},
    KeySpec{"network.host", KeyKind::kString},
    KeySpec{"network.advertised-host", KeyKind::kString},
    KeySpec{"network.command-port", KeyKind::kPort},
    KeySpec{"network.cluster-port", KeyKind::kPort},
    KeySpec{"network.monitoring-port", KeyKind::kPort},
    KeySpec{"gateway.enabled", KeyKind::kBoolean},
    KeySpec{"gateway.port", KeyKind::kPort},
    KeySpec{"gateway.rest-port", KeyKind::kPort},
    KeySpec{"data.directory", KeyKind::kString},
    KeySpec{"data.snapshot-period-seconds", KeyKind::kInteger},
    KeySpec{"data.snapshot-log-entries", KeyKind::kInteger},
    KeySpec{"threads.partition-threads", KeyKind::kInteger},
    KeySpec{"threads.journal-writer-threads", KeyKind::kInteger},
    KeySpec{"logging.level", KeyKind::kString},
    KeySpec{"logging.format", KeyKind::kString},
};

constexpr std::array<std::string_view, 7> kSections = {"cluster", "network",   "gateway", "data",
                                                       "threads", "exporters", "logging"};

}  // namespace

std::span<const KeySpec> config_keys() {
  return kKeys;
}

std::span<const std::string_view> config_sections() {
  return kSections;
}

const KeySpec* find_config_key(std::string_view path) {
  auto it = std::find_if(kKeys.begin(), kKeys.end(),
                         [&](const KeySpec& spec) { return spec.path == path; });
  return it == kKeys.end() ? nullptr : &*it;
}

std::string env_name_for(std::string_view path) {
  std::string name = "TERN_";
  for (char c : path) {
    if (c == '.' || c == '-') {
      name.push_back('_');
    } else {
      name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return name;
}

std::string_view to_string(KeyKind kind) {
  switch (kind) {
    case KeyKind::kInteger:
      return "an integer";
    case KeyKind::kPort:
      return "a port number";
    case KeyKind::kBoolean:
      return "a boolean (true or false)";
    case KeyKind::kString:
      return "a string";
    case KeyKind::kStringList:
      return "a list of strings";
  }
  return "a value";
}

}  // namespace tern::broker
