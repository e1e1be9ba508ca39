// A partition leader answers a job activation that finds no job from its engine's state, without
// a log entry (PartitionEngine::answer_without_log): the log does not move, back-pressure does
// not refuse it, and a job created right after the empty answer still raises its wake-up.

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "cluster_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;
using engine::Intent;
using engine::RecordType;
using engine::ValueType;

engine::Record activation(const std::string& type) {
  return command(ValueType::kJobBatch, Intent::kActivate,
                 {{"type", type},
                  {"worker", "w"},
                  {"timeout", 60000},
                  {"maxJobsToActivate", 5},
                  {"fetchVariables", engine::Json::array()}});
}

// The leader's log once everything in it is applied, after it grew past `after`.
std::uint64_t settled_last_index(TestCluster& cluster, std::uint64_t after) {
  std::uint64_t last = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        GroupMembership view = cluster.broker(0)->membership_control(PartitionId(1))->membership();
        last = view.last_index;
        return view.last_index > after && view.applied_index == view.last_index;
      },
      10s))
      << "the log did not grow past " << after << " and settle";
  return last;
}

TEST(EmptyActivation, IsAnsweredWithoutALogEntryAndTheNextJobStillWakesTheWorker) {
  tern::test::TempDir dir;
  // Limit 0: every back-pressured command that needs the log is refused. No idle appends, so
  // that the log moves only for commands.
  TestCluster cluster(dir.path(), {.brokers = 1,
                                   .max_inflight_commands = 0,
                                   .configure_replica = [](std::int32_t, ReplicaOptions& options) {
                                     options.idle_append_ms = 600'000;
                                   }});
  cluster.start(0);
  std::mutex mutex;
  std::multiset<std::string> woken;
  cluster.broker(0)->set_job_available_callback([&](PartitionId, std::string type) {
    std::lock_guard lock(mutex);
    woken.insert(std::move(type));
  });
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));

  // What one logged command costs the log (a re-sent deployment: a duplicate, but logged).
  auto deployed = cluster.submit(0, PartitionId(1), deploy_command("p", "work"), false);
  ASSERT_TRUE(deployed.ok() && deployed->record.is_event());
  const std::uint64_t start = settled_last_index(cluster, 0);
  ASSERT_TRUE(cluster.submit(0, PartitionId(1), deploy_command("p", "work"), false).ok());
  const std::uint64_t after_one = settled_last_index(cluster, start);
  const std::uint64_t per_command = after_one - start;

  // An activation finding no job: answered (back-pressure does not apply), nothing logged.
  auto empty = cluster.submit(0, PartitionId(1), activation("work"));
  ASSERT_TRUE(empty.ok()) << to_string(empty.error().code) << ": " << empty.error().message;
  EXPECT_EQ(empty->record.record_type, RecordType::kEvent);
  EXPECT_EQ(empty->record.value_type, ValueType::kJobBatch);
  EXPECT_EQ(empty->record.intent, Intent::kActivated);
  EXPECT_TRUE(empty->record.value["jobs"].empty());
  EXPECT_EQ(empty->record.value["worker"], "w");
  ASSERT_TRUE(cluster.submit(0, PartitionId(1), deploy_command("p", "work"), false).ok());
  EXPECT_EQ(settled_last_index(cluster, after_one), after_one + per_command)
      << "the empty activation was written to the log";

  // A job created right after the empty answer raises its wake-up.
  auto created = cluster.submit(0, PartitionId(1), create_command("p"), false);
  ASSERT_GT(instance_key(created), 0);
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return woken.count("work") == 1;
      },
      10s))
      << "no wake-up for the job created after the empty answer";

  // An activation that finds the job needs the log: refused under back-pressure, then logged.
  auto refused = cluster.submit(0, PartitionId(1), activation("work"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, SubmitErrorCode::kBackPressure);
  const std::uint64_t before = settled_last_index(cluster, 0);
  auto activated = cluster.submit(0, PartitionId(1), activation("work"), false);
  ASSERT_TRUE(activated.ok());
  EXPECT_EQ(activated->record.value["jobKeys"].size(), 1u);
  EXPECT_GT(settled_last_index(cluster, before), before);
}

}  // namespace
}  // namespace tern::broker::test
