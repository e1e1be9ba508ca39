// Cluster changes carried out by real brokers (the reconcile loop), under load with a ledger of
// acknowledged instances: three brokers, three partitions, replication factor 2. PATCH
// /actuator/cluster raises the replication factor to 3 and lowers it back to 2; then a fresh
// fourth broker (not an initial member: it starts empty and waits) is added by POST
// /actuator/cluster/brokers [0,1,2,3], and removed again with [0,1,2]; then the cluster scales
// out to six brokers (the removed one back with an empty disk, two fresh ones) and in to three
// again. Each change must end
// COMPLETED in GET /actuator/cluster, with the brokers hosting exactly the replicas the topology
// names; at the end every acknowledged instance completed and no key was handed out twice. The
// load goes through a standalone gateway, which follows the brokers' reports as replicas move.

#include <gtest/gtest.h>
#include <httplib.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/support/load_ledger.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kChange = 60s;

std::optional<json> get_json(std::uint16_t port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(5s);
  auto response = client.Get(path);
  if (!response || response->status != 200) return std::nullopt;
  auto body = json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

// The broker leading the topology group, as broker `node` knows it.
std::optional<int> topology_leader(const TerndCluster& cluster, int node) {
  auto health = get_json(cluster.ports(node).monitoring, "/actuator/health");
  if (!health || !(*health)["components"].contains("cluster-topology")) return std::nullopt;
  const auto& details = (*health)["components"]["cluster-topology"]["details"];
  if (!details.contains("leader")) return std::nullopt;
  return details["leader"].get<int>();
}

// Sends a change to the topology leader's monitoring port (retrying while the leader moves) and
// returns the change id.
std::optional<std::int64_t> submit_change(const TerndCluster& cluster, const std::string& method,
                                          const std::string& path, const std::string& body,
                                          std::string& last) {
  std::optional<std::int64_t> id;
  eventually(
      [&] {
        auto leader = topology_leader(cluster, 0);
        if (!leader) return false;
        httplib::Client client("127.0.0.1", cluster.ports(*leader).monitoring);
        client.set_read_timeout(15s);
        auto response = method == "PATCH" ? client.Patch(path, body, "application/json")
                                          : client.Post(path, body, "application/json");
        if (!response) return false;
        last = std::to_string(response->status) + " " + response->body;
        if (response->status != 202) return false;
        id = json::parse(response->body).at("changeId").get<std::int64_t>();
        return true;
      },
      20s);
  return id;
}

// GET /actuator/cluster on broker `node` shows change `id` COMPLETED and nothing pending.
bool completed(const TerndCluster& cluster, int node, std::int64_t id, json& seen) {
  auto body = get_json(cluster.ports(node).monitoring, "/actuator/cluster");
  if (!body) return false;
  seen = *body;
  return body->contains("lastChange") && (*body)["lastChange"].value("id", -1) == id
         && (*body)["lastChange"].value("status", "") == "COMPLETED"
         && (!body->contains("pendingChange") || (*body)["pendingChange"].is_null());
}

// Replicas per partition in a GET /actuator/cluster body.
std::map<int, std::set<int>> placement(const json& topology) {
  std::map<int, std::set<int>> out;
  for (const auto& broker : topology["brokers"]) {
    for (const auto& partition : broker["partitions"])
      out[partition["id"].get<int>()].insert(broker["id"].get<int>());
  }
  return out;
}

// Broker `node` hosts exactly `wanted` (GET /actuator/partitions), every one healthy.
bool hosts_exactly(const TerndCluster& cluster, int node, const std::set<int>& wanted) {
  auto body = get_json(cluster.ports(node).monitoring, "/actuator/partitions");
  if (!body) return false;
  std::set<int> hosted;
  for (const auto& [id, status] : body->items()) {
    if (status.value("health", "") != "healthy") return false;
    hosted.insert(std::stoi(id));
  }
  return hosted == wanted;
}

// Every running broker hosts exactly what `topology` assigns it.
bool brokers_follow(const TerndCluster& cluster, const json& topology,
                    const std::vector<int>& running) {
  std::map<int, std::set<int>> assigned;
  for (int node : running)
    assigned[node];
  for (const auto& [partition, brokers] : placement(topology)) {
    for (int broker : brokers)
      assigned[broker].insert(partition);
  }
  for (const auto& [node, partitions] : assigned) {
    if (!hosts_exactly(cluster, node, partitions)) return false;
  }
  return true;
}

// The node ids the standalone gateway's /v2/topology lists (empty when it does not answer).
std::set<int> gateway_lists(const TerndCluster& cluster) {
  std::set<int> ids;
  if (auto topology = get_json(cluster.gateway_ports().rest, "/v2/topology")) {
    for (const auto& broker : (*topology)["brokers"])
      ids.insert(broker["nodeId"].get<int>());
  }
  return ids;
}

std::string describe(const LedgerSnapshot& s) {
  std::string text = std::to_string(s.acknowledged) + " acknowledged, "
                     + std::to_string(s.completed) + " completed, " + std::to_string(s.duplicates)
                     + " duplicate keys; create errors:";
  for (const auto& [code, n] : s.create_errors)
    text += " " + code + "=" + std::to_string(n);
  return text;
}

TEST(ClusterChange, ReplicationFactorUpAndDownThenScalingOutAndInUnderLoad) {
  TempDir dir;
  TerndClusterSpec spec;
  spec.brokers = 6;
  spec.initial_members = 3;
  spec.partitions = 3;
  spec.replication_factor = 2;
  spec.embedded_gateway_on_first = false;
  TerndCluster cluster(dir.path(), spec);
  for (int node = 0; node < 3; ++node)
    ASSERT_TRUE(cluster.start(node).ok());
  // A standalone gateway learns every broker's partitions (an embedded one only its own's).
  ASSERT_TRUE(cluster.start_gateway().ok());
  for (int p = 1; p <= 3; ++p)
    ASSERT_TRUE(cluster.wait_for_leader(p, 30s)) << "partition " << p << "\n" << cluster.log_of(0);

  LoadLedger ledger(cluster.client_port(), LoadOptions{"change", "change-task", 40, 2});
  ASSERT_EQ(ledger.deploy(30s), "");
  ledger.start();
  ASSERT_TRUE(eventually([&] { return ledger.snapshot().acknowledged >= 20; }, 30s))
      << describe(ledger.snapshot());

  auto change = [&](const std::string& method, const std::string& path, const std::string& body,
                    const std::vector<int>& running, std::size_t replicas_each,
                    const std::string& what) {
    std::string last;
    auto id = submit_change(cluster, method, path, body, last);
    ASSERT_TRUE(id) << what << ": " << last;
    json seen;
    ASSERT_TRUE(eventually([&] { return completed(cluster, 0, *id, seen); }, kChange))
        << what << ": " << seen.dump() << "\n"
        << cluster.log_of(0) << cluster.log_of(1);
    for (const auto& [partition, brokers] : placement(seen))
      EXPECT_EQ(brokers.size(), replicas_each) << what << ": partition " << partition;
    ASSERT_TRUE(eventually([&] { return brokers_follow(cluster, seen, running); }, kChange))
        << what << ": brokers do not host what " << seen.dump() << " assigns";
    const std::size_t before = ledger.snapshot().acknowledged;
    EXPECT_TRUE(eventually([&] { return ledger.snapshot().acknowledged >= before + 10; }, 30s))
        << what << ": the load stalled; " << describe(ledger.snapshot());
  };

  change("PATCH", "/actuator/cluster", R"({"partitions":{"replicationFactor":3}})", {0, 1, 2}, 3,
         "replication factor 2 -> 3");
  change("PATCH", "/actuator/cluster", R"({"partitions":{"replicationFactor":2}})", {0, 1, 2}, 2,
         "replication factor 3 -> 2");

  // A fresh fourth broker starts empty, hosts nothing and waits to be added.
  ASSERT_TRUE(cluster.start(3).ok());
  ASSERT_TRUE(eventually([&] { return hosts_exactly(cluster, 3, {}); }, 20s)) << cluster.log_of(3);
  change("POST", "/actuator/cluster/brokers", "[0,1,2,3]", {0, 1, 2, 3}, 2, "scale 3 -> 4");
  {
    auto topology = get_json(cluster.ports(3).monitoring, "/actuator/cluster");
    ASSERT_TRUE(topology);
    EXPECT_EQ((*topology)["brokers"].size(), 4u) << topology->dump();
  }
  change("POST", "/actuator/cluster/brokers", "[0,1,2]", {0, 1, 2, 3}, 2, "scale 4 -> 3");
  // Broker 3 still runs and reports itself; the gateway believes the members' newer membership.
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_lists(cluster) == std::set<int>{0, 1, 2};
      },
      10s))
      << "the standalone gateway still lists the removed broker 3";

  // Scaling out to twice the brokers and back. Broker 3 was removed: its id returns only with an
  // empty disk (its old data is fenced), so it restarts wiped, next to two fresh brokers.
  cluster.stop(3);
  cluster.wipe(3);
  for (int node = 3; node < 6; ++node) {
    ASSERT_TRUE(cluster.start(node).ok());
    ASSERT_TRUE(eventually([&] { return hosts_exactly(cluster, node, {}); }, 20s))
        << cluster.log_of(node);
  }
  change("POST", "/actuator/cluster/brokers", "[0,1,2,3,4,5]", {0, 1, 2, 3, 4, 5}, 2,
         "scale 3 -> 6");
  {
    auto topology = get_json(cluster.ports(5).monitoring, "/actuator/cluster");
    ASSERT_TRUE(topology);
    EXPECT_EQ((*topology)["brokers"].size(), 6u) << topology->dump();
  }
  EXPECT_TRUE(
      eventually([&] { return gateway_lists(cluster) == std::set<int>{0, 1, 2, 3, 4, 5}; }, 10s));
  change("POST", "/actuator/cluster/brokers", "[0,1,2]", {0, 1, 2, 3, 4, 5}, 2, "scale 6 -> 3");
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_lists(cluster) == std::set<int>{0, 1, 2};
      },
      10s))
      << "the standalone gateway still lists removed brokers";

  ledger.stop_starting();
  EXPECT_TRUE(eventually([&] { return ledger.not_completed().empty(); }, 60s))
      << ledger.not_completed().size() << " not completed; " << describe(ledger.snapshot());
  ledger.stop();
  auto final_state = ledger.snapshot();
  EXPECT_EQ(final_state.duplicates, 0u);
  EXPECT_EQ(final_state.completed, final_state.acknowledged) << describe(final_state);
  std::cout << "cluster change: " << describe(final_state) << "\n";
}

}  // namespace
}  // namespace tern::test
