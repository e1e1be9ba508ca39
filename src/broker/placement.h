#pragma once

// Where partitions live. Partition p (1-based) of a cluster of n brokers with replication factor r
// is hosted by brokers (p - 1 + i) mod n for i = 0..r-1: round-robin, so that replicas spread
// evenly and, with brokers numbered so that regions alternate, every partition has a replica in
// every region (DESIGN.md, "Cluster topology"). Pure functions; the inputs must already be valid
// (1 <= r <= n, p >= 1), which the configuration guarantees, and are checked.

#include <cstdint>
#include <vector>

#include "common/strong_id.h"

namespace tern::broker {

struct ClusterShape {
  std::int32_t cluster_size = 1;
  std::int32_t partitions = 1;
  std::int32_t replication_factor = 1;
};

// The brokers hosting `partition`, the first being the one it starts on (i = 0).
std::vector<NodeId> replicas_of(PartitionId partition, const ClusterShape& shape);

// The partitions `node` hosts, in increasing order.
std::vector<PartitionId> partitions_of(NodeId node, const ClusterShape& shape);

}  // namespace tern::broker
