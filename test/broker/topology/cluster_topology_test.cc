// The topology model: initial round-robin placement, applying operations, invariants, fencing.

#include "broker/topology/cluster_topology.h"

#include <gtest/gtest.h>

namespace tern::broker::topology {
namespace {

std::vector<BrokerInfo> brokers(std::int32_t count, std::int32_t regions) {
  std::vector<BrokerInfo> out;
  for (std::int32_t id = 0; id < count; ++id) {
    BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = "127.0.0.1:" + std::to_string(26502 + 10 * id);
    broker.region = "region-" + std::to_string(id % regions);
    out.push_back(broker);
  }
  return out;
}

std::vector<std::int32_t> replica_ids(const ClusterTopology& topology, std::int32_t partition) {
  std::vector<std::int32_t> ids;
  for (const auto& [id, replica] : topology.replicas_of(PartitionId(partition)))
    ids.push_back(id.value());
  return ids;
}

TEST(ClusterTopology, InitialPlacementIsRoundRobinWithDescendingPriorities) {
  auto topology = initial_topology(brokers(4, 2), 4, 3);
  ASSERT_TRUE(validate(topology).ok());
  EXPECT_EQ(replica_ids(topology, 1), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(replica_ids(topology, 4), (std::vector<std::int32_t>{0, 1, 3}));
  auto replicas = topology.replicas_of(PartitionId(4));
  EXPECT_EQ(replicas[NodeId(3)].priority, 3);  // first in round-robin order: preferred leader
  EXPECT_EQ(replicas[NodeId(0)].priority, 2);
  EXPECT_EQ(replicas[NodeId(1)].priority, 1);
  EXPECT_EQ(topology.brokers.at(NodeId(3)).region, "region-1");
}

TEST(ClusterTopology, AlternatingRegionsPutEveryPartitionInEveryRegion) {
  auto topology = initial_topology(brokers(8, 2), 8, 4);
  for (std::int32_t p = 1; p <= 8; ++p) {
    int even = 0;
    for (auto id : replica_ids(topology, p))
      even += id % 2 == 0;
    EXPECT_EQ(even, 2) << "partition " << p;
  }
}

TEST(ClusterTopology, JoinLeaveAndPriorityChangeTheTopologyAndBumpVersions) {
  auto topology = initial_topology(brokers(3, 1), 1, 2);
  const auto version = topology.version;
  ASSERT_TRUE(apply_operation(topology,
                              {OperationKind::kPartitionJoin, NodeId(2), PartitionId(1), 1, {}}, 42)
                  .ok());
  EXPECT_EQ(replica_ids(topology, 1), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(topology.version, version + 1);
  EXPECT_EQ(topology.brokers.at(NodeId(2)).last_updated_ms, 42);
  ASSERT_TRUE(apply_operation(
                  topology,
                  {OperationKind::kPartitionReconfigurePriority, NodeId(2), PartitionId(1), 5, {}},
                  43)
                  .ok());
  EXPECT_EQ(topology.replicas_of(PartitionId(1))[NodeId(2)].priority, 5);
  ASSERT_TRUE(apply_operation(
                  topology, {OperationKind::kPartitionLeave, NodeId(0), PartitionId(1), 0, {}}, 44)
                  .ok());
  EXPECT_EQ(replica_ids(topology, 1), (std::vector<std::int32_t>{1, 2}));
  EXPECT_TRUE(validate(topology).ok());
}

TEST(ClusterTopology, OperationsThatDoNotFitAreRefusedAndChangeNothing) {
  auto topology = initial_topology(brokers(2, 1), 1, 1);
  const auto before = topology;
  auto join_twice = apply_operation(
      topology, {OperationKind::kPartitionJoin, NodeId(0), PartitionId(1), 1, {}}, 1);
  ASSERT_FALSE(join_twice.ok());
  EXPECT_NE(join_twice.error().message.find("already a replica"), std::string::npos);
  auto last_leaves = apply_operation(
      topology, {OperationKind::kPartitionLeave, NodeId(0), PartitionId(1), 0, {}}, 1);
  ASSERT_FALSE(last_leaves.ok());
  EXPECT_NE(last_leaves.error().message.find("last replica"), std::string::npos);
  auto unknown_partition = apply_operation(
      topology, {OperationKind::kPartitionJoin, NodeId(1), PartitionId(7), 1, {}}, 1);
  ASSERT_FALSE(unknown_partition.ok());
  EXPECT_NE(unknown_partition.error().message.find("no such partition"), std::string::npos);
  auto remove_host = apply_operation(
      topology, {OperationKind::kBrokerRemove, NodeId(0), PartitionId(0), 0, {}}, 1);
  ASSERT_FALSE(remove_host.ok());
  EXPECT_NE(remove_host.error().message.find("still hosts 1 partition"), std::string::npos);
  auto unknown_broker = apply_operation(
      topology, {OperationKind::kPartitionJoin, NodeId(9), PartitionId(1), 1, {}}, 1);
  ASSERT_FALSE(unknown_broker.ok());
  EXPECT_EQ(topology, before);
}

TEST(ClusterTopology, ForceReconfigureKeepsOnlyTheNamedSurvivors) {
  auto topology = initial_topology(brokers(4, 2), 1, 4);
  Operation force{OperationKind::kPartitionForceReconfigure,
                  NodeId(0),
                  PartitionId(1),
                  0,
                  {NodeId(0), NodeId(2)}};
  ASSERT_TRUE(apply_operation(topology, force, 1).ok());
  EXPECT_EQ(replica_ids(topology, 1), (std::vector<std::int32_t>{0, 2}));
  Operation stranger{
      OperationKind::kPartitionForceReconfigure, NodeId(0), PartitionId(1), 0, {NodeId(1)}};
  EXPECT_FALSE(apply_operation(topology, stranger, 1).ok());
}

TEST(ClusterTopology, RemovedBrokersAreRememberedAndReAddedWithTheirRegion) {
  auto topology = initial_topology(brokers(2, 2), 1, 1);
  topology.pending_change = ClusterChange{};
  topology.pending_change->id = 3;
  ASSERT_TRUE(
      apply_operation(topology, {OperationKind::kBrokerRemove, NodeId(1), PartitionId(0), 0, {}}, 1)
          .ok());
  ASSERT_EQ(topology.removed.count(NodeId(1)), 1u);
  EXPECT_EQ(topology.removed.at(NodeId(1)).region, "region-1");
  EXPECT_EQ(topology.removed.at(NodeId(1)).removed_by_change, 3);
  EXPECT_TRUE(validate(topology).ok());
  topology.pending_change->id = 4;
  ASSERT_TRUE(
      apply_operation(topology, {OperationKind::kBrokerAdd, NodeId(1), PartitionId(0), 0, {}}, 2)
          .ok());
  EXPECT_EQ(topology.brokers.at(NodeId(1)).region, "region-1");
  EXPECT_EQ(topology.brokers.at(NodeId(1)).joined_by_change, 4);
  EXPECT_TRUE(topology.removed.empty());
}

TEST(ClusterTopology, ValidateFindsBrokenInvariants) {
  auto topology = initial_topology(brokers(2, 1), 2, 1);
  topology.brokers.at(NodeId(1)).partitions.clear();  // partition 2 lost its only replica
  auto result = validate(topology);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("partition 2 has no replica"), std::string::npos);
}

TEST(ClusterTopology, FencingRecognisesStaleDataOfRemovedBrokers) {
  auto topology = initial_topology(brokers(2, 2), 1, 2);
  EXPECT_EQ(fencing_verdict(topology, NodeId(1), 0), FencingVerdict::kMember);
  EXPECT_EQ(fencing_verdict(topology, NodeId(5), std::nullopt), FencingVerdict::kUnknown);
  topology.pending_change = ClusterChange{};
  topology.pending_change->id = 2;
  ASSERT_TRUE(
      apply_operation(
          topology,
          {OperationKind::kPartitionForceReconfigure, NodeId(0), PartitionId(1), 0, {NodeId(0)}}, 1)
          .ok());
  ASSERT_TRUE(
      apply_operation(topology, {OperationKind::kBrokerRemove, NodeId(1), PartitionId(0), 0, {}}, 1)
          .ok());
  // Old data after the removal: fenced. A fresh disk: not a member, waits to be added.
  EXPECT_EQ(fencing_verdict(topology, NodeId(1), 0), FencingVerdict::kFenced);
  EXPECT_EQ(fencing_verdict(topology, NodeId(1), std::nullopt), FencingVerdict::kUnknown);
  topology.pending_change->id = 3;
  ASSERT_TRUE(
      apply_operation(topology, {OperationKind::kBrokerAdd, NodeId(1), PartitionId(0), 0, {}}, 1)
          .ok());
  // Re-added with a fresh disk (change 3): the old data (change 0) stays fenced.
  EXPECT_EQ(fencing_verdict(topology, NodeId(1), 0), FencingVerdict::kFenced);
  EXPECT_EQ(fencing_verdict(topology, NodeId(1), 3), FencingVerdict::kMember);
}

}  // namespace
}  // namespace tern::broker::topology
