#pragma once

// Which partition a request goes to, by Zeebe's rules, so that a client sees the same placement
// as with Zeebe: keys carry their partition in the upper 13 bits; a message goes to the partition
// chosen by Java's String.hashCode of its correlation key; new process instances go round-robin.
// Pure functions plus one atomic counter; thread-safe.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/topology.h"

namespace tern::gateway::routing {

inline constexpr int kKeyBits = 51;  // a key is partition << 51 | counter

// The partition a key belongs to (its upper 13 bits, read unsigned).
std::int32_t partition_of_key(std::int64_t key);

// Java's String.hashCode over the UTF-16 code units of `text` (given as UTF-8).
std::int32_t java_string_hash(std::string_view text);

// Zeebe's message routing: abs(hashCode(correlationKey) % partitionCount) + 1.
std::int32_t partition_for_correlation_key(std::string_view correlation_key,
                                           std::int32_t partition_count);

// "host:port" of a broker's command API (an IPv6 host in brackets).
std::string address_of(const BrokerInfo& broker);
// "host:port" of the broker leading `partition` in `topology`, if one is known; of several brokers
// claiming it (a deposed leader not yet updated), the one in the highest term.
std::optional<std::string> leader_address(const ClusterTopology& topology, std::int32_t partition);
// "host:port" of broker `node_id`, if it is in the topology.
std::optional<std::string> broker_address(const ClusterTopology& topology, std::int32_t node_id);

// Hands out partitions 1..count in turn.
class RoundRobin {
 public:
  std::int32_t next(std::int32_t partition_count) {
    if (partition_count < 1) return 1;
    auto n = counter_.fetch_add(1, std::memory_order_relaxed);
    return static_cast<std::int32_t>(n % static_cast<std::uint64_t>(partition_count)) + 1;
  }

 private:
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace tern::gateway::routing
