// Three real brokers, three partitions, replication factor 3, the gateway embedded in broker 0:
// every partition elects a leader; SIGKILL a partition's leader and another replica takes over
// with a higher term; the killed broker restarts from its folder and catches up; a broker whose
// data folder was wiped restarts empty and catches up too. The embedded gateway's REST topology
// and a standalone gateway reflect the leaders.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "integration/support/placement_view.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kElection = 20s;

// Which broker the REST topology of a gateway names as leader of `partition`, if any.
std::optional<int> rest_leader(std::uint16_t rest_port, int partition) {
  httplib::Client client("127.0.0.1", rest_port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  auto response = client.Get("/v2/topology");
  if (!response || response->status != 200) return std::nullopt;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  for (const auto& broker : body["brokers"]) {
    for (const auto& p : broker["partitions"]) {
      if (p["partitionId"] == partition && p["role"] == "leader")
        return broker["nodeId"].get<int>();
    }
  }
  return std::nullopt;
}

bool caught_up(const TerndCluster& cluster, int node, int partition) {
  auto leader = cluster.wait_for_leader(partition, 5s);
  if (!leader) return false;
  auto mine = cluster.replica(node, partition);
  auto theirs = cluster.replica(*leader, partition);
  return mine && theirs && mine->role != "inactive" && mine->leader == *leader
         && mine->applied_index >= theirs->applied_index;
}

TEST(ClusterFailover, LeaderKilledRestartedAndWiped) {
  TempDir dir;
  TerndCluster cluster(dir.path(), {});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);

  // Exactly one leader per partition, and every replica agrees on it and its term.
  for (int partition = 1; partition <= 3; ++partition) {
    auto leader = cluster.wait_for_leader(partition, 1s);
    ASSERT_TRUE(leader);
    EXPECT_TRUE(eventually(
        [&] {
          auto lead = cluster.replica(*leader, partition);
          for (int node : replicas_of_partition(partition, 3, 3)) {
            auto view = cluster.replica(node, partition);
            if (!view || view->leader != *leader || view->term != lead->term) return false;
            if (node != *leader && view->role != "follower") return false;
          }
          return true;
        },
        10s))
        << "partition " << partition;
  }
  // Broker 0's embedded gateway reports its own partitions' roles.
  EXPECT_TRUE(eventually(
      [&] {
        for (int partition = 1; partition <= 3; ++partition) {
          auto leader = cluster.wait_for_leader(partition, 1s);
          if (leader == 0 && rest_leader(cluster.ports(0).rest, partition) != 0) return false;
        }
        return true;
      },
      5s));

  // SIGKILL partition 1's leader: another replica leads within a few seconds, in a later term.
  auto old_leader = cluster.wait_for_leader(1, 1s);
  ASSERT_TRUE(old_leader);
  auto old_term = cluster.replica(*old_leader, 1)->term;
  cluster.kill(*old_leader);
  auto new_leader = cluster.wait_for_leader(1, kElection, *old_leader);
  ASSERT_TRUE(new_leader) << cluster.log_of((*old_leader + 1) % 3);
  EXPECT_NE(*new_leader, *old_leader);
  EXPECT_GT(cluster.replica(*new_leader, 1)->term, old_term);
  // The other partitions the killed broker led also recover.
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection));

  // The killed broker restarts from its data folder and catches up on every partition.
  ASSERT_TRUE(cluster.start(*old_leader).ok());
  for (int partition = 1; partition <= 3; ++partition) {
    EXPECT_TRUE(eventually([&] { return caught_up(cluster, *old_leader, partition); }, kElection))
        << "partition " << partition << "\n"
        << cluster.log_of(*old_leader);
  }

  // A broker with a wiped disk restarts empty and catches up.
  int wiped = (*old_leader + 1) % 3;
  cluster.stop(wiped);
  cluster.wipe(wiped);
  ASSERT_TRUE(cluster.start(wiped).ok());
  for (int partition = 1; partition <= 3; ++partition) {
    EXPECT_TRUE(eventually([&] { return caught_up(cluster, wiped, partition); }, kElection))
        << "partition " << partition << "\n"
        << cluster.log_of(wiped);
  }
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection));
}

}  // namespace
}  // namespace tern::test
