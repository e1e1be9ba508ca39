// Topology commands from any broker: TopologyReplicas with real journals, each behind its own
// ClusterTransport on loopback, each with a ReplicatedTopologyManager that forwards to the topology
// leader (TopologyPeers). A change submitted on a follower commits everywhere with the leader's
// verdict (a conflict included); completion reports from another follower too; after the leader
// is lost a follower's submission waits for the next leader and commits. With two of four brokers
// lost the survivors are no quorum: restore_quorum forces the group to them (the most up-to-date
// survivor campaigns), after which a forced change commits; it refuses to force while a survivor
// is missing, and forces nothing when the survivors still hold a quorum.

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "broker/management/replicated_topology_manager.h"
#include "broker/management/topology_peers.h"
#include "broker/management/topology_replica.h"
#include "broker/transport/cluster_transport.h"
#include "management_test_support.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/temp_dir.h"

namespace tern::broker::management {
namespace {

namespace tp = tern::broker::topology;
using namespace std::chrono_literals;

using tern::test::eventually;

// One broker: its replica of partition 0, its transport, its manager.
struct Broker {
  std::shared_ptr<TopologyReplica> replica;
  std::unique_ptr<ClusterTransport> transport;
  std::shared_ptr<ReplicatedTopologyManager> manager;
  std::mutex send_mutex;  // guards `transport` for the replica's sends while it is replaced
};

class ForwardingCluster {
 public:
  ForwardingCluster(std::filesystem::path root, tp::ClusterTopology initial)
      : root_(std::move(root)), initial_(std::move(initial)) {
    for (std::size_t i = 0; i < initial_.brokers.size(); ++i) {
      ports_.push_back(tern::test::free_port());
      brokers_.push_back(std::make_unique<Broker>());
    }
    work_.emplace(io_->get_executor());
    for (int i = 0; i < 2; ++i)
      threads_.emplace_back([this] { io_->run(); });
  }
  ~ForwardingCluster() {
    for (std::size_t i = 0; i < brokers_.size(); ++i)
      stop(static_cast<int>(i));
    work_.reset();
    io_->stop();
    for (auto& thread : threads_)
      thread.join();
  }

  void start(int node, std::chrono::milliseconds commit_timeout = 10s) {
    Broker& broker = *brokers_.at(static_cast<std::size_t>(node));
    TopologyReplicaOptions options;
    options.durability = raft::journal::Durability::kSkip;
    broker.replica = std::make_shared<TopologyReplica>(
        io_, NodeId(node), root_ / ("broker-" + std::to_string(node)), initial_, options,
        [&broker](NodeId to, PartitionId partition, const raft::Message& message) {
          std::lock_guard lock(broker.send_mutex);
          if (broker.transport) broker.transport->send(to, partition, message);
        });
    auto opened = broker.replica->open();
    ASSERT_TRUE(opened.ok()) << opened.error();
    TransportOptions transport;
    transport.self = NodeId(node);
    transport.port = ports_.at(static_cast<std::size_t>(node));
    for (std::size_t i = 0; i < ports_.size(); ++i) {
      if (static_cast<int>(i) != node)
        transport.contact_points.push_back("127.0.0.1:" + std::to_string(ports_[i]));
    }
    auto replica = broker.replica;
    auto started = ClusterTransport::start(
        transport, [replica](NodeId, PartitionId partition, std::vector<raft::Message> batch) {
          if (partition != TopologyReplica::kPartition) return;
          for (auto& message : batch)
            replica->receive(std::move(message));
        });
    ASSERT_TRUE(started.ok()) << started.error();
    {
      std::lock_guard lock(broker.send_mutex);
      broker.transport = std::move(*started);
    }
    serve_topology_requests(*broker.transport, broker.replica);
    broker.manager = std::make_shared<ReplicatedTopologyManager>(
        broker.replica, testing::advancing_clock, commit_timeout,
        std::make_shared<TopologyPeers>(*broker.transport));
    broker.replica->start();
  }

  // The broker is gone (as with kill -9 as far as its peers can tell).
  void stop(int node) {
    Broker& broker = *brokers_.at(static_cast<std::size_t>(node));
    if (!broker.replica) return;
    broker.replica->stop();
    broker.transport->shutdown();
    broker.manager.reset();
    broker.replica.reset();
    std::lock_guard lock(broker.send_mutex);
    broker.transport.reset();
  }

  ReplicatedTopologyManager& manager(int node) { return *brokers_.at(node)->manager; }
  TopologyReplica& replica(int node) { return *brokers_.at(node)->replica; }
  bool running(int node) const { return brokers_.at(node)->replica != nullptr; }

  std::optional<int> wait_for_leader(std::chrono::milliseconds timeout) {
    std::optional<int> found;
    eventually(
        [&] {
          for (std::size_t i = 0; i < brokers_.size(); ++i) {
            if (running(static_cast<int>(i))
                && replica(static_cast<int>(i)).raft_status().role == raft::Role::kLeader) {
              found = static_cast<int>(i);
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  bool converge(const tp::ClusterTopology& topology, std::chrono::milliseconds timeout) {
    return eventually(
        [&] {
          for (std::size_t i = 0; i < brokers_.size(); ++i) {
            if (running(static_cast<int>(i)) && replica(static_cast<int>(i)).topology() != topology)
              return false;
          }
          return true;
        },
        timeout);
  }

 private:
  std::filesystem::path root_;
  tp::ClusterTopology initial_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::unique_ptr<Broker>> brokers_;
  std::shared_ptr<asio::io_context> io_ = std::make_shared<asio::io_context>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

TEST(TopologyForwarding, AnyBrokerSubmitsAndReportsThroughTheLeader) {
  tern::test::TempDir dir;
  const auto initial = testing::region_cluster(3, 3, 3, 3);
  ForwardingCluster cluster(dir.path(), initial);
  for (int node = 0; node < 3; ++node)
    cluster.start(node);
  auto leader = cluster.wait_for_leader(20s);
  ASSERT_TRUE(leader);
  const int follower = (*leader + 1) % 3;
  const int other = (*leader + 2) % 3;
  ASSERT_TRUE(
      eventually([&] { return cluster.replica(follower).leader() == NodeId(*leader); }, 10s));

  // Submitted on a follower: forwarded, committed, applied everywhere.
  tp::ChangeRequest lower_rf;
  lower_rf.replication_factor = 2;
  auto plan = tp::plan_change(initial, lower_rf);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto started = cluster.manager(follower).submit(*plan, initial.version);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(*started, initial.next_change_id());
  const auto with_change = cluster.replica(*leader).topology();
  ASSERT_TRUE(with_change.pending_change);
  EXPECT_EQ(with_change.pending_change->pending, plan->operations);
  ASSERT_TRUE(cluster.converge(with_change, 10s));

  // The leader's verdict travels back: a second change while one runs is a conflict.
  auto second = cluster.manager(other).submit(*plan, with_change.version);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ManagementErrc::kConflict);
  EXPECT_NE(second.error().message.find("in progress"), std::string::npos)
      << second.error().message;

  // Completion reports from the other follower finish the change everywhere.
  auto reported = testing::report_completed(cluster.manager(other), *started, plan->operations);
  ASSERT_TRUE(reported.ok()) << reported.error().message;
  const auto finished = cluster.replica(*leader).topology();
  ASSERT_TRUE(finished.last_change);
  EXPECT_EQ(finished.last_change->status, tp::ChangeStatus::kCompleted);
  EXPECT_EQ(finished.replication_factor, 2);
  ASSERT_TRUE(cluster.converge(finished, 10s));

  // The leader is lost: a follower's submission waits for the next leader and commits there.
  cluster.stop(*leader);
  tp::ChangeRequest restore_rf;
  restore_rf.replication_factor = 3;
  auto back = tp::plan_change(finished, restore_rf);
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto after_loss = cluster.manager(follower).submit(*back, finished.version);
  ASSERT_TRUE(after_loss.ok()) << after_loss.error().message;
  EXPECT_EQ(*after_loss, *started + 1);
  auto next = cluster.wait_for_leader(10s);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE(cluster.replica(*next).topology().pending_change);
  EXPECT_TRUE(cluster.converge(cluster.replica(*next).topology(), 10s));
}

TEST(TopologyForwarding, SurvivorsWithoutQuorumForceTheGroupThenChangeIt) {
  tern::test::TempDir dir;
  const auto initial = testing::region_cluster(4, 4, 4, 2);
  ForwardingCluster cluster(dir.path(), initial);
  for (int node = 0; node < 4; ++node)
    cluster.start(node, node == 2 ? 1s : 10s);
  ASSERT_TRUE(cluster.wait_for_leader(20s));

  // Three of four still hold a quorum: nothing is forced.
  auto alive = cluster.manager(0).restore_quorum({NodeId(0), NodeId(1), NodeId(2)});
  ASSERT_TRUE(alive.ok()) << alive.error().message;
  EXPECT_EQ(cluster.replica(0).raft_status().voters,
            (std::vector{NodeId(0), NodeId(1), NodeId(2), NodeId(3)}));

  // Region 1 (brokers 1 and 3) is lost: no quorum, no leader.
  cluster.stop(1);
  cluster.stop(3);
  ASSERT_TRUE(eventually(
      [&] {
        return cluster.replica(0).raft_status().role != raft::Role::kLeader
               && cluster.replica(2).raft_status().role != raft::Role::kLeader;
      },
      20s));

  // Naming a lost broker as a survivor: they hold "a quorum" that cannot elect anybody; the
  // manager gives up with the reason (broker 2's manager waits 3 x 1 s).
  auto wrong = cluster.manager(2).restore_quorum({NodeId(0), NodeId(1), NodeId(2)});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ManagementErrc::kUnavailable);
  EXPECT_NE(wrong.error().message.find("not elected a leader"), std::string::npos)
      << wrong.error().message;

  // The survivors 0 and 2 take the group over; a forced removal then commits from either.
  auto restored = cluster.manager(0).restore_quorum({NodeId(0), NodeId(2)});
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  EXPECT_TRUE(*leader == 0 || *leader == 2);
  EXPECT_EQ(cluster.replica(*leader).raft_status().voters, (std::vector{NodeId(0), NodeId(2)}));
  EXPECT_EQ(cluster.replica(*leader).raft_status().fenced, (std::vector{NodeId(1), NodeId(3)}));

  const auto current = cluster.replica(2).topology();
  tp::ChangeRequest failover;
  failover.remove = {NodeId(1), NodeId(3)};
  failover.mode = tp::ChangeMode::kForce;
  auto plan = tp::plan_change(current, failover);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto started = cluster.manager(2).submit(*plan, current.version);
  ASSERT_TRUE(started.ok()) << started.error().message;
  const auto with_change = cluster.replica(*leader).topology();
  ASSERT_TRUE(with_change.pending_change);
  EXPECT_EQ(with_change.pending_change->id, *started);
  EXPECT_TRUE(cluster.converge(with_change, 10s));

  // Asked again, the group already is the survivors': nothing more is forced.
  EXPECT_TRUE(cluster.manager(2).restore_quorum({NodeId(0), NodeId(2)}).ok());
}

}  // namespace
}  // namespace tern::broker::management
