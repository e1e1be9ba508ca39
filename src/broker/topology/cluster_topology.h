#pragma once

// The cluster topology: which brokers belong to the cluster (address, region, state), which
// partitions each hosts (with a leader priority and a state), the change in progress and the last
// one finished, and a version that grows with every applied operation. It is the value that the
// cluster replicates (DESIGN.md, "Cluster topology") and that /actuator/cluster reports.
//
// Plain values, no threads: whoever owns a ClusterTopology (the topology replica's strand, or a
// test) mutates it through apply_operation() alone, so that every replica that applies the same
// operations in the same order holds the same topology.
//
// Invariants (checked by validate()): every replica lives on a broker that is a member; every
// partition 1..partition_count has at least one replica; a removed broker is not a member.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"

namespace tern::broker::topology {

enum class BrokerState { kActive, kJoining, kLeaving, kLeft, kRemoved };
enum class ReplicaState { kActive, kJoining, kLeaving };
enum class ChangeStatus { kInProgress, kCompleted, kFailed, kCancelled };

std::string to_string(BrokerState state);
std::string to_string(ReplicaState state);
std::string to_string(ChangeStatus status);

struct ReplicaInfo {
  ReplicaState state = ReplicaState::kActive;
  // Raft's preferred-leader priority: the highest priority replica should lead.
  std::int32_t priority = 1;

  bool operator==(const ReplicaInfo&) const = default;
};

struct BrokerInfo {
  NodeId id;
  std::string address;  // the cluster port, host:port; empty until the broker announced itself
  std::string region;   // a label; empty when the cluster has no regions
  std::string monitoring_address;  // host:port of its monitoring endpoints, as it announced
  BrokerState state = BrokerState::kActive;
  std::int64_t version = 0;           // grows each time this broker's entry changes
  std::int64_t last_updated_ms = 0;   // wall clock (ms since the epoch) of that change
  std::int64_t joined_by_change = 0;  // the change that added it; zero for the initial members
  std::map<PartitionId, ReplicaInfo> partitions;

  bool operator==(const BrokerInfo&) const = default;
};

// A broker that a change removed. Kept so that failback knows its region and address, and so that
// the broker, should it come back with its old data, can be fenced (see fencing_verdict()).
struct RemovedBroker {
  NodeId id;
  std::string address;
  std::string region;
  std::int64_t removed_by_change = 0;

  bool operator==(const RemovedBroker&) const = default;
};

enum class OperationKind {
  kBrokerAdd,                     // a broker becomes a member (no partitions yet)
  kBrokerRemove,                  // a member without partitions leaves the cluster
  kPartitionJoin,                 // a replica starts, joins as learner, catches up, is promoted
  kPartitionLeave,                // a replica hands over leadership, leaves the group and stops
  kPartitionReconfigurePriority,  // a replica's leader priority changes
  kPartitionForceReconfigure,     // the partition adopts `members` alone (the others are lost)
};

std::string to_string(OperationKind kind);
std::optional<OperationKind> operation_kind_from_string(const std::string& text);

// One step of a change. `partition` is zero for broker operations; `members` is used by
// kPartitionForceReconfigure only.
struct Operation {
  OperationKind kind = OperationKind::kBrokerAdd;
  NodeId broker;
  PartitionId partition;
  std::int32_t priority = 0;
  std::vector<NodeId> members;
  // kBrokerAdd only: where the new broker listens and its region, as it announced itself; empty
  // when unknown (a broker removed earlier gets back its recorded address and region).
  std::string address;
  std::string region;

  bool operator==(const Operation&) const = default;
};

std::string describe(const Operation& operation);

struct ClusterChange {
  std::int64_t id = 0;
  ChangeStatus status = ChangeStatus::kInProgress;
  std::int64_t started_at_ms = 0;
  std::int64_t completed_at_ms = 0;  // zero while in progress
  std::vector<Operation> completed;
  std::vector<Operation> pending;

  bool operator==(const ClusterChange&) const = default;
};

struct ClusterTopology {
  std::int64_t version = 0;
  std::int32_t partition_count = 0;
  // What the operator asked for; a forced removal lowers the actual replica count of partitions
  // but not this, so that failback knows what to restore.
  std::int32_t replication_factor = 0;
  std::map<NodeId, BrokerInfo> brokers;
  std::map<NodeId, RemovedBroker> removed;
  std::optional<ClusterChange> last_change;     // the last finished change
  std::optional<ClusterChange> pending_change;  // the change in progress

  bool operator==(const ClusterTopology&) const = default;

  // The replicas of `partition`, by broker id.
  std::map<NodeId, ReplicaInfo> replicas_of(PartitionId partition) const;
  // The id the next change gets.
  std::int64_t next_change_id() const;
};

enum class TopologyErrc {
  kInvalidOperation,  // an operation does not fit the topology it is applied to
  kInvalidTopology,   // a topology breaks an invariant
  kCodec,             // an encoded topology cannot be read
};

struct TopologyError {
  TopologyErrc code = TopologyErrc::kInvalidOperation;
  std::string message;
};

// The topology that `brokers` form with `partition_count` partitions placed round-robin with
// `replication_factor` replicas (the initial topology of a cluster; also the target of a change).
// Brokers are taken in increasing id order: partition p on sorted[(p - 1 + i) mod n], priority
// r - i, so the first replica is the preferred leader.
std::map<PartitionId, std::vector<NodeId>> round_robin_placement(const std::vector<NodeId>& brokers,
                                                                 std::int32_t partition_count,
                                                                 std::int32_t replication_factor);

ClusterTopology initial_topology(const std::vector<BrokerInfo>& brokers,
                                 std::int32_t partition_count, std::int32_t replication_factor);

// Applies one operation as completed. Fails, leaving `topology` unchanged, when the operation does
// not fit (unknown broker, replica already there, last replica leaving, ...).
Result<void, TopologyError> apply_operation(ClusterTopology& topology, const Operation& operation,
                                            std::int64_t now_ms);

// Checks the invariants listed on ClusterTopology.
Result<void, TopologyError> validate(const ClusterTopology& topology);

enum class FencingVerdict { kMember, kFenced, kUnknown };

// What a starting broker with id `id` is. `joined_by_change` is what its data directory says: the
// change that made it a member (zero for the initial members), or nullopt for an empty disk.
// kMember: its data belongs to the current membership (or it is fresh and the id is a member).
// kFenced: its data predates its removal (it was removed, possibly re-added since with a fresh
// disk): it must never vote again and reports itself as removed.
// kUnknown: a fresh broker whose id is not a member: it waits to be added.
FencingVerdict fencing_verdict(const ClusterTopology& topology, NodeId id,
                               std::optional<std::int64_t> joined_by_change);

}  // namespace tern::broker::topology
