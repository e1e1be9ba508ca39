// The cluster topology replicated by "partition 0": three TopologyReplicas with real journals in
// temporary folders, their Raft messages routed in memory. A change submitted on the leader is
// applied identically everywhere; a follower refuses naming the leader; a second change while one
// runs is a conflict; a completion report moves every replica; a stopped replica that restarts
// from its folder (snapshot + log) holds the same topology; the group survives losing one member.

#include "broker/management/topology_replica.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "broker/management/replicated_topology_manager.h"
#include "management_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::management {
namespace {

namespace tp = tern::broker::topology;
using namespace std::chrono_literals;

class TopologyGroup {
 public:
  TopologyGroup(std::filesystem::path root, tp::ClusterTopology initial)
      : root_(std::move(root)), initial_(std::move(initial)), replicas_(initial_.brokers.size()) {
    work_.emplace(io_->get_executor());
    for (int i = 0; i < 2; ++i)
      threads_.emplace_back([this] { io_->run(); });
  }
  ~TopologyGroup() {
    for (std::size_t i = 0; i < replicas_.size(); ++i)
      stop(static_cast<int>(i));
    work_.reset();
    io_->stop();
    for (auto& thread : threads_)
      thread.join();
  }

  void start(int node) {
    TopologyReplicaOptions options;
    options.snapshot_entries = 2;  // snapshots early, so restarts restore from one
    options.durability = raft::journal::Durability::kSkip;
    auto replica = std::make_shared<TopologyReplica>(
        io_, NodeId(node), root_ / ("broker-" + std::to_string(node)), initial_, options,
        [this](NodeId to, PartitionId, const raft::Message& message) { route(to, message); });
    auto opened = replica->open();
    ASSERT_TRUE(opened.ok()) << opened.error();
    replica->start();
    std::lock_guard lock(mutex_);
    replicas_.at(static_cast<std::size_t>(node)) = std::move(replica);
  }

  void stop(int node) {
    std::shared_ptr<TopologyReplica> replica;
    {
      std::lock_guard lock(mutex_);
      replica = std::move(replicas_.at(static_cast<std::size_t>(node)));
    }
    if (replica) replica->stop();
  }

  std::shared_ptr<TopologyReplica> replica(int node) const {
    std::lock_guard lock(mutex_);
    return replicas_.at(static_cast<std::size_t>(node));
  }

  // The node every running replica names as leader, once they agree.
  std::optional<int> wait_for_leader(std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<NodeId> agreed;
      bool agree = true;
      for (std::size_t i = 0; i < replicas_.size() && agree; ++i) {
        auto running = replica(static_cast<int>(i));
        if (!running) continue;
        auto leader = running->leader();
        if (!leader || (agreed && *agreed != *leader)) agree = false;
        agreed = leader;
      }
      if (agree && agreed && replica(agreed->value())) return agreed->value();
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

  // Every running replica holds `topology` (within the timeout).
  bool converge(const tp::ClusterTopology& topology, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (std::size_t i = 0; i < replicas_.size(); ++i) {
        auto running = replica(static_cast<int>(i));
        if (running && running->topology() != topology) all = false;
      }
      if (all) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 private:
  void route(NodeId to, const raft::Message& message) {
    auto target = replica(to.value());
    if (target) target->receive(message);
  }

  std::filesystem::path root_;
  tp::ClusterTopology initial_;
  std::shared_ptr<asio::io_context> io_ = std::make_shared<asio::io_context>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<TopologyReplica>> replicas_;  // guarded by mutex_
};

TEST(TopologyReplica, ChangesAreReplicatedOrderedAndSurviveRestartsAndALostMember) {
  tern::test::TempDir dir;
  const auto initial = testing::region_cluster(3, 3, 3, 3);
  TopologyGroup group(dir.path(), initial);
  for (int node = 0; node < 3; ++node)
    group.start(node);
  auto leader = group.wait_for_leader(20s);
  ASSERT_TRUE(leader);

  // Without a transport to forward on, a follower refuses, naming the leader.
  const int follower = (*leader + 1) % 3;
  ReplicatedTopologyManager on_follower(group.replica(follower), testing::advancing_clock, 5s);
  tp::ChangeRequest lower_rf;
  lower_rf.replication_factor = 2;
  auto plan = tp::plan_change(initial, lower_rf);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto refused = on_follower.submit(*plan, initial.version);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ManagementErrc::kNotLeader);
  EXPECT_EQ(refused.error().leader, NodeId(*leader));
  EXPECT_NE(refused.error().message.find("broker " + std::to_string(*leader) + " leads"),
            std::string::npos)
      << refused.error().message;

  // The leader starts the change; every replica applies it.
  ReplicatedTopologyManager on_leader(group.replica(*leader), testing::advancing_clock, 10s);
  auto started = on_leader.submit(*plan, initial.version);
  ASSERT_TRUE(started.ok()) << started.error().message;
  const auto with_change = on_leader.current();
  ASSERT_TRUE(with_change.pending_change);
  EXPECT_EQ(with_change.pending_change->id, *started);
  EXPECT_EQ(with_change.pending_change->pending, plan->operations);
  EXPECT_TRUE(group.converge(with_change, 10s));

  // A second change while one runs: the state machine rejects it on every replica.
  auto second = on_leader.submit(*plan, with_change.version);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ManagementErrc::kConflict);
  EXPECT_NE(second.error().message.find("in progress"), std::string::npos)
      << second.error().message;

  // Completion reports, one per operation, finish the change everywhere.
  auto reported = testing::report_completed(on_leader, *started, plan->operations);
  ASSERT_TRUE(reported.ok()) << reported.error().message;
  const auto finished = on_leader.current();
  EXPECT_FALSE(finished.pending_change);
  ASSERT_TRUE(finished.last_change);
  EXPECT_EQ(finished.last_change->status, tp::ChangeStatus::kCompleted);
  EXPECT_EQ(finished.replication_factor, 2);
  for (const auto& [id, partitions] : finished.brokers)
    EXPECT_EQ(partitions.partitions.size(), 2u) << "broker " << id.value();
  ASSERT_TRUE(group.converge(finished, 10s));

  // Losing the leader leaves two of three voters: a new leader is elected and accepts changes.
  group.stop(*leader);
  auto next = group.wait_for_leader(20s);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *leader);
  ReplicatedTopologyManager on_next(group.replica(*next), testing::advancing_clock, 10s);
  tp::ChangeRequest restore_rf;
  restore_rf.replication_factor = 3;
  auto back = tp::plan_change(on_next.current(), restore_rf);
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto restarted_change = on_next.submit(*back, on_next.current().version);
  ASSERT_TRUE(restarted_change.ok()) << restarted_change.error().message;
  EXPECT_EQ(*restarted_change, *started + 1);
  const auto latest = on_next.current();
  ASSERT_TRUE(group.converge(latest, 10s));

  // Everyone stops; one replica restarts alone from its folder (a snapshot, taken every two
  // entries, plus its log) and holds the latest topology with nobody to learn it from.
  const int survivor = 3 - *leader - *next;
  for (int node = 0; node < 3; ++node)
    group.stop(node);
  group.start(survivor);
  EXPECT_TRUE(group.converge(latest, 10s));
  EXPECT_FALSE(group.replica(survivor)->leader());  // alone it is no quorum
}

}  // namespace
}  // namespace tern::broker::management
