// The reconciler drives whole changes in a model world: brokers run next_local_actions(), a
// Raft stand-in applies membership proposals at once (learners that run are promoted at once, a
// partition without a running leader elects its first running voter), and completion reports go
// through the TopologyStateMachine. Failover, failback and scaling must complete with every
// partition's Raft configuration equal to the topology. With the topology group modelled
// (partition 0 on every member broker, passed to the reconciler as kTopologyGroup), its
// membership must follow the brokers too.

#include "broker/topology/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "broker/topology/change_planner.h"
#include "broker/topology/topology_state_machine.h"

namespace tern::broker::topology {
namespace {

struct RaftGroup {
  std::set<NodeId> voters;
  std::set<NodeId> learners;
  NodeId leader{-1};
};

class World {
 public:
  explicit World(ClusterTopology initial, bool with_topology_group = false)
      : machine_(initial), with_group0_(with_topology_group) {
    if (with_group0_) {
      auto& group0 = groups_[kTopologyGroup];
      for (const auto& [id, broker] : initial.brokers) {
        group0.voters.insert(id);
        running_[id].insert(kTopologyGroup);
      }
      group0.leader = initial.brokers.begin()->first;
    }
    for (std::int32_t p = 1; p <= initial.partition_count; ++p) {
      auto& group = groups_[PartitionId(p)];
      std::int32_t best = 0;
      for (const auto& [id, replica] : initial.replicas_of(PartitionId(p))) {
        group.voters.insert(id);
        running_[id].insert(PartitionId(p));
        if (replica.priority > best) {
          best = replica.priority;
          group.leader = id;
        }
      }
    }
    for (const auto& [id, broker] : initial.brokers)
      alive_.insert(id);
  }

  void kill(NodeId id) {
    alive_.erase(id);
    running_.erase(id);
  }
  void start_fresh(NodeId id, BrokerIdentity identity) {
    alive_.insert(id);
    if (with_group0_) running_[id].insert(kTopologyGroup);  // not a member of it: waits
    TopologyCommand announce;
    announce.kind = TopologyCommandKind::kAnnounce;
    announce.broker = id;
    announce.identity = std::move(identity);
    EXPECT_TRUE(machine_.apply(announce).ok());
  }

  void submit(const ChangeRequest& request) {
    auto plan = plan_change(machine_.topology(), request, machine_.announced());
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    TopologyCommand start;
    start.kind = TopologyCommandKind::kStartChange;
    start.based_on_version = machine_.topology().version;
    start.replication_factor = plan->expected.replication_factor;
    start.operations = plan->operations;
    ASSERT_TRUE(machine_.apply(start).ok());
  }

  // Runs reconcile rounds until the change finished; returns the rounds taken (or -1).
  int run(int max_rounds) {
    for (int round = 0; round < max_rounds; ++round) {
      if (!machine_.topology().pending_change) return round;
      raft_step();
      for (NodeId broker : alive_) {
        auto actions = next_local_actions(machine_.topology(), broker, local_view(broker),
                                          FencingVerdict::kMember);
        for (const auto& action : actions)
          perform(broker, action);
      }
    }
    return machine_.topology().pending_change ? -1 : max_rounds;
  }

  // What the management endpoint does before a forced change: the topology group adopts the
  // survivors alone.
  void force_topology_group(const std::set<NodeId>& survivors) {
    auto& group0 = groups_.at(kTopologyGroup);
    group0.voters = survivors;
    group0.learners.clear();
  }

  // Every partition's Raft voters are exactly its replicas in the topology, all running.
  void expect_converged() {
    const auto& topology = machine_.topology();
    EXPECT_EQ(topology.last_change->status, ChangeStatus::kCompleted);
    if (with_group0_) {
      std::set<NodeId> members;
      for (const auto& [id, broker] : topology.brokers)
        members.insert(id);
      EXPECT_EQ(groups_[kTopologyGroup].voters, members) << "the topology group";
    }
    for (std::int32_t p = 1; p <= topology.partition_count; ++p) {
      std::set<NodeId> wanted;
      for (const auto& [id, replica] : topology.replicas_of(PartitionId(p))) {
        wanted.insert(id);
        EXPECT_TRUE(running_[id].count(PartitionId(p))) << "broker " << id << " partition " << p;
      }
      EXPECT_EQ(groups_[PartitionId(p)].voters, wanted) << "partition " << p;
    }
  }

  const ClusterTopology& topology() const { return machine_.topology(); }
  std::size_t smallest_group_seen() const { return smallest_; }

 private:
  std::map<PartitionId, LocalReplicaStatus> local_view(NodeId broker) {
    std::map<PartitionId, LocalReplicaStatus> view;
    for (PartitionId partition : running_[broker]) {
      const auto& group = groups_[partition];
      auto& status = view[partition];
      status.running = true;
      status.leader = group.leader == broker;
      status.voters.assign(group.voters.begin(), group.voters.end());
      status.learners.assign(group.learners.begin(), group.learners.end());
    }
    return view;
  }

  void raft_step() {
    for (auto& [partition, group] : groups_) {
      for (auto it = group.learners.begin(); it != group.learners.end();) {
        if (running_[*it].count(partition)) {
          group.voters.insert(*it);
          it = group.learners.erase(it);
        } else {
          ++it;
        }
      }
      if (!group.voters.count(group.leader) || !running_[group.leader].count(partition)) {
        group.leader = NodeId(-1);
        for (NodeId voter : group.voters) {
          if (running_[voter].count(partition)) {
            group.leader = voter;
            break;
          }
        }
      }
      if (partition != kTopologyGroup) smallest_ = std::min(smallest_, group.voters.size());
    }
  }

  void perform(NodeId broker, const LocalAction& action) {
    if (action.kind == LocalActionKind::kReportCompleted) {
      TopologyCommand report;
      report.kind = TopologyCommandKind::kCompleteOperation;
      report.change_id = action.change_id;
      report.operation = action.operation;
      (void)machine_.apply(report);  // a second reporter's duplicate is rejected: fine
      return;
    }
    ASSERT_TRUE(groups_.count(action.partition)) << "no partition " << action.partition;
    auto& group = groups_.at(action.partition);
    switch (action.kind) {
      case LocalActionKind::kStartReplica:
        running_[broker].insert(action.partition);
        break;
      case LocalActionKind::kStopReplica:
        running_[broker].erase(action.partition);
        break;
      case LocalActionKind::kProposeAddLearner:
        group.learners.insert(action.target);
        break;
      case LocalActionKind::kProposeRemove:
        group.voters.erase(action.target);
        group.learners.erase(action.target);
        break;
      case LocalActionKind::kTransferLeadership:
        for (NodeId voter : group.voters) {
          if (voter != broker && running_[voter].count(action.partition)) {
            group.leader = voter;
            break;
          }
        }
        break;
      case LocalActionKind::kForceConfiguration:
        group.voters = std::set<NodeId>(action.members.begin(), action.members.end());
        group.learners.clear();
        break;
      case LocalActionKind::kSetPriority:
        break;
      case LocalActionKind::kReportCompleted:
        break;
    }
  }

  TopologyStateMachine machine_;
  std::map<PartitionId, RaftGroup> groups_;
  std::map<NodeId, std::set<PartitionId>> running_;
  std::set<NodeId> alive_;
  bool with_group0_ = false;
  std::size_t smallest_ = SIZE_MAX;
};

ClusterTopology cluster(std::int32_t brokers, std::int32_t partitions, std::int32_t rf,
                        std::int32_t regions) {
  std::vector<BrokerInfo> list;
  for (std::int32_t id = 0; id < brokers; ++id) {
    BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = "127.0.0.1:" + std::to_string(32000 + id);
    broker.region = std::to_string(id % regions);
    list.push_back(broker);
  }
  return initial_topology(list, partitions, rf);
}

TEST(Reconciler, FailoverThenFailbackOfRegionOneConverges) {
  World world(cluster(8, 8, 4, 2));
  for (std::int32_t id : {1, 3, 5, 7})
    world.kill(NodeId(id));
  world.submit({{}, {NodeId(1), NodeId(3), NodeId(5), NodeId(7)}, {}, ChangeMode::kForce});
  ASSERT_GT(world.run(100), 0);
  world.expect_converged();
  for (std::int32_t p = 1; p <= 8; ++p)
    EXPECT_EQ(world.topology().replicas_of(PartitionId(p)).size(), 2u);

  for (std::int32_t id : {1, 3, 5, 7})
    world.start_fresh(NodeId(id), {"127.0.0.1:" + std::to_string(42000 + id), "1"});
  world.submit({{NodeId(1), NodeId(3), NodeId(5), NodeId(7)}, {}, 4, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
  for (std::int32_t p = 1; p <= 8; ++p)
    EXPECT_EQ(world.topology().replicas_of(PartitionId(p)).size(), 4u);
}

TEST(Reconciler, ScalingOutAndInConvergesWithoutShrinkingAGroupBelowItsFactor) {
  World world(cluster(3, 6, 3, 1));
  for (std::int32_t id : {3, 4, 5})
    world.start_fresh(NodeId(id), {"127.0.0.1:" + std::to_string(42000 + id), "0"});
  world.submit({{NodeId(3), NodeId(4), NodeId(5)}, {}, {}, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
  world.submit({{}, {NodeId(3), NodeId(4), NodeId(5)}, {}, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
  EXPECT_EQ(world.topology().brokers.size(), 3u);
  EXPECT_GE(world.smallest_group_seen(), 3u);
}

TEST(Reconciler, WithTheTopologyGroupScalingAddsAndRemovesItsMembersToo) {
  World world(cluster(3, 6, 3, 1), true);
  for (std::int32_t id : {3, 4, 5})
    world.start_fresh(NodeId(id), {"127.0.0.1:" + std::to_string(42000 + id), "0"});
  world.submit({{NodeId(3), NodeId(4), NodeId(5)}, {}, {}, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
  // Removing the topology group's leader (broker 0) too: it hands leadership over first.
  world.submit({{}, {NodeId(0), NodeId(4), NodeId(5)}, {}, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
  EXPECT_EQ(world.topology().brokers.size(), 3u);
  EXPECT_GE(world.smallest_group_seen(), 3u);
}

TEST(Reconciler, WithTheTopologyGroupFailoverThenFailbackConverges) {
  World world(cluster(4, 4, 4, 2), true);
  for (std::int32_t id : {1, 3})
    world.kill(NodeId(id));
  world.force_topology_group({NodeId(0), NodeId(2)});
  world.submit({{}, {NodeId(1), NodeId(3)}, {}, ChangeMode::kForce});
  ASSERT_GT(world.run(100), 0);
  world.expect_converged();
  for (std::int32_t id : {1, 3})
    world.start_fresh(NodeId(id), {"127.0.0.1:" + std::to_string(42000 + id), "1"});
  world.submit({{NodeId(1), NodeId(3)}, {}, 4, ChangeMode::kSafe});
  ASSERT_GT(world.run(500), 0);
  world.expect_converged();
}

TEST(Reconciler, BrokerAddIsTheTopologyLeadersToPerform) {
  auto topology = cluster(2, 1, 2, 1);
  TopologyStateMachine machine(topology);
  TopologyCommand announce;
  announce.kind = TopologyCommandKind::kAnnounce;
  announce.broker = NodeId(2);
  announce.identity = {"127.0.0.1:42002", "0"};
  ASSERT_TRUE(machine.apply(announce).ok());
  auto plan = plan_change(machine.topology(), {{NodeId(2)}, {}, {}, ChangeMode::kSafe},
                          machine.announced());
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  TopologyCommand start;
  start.kind = TopologyCommandKind::kStartChange;
  start.based_on_version = machine.topology().version;
  start.replication_factor = plan->expected.replication_factor;
  start.operations = plan->operations;
  ASSERT_TRUE(machine.apply(start).ok());
  ASSERT_EQ(machine.topology().pending_change->pending.front().kind, OperationKind::kBrokerAdd);

  std::map<PartitionId, LocalReplicaStatus> leader;
  leader[kTopologyGroup] = LocalReplicaStatus{true, true, {NodeId(0), NodeId(1)}, {}};
  leader[PartitionId(1)] = LocalReplicaStatus{true, true, {NodeId(0), NodeId(1)}, {}};
  auto actions = next_local_actions(machine.topology(), NodeId(0), leader, FencingVerdict::kMember);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, LocalActionKind::kProposeAddLearner);
  EXPECT_EQ(actions[0].partition, kTopologyGroup);
  EXPECT_EQ(actions[0].target, NodeId(2));
  // While it is a learner nothing more; once a voter, the leader reports.
  leader[kTopologyGroup].learners = {NodeId(2)};
  EXPECT_TRUE(
      next_local_actions(machine.topology(), NodeId(0), leader, FencingVerdict::kMember).empty());
  // Promoted, but the promotion is not committed yet: no report (a new leader could lose it).
  leader[kTopologyGroup] =
      LocalReplicaStatus{true, true, {NodeId(0), NodeId(1), NodeId(2)}, {}, false};
  EXPECT_TRUE(
      next_local_actions(machine.topology(), NodeId(0), leader, FencingVerdict::kMember).empty());
  leader[kTopologyGroup].configuration_committed = true;
  actions = next_local_actions(machine.topology(), NodeId(0), leader, FencingVerdict::kMember);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, LocalActionKind::kReportCompleted);
  // The new broker itself does nothing for it; a follower of the group neither.
  std::map<PartitionId, LocalReplicaStatus> fresh;
  fresh[kTopologyGroup] = LocalReplicaStatus{true, false, {}, {}};
  EXPECT_TRUE(
      next_local_actions(machine.topology(), NodeId(2), fresh, FencingVerdict::kUnknown).empty());
  std::map<PartitionId, LocalReplicaStatus> follower = leader;
  follower[kTopologyGroup].leader = false;
  follower[PartitionId(1)].leader = false;
  EXPECT_TRUE(
      next_local_actions(machine.topology(), NodeId(1), follower, FencingVerdict::kMember).empty());
}

TEST(Reconciler, AFencedBrokerDoesNothing) {
  auto topology = cluster(2, 1, 2, 2);
  std::map<PartitionId, LocalReplicaStatus> local;
  local[PartitionId(1)] = LocalReplicaStatus{true, true, {NodeId(0), NodeId(1)}, {}};
  EXPECT_TRUE(next_local_actions(topology, NodeId(1), local, FencingVerdict::kFenced).empty());
  // Not fenced, nothing pending, replica assigned and running: nothing to do either.
  EXPECT_TRUE(next_local_actions(topology, NodeId(1), local, FencingVerdict::kMember).empty());
  // Assigned but not running: start it.
  auto start = next_local_actions(topology, NodeId(1), {}, FencingVerdict::kMember);
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].kind, LocalActionKind::kStartReplica);
}

}  // namespace
}  // namespace tern::broker::topology
