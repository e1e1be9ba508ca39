#pragma once

// The cluster as a gateway reports it to clients: brokers, the partitions each one hosts with their
// role and health, and the cluster-wide sizes. Plain values; the gateway never sees engine state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/partition_status.h"

namespace tern::gateway {

using tern::PartitionHealth;
using tern::PartitionRole;

struct PartitionInfo {
  std::int32_t partition_id = 0;
  PartitionRole role = PartitionRole::kInactive;
  PartitionHealth health = PartitionHealth::kDead;
  std::uint64_t term = 0;  // the replica's Raft term (routing prefers the newest leader)

  bool operator==(const PartitionInfo&) const = default;
};

struct BrokerInfo {
  std::int32_t node_id = 0;
  std::string host;
  std::int32_t port = 0;
  std::string version;
  std::string region;
  std::vector<PartitionInfo> partitions;

  bool operator==(const BrokerInfo&) const = default;
};

struct ClusterTopology {
  std::vector<BrokerInfo> brokers;
  std::int32_t cluster_size = 0;
  std::int32_t partitions_count = 0;
  std::int32_t replication_factor = 0;
  std::string gateway_version;
  // The committed cluster membership the brokers report (the highest version among them; 0 and
  // empty while none is known). A standalone gateway lists only these brokers.
  std::int64_t membership_version = 0;
  std::vector<std::int32_t> member_ids;

  bool operator==(const ClusterTopology&) const = default;
};

// Where a gateway learns the cluster: the embedded gateway asks its broker directly, a standalone
// gateway subscribes to the brokers' command API, which pushes changes. Implementations must be
// thread-safe: the gRPC and REST servers call current() from their own worker threads,
// concurrently.
class TopologySource {
 public:
  virtual ~TopologySource() = default;
  virtual ClusterTopology current() const = 0;
};

// Lower-case names, as the command API and the REST API spell them ("leader", "healthy").
// Names and their inverses: common/partition_status.h.
using tern::parse_partition_health;
using tern::parse_partition_role;
using tern::to_string;

}  // namespace tern::gateway
