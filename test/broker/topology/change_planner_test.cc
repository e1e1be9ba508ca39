// The change planner: plans for scaling, failover (force) and failback, their safety, and the
// reasons a request is refused.

#include "broker/topology/change_planner.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tern::broker::topology {
namespace {

ClusterTopology cluster(std::int32_t brokers, std::int32_t partitions, std::int32_t rf,
                        std::int32_t regions = 2) {
  std::vector<BrokerInfo> list;
  for (std::int32_t id = 0; id < brokers; ++id) {
    BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = "127.0.0.1:" + std::to_string(30000 + id);
    broker.region = std::to_string(id % regions);
    list.push_back(broker);
  }
  return initial_topology(list, partitions, rf);
}

std::vector<NodeId> ids(std::initializer_list<std::int32_t> values) {
  std::vector<NodeId> out;
  for (auto v : values)
    out.push_back(NodeId(v));
  return out;
}

std::string plan_error(const ClusterTopology& topology, const ChangeRequest& request) {
  auto plan = plan_change(topology, request);
  EXPECT_FALSE(plan.ok());
  return plan.ok() ? "" : plan.error().message;
}

// Applies the plan one step at a time and returns the smallest replica count any partition had.
std::size_t min_replicas_while_applying(ClusterTopology topology, const ChangePlan& plan) {
  std::size_t smallest = SIZE_MAX;
  for (const auto& operation : plan.operations) {
    EXPECT_TRUE(apply_operation(topology, operation, 0).ok()) << describe(operation);
    for (std::int32_t p = 1; p <= topology.partition_count; ++p)
      smallest = std::min(smallest, topology.replicas_of(PartitionId(p)).size());
  }
  return smallest;
}

TEST(ChangePlanner, ScaleThreeToSixAndBackKeepsQuorumAndEndsRoundRobin) {
  auto topology = cluster(3, 6, 3);
  auto up = plan_change(topology, {ids({3, 4, 5}), {}, std::nullopt, ChangeMode::kSafe});
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->operations.front().kind, OperationKind::kBrokerAdd);
  EXPECT_TRUE(check_plan_safety(topology, up->operations).ok());
  EXPECT_EQ(min_replicas_while_applying(topology, *up), 3u);
  auto target = round_robin_placement(ids({0, 1, 2, 3, 4, 5}), 6, 3);
  for (const auto& [partition, wanted] : target) {
    auto replicas = up->expected.replicas_of(partition);
    ASSERT_EQ(replicas.size(), 3u);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      ASSERT_TRUE(replicas.count(wanted[i]));
      EXPECT_EQ(replicas.at(wanted[i]).priority, static_cast<std::int32_t>(3 - i));
    }
  }
  for (std::int32_t id = 0; id < 6; ++id)
    EXPECT_EQ(up->expected.brokers.at(NodeId(id)).partitions.size(), 3u) << "broker " << id;

  auto down = plan_change(up->expected, {{}, ids({3, 4, 5}), std::nullopt, ChangeMode::kSafe});
  ASSERT_TRUE(down.ok()) << down.error().message;
  EXPECT_EQ(down->operations.back().kind, OperationKind::kBrokerRemove);
  EXPECT_TRUE(check_plan_safety(up->expected, down->operations).ok());
  EXPECT_EQ(min_replicas_while_applying(up->expected, *down), 3u);
  EXPECT_EQ(down->expected.brokers.size(), 3u);
  for (std::int32_t p = 1; p <= 6; ++p)
    EXPECT_EQ(down->expected.replicas_of(PartitionId(p)).size(), 3u);
}

TEST(ChangePlanner, ForcedFailoverOfARegionKeepsTheSurvivorsOfEveryPartition) {
  auto topology = cluster(8, 8, 4);
  auto plan = plan_change(topology, {{}, ids({1, 3, 5, 7}), std::nullopt, ChangeMode::kForce});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // One forced reconfiguration per partition, then the four removals.
  ASSERT_EQ(plan->operations.size(), 12u);
  for (std::int32_t p = 1; p <= 8; ++p) {
    const auto& operation = plan->operations[static_cast<std::size_t>(p - 1)];
    EXPECT_EQ(operation.kind, OperationKind::kPartitionForceReconfigure);
    EXPECT_EQ(operation.members.size(), 2u);
    for (NodeId member : operation.members)
      EXPECT_EQ(member.value() % 2, 0);
    EXPECT_EQ(plan->expected.replicas_of(PartitionId(p)).size(), 2u);
  }
  EXPECT_EQ(plan->expected.brokers.size(), 4u);
  EXPECT_EQ(plan->expected.removed.size(), 4u);
  EXPECT_EQ(plan->expected.replication_factor, 4);                   // remembered for failback
  EXPECT_FALSE(check_plan_safety(topology, plan->operations).ok());  // forced, by nature
  EXPECT_TRUE(validate(plan->expected).ok());
}

TEST(ChangePlanner, FailbackAddsFreshBrokersAndRestoresTheReplicationFactor) {
  auto topology = cluster(4, 4, 4);
  auto failover = plan_change(topology, {{}, ids({1, 3}), std::nullopt, ChangeMode::kForce});
  ASSERT_TRUE(failover.ok()) << failover.error().message;
  const auto& degraded = failover->expected;
  for (std::int32_t p = 1; p <= 4; ++p)
    ASSERT_EQ(degraded.replicas_of(PartitionId(p)).size(), 2u);

  auto failback = plan_change(degraded, {ids({1, 3}), {}, 4, ChangeMode::kSafe},
                              {{NodeId(1), {"127.0.0.1:40001", "1"}}});
  ASSERT_TRUE(failback.ok()) << failback.error().message;
  EXPECT_TRUE(check_plan_safety(degraded, failback->operations).ok());
  EXPECT_EQ(min_replicas_while_applying(degraded, *failback), 2u);
  for (std::int32_t p = 1; p <= 4; ++p)
    EXPECT_EQ(failback->expected.replicas_of(PartitionId(p)).size(), 4u);
  EXPECT_EQ(failback->expected.brokers.at(NodeId(1)).address, "127.0.0.1:40001");
  EXPECT_EQ(failback->expected.brokers.at(NodeId(3)).region, "1");  // recorded at removal
  EXPECT_TRUE(failback->expected.removed.empty());
}

TEST(ChangePlanner, ReplicationFactorChangeAloneMovesNoBroker) {
  auto topology = cluster(3, 3, 1);
  auto plan = plan_change(topology, {{}, {}, 3, ChangeMode::kSafe});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  for (const auto& operation : plan->operations)
    EXPECT_NE(operation.kind, OperationKind::kPartitionLeave);
  for (std::int32_t p = 1; p <= 3; ++p)
    EXPECT_EQ(plan->expected.replicas_of(PartitionId(p)).size(), 3u);
  EXPECT_EQ(plan->expected.replication_factor, 3);
}

TEST(ChangePlanner, ImpossibleAndMalformedRequestsAreRefusedWithReasons) {
  auto topology = cluster(4, 4, 2);
  EXPECT_NE(plan_error(topology, {{}, ids({0, 1, 2, 3}), std::nullopt, ChangeMode::kSafe})
                .find("removes every broker"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {{}, ids({0, 1, 2, 3}), std::nullopt, ChangeMode::kForce})
                .find("removes every broker"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {{}, ids({0, 1, 2}), std::nullopt, ChangeMode::kSafe})
                .find("replication factor 2 is larger than the 1 broker(s) left"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {{}, {}, 5, ChangeMode::kSafe}).find("larger than the 4"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {{}, ids({9}), std::nullopt, ChangeMode::kSafe})
                .find("broker 9 is not a member"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {ids({2}), {}, std::nullopt, ChangeMode::kSafe})
                .find("broker 2 is already a member"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {ids({5, 5}), {}, std::nullopt, ChangeMode::kSafe})
                .find("appears twice"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {ids({5}), ids({5}), std::nullopt, ChangeMode::kSafe})
                .find("both in brokers.add and brokers.remove"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {{}, {}, 0, ChangeMode::kSafe}).find("at least 1"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {ids({-1}), {}, std::nullopt, ChangeMode::kSafe}).find("negative"),
            std::string::npos);
  EXPECT_NE(plan_error(topology, {}).find("changes nothing"), std::string::npos);
  EXPECT_NE(plan_error(topology, {ids({5}), ids({1}), std::nullopt, ChangeMode::kForce})
                .find("only removes lost brokers"),
            std::string::npos);
}

TEST(ChangePlanner, ForceIsRefusedWhenAPartitionWouldLoseEveryReplica) {
  auto topology = cluster(4, 4, 1);
  auto message = plan_error(topology, {{}, ids({1}), std::nullopt, ChangeMode::kForce});
  EXPECT_NE(message.find("partition 2 would have no replica left"), std::string::npos) << message;
}

TEST(ChangePlanner, NoPlanWhileAChangeIsInProgress) {
  auto topology = cluster(3, 3, 3);
  topology.pending_change = ClusterChange{};
  topology.pending_change->id = 7;
  EXPECT_NE(plan_error(topology, {{}, {}, 1, ChangeMode::kSafe}).find("change 7 is still"),
            std::string::npos);
}

TEST(ChangePlanner, SafetyCheckRejectsTwoVotersAtOnce) {
  auto topology = cluster(3, 1, 1);
  std::vector<Operation> plan = {
      {OperationKind::kPartitionForceReconfigure, NodeId(0), PartitionId(1), 0, {NodeId(0)}}};
  EXPECT_FALSE(check_plan_safety(topology, plan).ok());
  std::vector<Operation> bad = {
      {OperationKind::kPartitionLeave, NodeId(0), PartitionId(1), 0, {}}};  // last replica
  EXPECT_FALSE(check_plan_safety(topology, bad).ok());
}

}  // namespace
}  // namespace tern::broker::topology
