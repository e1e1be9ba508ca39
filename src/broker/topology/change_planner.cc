#include "broker/topology/change_planner.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/check.h"

namespace tern::broker::topology {
namespace {

tern::Unexpected<PlanError> fail(PlanErrc code, std::string message) {
  return tern::unexpected(PlanError{code, std::move(message)});
}

std::string id_list(const std::set<NodeId>& ids) {
  std::string text;
  for (NodeId id : ids) {
    text += (text.empty() ? "" : ",") + std::to_string(id.value());
  }
  return "[" + text + "]";
}

// Duplicates and negative ids make a request ambiguous; refuse them rather than guess.
Result<std::set<NodeId>, PlanError> id_set(const std::vector<NodeId>& ids, const char* field) {
  std::set<NodeId> set;
  for (NodeId id : ids) {
    if (id.value() < 0) {
      return fail(PlanErrc::kInvalidRequest, std::string(field) + ": broker id "
                                                 + std::to_string(id.value()) + " is negative");
    }
    if (!set.insert(id).second) {
      return fail(PlanErrc::kInvalidRequest, std::string(field) + ": broker id "
                                                 + std::to_string(id.value()) + " appears twice");
    }
  }
  return set;
}

// Applies the plan to a copy of `current` (as if it ran as change `next_change_id`) to get the
// expected topology.
Result<ClusterTopology, PlanError> expected_after(const ClusterTopology& current,
                                                  const std::vector<Operation>& operations,
                                                  std::int32_t replication_factor,
                                                  std::int64_t now_ms) {
  ClusterTopology expected = current;
  expected.pending_change = ClusterChange{};
  expected.pending_change->id = current.next_change_id();
  for (const Operation& operation : operations) {
    auto applied = apply_operation(expected, operation, now_ms);
    if (!applied) return fail(PlanErrc::kImpossible, applied.error().message);
  }
  expected.pending_change.reset();
  expected.replication_factor = replication_factor;
  return expected;
}

Result<ChangePlan, PlanError> plan_forced(const ClusterTopology& current,
                                          const std::set<NodeId>& remove, std::int64_t now_ms) {
  ChangePlan plan;
  for (std::int32_t p = 1; p <= current.partition_count; ++p) {
    const PartitionId partition(p);
    auto replicas = current.replicas_of(partition);
    std::vector<NodeId> survivors;
    std::set<NodeId> lost;
    for (const auto& [id, replica] : replicas) {
      if (remove.count(id)) {
        lost.insert(id);
      } else {
        survivors.push_back(id);
      }
    }
    if (lost.empty()) continue;
    if (survivors.empty()) {
      return fail(PlanErrc::kImpossible,
                  "partition " + std::to_string(p) + " would have no replica left: all of its "
                      + "replicas " + id_list(lost) + " are on brokers being removed");
    }
    Operation operation;
    operation.kind = OperationKind::kPartitionForceReconfigure;
    operation.broker = survivors.front();
    operation.partition = partition;
    operation.members = survivors;
    plan.operations.push_back(std::move(operation));
  }
  for (NodeId id : remove) {
    plan.operations.push_back(Operation{OperationKind::kBrokerRemove, id, PartitionId(0), 0, {}});
  }
  auto expected = expected_after(current, plan.operations, current.replication_factor, now_ms);
  if (!expected) return tern::unexpected(expected.error());
  plan.expected = std::move(expected).value();
  return plan;
}

}  // namespace

Result<ChangePlan, PlanError> plan_change(const ClusterTopology& current,
                                          const ChangeRequest& request,
                                          const std::map<NodeId, BrokerIdentity>& announced,
                                          std::int64_t now_ms) {
  if (current.pending_change) {
    return fail(PlanErrc::kImpossible,
                "change " + std::to_string(current.pending_change->id) + " is still in progress");
  }
  if (request.add.empty() && request.remove.empty() && !request.replication_factor) {
    return fail(PlanErrc::kInvalidRequest,
                "the request changes nothing: give brokers.add, brokers.remove or "
                "partitions.replicationFactor");
  }
  auto add = id_set(request.add, "brokers.add");
  if (!add) return tern::unexpected(add.error());
  auto remove = id_set(request.remove, "brokers.remove");
  if (!remove) return tern::unexpected(remove.error());
  for (NodeId id : *add) {
    if (remove->count(id)) {
      return fail(PlanErrc::kInvalidRequest, "broker " + std::to_string(id.value())
                                                 + " is both in brokers.add and brokers.remove");
    }
  }
  if (request.replication_factor && *request.replication_factor < 1) {
    return fail(PlanErrc::kInvalidRequest, "partitions.replicationFactor must be at least 1, got "
                                               + std::to_string(*request.replication_factor));
  }
  std::set<NodeId> members;
  for (const auto& [id, broker] : current.brokers)
    members.insert(id);
  for (NodeId id : *remove) {
    if (!members.count(id)) {
      return fail(PlanErrc::kImpossible, "brokers.remove: broker " + std::to_string(id.value())
                                             + " is not a member (members: " + id_list(members)
                                             + ")");
    }
  }
  for (NodeId id : *add) {
    if (members.count(id)) {
      return fail(PlanErrc::kImpossible,
                  "brokers.add: broker " + std::to_string(id.value()) + " is already a member");
    }
  }
  std::set<NodeId> target = members;
  for (NodeId id : *remove)
    target.erase(id);
  target.insert(add->begin(), add->end());
  if (target.empty()) {
    return fail(PlanErrc::kImpossible, "the request removes every broker " + id_list(members)
                                           + "; at least one must stay");
  }

  if (request.mode == ChangeMode::kForce) {
    if (!add->empty() || request.replication_factor) {
      return fail(PlanErrc::kInvalidRequest,
                  "force=true only removes lost brokers; add brokers or change the replication "
                  "factor in a later change without force");
    }
    if (remove->empty()) {
      return fail(PlanErrc::kInvalidRequest, "force=true needs brokers.remove");
    }
    return plan_forced(current, *remove, now_ms);
  }

  const std::int32_t rf = request.replication_factor.value_or(current.replication_factor);
  if (rf > static_cast<std::int32_t>(target.size())) {
    return fail(PlanErrc::kImpossible, "replication factor " + std::to_string(rf)
                                           + " is larger than the " + std::to_string(target.size())
                                           + " broker(s) left " + id_list(target));
  }

  ChangePlan plan;
  for (NodeId id : *add) {
    Operation operation{OperationKind::kBrokerAdd, id, PartitionId(0), 0, {}};
    auto identity = announced.find(id);
    if (identity != announced.end()) {
      operation.address = identity->second.address;
      operation.region = identity->second.region;
    }
    plan.operations.push_back(std::move(operation));
  }
  auto placement =
      round_robin_placement({target.begin(), target.end()}, current.partition_count, rf);
  for (const auto& [partition, wanted] : placement) {
    const auto now = current.replicas_of(partition);
    std::map<NodeId, std::int32_t> priority;
    const auto r = static_cast<std::int32_t>(wanted.size());
    for (std::int32_t i = 0; i < r; ++i)
      priority[wanted[static_cast<std::size_t>(i)]] = r - i;
    // Joins first, so that the replica count only dips back to the target after the new
    // replicas caught up; then priorities, so the preferred leader is set before a leave.
    for (NodeId id : wanted) {
      if (!now.count(id)) {
        plan.operations.push_back(
            Operation{OperationKind::kPartitionJoin, id, partition, priority[id], {}});
      }
    }
    for (const auto& [id, replica] : now) {
      auto it = priority.find(id);
      if (it != priority.end() && it->second != replica.priority) {
        plan.operations.push_back(
            Operation{OperationKind::kPartitionReconfigurePriority, id, partition, it->second, {}});
      }
    }
    for (const auto& [id, replica] : now) {
      if (!priority.count(id)) {
        plan.operations.push_back(Operation{OperationKind::kPartitionLeave, id, partition, 0, {}});
      }
    }
  }
  for (NodeId id : *remove) {
    plan.operations.push_back(Operation{OperationKind::kBrokerRemove, id, PartitionId(0), 0, {}});
  }
  auto safe = check_plan_safety(current, plan.operations);
  TERN_CHECK(safe.ok(), "the planner made a plan that does not keep every quorum");
  auto expected = expected_after(current, plan.operations, rf, now_ms);
  if (!expected) return tern::unexpected(expected.error());
  plan.expected = std::move(expected).value();
  return plan;
}

Result<void, PlanError> check_plan_safety(const ClusterTopology& topology,
                                          const std::vector<Operation>& operations) {
  ClusterTopology state = topology;
  for (std::size_t step = 0; step < operations.size(); ++step) {
    const Operation& operation = operations[step];
    const std::string where = "step " + std::to_string(step + 1) + " (" + describe(operation) + ")";
    if (operation.kind == OperationKind::kPartitionForceReconfigure) {
      return fail(PlanErrc::kImpossible, where + " is forced and does not keep a quorum");
    }
    const auto before = operation.partition.value() ? state.replicas_of(operation.partition)
                                                    : std::map<NodeId, ReplicaInfo>{};
    auto applied = apply_operation(state, operation, 0);
    if (!applied) return fail(PlanErrc::kImpossible, where + ": " + applied.error().message);
    if (operation.partition.value() == 0) continue;
    const auto after = state.replicas_of(operation.partition);
    std::size_t changed = 0;
    for (const auto& [id, replica] : before)
      changed += after.count(id) ? 0 : 1;
    for (const auto& [id, replica] : after)
      changed += before.count(id) ? 0 : 1;
    if (changed > 1 || after.empty()) {
      return fail(PlanErrc::kImpossible, where + " changes more than one voter at once");
    }
  }
  return {};
}

}  // namespace tern::broker::topology
