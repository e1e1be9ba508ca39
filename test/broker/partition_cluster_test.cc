// Partition replicas end to end, in process: Raft over the cluster transport on loopback, the
// engine behind a RaftLogStream, the PartitionService the command API uses. One broker (RF 1) and
// three brokers (RF 3) with leader loss, restart, and a wiped replica catching up from a snapshot.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>

#include "broker/partition/snapshot_archive.h"
#include "cluster_test_support.h"
#include "engine/processors/message_behavior.h"
#include "engine/records/keys.h"
#include "support/bpmn_models.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;
using engine::Intent;
using engine::Key;
using engine::RecordType;
using engine::ValueType;
using ::testing::HasSubstr;

std::string describe(const SubmitResult& result) {
  if (!result.ok())
    return std::string(to_string(result.error().code)) + ": " + result.error().message;
  return engine::describe(result->record) + " " + result->record.rejection_reason;
}

TEST(SnapshotArchive, RoundTripsAFolderAndRejectsDamage) {
  tern::test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "in" / "sub");
  {
    std::ofstream(dir.path() / "in" / "a.txt") << "alpha";
    std::ofstream(dir.path() / "in" / "sub" / "b.bin") << std::string("\0\1\2", 3);
  }
  auto packed = pack_directory(dir.path() / "in");
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  ASSERT_TRUE(unpack_directory(*packed, dir.path() / "out").ok());
  std::ifstream a(dir.path() / "out" / "a.txt");
  std::string text((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "alpha");
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "out" / "sub" / "b.bin"), 3u);

  std::string damaged = *packed;
  damaged[damaged.size() / 2] ^= 0x5a;
  auto refused = unpack_directory(damaged, dir.path() / "damaged");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("checksum"));
  EXPECT_FALSE(unpack_directory("TSNP", dir.path() / "short").ok());
}

TEST(PartitionService, SingleBrokerServesCommandsAfterQuorumCommit) {
  tern::test::TempDir dir;
  TestCluster cluster(dir.path(), {.brokers = 1, .partitions = 2, .replication_factor = 1});
  cluster.start(0);
  std::mutex mutex;
  std::set<std::pair<std::int32_t, std::string>> woken;
  cluster.broker(0)->set_job_available_callback([&](PartitionId partition, std::string type) {
    std::lock_guard lock(mutex);
    woken.emplace(partition.value(), std::move(type));
  });
  EXPECT_EQ(cluster.broker(0)->partition_count(), 2);
  EXPECT_EQ(cluster.broker(0)->partitions(), (std::vector{PartitionId(1), PartitionId(2)}));
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(2), 10s));

  auto deployed = cluster.submit(0, PartitionId(2), deploy_command("order", "pack"));
  ASSERT_TRUE(deployed.ok()) << describe(deployed);
  EXPECT_EQ(deployed->record.record_type, RecordType::kEvent) << describe(deployed);

  auto created = cluster.submit(0, PartitionId(2), create_command("order"));
  std::int64_t key = instance_key(created);
  ASSERT_GT(key, 0) << describe(created);
  EXPECT_EQ(engine::partition_of(Key(key)), PartitionId(2));
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return woken.count({2, "pack"}) == 1;
      },
      10s));

  // Activate and complete the job: the instance finishes.
  auto batch = cluster.submit(0, PartitionId(2),
                              command(ValueType::kJobBatch, Intent::kActivate,
                                      {{"type", "pack"},
                                       {"worker", "w"},
                                       {"timeout", 60000},
                                       {"maxJobsToActivate", 5},
                                       {"fetchVariables", engine::Json::array()}}));
  ASSERT_TRUE(batch.ok()) << describe(batch);
  ASSERT_EQ(batch->record.value["jobKeys"].size(), 1u) << describe(batch);
  Key job(batch->record.value["jobKeys"][0].get<std::int64_t>());
  auto completed = cluster.submit(
      0, PartitionId(2),
      command(ValueType::kJob, Intent::kComplete, {{"variables", engine::Json::object()}}, job),
      false);
  ASSERT_TRUE(completed.ok()) << describe(completed);
  EXPECT_EQ(completed->record.intent, Intent::kCompleted) << describe(completed);

  // Unknown process: the engine's rejection comes back as the response.
  auto rejected = cluster.submit(0, PartitionId(1), create_command("nope"));
  ASSERT_TRUE(rejected.ok()) << describe(rejected);
  EXPECT_EQ(rejected->record.record_type, RecordType::kCommandRejection);

  auto invalid = cluster.submit(0, PartitionId(3), create_command("order"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, SubmitErrorCode::kInvalid);
  EXPECT_THAT(invalid.error().message, HasSubstr("partition 3 does not exist"));
  auto event = command(ValueType::kJob, Intent::kCompleted, {});
  event.record_type = RecordType::kEvent;
  auto not_command = cluster.submit(0, PartitionId(1), event);
  ASSERT_FALSE(not_command.ok());
  EXPECT_EQ(not_command.error().code, SubmitErrorCode::kInvalid);
}

// A command whose value bytes (a map with a key that is not a string) would reach the log as they
// are is refused before it is appended: the leader's engine reads its own records before they
// commit, so the check a committed entry gets (RaftLogStreamTest) runs when the leader appends.
// The client gets the reason; the partition serves on.
TEST(PartitionService, ACommandWhoseValueIsNotMessagePackIsRefusedAndThePartitionServesOn) {
  tern::test::TempDir dir;
  TestCluster cluster(dir.path(), {.brokers = 1, .partitions = 2});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(2), 10s));
  auto corrupt = deploy_command("order", "pack");
  corrupt.value = engine::Json();
  corrupt.packed_value = std::string("\x81\x01\x01", 3);
  auto refused = cluster.submit(0, PartitionId(1), corrupt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, SubmitErrorCode::kInvalid);
  EXPECT_THAT(refused.error().message, HasSubstr("not well-formed MessagePack"));
  auto status = cluster.status(0, PartitionId(1));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->health, PartitionHealth::kHealthy);
  for (PartitionId partition : {PartitionId(1), PartitionId(2)}) {
    auto deployed = cluster.submit(0, partition, deploy_command("order", "pack"));
    ASSERT_TRUE(deployed.ok()) << describe(deployed);
    EXPECT_EQ(deployed->record.record_type, RecordType::kEvent);
  }
}

TEST(PartitionService, BackPressureRejectsExcessButNeverCompletions) {
  tern::test::TempDir dir;
  TestCluster cluster(dir.path(), {.brokers = 1, .max_inflight_commands = 0});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  auto refused = cluster.submit(0, PartitionId(1), deploy_command("p", "t"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, SubmitErrorCode::kBackPressure);
  EXPECT_THAT(refused.error().message, HasSubstr("limit 0"));
  // Not back-pressured (as job completions and cancellations are): it goes through.
  auto accepted = cluster.submit(0, PartitionId(1), deploy_command("p", "t"), false);
  ASSERT_TRUE(accepted.ok()) << describe(accepted);
  EXPECT_EQ(accepted->record.record_type, RecordType::kEvent);
}

TEST(PartitionService, RestartRecoversStateFromSnapshotAndJournal) {
  tern::test::TempDir dir;
  // A snapshot every few entries, so the restart goes through snapshot restore + journal replay.
  TestCluster cluster(dir.path(), {.brokers = 1, .snapshot_log_entries = 4});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.submit(0, PartitionId(1), deploy_command("order", "pack")).ok());
  std::set<std::int64_t> keys;
  for (int i = 0; i < 6; ++i) {
    auto created = cluster.submit(0, PartitionId(1), create_command("order"));
    ASSERT_GT(instance_key(created), 0) << describe(created);
    keys.insert(instance_key(created));
  }
  ASSERT_TRUE(
      wait_until([&] { return cluster.status(0, PartitionId(1))->snapshot_index > 0; }, 10s));
  cluster.stop(0);
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  // The deployment survived, and keys continue without reuse.
  auto created = cluster.submit(0, PartitionId(1), create_command("order"));
  ASSERT_GT(instance_key(created), 0) << describe(created);
  EXPECT_EQ(keys.count(instance_key(created)), 0u);
}

TEST(PartitionService, ThreeBrokersSurviveLeaderLossRestartAndAWipedDisk) {
  tern::test::TempDir dir;
  TestCluster cluster(
      dir.path(),
      {.brokers = 3, .partitions = 1, .replication_factor = 3, .snapshot_log_entries = 8});
  for (int node = 0; node < 3; ++node)
    cluster.start(node);
  auto leader = cluster.wait_for_leader(PartitionId(1), 15s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(cluster.submit_to_leader(PartitionId(1), deploy_command("order", "pack")).ok());

  // A follower refuses and names the leader.
  int follower = (*leader + 1) % 3;
  ASSERT_TRUE(
      wait_until([&] { return cluster.status(follower, PartitionId(1))->leader == *leader; }, 10s));
  auto refused = cluster.submit(follower, PartitionId(1), create_command("order"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, SubmitErrorCode::kNotLeader);
  EXPECT_EQ(refused.error().leader_hint, NodeId(*leader));

  std::set<std::int64_t> keys;
  auto create_some = [&](int count) {
    for (int i = 0; i < count; ++i) {
      auto created = cluster.submit_to_leader(PartitionId(1), create_command("order"));
      ASSERT_GT(instance_key(created), 0) << describe(created);
      EXPECT_TRUE(keys.insert(instance_key(created)).second) << "duplicate key";
    }
  };
  create_some(10);

  // Leader loss: another replica takes over with the state (the deployment) intact.
  std::uint64_t old_term = cluster.status(*leader, PartitionId(1))->term;
  int lost = *leader;
  cluster.stop(lost);
  auto next = cluster.wait_for_leader(PartitionId(1), 15s);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, lost);
  EXPECT_GT(cluster.status(*next, PartitionId(1))->term, old_term);
  create_some(10);

  // The old leader restarts from its folder and catches up.
  cluster.start(lost);
  auto caught_up = [&](int node) {
    auto l = cluster.wait_for_leader(PartitionId(1), 5s);
    if (!l) return false;
    auto mine = cluster.status(node, PartitionId(1));
    auto theirs = cluster.status(*l, PartitionId(1));
    return mine && theirs && mine->applied_index >= theirs->applied_index;
  };
  EXPECT_TRUE(wait_until([&] { return caught_up(lost); }, 15s));

  // A wiped follower comes back empty and catches up from a snapshot (the log is compacted).
  auto current = cluster.wait_for_leader(PartitionId(1), 10s);
  ASSERT_TRUE(current);
  ASSERT_TRUE(wait_until(
      [&] { return cluster.status(*current, PartitionId(1))->snapshot_index > 1; }, 15s));
  int wiped = (*current + 1) % 3;
  cluster.stop(wiped);
  cluster.wipe(wiped);
  cluster.start(wiped);
  EXPECT_TRUE(wait_until([&] { return caught_up(wiped); }, 20s));
  EXPECT_GT(cluster.status(wiped, PartitionId(1))->snapshot_index, 0u);

  // With the wiped replica and one other, the partition still serves with its state: stop the
  // third broker (the one neither leader-elect nor wiped may be the leader; either way a quorum of
  // two remains, one of them rebuilt from the snapshot).
  int third = 3 - *current - wiped;
  cluster.stop(third);
  create_some(5);
  cluster.start(third);
  EXPECT_EQ(keys.size(), 25u);
}

// start -> message catch "paid" (correlation key = orderId) -> service task "ship" -> end.
engine::Record deploy_message_process() {
  std::string xml = tern::test::pay_on_message_bpmn();
  return command(
      ValueType::kDeployment, Intent::kCreate,
      engine::Json{{"resources", engine::Json::array({engine::Json{{"resourceName", "pay.bpmn"},
                                                                   {"resource", xml}}})}});
}

// Activates "ship" jobs on `partition` until one appears; returns its instance key (-1 if none).
std::int64_t activated_ship_instance(TestCluster& cluster, PartitionId partition) {
  std::int64_t instance = -1;
  wait_until(
      [&] {
        auto batch = cluster.submit_to_leader(partition,
                                              command(ValueType::kJobBatch, Intent::kActivate,
                                                      {{"type", "ship"},
                                                       {"worker", "w"},
                                                       {"timeout", 60000},
                                                       {"maxJobsToActivate", 5},
                                                       {"fetchVariables", engine::Json::array()}}));
        if (!batch.ok() || batch->record.value["jobs"].empty()) return false;
        instance = batch->record.value["jobs"][0].value("processInstanceKey", std::int64_t{-1});
        return true;
      },
      20s);
  return instance;
}

// The message subscription protocol across brokers: partition 1 lives on broker 0 and partition
// 2 on broker 1 (RF 1). An instance on partition 1 waits for a message whose correlation key
// hashes to partition 2; its subscription travels to broker 1, the published message's
// correlation travels back. The subscription is first opened while broker 1 is down: the sender
// retries until broker 1 is back and acknowledges it.
TEST(PartitionService, MessageCorrelatesAcrossBrokers) {
  tern::test::TempDir dir;
  TestCluster cluster(dir.path(), {.brokers = 2, .partitions = 2, .replication_factor = 1});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.submit_to_leader(PartitionId(1), deploy_message_process()).ok());
  std::string order;
  for (int i = 0; order.empty(); ++i) {
    std::string candidate = "order-" + std::to_string(i);
    if (engine::message_partition(candidate, 2) == PartitionId(2)) order = candidate;
  }
  auto create = [&](const std::string& correlation) {
    auto created = command(
        ValueType::kProcessInstanceCreation, Intent::kCreate,
        {{"bpmnProcessId", "pay"}, {"version", -1}, {"variables", {{"orderId", correlation}}}});
    return cluster.submit_to_leader(PartitionId(1), created);
  };
  auto waiting = create(order);  // broker 1 (partition 2) is not running yet
  ASSERT_GT(instance_key(waiting), 0) << describe(waiting);

  cluster.start(1);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(2), 10s));
  auto published =
      cluster.submit_to_leader(PartitionId(2), command(ValueType::kMessage, Intent::kPublish,
                                                       {{"name", "paid"},
                                                        {"correlationKey", order},
                                                        {"timeToLive", 60000},
                                                        {"messageId", ""},
                                                        {"variables", {{"amount", 42}}}}));
  ASSERT_TRUE(published.ok()) << describe(published);
  ASSERT_EQ(published->record.intent, Intent::kPublished) << describe(published);
  EXPECT_EQ(engine::partition_of(published->record.key), PartitionId(2));

  EXPECT_EQ(activated_ship_instance(cluster, PartitionId(1)), instance_key(waiting));

  // A second instance, with both brokers up: correlates with a message published after it.
  auto second = create(order + "-again");
  std::string again = order + "-again";
  ASSERT_GT(instance_key(second), 0) << describe(second);
  auto message_partition = engine::message_partition(again, 2);
  auto again_published =
      cluster.submit_to_leader(message_partition, command(ValueType::kMessage, Intent::kPublish,
                                                          {{"name", "paid"},
                                                           {"correlationKey", again},
                                                           {"timeToLive", 60000},
                                                           {"messageId", ""},
                                                           {"variables", engine::Json::object()}}));
  ASSERT_TRUE(again_published.ok()) << describe(again_published);
  EXPECT_EQ(activated_ship_instance(cluster, PartitionId(1)), instance_key(second));
}

}  // namespace
}  // namespace tern::broker::test
