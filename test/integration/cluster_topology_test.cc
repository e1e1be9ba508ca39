// The cluster topology group ("partition 0") on real brokers: three brokers agree on one topology
// leader, each announces its cluster and monitoring addresses (followers through the leader), and
// all serve the same topology on GET /actuator/cluster (which `tern cluster status` reads);
// every broker plans a change (dry run); a leader stopped with SIGTERM hands the group to a
// follower; the group elects a new leader when its leader is killed; a broker restarted with an
// empty data directory catches up.

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "integration/support/ternd_cluster.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kElection = 20s;

struct TopologyView {
  std::optional<int> leader;
  std::uint64_t applied_index = 0;
};

std::optional<TopologyView> topology_view(const TerndCluster& cluster, int node) {
  httplib::Client client("127.0.0.1", cluster.ports(node).monitoring);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  auto response = client.Get("/actuator/health");
  if (!response) return std::nullopt;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body["components"].contains("cluster-topology")) return std::nullopt;
  const auto& details = body["components"]["cluster-topology"]["details"];
  TopologyView view;
  if (details.contains("leader")) view.leader = details["leader"].get<int>();
  view.applied_index = details.value("appliedIndex", std::uint64_t{0});
  return view;
}

// The topology leader every listed broker names, once they agree on one of themselves (right
// after a kill, the survivors still name the dead leader for an election timeout).
std::optional<int> agreed_leader(const TerndCluster& cluster, const std::vector<int>& nodes,
                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<int> agreed;
    bool agree = true;
    for (int node : nodes) {
      auto view = topology_view(cluster, node);
      if (!view || !view->leader || (agreed && *agreed != *view->leader)) agree = false;
      if (view && view->leader) agreed = view->leader;
    }
    if (agree && agreed && std::find(nodes.begin(), nodes.end(), *agreed) != nodes.end())
      return agreed;
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

TEST(ClusterTopology, PartitionZeroElectsServesAndSurvivesALostAndAWipedBroker) {
  TempDir dir;
  TerndCluster cluster(dir.path(), {});
  cluster.start_all();
  auto leader = agreed_leader(cluster, {0, 1, 2}, kElection);
  ASSERT_TRUE(leader) << cluster.log_of(0);

  // Every broker announces its addresses (two of them are followers of the topology group, so
  // their announcements are forwarded to its leader), and every broker serves the same topology.
  auto fetch = [&](int node) -> std::optional<nlohmann::json> {
    httplib::Client client("127.0.0.1", cluster.ports(node).monitoring);
    client.set_read_timeout(5s);
    auto response = client.Get("/actuator/cluster");
    if (!response || response->status != 200) return std::nullopt;
    return nlohmann::json::parse(response->body, nullptr, false);
  };
  auto announced_everywhere = [&] {
    std::optional<nlohmann::json> first;
    for (int node = 0; node < 3; ++node) {
      auto body = fetch(node);
      if (!body || body->is_discarded() || (*body)["brokers"].size() != 3) return false;
      for (const auto& broker : (*body)["brokers"]) {
        const int id = broker["id"].get<int>();
        if (broker.value("address", "") != "127.0.0.1:" + std::to_string(cluster.ports(id).cluster)
            || broker.value("monitoringAddress", "")
                   != "127.0.0.1:" + std::to_string(cluster.ports(id).monitoring)) {
          return false;
        }
      }
      if (first && *body != *first) return false;
      first = body;
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + kElection;
  while (!announced_everywhere() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(announced_everywhere()) << fetch(0).value_or(nlohmann::json()).dump() << "\n"
                                      << cluster.log_of((*leader + 1) % 3);
  for (int node = 0; node < 3; ++node) {
    EXPECT_NE(cluster.log_of(node).find("cluster topology: broker " + std::to_string(node)
                                        + " announced"),
              std::string::npos)
        << cluster.log_of(node);
    auto body = fetch(node);
    ASSERT_TRUE(body);
    for (const auto& broker : (*body)["brokers"])
      EXPECT_EQ(broker["partitions"].size(), 3u) << body->dump();
    // Every broker plans a change (cluster_change_test carries changes out).
    httplib::Client client("127.0.0.1", cluster.ports(node).monitoring);
    auto patch = client.Patch("/actuator/cluster?dryRun=true",
                              R"({"partitions":{"replicationFactor":2}})", "application/json");
    ASSERT_TRUE(patch);
    EXPECT_EQ(patch->status, 200) << patch->body;
    EXPECT_FALSE(nlohmann::json::parse(patch->body)["plannedChanges"].empty()) << patch->body;
  }

  // `tern cluster status` reads it from a real broker.
  ProcessOptions cli{
      (binary_dir() / "tern").string(),
      {"--management", "http://127.0.0.1:" + std::to_string(cluster.ports(1).monitoring), "cluster",
       "status"},
      {},
      {"TERN_MANAGEMENT_ADDRESS"},
      {},
      {}};
  auto status = run_process(cli, 20s);
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ(status->exit_code, 0) << status->err;
  for (const char* line : {"Broker 0", "Broker 1", "Broker 2", "Partition 3: brokers [0,1,2]"})
    EXPECT_NE(status->out.find(line), std::string::npos) << line << " missing:\n" << status->out;

  // SIGTERM the topology leader: it hands the group to the follower it names, which leads then.
  cluster.stop(*leader);
  {
    const std::string log = cluster.log_of(*leader);
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        log, match, std::regex("cluster topology: leadership transfer to broker ([0-9]+) started")))
        << log;
    std::vector<int> others;
    for (int node = 0; node < 3; ++node)
      if (node != *leader) others.push_back(node);
    auto successor = agreed_leader(cluster, others, kElection);
    ASSERT_TRUE(successor);
    EXPECT_EQ(*successor, std::stoi(match[1].str()));
    ASSERT_TRUE(cluster.start(*leader).ok());
    leader = agreed_leader(cluster, {0, 1, 2}, kElection);
    ASSERT_TRUE(leader);
  }

  // Kill the topology leader: the two others elect one of themselves.
  cluster.kill(*leader);
  std::vector<int> survivors;
  for (int node = 0; node < 3; ++node)
    if (node != *leader) survivors.push_back(node);
  auto next = agreed_leader(cluster, survivors, kElection);
  ASSERT_TRUE(next) << cluster.log_of(survivors[0]);
  EXPECT_NE(*next, *leader);

  // The killed broker comes back with an empty data directory and catches up with the group.
  cluster.wipe(*leader);
  ASSERT_TRUE(cluster.start(*leader).ok());
  ASSERT_TRUE(agreed_leader(cluster, {0, 1, 2}, kElection)) << cluster.log_of(*leader);
  bool caught_up = false;
  deadline = std::chrono::steady_clock::now() + kElection;
  while (!caught_up && std::chrono::steady_clock::now() < deadline) {
    auto mine = topology_view(cluster, *leader);
    auto theirs = topology_view(cluster, *next);
    caught_up =
        mine && theirs && mine->applied_index >= 1 && mine->applied_index >= theirs->applied_index;
    if (!caught_up) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(caught_up) << cluster.log_of(*leader);
}

}  // namespace
}  // namespace tern::test
