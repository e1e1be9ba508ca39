// A leader under continuous load almost never has a moment when every effect its state holds is
// committed; snapshots (and the journal compaction below them) must not wait for one.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "cluster_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;
using engine::Intent;
using engine::Key;
using engine::RecordType;
using engine::ValueType;

TEST(SnapshotUnderLoad, ALeaderThatNeverIdlesStillSnapshotsAndRestartsFromIt) {
  tern::test::TempDir dir;
  TestCluster cluster(dir.path(), {.brokers = 1, .snapshot_log_entries = 40});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.submit(0, PartitionId(1), deploy_command("order", "pack")).ok());

  // Eight submitters keep commands in flight the whole time, so the leader's state runs ahead of
  // the commit at nearly every tick.
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::mutex keys_mutex;
  std::vector<std::int64_t> keys;
  std::vector<std::thread> submitters;
  for (int t = 0; t < 8; ++t) {
    submitters.emplace_back([&] {
      while (!stop.load()) {
        auto created = cluster.submit(0, PartitionId(1), create_command("order"), false);
        std::int64_t key = instance_key(created);
        if (key <= 0) {
          failed = true;
          return;
        }
        std::lock_guard lock(keys_mutex);
        keys.push_back(key);
      }
    });
  }
  const auto first_snapshot =
      wait_until([&] { return cluster.status(0, PartitionId(1))->snapshot_index > 0; }, 20s);
  // The load was still running when the snapshot appeared.
  const bool loaded_throughout = !failed.load();
  stop = true;
  for (auto& submitter : submitters)
    submitter.join();
  ASSERT_TRUE(loaded_throughout) << "a create failed while the load ran";
  ASSERT_TRUE(first_snapshot) << "no snapshot while commands were continuously in flight";
  const auto status = cluster.status(0, PartitionId(1));
  ASSERT_TRUE(status);
  EXPECT_GT(status->snapshot_index, 0u);

  // Restart from that snapshot and the journal after it: every instance created before is still
  // there (cancelling it is accepted), and new keys are not reused.
  cluster.stop(0);
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  std::vector<std::int64_t> sample{keys.front(), keys[keys.size() / 2], keys.back()};
  for (std::int64_t key : sample) {
    auto cancelled = cluster.submit(
        0, PartitionId(1),
        command(ValueType::kProcessInstance, Intent::kCancel, engine::Json::object(), Key(key)),
        false);
    ASSERT_TRUE(cancelled.ok());
    EXPECT_EQ(cancelled->record.record_type, RecordType::kEvent)
        << "instance " << key << " was lost: " << cancelled->record.rejection_reason;
  }
  auto created = cluster.submit(0, PartitionId(1), create_command("order"));
  std::int64_t fresh = instance_key(created);
  ASSERT_GT(fresh, 0);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), fresh), 0);
}

}  // namespace
}  // namespace tern::broker::test
