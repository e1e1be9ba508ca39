// Leadership moves on real brokers (three brokers, three partitions, replication factor 3):
// GET /actuator/partitions reports every hosted replica; a broker stopped with SIGTERM hands the
// partitions it leads to caught-up followers before it exits (the follower it names takes over);
// POST /actuator/rebalance on a broker leading a partition that prefers another broker moves the
// leadership to the preferred one.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "integration/support/placement_view.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kElection = 20s;

std::optional<nlohmann::json> http_json(std::uint16_t port, const std::string& method,
                                        const std::string& path, int expected_status) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(10s);
  auto response = method == "POST" ? client.Post(path, "", "application/json") : client.Get(path);
  if (!response || response->status != expected_status) return std::nullopt;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

TEST(Leadership, PartitionsEndpointHandOverOnSigtermAndRebalance) {
  TempDir dir;
  TerndCluster cluster(dir.path(), {});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);

  // /actuator/partitions: each broker hosts all three partitions; the leader of partition 1 says
  // so, with the fields an operator reads.
  auto leader = cluster.wait_for_leader(1, kElection);
  ASSERT_TRUE(leader);
  auto partitions =
      http_json(cluster.ports(*leader).monitoring, "GET", "/actuator/partitions", 200);
  ASSERT_TRUE(partitions);
  ASSERT_EQ(partitions->size(), 3u) << partitions->dump();
  const auto& first = (*partitions)["1"];
  EXPECT_EQ(first["role"], "leader") << partitions->dump();
  EXPECT_EQ(first["leader"], *leader);
  for (const char* field : {"health", "term", "appliedIndex", "snapshotIndex", "processedPosition"})
    EXPECT_TRUE(first.contains(field)) << field << " missing: " << partitions->dump();
  EXPECT_GE(first["appliedIndex"].get<std::int64_t>(), 1);

  // SIGTERM partition 1's leader: it names the follower it hands partition 1 to, and that
  // follower leads afterwards.
  int stopping = *leader;
  ASSERT_TRUE(eventually(
      [&] {
        for (int p = 1; p <= 3; ++p) {
          for (int node : replicas_of_partition(p, 3, 3)) {
            auto view = cluster.replica(node, p);
            if (!view || view->role == "inactive" || !view->leader) return false;
          }
        }
        return true;
      },
      kElection));
  cluster.stop(stopping);
  const std::string log = cluster.log_of(stopping);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(
      log, match, std::regex("partition 1: leadership transfer to broker ([0-9]+) started")))
      << log;
  const int target = std::stoi(match[1].str());
  EXPECT_NE(target, stopping);
  EXPECT_NE(log.find("partition(s) handed over"), std::string::npos) << log;
  auto successor = cluster.wait_for_leader(1, kElection, stopping);
  ASSERT_TRUE(successor);
  EXPECT_EQ(*successor, target);

  // The stopped broker prefers to lead partition stopping + 1 (partition p's preferred replica is
  // broker p - 1); another broker leads it now. After a restart, a rebalance on that leader hands
  // it back.
  const int preferred_partition = stopping + 1;
  ASSERT_TRUE(cluster.start(stopping).ok());
  ASSERT_TRUE(cluster.wait_for_leader(preferred_partition, kElection));
  // A rebalance is a request: the leader starts a transfer, and abandons it after an election
  // timeout when the target does not take over in time (a just-restarted broker may still be
  // reconnecting). So the operator's loop: ask, look, ask again.
  bool transfer_scheduled = false;
  auto last_request = std::chrono::steady_clock::time_point{};
  EXPECT_TRUE(eventually(
      [&] {
        auto view = cluster.replica(stopping, preferred_partition);
        if (view && view->role == "leader") return true;
        if (std::chrono::steady_clock::now() - last_request < 2s) return false;
        auto current = cluster.wait_for_leader(preferred_partition, 1s);
        if (!current || *current == stopping) return false;
        last_request = std::chrono::steady_clock::now();
        auto answer =
            http_json(cluster.ports(*current).monitoring, "POST", "/actuator/rebalance", 202);
        if (!answer) return false;
        for (const auto& entry : (*answer)["partitions"]) {
          if (entry["partitionId"] == preferred_partition && entry["state"] == "TRANSFERRING") {
            EXPECT_EQ(entry["target"], stopping);
            transfer_scheduled = true;
          }
        }
        return false;
      },
      kElection))
      << cluster.log_of(stopping);
  // Unless the restarted broker won an election by itself, leadership came back by a transfer.
  if (!transfer_scheduled) {
    auto view = cluster.replica(stopping, preferred_partition);
    EXPECT_TRUE(view && view->role == "leader");
  }
}

}  // namespace
}  // namespace tern::test
