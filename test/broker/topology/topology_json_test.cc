// The topology's JSON: Zeebe's field names, exact round trips, clear errors for bad input.

#include "broker/topology/topology_json.h"

#include <gtest/gtest.h>

#include "broker/topology/change_planner.h"

namespace tern::broker::topology {
namespace {

ClusterTopology sample() {
  std::vector<BrokerInfo> brokers;
  for (std::int32_t id = 0; id < 3; ++id) {
    BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = "10.0.0." + std::to_string(id) + ":26502";
    broker.region = id % 2 ? "west" : "east";
    brokers.push_back(broker);
  }
  auto topology = initial_topology(brokers, 3, 2);
  topology.brokers.at(NodeId(1)).last_updated_ms = 1'790'000'000'123;
  topology.last_change = ClusterChange{4, ChangeStatus::kCompleted, 1'000, 2'000, {}, {}};
  topology.removed[NodeId(5)] = RemovedBroker{NodeId(5), "10.0.0.5:26502", "west", 4};
  ClusterChange pending{5, ChangeStatus::kInProgress, 3'000, 0, {}, {}};
  pending.completed.push_back({OperationKind::kBrokerAdd, NodeId(3), PartitionId(0), 0, {}});
  pending.completed.back().address = "10.0.0.3:26502";
  pending.pending.push_back({OperationKind::kPartitionJoin, NodeId(3), PartitionId(2), 2, {}});
  pending.pending.push_back({OperationKind::kPartitionForceReconfigure,
                             NodeId(0),
                             PartitionId(1),
                             0,
                             {NodeId(0), NodeId(2)}});
  topology.pending_change = pending;
  return topology;
}

TEST(TopologyJson, RoundTripIsExact) {
  const auto topology = sample();
  auto decoded = topology_from_json(topology_to_json(topology));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, topology);
  // Through text as well, as it travels.
  auto reparsed = topology_from_json(nlohmann::json::parse(topology_to_json(topology).dump()));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, topology);
}

TEST(TopologyJson, UsesTheManagementApiFieldNames) {
  auto json = topology_to_json(sample());
  EXPECT_EQ(json["brokers"][1]["id"], 1);
  EXPECT_EQ(json["brokers"][1]["state"], "ACTIVE");
  EXPECT_EQ(json["brokers"][1]["lastUpdatedAt"], "2026-09-21T14:13:20.123Z");
  EXPECT_EQ(json["brokers"][1]["region"], "west");
  EXPECT_EQ(json["brokers"][0]["partitions"][0]["id"], 1);
  EXPECT_EQ(json["brokers"][0]["partitions"][0]["priority"], 2);
  EXPECT_EQ(json["brokers"][0]["partitions"][0]["state"], "ACTIVE");
  EXPECT_EQ(json["lastChange"]["status"], "COMPLETED");
  EXPECT_EQ(json["lastChange"]["completedAt"], "1970-01-01T00:00:02.000Z");
  EXPECT_EQ(json["pendingChange"]["id"], 5);
  EXPECT_EQ(json["pendingChange"]["pending"][0]["operation"], "PARTITION_JOIN");
  EXPECT_EQ(json["pendingChange"]["pending"][1]["brokers"], nlohmann::json({0, 2}));
}

TEST(TopologyJson, TimestampsRoundTripAndBadOnesAreRefused) {
  EXPECT_EQ(parse_timestamp(format_timestamp(1'763'783'400'456)).value(), 1'763'783'400'456);
  EXPECT_FALSE(parse_timestamp("yesterday").ok());
  EXPECT_FALSE(parse_timestamp("2026-01-01T00:00:00.000Zjunk").ok());
}

TEST(TopologyJson, BadInputNamesTheProblem) {
  auto json = topology_to_json(sample());
  json["brokers"][0]["state"] = "SLEEPING";
  auto bad_state = topology_from_json(json);
  ASSERT_FALSE(bad_state.ok());
  EXPECT_NE(bad_state.error().message.find("unknown state 'SLEEPING'"), std::string::npos);

  auto no_brokers = topology_from_json(nlohmann::json{{"version", 1}, {"partitionCount", 1}});
  ASSERT_FALSE(no_brokers.ok());
  EXPECT_NE(no_brokers.error().message.find("'brokers' must be an array"), std::string::npos);

  auto bad_op = operation_from_json(nlohmann::json{{"operation", "TELEPORT"}, {"brokerId", 1}});
  ASSERT_FALSE(bad_op.ok());
  EXPECT_NE(bad_op.error().message.find("TELEPORT"), std::string::npos);

  auto wrong_type = topology_from_json(nlohmann::json{{"version", "one"}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message.find("version"), std::string::npos);
}

TEST(TopologyJson, PlannedOperationsRoundTrip) {
  auto topology = sample();
  topology.pending_change.reset();
  auto plan = plan_change(topology, {{NodeId(3)}, {}, 3, ChangeMode::kSafe});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  for (const auto& operation : plan->operations) {
    auto decoded = operation_from_json(operation_to_json(operation));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, operation);
  }
}

}  // namespace
}  // namespace tern::broker::topology
