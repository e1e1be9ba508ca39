#include "broker/topology/reconciler.h"

#include <algorithm>
#include <set>

namespace tern::broker::topology {
namespace {

bool contains(const std::vector<NodeId>& list, NodeId id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

bool same_members(std::vector<NodeId> a, std::vector<NodeId> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

LocalAction action(LocalActionKind kind, PartitionId partition) {
  LocalAction out;
  out.kind = kind;
  out.partition = partition;
  return out;
}

LocalAction report(std::int64_t change_id, const Operation& operation) {
  LocalAction out = action(LocalActionKind::kReportCompleted, operation.partition);
  out.change_id = change_id;
  out.operation = operation;
  return out;
}

// The actions for the pending change's next operation, as far as `self` takes part.
void act_on(const Operation& op, std::int64_t change_id, const ClusterTopology& topology,
            NodeId self, const std::map<PartitionId, LocalReplicaStatus>& local,
            std::vector<LocalAction>& out) {
  auto it = local.find(op.partition);
  const LocalReplicaStatus* replica = it == local.end() ? nullptr : &it->second;
  auto group0_it = local.find(kTopologyGroup);
  const LocalReplicaStatus* group0 = group0_it == local.end() ? nullptr : &group0_it->second;
  const bool running = replica && replica->running;
  const bool leading = running && replica->leader;
  switch (op.kind) {
    case OperationKind::kPartitionJoin:
      if (op.broker == self && !running) {
        out.push_back(action(LocalActionKind::kStartReplica, op.partition));
      }
      if (leading) {
        if (contains(replica->voters, op.broker)) {
          if (replica->configuration_committed) out.push_back(report(change_id, op));
        } else if (!contains(replica->learners, op.broker)) {
          LocalAction add = action(LocalActionKind::kProposeAddLearner, op.partition);
          add.target = op.broker;
          out.push_back(add);
        }
      }
      break;
    case OperationKind::kPartitionLeave:
      if (leading && op.broker == self) {
        out.push_back(action(LocalActionKind::kTransferLeadership, op.partition));
      } else if (leading) {
        if (contains(replica->voters, op.broker) || contains(replica->learners, op.broker)) {
          LocalAction remove = action(LocalActionKind::kProposeRemove, op.partition);
          remove.target = op.broker;
          out.push_back(remove);
        } else if (replica->configuration_committed) {
          out.push_back(report(change_id, op));
        }
      }
      if (op.broker == self && running && !replica->leader && !contains(replica->voters, self)) {
        out.push_back(action(LocalActionKind::kStopReplica, op.partition));
      }
      break;
    case OperationKind::kPartitionReconfigurePriority:
      if (op.broker == self) {
        LocalAction set = action(LocalActionKind::kSetPriority, op.partition);
        set.priority = op.priority;
        out.push_back(set);
        out.push_back(report(change_id, op));
      }
      break;
    case OperationKind::kPartitionForceReconfigure:
      if (contains(op.members, self) && running && !same_members(replica->voters, op.members)) {
        LocalAction force = action(LocalActionKind::kForceConfiguration, op.partition);
        force.members = op.members;
        out.push_back(force);
      }
      if (op.broker == self && running && same_members(replica->voters, op.members)
          && replica->configuration_committed) {
        out.push_back(report(change_id, op));
      }
      break;
    case OperationKind::kBrokerAdd:
      if (group0 == nullptr) {
        if (op.broker == self) out.push_back(report(change_id, op));
      } else if (group0->running && group0->leader) {
        // The new broker's topology replica joins partition 0 as a learner; Raft promotes it
        // once caught up, and the broker counts as added once it votes there.
        if (contains(group0->voters, op.broker)) {
          if (group0->configuration_committed) out.push_back(report(change_id, op));
        } else if (!contains(group0->learners, op.broker)) {
          LocalAction add = action(LocalActionKind::kProposeAddLearner, kTopologyGroup);
          add.target = op.broker;
          out.push_back(add);
        }
      }
      break;
    case OperationKind::kBrokerRemove: {
      if (group0 != nullptr) {
        if (!group0->running || !group0->leader) break;
        if (op.broker == self) {
          out.push_back(action(LocalActionKind::kTransferLeadership, kTopologyGroup));
        } else if (contains(group0->voters, op.broker) || contains(group0->learners, op.broker)) {
          LocalAction remove = action(LocalActionKind::kProposeRemove, kTopologyGroup);
          remove.target = op.broker;
          out.push_back(remove);
        } else if (group0->configuration_committed) {
          out.push_back(report(change_id, op));
        }
        break;
      }
      NodeId reporter = op.broker;
      for (const auto& [id, broker] : topology.brokers) {
        if (id != op.broker) {
          reporter = id;
          break;
        }
      }
      if (reporter == self && reporter != op.broker) out.push_back(report(change_id, op));
      break;
    }
  }
}

std::string members_text(const std::vector<NodeId>& members) {
  std::string text;
  for (NodeId id : members)
    text += (text.empty() ? "" : ",") + std::to_string(id.value());
  return "[" + text + "]";
}

}  // namespace

std::string describe(const LocalAction& action) {
  const std::string partition = "partition " + std::to_string(action.partition.value());
  const std::string target = "broker " + std::to_string(action.target.value());
  switch (action.kind) {
    case LocalActionKind::kStartReplica:
      return "start the replica of " + partition;
    case LocalActionKind::kStopReplica:
      return "stop the replica of " + partition + " and remove its data";
    case LocalActionKind::kProposeAddLearner:
      return "add " + target + " to " + partition + " as a learner";
    case LocalActionKind::kProposeRemove:
      return "remove " + target + " from " + partition;
    case LocalActionKind::kTransferLeadership:
      return "hand leadership of " + partition + " to another voter";
    case LocalActionKind::kForceConfiguration:
      return "force " + partition + " to the voters " + members_text(action.members);
    case LocalActionKind::kSetPriority:
      return "set the priority of this replica of " + partition + " to "
             + std::to_string(action.priority);
    case LocalActionKind::kReportCompleted:
      return "report change " + std::to_string(action.change_id) + " operation '"
             + describe(action.operation) + "' completed";
  }
  return "unknown action";
}

std::vector<LocalAction> next_local_actions(const ClusterTopology& topology, NodeId self,
                                            const std::map<PartitionId, LocalReplicaStatus>& local,
                                            FencingVerdict verdict) {
  std::vector<LocalAction> out;
  if (verdict == FencingVerdict::kFenced) return out;
  const auto member = topology.brokers.find(self);
  std::set<PartitionId> assigned;
  if (member != topology.brokers.end()) {
    for (const auto& [partition, replica] : member->second.partitions)
      assigned.insert(partition);
  }
  std::set<PartitionId> in_flux;  // the partition the pending operation is changing
  if (topology.pending_change && !topology.pending_change->pending.empty()) {
    const Operation& next = topology.pending_change->pending.front();
    in_flux.insert(next.partition);
    act_on(next, topology.pending_change->id, topology, self, local, out);
  }
  // Steady state for every other partition: run exactly the assigned replicas.
  for (PartitionId partition : assigned) {
    auto it = local.find(partition);
    if (!in_flux.count(partition) && (it == local.end() || !it->second.running)) {
      out.push_back(action(LocalActionKind::kStartReplica, partition));
    }
  }
  for (const auto& [partition, status] : local) {
    if (partition == kTopologyGroup) continue;
    if (status.running && !assigned.count(partition) && !in_flux.count(partition)) {
      out.push_back(action(LocalActionKind::kStopReplica, partition));
    }
  }
  return out;
}

}  // namespace tern::broker::topology
