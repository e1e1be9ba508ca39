#pragma once

// What one broker must do next to move its replicas toward the topology: the broker-side half of
// a cluster change, as a pure function of the committed topology and what the broker's replicas
// report. The caller (the broker's reconcile loop) performs the actions through the Raft
// membership APIs, then calls again when something changed; an action repeated before its effect
// is visible must be harmless (proposals are idempotent in effect: Raft refuses a second change
// while one is pending, and a completion report for an operation already done is rejected by the
// TopologyStateMachine).
//
// Who acts on the next operation of the pending change:
//   PARTITION_JOIN b p          b starts p as a learner; p's leader proposes adding b, Raft
//                               promotes it when caught up; the leader reports once b votes.
//   PARTITION_LEAVE b p         p's leader, if it is b, hands leadership over first; otherwise it
//                               proposes removing b and reports once b no longer votes; b stops
//                               its replica once it is out.
//   PARTITION_RECONFIGURE_PRIORITY b p   b sets the priority and reports.
//   PARTITION_FORCE_RECONFIGURE b p m    every member of m forces its replica to m; b reports
//                               once its own replica has m as voters.
//   BROKER_ADD b                with the topology group in `local` (partition 0, see
//                               kTopologyGroup): its leader adds b's replica of it as a learner
//                               and reports once Raft promoted it to a voter. Without it: b
//                               reports (it is running).
//   BROKER_REMOVE b             with the topology group: its leader (handing leadership over
//                               first if it is b) removes b from it and reports once b is out.
//                               Without it: the lowest-id other member reports.
// The topology group's membership follows the broker operations only; the steady-state rules
// below never start or stop it.
// Outside changes: replicas assigned to this broker and not running start; running replicas not
// assigned stop. A fenced broker does nothing.

#include <map>
#include <string>
#include <vector>

#include "broker/topology/cluster_topology.h"

namespace tern::broker::topology {

// The Raft group that replicates the topology itself ("partition 0"); a broker passes its
// replica's status under this id to take part in BROKER_ADD / BROKER_REMOVE.
inline constexpr PartitionId kTopologyGroup{0};

struct LocalReplicaStatus {
  bool running = false;
  bool leader = false;
  std::vector<NodeId> voters;    // the replica's current Raft configuration
  std::vector<NodeId> learners;  // learners in it (not counted in quorums)
  // The configuration is committed: completions of membership operations are reported only then
  // (an appended change may still be lost with its leader).
  bool configuration_committed = true;
};

enum class LocalActionKind {
  kStartReplica,        // start the partition's replica (as a learner if it joins)
  kStopReplica,         // stop it and remove its data
  kProposeAddLearner,   // as leader: add `target` as a learner (promoted when caught up)
  kProposeRemove,       // as leader: remove `target` from the configuration
  kTransferLeadership,  // as leader: hand leadership to another voter before leaving
  kForceConfiguration,  // adopt `members` as the only voters (forced reconfiguration)
  kSetPriority,         // set this replica's leader priority to `priority`
  kReportCompleted,     // propose COMPLETE_OPERATION for `operation` of change `change_id`
};

struct LocalAction {
  LocalActionKind kind = LocalActionKind::kStartReplica;
  PartitionId partition;
  NodeId target;
  std::vector<NodeId> members;
  std::int32_t priority = 0;
  std::int64_t change_id = 0;
  Operation operation;

  bool operator==(const LocalAction&) const = default;
};

// One line naming the action, for logs ("start replica of partition 2", "add broker 3 as a
// learner of partition 0", ...).
std::string describe(const LocalAction& action);

std::vector<LocalAction> next_local_actions(const ClusterTopology& topology, NodeId self,
                                            const std::map<PartitionId, LocalReplicaStatus>& local,
                                            FencingVerdict verdict);

}  // namespace tern::broker::topology
