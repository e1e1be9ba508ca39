// The gateway embedded in a broker sees the whole cluster: three real brokers, three partitions,
// replication factor 1, so broker 0 hosts partition 1 alone and partitions 2 and 3 live only on
// brokers 1 and 2. A client of broker 0's embedded gateway sees every broker in Topology and
// /v2/topology, creates instances on all three partitions and completes their jobs; after the
// replication factor is raised to 2, both report the new factor and the new replicas.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gateway.grpc.pb.h"
#include "integration/support/cluster_admin.h"
#include "integration/support/load_ledger.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

namespace gp = gateway_protocol;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::optional<gp::TopologyResponse> grpc_topology(gp::Gateway::Stub& gateway) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  gp::TopologyResponse response;
  if (!gateway.Topology(&context, {}, &response).ok()) return std::nullopt;
  return response;
}

// Partition id -> the brokers reporting a replica of it (any role), and -> its leader.
struct Placement {
  std::map<int, std::set<int>> replicas;
  std::map<int, int> leaders;
};

Placement placement_of(const gp::TopologyResponse& topology) {
  Placement out;
  for (const auto& broker : topology.brokers()) {
    for (const auto& partition : broker.partitions()) {
      out.replicas[partition.partitionid()].insert(broker.nodeid());
      if (partition.role() == gp::Partition::LEADER)
        out.leaders[partition.partitionid()] = broker.nodeid();
    }
  }
  return out;
}

std::set<int> broker_ids(const gp::TopologyResponse& topology) {
  std::set<int> out;
  for (const auto& broker : topology.brokers())
    out.insert(broker.nodeid());
  return out;
}

std::optional<json> rest_topology(std::uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5s);
  auto response = client.Get("/v2/topology");
  if (!response || response->status != 200) return std::nullopt;
  return json::parse(response->body, nullptr, false);
}

TEST(EmbeddedGateway, SeesEveryBrokerAndRoutesToPartitionsHostedElsewhere) {
  TempDir dir;
  TerndClusterSpec spec;
  spec.brokers = 3;
  spec.partitions = 3;
  spec.replication_factor = 1;
  spec.embedded_gateway_on_first = true;
  TerndCluster cluster(dir.path(), spec);
  cluster.start_all();
  for (int p = 1; p <= 3; ++p)
    ASSERT_TRUE(cluster.wait_for_leader(p, 30s)) << "partition " << p << "\n" << cluster.log_of(0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(cluster.ports(0).gateway),
                                     grpc::InsecureChannelCredentials());
  auto gateway = gp::Gateway::NewStub(channel);
  // Each partition's only replica leads it, on broker p - 1 (round-robin placement).
  const std::map<int, int> expected_leaders{{1, 0}, {2, 1}, {3, 2}};
  std::optional<gp::TopologyResponse> seen;
  EXPECT_TRUE(eventually(
      [&] {
        seen = grpc_topology(*gateway);
        return seen && broker_ids(*seen) == std::set<int>{0, 1, 2}
               && placement_of(*seen).leaders == expected_leaders;
      },
      20s))
      << (seen ? seen->DebugString() : "no answer");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->clustersize(), 3);
  EXPECT_EQ(seen->partitionscount(), 3);
  EXPECT_EQ(seen->replicationfactor(), 1);
  for (const auto& broker : seen->brokers())
    EXPECT_EQ(broker.port(), cluster.ports(broker.nodeid()).command) << broker.DebugString();

  std::optional<json> rest;
  EXPECT_TRUE(eventually(
      [&] {
        rest = rest_topology(cluster.ports(0).rest);
        return rest && rest->is_object() && (*rest)["brokers"].size() == 3;
      },
      10s))
      << (rest ? rest->dump() : "no answer");

  // Instances on every partition, through broker 0's gateway; every job completed.
  LoadLedger ledger(cluster.ports(0).gateway, LoadOptions{"spread", "spread-task", 60, 2});
  ASSERT_EQ(ledger.deploy(30s), "");
  ledger.start();
  EXPECT_TRUE(eventually(
      [&] {
        return ledger.acknowledged_on(1) >= 5 && ledger.acknowledged_on(2) >= 5
               && ledger.acknowledged_on(3) >= 5;
      },
      30s))
      << "acknowledged per partition: " << ledger.acknowledged_on(1) << " / "
      << ledger.acknowledged_on(2) << " / " << ledger.acknowledged_on(3);
  ledger.stop_starting();
  EXPECT_TRUE(eventually([&] { return ledger.not_completed().empty(); }, 30s))
      << ledger.not_completed().size() << " instances not completed";
  ledger.stop();
  EXPECT_EQ(ledger.snapshot().duplicates, 0u);

  // A new replication factor: the embedded gateway reports it, and the new replicas.
  std::optional<std::int64_t> change;
  std::string last;
  ASSERT_TRUE(eventually(
      [&] {
        auto answer =
            patch_cluster(cluster, 0, "", json{{"partitions", {{"replicationFactor", 2}}}});
        if (!answer) return false;
        last = answer->text;
        if (answer->status != 202) return false;
        change = answer->body.at("changeId").get<std::int64_t>();
        return true;
      },
      20s))
      << last;
  ASSERT_EQ(wait_for_change(cluster, 0, *change, 60s), std::optional<std::string>("COMPLETED"))
      << cluster.log_of(0);
  EXPECT_TRUE(eventually(
      [&] {
        seen = grpc_topology(*gateway);
        if (!seen || seen->replicationfactor() != 2) return false;
        auto placement = placement_of(*seen);
        for (int p = 1; p <= 3; ++p) {
          if (placement.replicas[p].size() != 2) return false;
        }
        return true;
      },
      20s))
      << (seen ? seen->DebugString() : "no answer");
  EXPECT_TRUE(eventually(
      [&] {
        rest = rest_topology(cluster.ports(0).rest);
        return rest && rest->is_object() && rest->value("replicationFactor", 0) == 2;
      },
      10s))
      << (rest ? rest->dump() : "no answer");
  // The broker's own /actuator/info follows the committed topology too.
  std::optional<json> info;
  EXPECT_TRUE(eventually(
      [&] {
        httplib::Client client("127.0.0.1", cluster.ports(0).monitoring);
        client.set_read_timeout(5s);
        auto response = client.Get("/actuator/info");
        if (!response || response->status != 200) return false;
        info = json::parse(response->body, nullptr, false);
        return info->is_object() && info->value("replicationFactor", 0) == 2
               && info->value("clusterSize", 0) == 3 && info->value("partitionsCount", 0) == 3;
      },
      10s))
      << (info ? info->dump() : "no answer");
}

}  // namespace
}  // namespace tern::test
