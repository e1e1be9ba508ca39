#include "gateway/routing/partition_routing.h"

#include <cstdlib>
#include <vector>

namespace tern::gateway::routing {
namespace {

// UTF-8 -> UTF-16 code units, as Java holds strings. Invalid bytes become U+FFFD, as Java's
// decoder does, so any input hashes deterministically.
std::vector<std::uint16_t> utf16_units(std::string_view text) {
  std::vector<std::uint16_t> units;
  units.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::uint32_t code = 0xFFFD;
    std::size_t length = 1;
    if (byte < 0x80) {
      code = byte;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
    } else {
      length = 0;  // a stray continuation byte
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (next & 0x3F);
    }
    if (!valid) {
      code = 0xFFFD;
      length = 1;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (code >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (code & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(code));
    }
    i += length;
  }
  return units;
}

}  // namespace

std::string address_of(const BrokerInfo& broker) {
  bool v6 = broker.host.find(':') != std::string::npos;
  return (v6 ? "[" + broker.host + "]" : broker.host) + ":" + std::to_string(broker.port);
}

std::int32_t partition_of_key(std::int64_t key) {
  return static_cast<std::int32_t>(static_cast<std::uint64_t>(key) >> kKeyBits);
}

std::int32_t java_string_hash(std::string_view text) {
  // Java's int arithmetic wraps; do it in unsigned to stay defined.
  std::uint32_t hash = 0;
  for (std::uint16_t unit : utf16_units(text))
    hash = 31 * hash + unit;
  return static_cast<std::int32_t>(hash);
}

std::int32_t partition_for_correlation_key(std::string_view correlation_key,
                                           std::int32_t partition_count) {
  if (partition_count < 1) return 1;
  std::int32_t hash = java_string_hash(correlation_key);
  return std::abs(hash % partition_count) + 1;
}

std::optional<std::string> leader_address(const ClusterTopology& topology, std::int32_t partition) {
  // Right after an election the deposed leader's report may still say "leader"; the newer term
  // is the real one.
  const BrokerInfo* best = nullptr;
  std::uint64_t best_term = 0;
  for (const auto& broker : topology.brokers) {
    for (const auto& info : broker.partitions) {
      if (info.partition_id == partition && info.role == PartitionRole::kLeader
          && (best == nullptr || info.term > best_term)) {
        best = &broker;
        best_term = info.term;
      }
    }
  }
  if (best == nullptr) return std::nullopt;
  return address_of(*best);
}

std::optional<std::string> broker_address(const ClusterTopology& topology, std::int32_t node_id) {
  for (const auto& broker : topology.brokers) {
    if (broker.node_id == node_id) return address_of(broker);
  }
  return std::nullopt;
}

}  // namespace tern::gateway::routing
