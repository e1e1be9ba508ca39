#include "broker/topology/cluster_topology.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tern::broker::topology {
namespace {

constexpr std::array<std::pair<OperationKind, const char*>, 6> kOperationNames = {{
    {OperationKind::kBrokerAdd, "BROKER_ADD"},
    {OperationKind::kBrokerRemove, "BROKER_REMOVE"},
    {OperationKind::kPartitionJoin, "PARTITION_JOIN"},
    {OperationKind::kPartitionLeave, "PARTITION_LEAVE"},
    {OperationKind::kPartitionReconfigurePriority, "PARTITION_RECONFIGURE_PRIORITY"},
    {OperationKind::kPartitionForceReconfigure, "PARTITION_FORCE_RECONFIGURE"},
}};

tern::Unexpected<TopologyError> refuse(const Operation& operation, const std::string& why) {
  return tern::unexpected(
      TopologyError{TopologyErrc::kInvalidOperation, describe(operation) + ": " + why});
}

std::string broker_name(NodeId id) {
  return "broker " + std::to_string(id.value());
}

void touch(BrokerInfo& broker, std::int64_t now_ms) {
  ++broker.version;
  broker.last_updated_ms = now_ms;
}

}  // namespace

std::string to_string(BrokerState state) {
  switch (state) {
    case BrokerState::kActive:
      return "ACTIVE";
    case BrokerState::kJoining:
      return "JOINING";
    case BrokerState::kLeaving:
      return "LEAVING";
    case BrokerState::kLeft:
      return "LEFT";
    case BrokerState::kRemoved:
      return "REMOVED";
  }
  return "UNKNOWN";
}

std::string to_string(ReplicaState state) {
  switch (state) {
    case ReplicaState::kActive:
      return "ACTIVE";
    case ReplicaState::kJoining:
      return "JOINING";
    case ReplicaState::kLeaving:
      return "LEAVING";
  }
  return "UNKNOWN";
}

std::string to_string(ChangeStatus status) {
  switch (status) {
    case ChangeStatus::kInProgress:
      return "IN_PROGRESS";
    case ChangeStatus::kCompleted:
      return "COMPLETED";
    case ChangeStatus::kFailed:
      return "FAILED";
    case ChangeStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

std::string to_string(OperationKind kind) {
  for (const auto& [k, name] : kOperationNames) {
    if (k == kind) return name;
  }
  return "UNKNOWN";
}

std::optional<OperationKind> operation_kind_from_string(const std::string& text) {
  for (const auto& [kind, name] : kOperationNames) {
    if (text == name) return kind;
  }
  return std::nullopt;
}

std::string describe(const Operation& operation) {
  std::string text = to_string(operation.kind) + " " + broker_name(operation.broker);
  if (operation.partition.value() != 0) {
    text += " partition " + std::to_string(operation.partition.value());
  }
  if (operation.kind == OperationKind::kPartitionJoin
      || operation.kind == OperationKind::kPartitionReconfigurePriority) {
    text += " priority " + std::to_string(operation.priority);
  }
  if (operation.kind == OperationKind::kPartitionForceReconfigure) {
    text += " members [";
    for (std::size_t i = 0; i < operation.members.size(); ++i) {
      text += (i ? "," : "") + std::to_string(operation.members[i].value());
    }
    text += "]";
  }
  return text;
}

std::map<NodeId, ReplicaInfo> ClusterTopology::replicas_of(PartitionId partition) const {
  std::map<NodeId, ReplicaInfo> replicas;
  for (const auto& [id, broker] : brokers) {
    auto it = broker.partitions.find(partition);
    if (it != broker.partitions.end()) replicas.emplace(id, it->second);
  }
  return replicas;
}

std::int64_t ClusterTopology::next_change_id() const {
  std::int64_t last = 0;
  if (last_change) last = std::max(last, last_change->id);
  if (pending_change) last = std::max(last, pending_change->id);
  return last + 1;
}

std::map<PartitionId, std::vector<NodeId>> round_robin_placement(const std::vector<NodeId>& brokers,
                                                                 std::int32_t partition_count,
                                                                 std::int32_t replication_factor) {
  std::vector<NodeId> sorted = brokers;
  std::sort(sorted.begin(), sorted.end());
  std::map<PartitionId, std::vector<NodeId>> placement;
  const auto n = static_cast<std::int32_t>(sorted.size());
  if (n == 0) return placement;
  const std::int32_t r = std::min(replication_factor, n);
  for (std::int32_t p = 1; p <= partition_count; ++p) {
    auto& replicas = placement[PartitionId(p)];
    for (std::int32_t i = 0; i < r; ++i) {
      replicas.push_back(sorted[static_cast<std::size_t>((p - 1 + i) % n)]);
    }
  }
  return placement;
}

ClusterTopology initial_topology(const std::vector<BrokerInfo>& brokers,
                                 std::int32_t partition_count, std::int32_t replication_factor) {
  ClusterTopology topology;
  topology.version = 1;
  topology.partition_count = partition_count;
  topology.replication_factor = replication_factor;
  std::vector<NodeId> ids;
  for (const auto& broker : brokers) {
    BrokerInfo copy = broker;
    copy.partitions.clear();
    copy.state = BrokerState::kActive;
    topology.brokers[broker.id] = copy;
    ids.push_back(broker.id);
  }
  for (const auto& [partition, replicas] :
       round_robin_placement(ids, partition_count, replication_factor)) {
    const auto r = static_cast<std::int32_t>(replicas.size());
    for (std::int32_t i = 0; i < r; ++i) {
      topology.brokers[replicas[static_cast<std::size_t>(i)]].partitions[partition] =
          ReplicaInfo{ReplicaState::kActive, r - i};
    }
  }
  return topology;
}

Result<void, TopologyError> apply_operation(ClusterTopology& topology, const Operation& operation,
                                            std::int64_t now_ms) {
  auto member = topology.brokers.find(operation.broker);
  const bool is_member = member != topology.brokers.end();
  const bool is_partition_op =
      operation.kind != OperationKind::kBrokerAdd && operation.kind != OperationKind::kBrokerRemove;
  if (is_partition_op) {
    if (operation.partition.value() < 1 || operation.partition.value() > topology.partition_count) {
      return refuse(operation, "no such partition (the cluster has partitions 1.."
                                   + std::to_string(topology.partition_count) + ")");
    }
    if (!is_member) return refuse(operation, broker_name(operation.broker) + " is not a member");
  }
  switch (operation.kind) {
    case OperationKind::kBrokerAdd: {
      if (is_member) return refuse(operation, "already a member");
      BrokerInfo broker;
      broker.id = operation.broker;
      auto removed = topology.removed.find(operation.broker);
      if (removed != topology.removed.end()) {
        broker.address = removed->second.address;
        broker.region = removed->second.region;
        topology.removed.erase(removed);
      }
      if (!operation.address.empty()) broker.address = operation.address;
      if (!operation.region.empty()) broker.region = operation.region;
      broker.joined_by_change = topology.pending_change ? topology.pending_change->id : 0;
      touch(broker, now_ms);
      topology.brokers.emplace(broker.id, std::move(broker));
      break;
    }
    case OperationKind::kBrokerRemove: {
      if (!is_member) return refuse(operation, "not a member");
      if (!member->second.partitions.empty()) {
        return refuse(
            operation,
            "it still hosts " + std::to_string(member->second.partitions.size()) + " partition(s)");
      }
      topology.removed[operation.broker] =
          RemovedBroker{operation.broker, member->second.address, member->second.region,
                        topology.pending_change ? topology.pending_change->id : 0};
      topology.brokers.erase(member);
      break;
    }
    case OperationKind::kPartitionJoin: {
      auto& partitions = member->second.partitions;
      if (partitions.count(operation.partition)) return refuse(operation, "already a replica");
      if (operation.priority < 1) return refuse(operation, "priority must be at least 1");
      partitions[operation.partition] = ReplicaInfo{ReplicaState::kActive, operation.priority};
      touch(member->second, now_ms);
      break;
    }
    case OperationKind::kPartitionLeave: {
      auto& partitions = member->second.partitions;
      if (!partitions.count(operation.partition)) return refuse(operation, "not a replica");
      if (topology.replicas_of(operation.partition).size() == 1) {
        return refuse(operation, "it is the partition's last replica");
      }
      partitions.erase(operation.partition);
      touch(member->second, now_ms);
      break;
    }
    case OperationKind::kPartitionReconfigurePriority: {
      auto& partitions = member->second.partitions;
      auto it = partitions.find(operation.partition);
      if (it == partitions.end()) return refuse(operation, "not a replica");
      if (operation.priority < 1) return refuse(operation, "priority must be at least 1");
      it->second.priority = operation.priority;
      touch(member->second, now_ms);
      break;
    }
    case OperationKind::kPartitionForceReconfigure: {
      if (operation.members.empty()) return refuse(operation, "no members left");
      auto replicas = topology.replicas_of(operation.partition);
      for (NodeId id : operation.members) {
        if (!replicas.count(id)) {
          return refuse(operation, broker_name(id) + " is not a replica of the partition");
        }
      }
      for (const auto& [id, replica] : replicas) {
        if (std::find(operation.members.begin(), operation.members.end(), id)
            != operation.members.end()) {
          continue;
        }
        auto& broker = topology.brokers.at(id);
        broker.partitions.erase(operation.partition);
        touch(broker, now_ms);
      }
      break;
    }
  }
  ++topology.version;
  return {};
}

Result<void, TopologyError> validate(const ClusterTopology& topology) {
  auto fail = [](std::string message) {
    return tern::unexpected(TopologyError{TopologyErrc::kInvalidTopology, std::move(message)});
  };
  if (topology.partition_count < 1) return fail("the cluster has no partitions");
  for (const auto& [id, broker] : topology.brokers) {
    if (broker.id != id) return fail(broker_name(id) + " is filed under another id");
    if (topology.removed.count(id)) return fail(broker_name(id) + " is both member and removed");
    for (const auto& [partition, replica] : broker.partitions) {
      if (partition.value() < 1 || partition.value() > topology.partition_count) {
        return fail(broker_name(id) + " hosts unknown partition "
                    + std::to_string(partition.value()));
      }
    }
  }
  for (std::int32_t p = 1; p <= topology.partition_count; ++p) {
    if (topology.replicas_of(PartitionId(p)).empty()) {
      return fail("partition " + std::to_string(p) + " has no replica");
    }
  }
  return {};
}

FencingVerdict fencing_verdict(const ClusterTopology& topology, NodeId id,
                               std::optional<std::int64_t> joined_by_change) {
  auto member = topology.brokers.find(id);
  if (!joined_by_change) {
    return member != topology.brokers.end() ? FencingVerdict::kMember : FencingVerdict::kUnknown;
  }
  if (member != topology.brokers.end() && member->second.joined_by_change == *joined_by_change) {
    return FencingVerdict::kMember;
  }
  // Data from an earlier membership: either the id was removed and is still out, or it was
  // removed and re-added with a fresh disk, which this data is not.
  if (member != topology.brokers.end() || topology.removed.count(id))
    return FencingVerdict::kFenced;
  return FencingVerdict::kUnknown;
}

}  // namespace tern::broker::topology
