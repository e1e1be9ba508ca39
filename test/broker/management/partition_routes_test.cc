// /actuator/partitions and /actuator/rebalance over real Partition objects: the reported fields
// follow what the replicas published, and a rebalance reports each partition's decision.

#include "broker/management/partition_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tern::broker::management {
namespace {

using nlohmann::json;

std::shared_ptr<Partition> partition(int id, PartitionStatus status) {
  auto made = std::make_shared<Partition>(PartitionId(id), std::vector<NodeId>{NodeId(0)},
                                          std::filesystem::path("/unused"));
  status.id = PartitionId(id);
  made->set_status(std::move(status));
  return made;
}

TEST(PartitionRoutes, ReportsEveryHostedReplicaByPartitionId) {
  PartitionStatus leading;
  leading.role = PartitionRole::kLeader;
  leading.health = PartitionHealth::kHealthy;
  leading.term = 4;
  leading.leader = 0;
  leading.applied_index = 120;
  leading.snapshot_index = 100;
  leading.processed_position = 7864321;
  PartitionStatus electing;
  electing.role = PartitionRole::kFollower;
  electing.reason = "no leader known (election in progress)";
  PartitionRoutes routes({partition(1, leading), partition(3, electing)},
                         [] { return std::vector<LeadershipMove>{}; });

  auto response = routes.get_partitions({HttpMethod::kGet, "/actuator/partitions", {}, ""});
  ASSERT_EQ(response.status, 200);
  auto body = json::parse(response.body);
  ASSERT_EQ(body.size(), 2u) << body.dump();
  EXPECT_EQ(body["1"], (json{{"role", "leader"},
                             {"health", "healthy"},
                             {"term", 4},
                             {"leader", 0},
                             {"appliedIndex", 120},
                             {"snapshotIndex", 100},
                             {"processedPosition", 7864321}}));
  EXPECT_EQ(body["3"]["role"], "follower");
  EXPECT_EQ(body["3"]["health"], "unhealthy");
  EXPECT_TRUE(body["3"]["leader"].is_null());
  EXPECT_EQ(body["3"]["reason"], "no leader known (election in progress)");
}

TEST(PartitionRoutes, RebalanceReportsWhatEachPartitionDid) {
  int calls = 0;
  PartitionRoutes routes({}, [&calls] {
    ++calls;
    return std::vector<LeadershipMove>{
        {PartitionId(1), LeadershipMoveState::kScheduled, NodeId(2)},
        {PartitionId(2), LeadershipMoveState::kAlreadyPreferred, std::nullopt},
        {PartitionId(3), LeadershipMoveState::kNoTarget, std::nullopt},
        {PartitionId(4), LeadershipMoveState::kNotLeader, std::nullopt},
    };
  });
  auto response = routes.post_rebalance({HttpMethod::kPost, "/actuator/rebalance", {}, ""});
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(response.status, 202);
  EXPECT_EQ(json::parse(response.body),
            (json{{"partitions",
                   {{{"partitionId", 1}, {"state", "TRANSFERRING"}, {"target", 2}},
                    {{"partitionId", 2}, {"state", "ALREADY_PREFERRED"}},
                    {{"partitionId", 3}, {"state", "NO_CAUGHT_UP_TARGET"}},
                    {{"partitionId", 4}, {"state", "NOT_LEADER"}}}}}));
}

TEST(PartitionRoutes, RegistersBothRoutes) {
  RouteTable table;
  add_partition_routes(
      table, std::make_shared<PartitionRoutes>(std::vector<std::shared_ptr<const Partition>>{},
                                               [] { return std::vector<LeadershipMove>{}; }));
  bool known = false;
  EXPECT_TRUE(table.find(HttpMethod::kGet, "/actuator/partitions", known));
  EXPECT_TRUE(table.find(HttpMethod::kPost, "/actuator/rebalance", known));
  EXPECT_FALSE(table.find(HttpMethod::kPost, "/actuator/partitions", known));
  EXPECT_TRUE(known);  // another method matches: 405, not 404
}

}  // namespace
}  // namespace tern::broker::management
