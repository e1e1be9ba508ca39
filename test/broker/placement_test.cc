// Partition placement: partition p on brokers (p - 1 + i) mod n, i = 0..r-1.

#include "broker/placement.h"

#include <gtest/gtest.h>

#include <map>

namespace tern::broker {
namespace {

std::vector<std::int32_t> ids(const std::vector<NodeId>& nodes) {
  std::vector<std::int32_t> out;
  for (auto node : nodes)
    out.push_back(node.value());
  return out;
}

std::vector<std::int32_t> ids(const std::vector<PartitionId>& partitions) {
  std::vector<std::int32_t> out;
  for (auto partition : partitions)
    out.push_back(partition.value());
  return out;
}

TEST(Placement, SingleBrokerHostsEverything) {
  ClusterShape shape{1, 4, 1};
  for (std::int32_t p = 1; p <= 4; ++p) {
    EXPECT_EQ(ids(replicas_of(PartitionId(p), shape)), std::vector<std::int32_t>{0});
  }
  EXPECT_EQ(ids(partitions_of(NodeId(0), shape)), (std::vector<std::int32_t>{1, 2, 3, 4}));
}

TEST(Placement, RoundRobinWithReplicationFactorThree) {
  ClusterShape shape{5, 5, 3};
  EXPECT_EQ(ids(replicas_of(PartitionId(1), shape)), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(ids(replicas_of(PartitionId(2), shape)), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(ids(replicas_of(PartitionId(4), shape)), (std::vector<std::int32_t>{3, 4, 0}));
  EXPECT_EQ(ids(replicas_of(PartitionId(5), shape)), (std::vector<std::int32_t>{4, 0, 1}));
  EXPECT_EQ(ids(partitions_of(NodeId(0), shape)), (std::vector<std::int32_t>{1, 4, 5}));
  EXPECT_EQ(ids(partitions_of(NodeId(2), shape)), (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(Placement, MorePartitionsThanBrokersWrapAround) {
  ClusterShape shape{3, 7, 2};
  EXPECT_EQ(ids(replicas_of(PartitionId(6), shape)), (std::vector<std::int32_t>{2, 0}));
  EXPECT_EQ(ids(replicas_of(PartitionId(7), shape)), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(ids(partitions_of(NodeId(1), shape)), (std::vector<std::int32_t>{1, 2, 4, 5, 7}));
}

TEST(Placement, EveryPartitionHasDistinctReplicasAndLoadIsEven) {
  ClusterShape shape{6, 12, 3};
  std::map<std::int32_t, int> load;
  for (std::int32_t p = 1; p <= shape.partitions; ++p) {
    auto replicas = ids(replicas_of(PartitionId(p), shape));
    ASSERT_EQ(replicas.size(), 3u);
    std::sort(replicas.begin(), replicas.end());
    EXPECT_EQ(std::adjacent_find(replicas.begin(), replicas.end()), replicas.end());
    for (auto node : replicas)
      ++load[node];
  }
  for (std::int32_t n = 0; n < shape.cluster_size; ++n) {
    EXPECT_EQ(load[n], 6) << "broker " << n;
    EXPECT_EQ(partitions_of(NodeId(n), shape).size(), 6u);
  }
}

TEST(Placement, AlternatingRegionsPutAReplicaInEveryRegion) {
  // Two regions, brokers numbered so that region = id mod 2 (DESIGN.md).
  ClusterShape shape{4, 8, 2};
  for (std::int32_t p = 1; p <= shape.partitions; ++p) {
    auto replicas = ids(replicas_of(PartitionId(p), shape));
    EXPECT_NE(replicas[0] % 2, replicas[1] % 2) << "partition " << p;
  }
}

}  // namespace
}  // namespace tern::broker
