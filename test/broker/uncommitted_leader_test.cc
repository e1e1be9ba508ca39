// A partition leader processes a command as soon as it has appended it, before it commits
// (docs/cluster.md, "Processing before commit"). Here a leader is cut off from both followers
// while it holds commands processed but not committed: none of them is answered, it steps down
// (check-quorum) and rebuilds its state without them, the followers elect a new leader without
// it, and when it returns its uncommitted entries are truncated. Every acknowledged instance
// exists exactly once afterwards, none of the cut-off commands does, and no key is handed out
// twice.

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "broker/partition/raft_log_stream.h"
#include "cluster_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;
using engine::Intent;
using engine::ValueType;

constexpr PartitionId kPartition{1};

// The entry holding the replica's last processed command lies beyond what it applied (what
// committed): it processed a command before that command committed.
bool processed_ahead_of_commit(const PartitionStatus& status) {
  return status.processed_position / kPositionsPerEntry
         > static_cast<std::int64_t>(status.applied_index);
}

// Activates every "pack" job there is through the leader; their process instance keys.
std::vector<std::int64_t> activate_all(TestCluster& cluster) {
  std::vector<std::int64_t> instances;
  for (int round = 0; round < 20; ++round) {
    auto batch =
        cluster.submit_to_leader(kPartition, command(ValueType::kJobBatch, Intent::kActivate,
                                                     {{"type", "pack"},
                                                      {"worker", "w"},
                                                      {"timeout", 600000},
                                                      {"maxJobsToActivate", 100},
                                                      {"fetchVariables", engine::Json::array()}}));
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || batch->record.value["jobs"].empty()) break;
    for (const auto& job : batch->record.value["jobs"])
      instances.push_back(job.value("processInstanceKey", std::int64_t{-1}));
  }
  return instances;
}

TEST(UncommittedLeader, ALeaderCutOffWithProcessedUncommittedCommandsLosesThemCleanly) {
  tern::test::TempDir dir;
  // Longer election timeouts (1.5-3 s) leave the cut-off leader time to take commands before
  // check-quorum deposes it.
  TestCluster cluster(dir.path(), {.brokers = 3,
                                   .partitions = 1,
                                   .replication_factor = 3,
                                   .configure_replica = [](std::int32_t, ReplicaOptions& options) {
                                     options.election_ticks = 30;
                                   }});
  for (int node = 0; node < 3; ++node)
    cluster.start(node);
  auto leader = cluster.wait_for_leader(kPartition, 20s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(cluster.submit_to_leader(kPartition, deploy_command("order", "pack")).ok());
  std::set<std::int64_t> acknowledged;
  auto create_some = [&](int count) {
    for (int i = 0; i < count; ++i) {
      auto created = cluster.submit_to_leader(kPartition, create_command("order"));
      ASSERT_GT(instance_key(created), 0);
      EXPECT_TRUE(acknowledged.insert(instance_key(created)).second) << "duplicate key";
    }
  };
  create_some(5);

  // Cut off: both followers stop. The leader serves on until check-quorum deposes it.
  const int cut_off = *leader;
  cluster.stop((cut_off + 1) % 3);
  cluster.stop((cut_off + 2) % 3);
  std::atomic<int> answered{0};
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 5; ++i) {
    cluster.broker(cut_off)->submit(kPartition, create_command("order"), true,
                                    [&](SubmitResult result) {
                                      if (result.ok()) ++succeeded;
                                      ++answered;
                                    });
  }
  // It processed them with nothing committed.
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = cluster.status(cut_off, kPartition);
        return status && processed_ahead_of_commit(*status);
      },
      5s));
  // Deposed: every one of them fails, and the rebuilt state holds none of them.
  ASSERT_TRUE(wait_until([&] { return answered == 5; }, 15s));
  EXPECT_EQ(succeeded, 0) << "a command answered that never committed";
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = cluster.status(cut_off, kPartition);
        return status && status->role != PartitionRole::kLeader
               && !processed_ahead_of_commit(*status);
      },
      10s));

  // The followers elect a new leader without it and serve.
  cluster.stop(cut_off);
  cluster.start((cut_off + 1) % 3);
  cluster.start((cut_off + 2) % 3);
  create_some(5);

  // The cut-off leader returns; its uncommitted tail is replaced by the new leader's log.
  cluster.start(cut_off);
  ASSERT_TRUE(wait_until(
      [&] {
        auto current = cluster.wait_for_leader(kPartition, 1s);
        if (!current) return false;
        auto mine = cluster.status(cut_off, kPartition);
        auto theirs = cluster.status(*current, kPartition);
        return *current != cut_off && mine && theirs
               && mine->applied_index >= theirs->applied_index;
      },
      20s));
  // The current leader goes away: the returned replica is one of the two that go on.
  auto current = cluster.wait_for_leader(kPartition, 5s);
  ASSERT_TRUE(current);
  cluster.stop(*current);
  create_some(3);

  // Exactly the acknowledged instances exist, each once.
  auto instances = activate_all(cluster);
  std::multiset<std::int64_t> seen(instances.begin(), instances.end());
  for (std::int64_t key : acknowledged)
    EXPECT_EQ(seen.count(key), 1u) << "instance " << key;
  EXPECT_EQ(instances.size(), acknowledged.size()) << "an instance nobody acknowledged exists";
  cluster.start(*current);
}

}  // namespace
}  // namespace tern::broker::test
