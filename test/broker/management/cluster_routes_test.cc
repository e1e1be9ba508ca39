// The /actuator/cluster endpoints over a LocalTopologyManager that really applies the planned
// operations: shapes, dry runs, conflicts, refusals, and the failover/failback drill.

#include "broker/management/cluster_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "management_test_support.h"

namespace tern::broker::management {
namespace {

using nlohmann::json;
using testing::address_of;
using testing::DeclaredProbe;
using testing::make_manager;
using testing::region_cluster;
using testing::run_to_completion;

class ClusterRoutesTest : public ::testing::Test {
 protected:
  void use(topology::ClusterTopology topology) {
    manager_ = make_manager(std::move(topology));
    probe_ = std::make_shared<DeclaredProbe>();
    routes_ = std::make_unique<ClusterRoutes>(manager_, probe_);
  }

  json get() {
    auto response = routes_->get_cluster({HttpMethod::kGet, "/actuator/cluster", {}, ""});
    EXPECT_EQ(response.status, 200);
    return json::parse(response.body);
  }

  HttpResponse patch(const json& body, std::map<std::string, std::string> query = {}) {
    return routes_->patch_cluster(
        {HttpMethod::kPatch, "/actuator/cluster", std::move(query), body.dump()});
  }

  // The replica count of every partition, from the GET answer.
  std::map<int, int> replica_counts() {
    std::map<int, int> counts;
    const json cluster = get();  // kept alive: a range-for over a temporary's member dangles
    for (const auto& broker : cluster["brokers"]) {
      for (const auto& partition : broker["partitions"])
        ++counts[partition["id"].get<int>()];
    }
    return counts;
  }

  std::shared_ptr<LocalTopologyManager> manager_;
  std::shared_ptr<DeclaredProbe> probe_;
  std::unique_ptr<ClusterRoutes> routes_;
};

std::string detail(const HttpResponse& response) {
  return json::parse(response.body).value("detail", "");
}

TEST_F(ClusterRoutesTest, GetReportsBrokersPartitionsAndVersion) {
  use(region_cluster(3, 3, 3, 3));
  auto cluster = get();
  EXPECT_EQ(cluster["version"], 1);
  ASSERT_EQ(cluster["brokers"].size(), 3u);
  EXPECT_EQ(cluster["brokers"][2]["region"], "2");
  EXPECT_EQ(cluster["brokers"][2]["state"], "ACTIVE");
  EXPECT_EQ(cluster["brokers"][0]["partitions"].size(), 3u);
  EXPECT_FALSE(cluster.contains("pendingChange"));
}

TEST_F(ClusterRoutesTest, DryRunPlansWithoutChangingAnything) {
  use(region_cluster(3, 6, 3, 1));
  auto response = patch({{"brokers", {{"add", {3, 4, 5}}}}}, {{"dryRun", "true"}});
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = json::parse(response.body);
  EXPECT_EQ(body["changeId"], 1);
  EXPECT_EQ(body["plannedChanges"][0]["operation"], "BROKER_ADD");
  EXPECT_EQ(body["currentTopology"].size(), 3u);
  EXPECT_EQ(body["expectedTopology"].size(), 6u);
  EXPECT_EQ(get()["version"], 1);
  EXPECT_FALSE(manager_->step());
}

TEST_F(ClusterRoutesTest, AcceptedChangeRunsAndIsReportedAsLastChange) {
  use(region_cluster(3, 6, 3, 1));
  auto response = patch({{"brokers", {{"add", {3, 4, 5}}}}});
  ASSERT_EQ(response.status, 202) << response.body;
  const auto planned = json::parse(response.body)["plannedChanges"].size();
  auto during = get();
  EXPECT_EQ(during["pendingChange"]["id"], 1);
  EXPECT_EQ(during["pendingChange"]["status"], "IN_PROGRESS");
  EXPECT_EQ(during["pendingChange"]["pending"].size(), planned);

  // A second change while the first runs: 409.
  auto second = patch({{"partitions", {{"replicationFactor", 2}}}});
  EXPECT_EQ(second.status, 409);
  EXPECT_NE(detail(second).find("change 1 is in progress"), std::string::npos);

  EXPECT_EQ(run_to_completion(*manager_), static_cast<int>(planned));  // one step per operation
  auto after = get();
  EXPECT_FALSE(after.contains("pendingChange"));
  EXPECT_EQ(after["lastChange"]["id"], 1);
  EXPECT_EQ(after["lastChange"]["status"], "COMPLETED");
  EXPECT_TRUE(after["lastChange"].contains("completedAt"));
  EXPECT_EQ(after["brokers"].size(), 6u);
  for (const auto& broker : after["brokers"])
    EXPECT_EQ(broker["partitions"].size(), 3u) << broker.dump();
}

TEST_F(ClusterRoutesTest, ImpossibleOrMalformedRequestsGet400WithAReason) {
  use(region_cluster(4, 4, 2, 2));
  struct Case {
    json body;
    std::map<std::string, std::string> query;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{{"brokers", {{"remove", {0, 1, 2, 3}}}}}, {}, "removes every broker"},
      {{{"brokers", {{"remove", {0, 1, 2}}}}}, {}, "larger than the 1 broker(s) left"},
      {{{"brokers", {{"remove", {7}}}}}, {}, "broker 7 is not a member"},
      {{{"brokers", {{"add", {4, 4}}}}}, {}, "appears twice"},
      {{{"brokers", {{"add", {"x"}}}}}, {}, "is not a broker id"},
      {{{"partitions", {{"replicationFactor", 0}}}}, {}, "at least 1"},
      {{{"partitions", {{"replicationFactor", "3"}}}}, {}, "must be an integer"},
      {{{"brokerz", json::object()}}, {}, "unknown field 'brokerz'"},
      {{{"brokers", {{"remove", {1}}}}}, {{"force", "maybe"}}, "must be true or false"},
  };
  for (const auto& c : cases) {
    auto response = patch(c.body, c.query);
    EXPECT_EQ(response.status, 400) << c.body.dump();
    EXPECT_NE(detail(response).find(c.reason), std::string::npos)
        << c.body.dump() << " -> " << response.body;
  }
  auto not_json = routes_->patch_cluster({HttpMethod::kPatch, "/actuator/cluster", {}, "{add"});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(detail(not_json).find("not JSON"), std::string::npos);
  EXPECT_EQ(get()["version"], 1);
}

TEST_F(ClusterRoutesTest, ForcedRemovalOfABrokerThatStillAnswersIsRefusedUnlessOverridden) {
  use(region_cluster(4, 4, 4, 2));
  probe_->set_alive(address_of(3), true);
  const json body = {{"brokers", {{"remove", {1, 3}}}}};
  auto refused = patch(body, {{"force", "true"}});
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(detail(refused).find("broker 3 still answers on its cluster port 127.0.0.1:30003"),
            std::string::npos)
      << refused.body;
  EXPECT_FALSE(manager_->step());

  auto overridden = patch(body, {{"force", "true"}, {"allowReachable", "true"}});
  EXPECT_EQ(overridden.status, 202) << overridden.body;
}

TEST_F(ClusterRoutesTest, FailoverThenFailbackOfARegion) {
  use(region_cluster(4, 4, 4, 2));
  // Region 1 (brokers 1 and 3) is gone: nothing answers there.
  auto failover = patch({{"brokers", {{"remove", {1, 3}}}}}, {{"force", "true"}});
  ASSERT_EQ(failover.status, 202) << failover.body;
  auto plan = json::parse(failover.body);
  EXPECT_EQ(plan["plannedChanges"][0]["operation"], "PARTITION_FORCE_RECONFIGURE");
  EXPECT_EQ(plan["expectedTopology"].size(), 2u);
  run_to_completion(*manager_);
  EXPECT_EQ(replica_counts(), (std::map<int, int>{{1, 2}, {2, 2}, {3, 2}, {4, 2}}));
  auto degraded = get();
  EXPECT_EQ(degraded["lastChange"]["status"], "COMPLETED");
  EXPECT_EQ(degraded["removedBrokers"].size(), 2u);
  EXPECT_EQ(degraded["replicationFactor"], 4);

  // The region is rebuilt with empty brokers 1 and 3: add them and restore four replicas.
  manager_->announce(NodeId(1), {address_of(1), "1"});
  manager_->announce(NodeId(3), {address_of(3), "1"});
  auto failback =
      patch({{"brokers", {{"add", {1, 3}}}}, {"partitions", {{"replicationFactor", 4}}}});
  ASSERT_EQ(failback.status, 202) << failback.body;
  EXPECT_EQ(json::parse(failback.body)["changeId"], 2);
  run_to_completion(*manager_);
  EXPECT_EQ(replica_counts(), (std::map<int, int>{{1, 4}, {2, 4}, {3, 4}, {4, 4}}));
  auto restored = get();
  EXPECT_EQ(restored["lastChange"]["id"], 2);
  EXPECT_EQ(restored["brokers"][1]["region"], "1");
  EXPECT_EQ(restored["brokers"][1]["joinedByChange"], 2);
  EXPECT_TRUE(restored["removedBrokers"].empty());
}

TEST_F(ClusterRoutesTest, PostBrokersScalesToTheListedIds) {
  use(region_cluster(3, 6, 3, 1));
  auto up = routes_->post_brokers(
      {HttpMethod::kPost, "/actuator/cluster/brokers", {}, json({0, 1, 2, 3, 4, 5}).dump()});
  ASSERT_EQ(up.status, 202) << up.body;
  run_to_completion(*manager_);
  EXPECT_EQ(get()["brokers"].size(), 6u);
  auto down = routes_->post_brokers(
      {HttpMethod::kPost, "/actuator/cluster/brokers", {{"dryRun", ""}}, json({0, 1, 2}).dump()});
  ASSERT_EQ(down.status, 200) << down.body;
  EXPECT_EQ(json::parse(down.body)["expectedTopology"].size(), 3u);
  auto none = routes_->post_brokers(
      {HttpMethod::kPost, "/actuator/cluster/brokers", {}, json::array().dump()});
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(detail(none).find("removes every broker"), std::string::npos);
}

}  // namespace
}  // namespace tern::broker::management
