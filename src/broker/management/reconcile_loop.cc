#include "broker/management/reconcile_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tern::broker::management {

namespace tp = tern::broker::topology;
using SteadyClock = std::chrono::steady_clock;

ReconcileLoop::ReconcileLoop(NodeId self, std::shared_ptr<PartitionManager> partitions,
                             TopologySource topology,
                             std::shared_ptr<MembershipControl> topology_group, Report report,
                             Clock clock, Verdict verdict, ReconcileLoopOptions options)
    : self_(self),
      partitions_(std::move(partitions)),
      topology_(std::move(topology)),
      topology_group_(std::move(topology_group)),
      report_(std::move(report)),
      clock_(std::move(clock)),
      verdict_(std::move(verdict)),
      options_(options) {}

ReconcileLoop::~ReconcileLoop() {
  stop();
}

void ReconcileLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void ReconcileLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReconcileLoop::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_all();
}

void ReconcileLoop::run() {
  spdlog::info("reconcile loop: started (broker {})", self_.value());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    // A pass that did something is followed by another at once: its effects (a started replica,
    // a proposed change) usually enable the next step.
    const int performed = reconcile_once();
    lock.lock();
    if (performed > 0) continue;
    wakeup_.wait_for(lock, options_.period, [this] { return stopping_ || woken_; });
  }
  spdlog::info("reconcile loop: stopped");
}

bool ReconcileLoop::topology_current() const {
  if (!topology_group_) return true;
  const GroupMembership group = topology_group_->membership();
  return group.running && group.known_leader.has_value()
         && group.applied_index >= group.committed_index;
}

std::map<PartitionId, tp::LocalReplicaStatus> ReconcileLoop::local_statuses() const {
  std::map<PartitionId, tp::LocalReplicaStatus> out;
  auto add = [&out](PartitionId id, const GroupMembership& group) {
    out[id] = tp::LocalReplicaStatus{group.running, group.leader, group.voters, group.learners,
                                     group.configuration_committed};
  };
  for (const auto& partition : partitions_->partition_objects()) {
    if (auto control = partitions_->membership_control(partition->id()))
      add(partition->id(), control->membership());
  }
  if (topology_group_) add(tp::kTopologyGroup, topology_group_->membership());
  return out;
}

int ReconcileLoop::reconcile_once() {
  if (!topology_current()) return 0;
  const tp::ClusterTopology topology = topology_();
  if (topology.version != placement_version_) {
    // The subscription protocol sends a partition's commands to its current replicas.
    std::map<PartitionId, std::vector<NodeId>> placement;
    for (std::int32_t p = 1; p <= topology.partition_count; ++p) {
      for (const auto& [id, replica] : topology.replicas_of(PartitionId(p)))
        placement[PartitionId(p)].push_back(id);
    }
    partitions_->set_placement(std::move(placement));
    placement_version_ = topology.version;
  }
  const auto actions = tp::next_local_actions(topology, self_, local_statuses(),
                                              verdict_ ? verdict_() : tp::FencingVerdict::kMember);
  int performed = 0;
  for (const auto& action : actions) {
    if (perform(action, topology)) ++performed;
  }
  return performed;
}

bool ReconcileLoop::perform(const tp::LocalAction& action, const tp::ClusterTopology& topology) {
  const std::string key = tp::describe(action);
  auto now = SteadyClock::now();
  const bool immediate = action.kind == tp::LocalActionKind::kStartReplica
                         || action.kind == tp::LocalActionKind::kStopReplica;
  auto found = attempts_.find(key);
  if (!immediate && found != attempts_.end() && now - found->second.last < options_.retry)
    return false;
  if (action.kind == tp::LocalActionKind::kForceConfiguration && !force_turn(action, topology))
    return false;
  attempts_[key].last = now;
  auto outcome = execute(action, topology);
  note(key, outcome);
  if (!outcome && action.kind == tp::LocalActionKind::kStartReplica
      && ++attempts_[key].failures >= options_.start_failures_before_fail
      && topology.pending_change) {
    tp::TopologyCommand fail;
    fail.kind = tp::TopologyCommandKind::kFailChange;
    fail.time_ms = clock_();
    fail.change_id = topology.pending_change->id;
    fail.reason =
        "broker " + std::to_string(self_.value()) + " cannot " + key + ": " + outcome.error();
    auto failed = report_(fail);
    spdlog::warn("reconcile: reporting change {} failed ({}): {}", fail.change_id, fail.reason,
                 failed ? "committed" : failed.error().message);
    attempts_[key].failures = 0;
  }
  if (outcome && action.kind != tp::LocalActionKind::kStartReplica) attempts_[key].failures = 0;
  return static_cast<bool>(outcome);
}

Result<void, std::string> ReconcileLoop::execute(const tp::LocalAction& action,
                                                 const tp::ClusterTopology& topology) {
  auto control = [&]() -> std::shared_ptr<MembershipControl> {
    if (action.partition == tp::kTopologyGroup) return topology_group_;
    return partitions_->membership_control(action.partition);
  };
  switch (action.kind) {
    case tp::LocalActionKind::kStartReplica:
      // At runtime a replica always joins: only a broker's very first start as an initial member
      // bootstraps (the daemon does that before the loop runs).
      return partitions_->start_replica(action.partition,
                                        priority_order(topology, action.partition, std::nullopt),
                                        ReplicaStart::kJoin);
    case tp::LocalActionKind::kStopReplica:
      return partitions_->stop_replica(action.partition, ReplicaData::kDelete);
    case tp::LocalActionKind::kProposeAddLearner:
    case tp::LocalActionKind::kProposeRemove: {
      auto group = control();
      if (!group) return unexpected(std::string("no local replica"));
      raft::ConfigChange change;
      change.type = action.kind == tp::LocalActionKind::kProposeAddLearner
                        ? raft::ConfigChangeType::kAddLearner
                        : raft::ConfigChangeType::kRemoveNode;
      change.node = action.target;
      return group->change_membership(change);
    }
    case tp::LocalActionKind::kTransferLeadership: {
      auto group = control();
      if (!group) return unexpected(std::string("no local replica"));
      return group->transfer_leadership_away();
    }
    case tp::LocalActionKind::kForceConfiguration: {
      auto group = control();
      if (!group) return unexpected(std::string("no local replica"));
      return group->force_configuration(action.members);
    }
    case tp::LocalActionKind::kSetPriority:
      return partitions_->set_priority_order(
          action.partition, priority_order(topology, action.partition, action.priority));
    case tp::LocalActionKind::kReportCompleted: {
      tp::TopologyCommand report;
      report.kind = tp::TopologyCommandKind::kCompleteOperation;
      report.time_ms = clock_();
      report.change_id = action.change_id;
      report.operation = action.operation;
      auto reported = report_(report);
      if (!reported) return unexpected(reported.error().message);
      return {};
    }
  }
  return unexpected(std::string("unknown action"));
}

bool ReconcileLoop::force_turn(const tp::LocalAction& action, const tp::ClusterTopology& topology) {
  const std::int64_t change = topology.pending_change ? topology.pending_change->id : 0;
  auto now = SteadyClock::now();
  auto [seen, inserted] = force_seen_.try_emplace({change, action.partition}, now);
  std::vector<NodeId> members = action.members;
  std::sort(members.begin(), members.end());
  const auto rank = std::find(members.begin(), members.end(), self_) - members.begin();
  const auto round = options_.force_stagger * static_cast<int>(members.size());
  // Turns repeat every `round`: this broker's turn is at `rank` staggers into each round.
  const auto elapsed = now - seen->second;
  const auto into_round = elapsed % round;
  const auto turn = options_.force_stagger * static_cast<int>(rank);
  return into_round >= turn && into_round < turn + options_.force_stagger;
}

std::vector<NodeId> ReconcileLoop::priority_order(const tp::ClusterTopology& topology,
                                                  PartitionId partition,
                                                  std::optional<std::int32_t> own_priority) const {
  std::map<NodeId, std::int32_t> priorities;
  for (const auto& [id, replica] : topology.replicas_of(partition))
    priorities[id] = replica.priority;
  if (topology.pending_change && !topology.pending_change->pending.empty()) {
    const tp::Operation& next = topology.pending_change->pending.front();
    if (next.kind == tp::OperationKind::kPartitionJoin && next.partition == partition)
      priorities[next.broker] = next.priority;
  }
  if (own_priority) priorities[self_] = *own_priority;
  if (!priorities.count(self_)) priorities[self_] = 0;
  std::vector<NodeId> order;
  for (const auto& [id, priority] : priorities)
    order.push_back(id);
  std::stable_sort(order.begin(), order.end(),
                   [&](NodeId a, NodeId b) { return priorities[a] > priorities[b]; });
  return order;
}

void ReconcileLoop::note(const std::string& key, const Result<void, std::string>& outcome) {
  Attempt& attempt = attempts_[key];
  const std::string text = outcome ? "done" : outcome.error();
  auto now = SteadyClock::now();
  if (text == attempt.outcome && now - attempt.logged < std::chrono::seconds(10)) return;
  attempt.outcome = text;
  attempt.logged = now;
  if (outcome) {
    spdlog::info("reconcile: {}", key);
  } else {
    spdlog::info("reconcile: {}: not now ({})", key, text);
  }
}

}  // namespace tern::broker::management
