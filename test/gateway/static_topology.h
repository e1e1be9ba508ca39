#pragma once

// Test helpers: a TopologySource that returns what the test set, and a sample cluster.

#include <mutex>

#include "gateway/topology.h"

namespace tern::gateway::testing {

// Thread-safe: gRPC/REST workers read while the test may replace the topology.
class StaticTopology final : public TopologySource {
 public:
  explicit StaticTopology(ClusterTopology topology) : topology_(std::move(topology)) {}

  ClusterTopology current() const override {
    std::lock_guard lock(mutex_);
    return topology_;
  }

  void set(ClusterTopology topology) {
    std::lock_guard lock(mutex_);
    topology_ = std::move(topology);
  }

 private:
  mutable std::mutex mutex_;
  ClusterTopology topology_;
};

// Two brokers, two partitions, replication factor 2: every role and health value appears.
inline ClusterTopology sample_topology() {
  ClusterTopology topology;
  topology.brokers.push_back(
      BrokerInfo{.node_id = 0,
                 .host = "10.0.0.1",
                 .port = 26501,
                 .version = "0.1.0",
                 .region = "east",
                 .partitions = {{1, PartitionRole::kLeader, PartitionHealth::kHealthy},
                                {2, PartitionRole::kFollower, PartitionHealth::kUnhealthy}}});
  topology.brokers.push_back(
      BrokerInfo{.node_id = 1,
                 .host = "10.0.0.2",
                 .port = 26511,
                 .version = "0.1.0",
                 .region = "west",
                 .partitions = {{1, PartitionRole::kInactive, PartitionHealth::kDead},
                                {2, PartitionRole::kLeader, PartitionHealth::kHealthy}}});
  topology.cluster_size = 2;
  topology.partitions_count = 2;
  topology.replication_factor = 2;
  return topology;
}

}  // namespace tern::gateway::testing
