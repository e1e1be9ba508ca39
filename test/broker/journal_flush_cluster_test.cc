// The journal flush off the partition's strand, end to end: with every journal sync held back
// (a JournalFlusher that queues its jobs until the test releases them), nothing is committed or
// answered on the strength of an entry that is not durable — a single broker answers a command
// only once its sync ran, and with three brokers an entry commits only once a quorum of them
// (the leader counting itself only once synced) has synced it; a quorum of followers' syncs is
// enough, without waiting for the leader's own.

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "cluster_test_support.h"
#include "support/bpmn_models.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;

// Runs jobs at once on the caller (the strand) until hold(); then queues them until release().
class HeldFlusher final : public JournalFlusher {
 public:
  void submit(PartitionId, std::function<void()> job) override {
    std::unique_lock lock(mutex_);
    if (holding_) {
      held_.push_back(std::move(job));
      return;
    }
    lock.unlock();
    job();
  }
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Runs the held syncs on this thread, and those submitted meanwhile behind them (a replica's
  // syncs pipeline and must end in submission order), then lets later ones run at once.
  void release() {
    for (;;) {
      std::function<void()> job;
      {
        std::lock_guard lock(mutex_);
        if (held_.empty()) {
          holding_ = false;
          return;
        }
        job = std::move(held_.front());
        held_.pop_front();
      }
      job();
    }
  }

 private:
  mutable std::mutex mutex_;
  bool holding_ = false;
  std::deque<std::function<void()>> held_;
};

// Releases the flushers when a test ends, before its cluster stops: a stopping replica waits for
// its flush in flight, so a failed assertion with syncs held would otherwise hang the teardown.
struct ReleaseAtExit {
  std::vector<std::shared_ptr<HeldFlusher>> flushers;
  ~ReleaseAtExit() {
    for (auto& flusher : flushers)
      flusher->release();
  }
};

// Returns once every handler queued on each replica's strand of `broker` has run.
void drain_strands(TestCluster& cluster, std::int32_t broker) {
  auto silent = cluster.broker(broker)->for_each_exporting([](PartitionId, PartitionExporting*) {});
  ASSERT_TRUE(silent.empty());
}

GroupMembership membership(TestCluster& cluster, std::int32_t broker) {
  return cluster.broker(broker)->membership_control(PartitionId(1))->membership();
}

// Three brokers, replication factor 3, whose journal syncs wait in HeldFlushers until released.
// Held syncs also hold the followers' heartbeat answers back: a longer election timeout keeps the
// leader from stepping down meanwhile, and no keep-alive entries are appended.
// One broker whose journal syncs the test holds.
struct HeldFlushBroker {
  explicit HeldFlushBroker(const std::filesystem::path& root)
      : flusher(std::make_shared<HeldFlusher>()),
        cluster(root,
                {.brokers = 1,
                 .configure_cluster =
                     [this](std::int32_t, ClusterOptions& options) { options.flusher = flusher; }}),
        release_at_exit{{flusher}} {}

  // Starts the broker and deploys a process on partition 1; false after a failure.
  bool start_with_a_deployment() {
    cluster.start(0);
    if (!cluster.wait_for_leader(PartitionId(1), 10s)) {
      ADD_FAILURE() << "partition 1 elected no leader";
      return false;
    }
    auto deployed = cluster.submit(0, PartitionId(1), deploy_command("order", "pack"));
    if (!deployed.ok()) {
      ADD_FAILURE() << "deploying: " << deployed.error().message;
      return false;
    }
    return true;
  }

  std::shared_ptr<HeldFlusher> flusher;
  TestCluster cluster;
  ReleaseAtExit release_at_exit;
};

struct HeldFlushCluster {
  explicit HeldFlushCluster(const std::filesystem::path& root)
      : flushers{std::make_shared<HeldFlusher>(), std::make_shared<HeldFlusher>(),
                 std::make_shared<HeldFlusher>()},
        cluster(root, {.brokers = 3,
                       .replication_factor = 3,
                       .configure_replica =
                           [](std::int32_t, ReplicaOptions& options) {
                             options.election_ticks = 50;
                             options.idle_append_ms = 600000;
                           },
                       .configure_cluster =
                           [this](std::int32_t node, ClusterOptions& options) {
                             options.flusher = flushers[static_cast<std::size_t>(node)];
                           }}),
        release_at_exit{flushers} {}

  // Starts the brokers and deploys a process; the leader of partition 1, or none after a failure.
  std::optional<std::int32_t> start_with_a_deployment() {
    for (int i = 0; i < 3; ++i)
      cluster.start(i);
    auto deployed = cluster.submit_to_leader(PartitionId(1), deploy_command("order", "pack"));
    if (!deployed.ok()) {
      ADD_FAILURE() << "deploying: " << deployed.error().message;
      return std::nullopt;
    }
    return cluster.wait_for_leader(PartitionId(1), 10s);
  }

  std::vector<std::shared_ptr<HeldFlusher>> flushers;
  TestCluster cluster;
  ReleaseAtExit release_at_exit;  // declared last: releases the syncs before the cluster stops
};

struct Answer {
  std::mutex mutex;
  std::optional<SubmitResult> result;
  bool arrived() {
    std::lock_guard lock(mutex);
    return result.has_value();
  }
};

void submit_async(TestCluster& cluster, std::int32_t broker, engine::Record command,
                  std::shared_ptr<Answer> answer) {
  cluster.broker(broker)->submit(PartitionId(1), std::move(command), false,
                                 [answer](SubmitResult result) {
                                   std::lock_guard lock(answer->mutex);
                                   answer->result = std::move(result);
                                 });
}

TEST(JournalFlushOffStrand, SingleBrokerAnswersOnlyAfterTheSync) {
  tern::test::TempDir dir;
  HeldFlushBroker held(dir.path());
  ASSERT_TRUE(held.start_with_a_deployment());
  auto& cluster = held.cluster;
  auto& flusher = held.flusher;

  flusher->hold();
  auto answer = std::make_shared<Answer>();
  submit_async(cluster, 0, create_command("order"), answer);
  ASSERT_TRUE(wait_until([&] { return flusher->held() > 0; }, 10s));
  std::uint64_t appended = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        auto view = membership(cluster, 0);
        appended = view.last_index;
        return view.last_index > view.committed_index;
      },
      10s));
  // The strand keeps running (it answers this barrier) but commits nothing it has not synced.
  drain_strands(cluster, 0);
  drain_strands(cluster, 0);
  EXPECT_FALSE(answer->arrived());
  EXPECT_LT(membership(cluster, 0).committed_index, appended);

  flusher->release();
  ASSERT_TRUE(wait_until([&] { return answer->arrived(); }, 10s));
  EXPECT_TRUE(answer->result->ok()) << answer->result->error().message;
  EXPECT_GE(membership(cluster, 0).committed_index, appended);
}

// Pipelined syncs: a command that arrives while a sync is in flight is written and its sync
// queued at once (not after the first sync ends), up to ReplicaOptions::max_syncs_in_flight;
// nothing commits or answers before the syncs that cover it ended.
TEST(JournalFlushOffStrand, SingleBrokerQueuesTheNextSyncBehindTheOneInFlight) {
  tern::test::TempDir dir;
  HeldFlushBroker held(dir.path());
  ASSERT_TRUE(held.start_with_a_deployment());
  auto& cluster = held.cluster;
  auto& flusher = held.flusher;

  flusher->hold();
  auto first = std::make_shared<Answer>();
  submit_async(cluster, 0, create_command("order"), first);
  ASSERT_TRUE(wait_until([&] { return flusher->held() == 1; }, 10s));
  const std::uint64_t committed_before = membership(cluster, 0).committed_index;
  auto second = std::make_shared<Answer>();
  submit_async(cluster, 0, create_command("order"), second);
  // The second command's Ready is written and its sync queued behind the first.
  ASSERT_TRUE(wait_until([&] { return flusher->held() == 2; }, 10s));
  auto third = std::make_shared<Answer>();
  submit_async(cluster, 0, create_command("order"), third);
  drain_strands(cluster, 0);
  drain_strands(cluster, 0);
  EXPECT_EQ(flusher->held(), 2u);  // the bound: the third waits for the next group commit
  EXPECT_FALSE(first->arrived());
  EXPECT_FALSE(second->arrived());
  EXPECT_EQ(membership(cluster, 0).committed_index, committed_before);

  flusher->release();
  ASSERT_TRUE(
      wait_until([&] { return first->arrived() && second->arrived() && third->arrived(); }, 10s));
  EXPECT_TRUE(first->result->ok()) << first->result->error().message;
  EXPECT_TRUE(second->result->ok()) << second->result->error().message;
  EXPECT_TRUE(third->result->ok()) << third->result->error().message;
}

TEST(JournalFlushOffStrand, ThreeBrokersCommitOnlyWhatAQuorumSynced) {
  tern::test::TempDir dir;
  HeldFlushCluster held(dir.path());
  auto& cluster = held.cluster;
  auto& flushers = held.flushers;
  auto leader = held.start_with_a_deployment();
  ASSERT_TRUE(leader);
  std::vector<std::int32_t> followers;
  for (int i = 0; i < 3; ++i) {
    if (i != *leader) followers.push_back(i);
  }

  // Quiet first: everything so far committed everywhere, so the next entry is the command's.
  std::uint64_t base = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        auto view = membership(cluster, *leader);
        base = view.last_index;
        if (view.committed_index != base) return false;
        for (auto node : followers) {
          if (membership(cluster, node).committed_index != base) return false;
        }
        return true;
      },
      10s));
  for (auto& flusher : flushers)
    flusher->hold();
  auto answer = std::make_shared<Answer>();
  submit_async(cluster, *leader, create_command("order"), answer);
  // Every replica appended the command's entry (the leader's appends leave before its own sync)
  // and none has synced it.
  const std::uint64_t entry = base + 1;
  ASSERT_TRUE(wait_until([&] { return membership(cluster, *leader).last_index >= entry; }, 10s));
  ASSERT_TRUE(wait_until(
      [&] {
        for (auto node : followers) {
          if (membership(cluster, node).last_index < entry) return false;
        }
        return true;
      },
      10s));
  // (The log shown includes entries stepped but not yet handed to a flush: wait for the syncs.)
  ASSERT_TRUE(wait_until(
      [&] {
        for (auto& flusher : flushers) {
          if (flusher->held() == 0) return false;
        }
        return true;
      },
      10s));

  // The leader's own sync alone is one durable copy of three: no commit, no answer.
  flushers[static_cast<std::size_t>(*leader)]->release();
  drain_strands(cluster, *leader);
  drain_strands(cluster, *leader);
  EXPECT_LT(membership(cluster, *leader).committed_index, entry);
  EXPECT_FALSE(answer->arrived());

  // One follower's sync makes two of three: it commits and is answered while the other
  // follower's copy is still not durable.
  flushers[static_cast<std::size_t>(followers[0])]->release();
  ASSERT_TRUE(wait_until([&] { return answer->arrived(); }, 10s));
  EXPECT_TRUE(answer->result->ok()) << answer->result->error().message;
  EXPECT_GE(membership(cluster, *leader).committed_index, entry);
  EXPECT_GT(flushers[static_cast<std::size_t>(followers[1])]->held(), 0u);
  flushers[static_cast<std::size_t>(followers[1])]->release();
}

// Commits that arrive while the leader's own sync is in flight reach the engine at once
// (RaftNode::take_committed): with the leader's sync held for good and both followers syncing, the
// command commits on the followers' copies, the engine processes it, its follow-up events commit
// the same way, and the client is answered — all before the leader's own copy is durable.
TEST(JournalFlushOffStrand, ThreeBrokersAnswerWhileTheLeadersOwnSyncIsHeld) {
  tern::test::TempDir dir;
  HeldFlushCluster held(dir.path());
  auto& cluster = held.cluster;
  auto& flushers = held.flushers;
  auto leader = held.start_with_a_deployment();
  ASSERT_TRUE(leader);
  std::uint64_t base = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        auto view = membership(cluster, *leader);
        base = view.last_index;
        return view.committed_index == base;
      },
      10s));

  auto& leader_flusher = *flushers[static_cast<std::size_t>(*leader)];
  leader_flusher.hold();
  auto answer = std::make_shared<Answer>();
  submit_async(cluster, *leader, create_command("order"), answer);
  ASSERT_TRUE(wait_until([&] { return leader_flusher.held() > 0; }, 10s));
  // The command and its follow-up events commit on the followers' syncs alone.
  ASSERT_TRUE(wait_until([&] { return answer->arrived(); }, 10s));
  EXPECT_TRUE(answer->result->ok()) << answer->result->error().message;
  EXPECT_GT(membership(cluster, *leader).committed_index, base + 1);
  EXPECT_GT(leader_flusher.held(), 0u);  // the leader's sync never ran
  leader_flusher.release();
}

}  // namespace
}  // namespace tern::broker::test
