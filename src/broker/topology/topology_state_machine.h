#pragma once

// The topology as a replicated state machine: the commands a topology Raft group commits, and the
// deterministic code every broker runs on each committed command. The leader of that group turns
// a management request into kStartChange; brokers report each finished operation as
// kCompleteOperation (or kFailChange); brokers kAnnounce themselves (a non-member is remembered
// until a change adds it; a member's entry takes the announced addresses and region, a repeat
// changing nothing). Timestamps travel in the commands (the proposer's clock), so replicas never
// read a clock (CONVENTIONS.md, "Determinism").
//
// A command that does not fit the current state (a stale version, a change already running, a
// completion that is not the next pending operation, e.g. a duplicate report after a retry) is
// rejected the same way on every replica and leaves the state unchanged.
//
// Owned by the strand of the topology replica; not thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/topology/change_planner.h"
#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::topology {

enum class TopologyCommandKind { kAnnounce, kStartChange, kCompleteOperation, kFailChange };

struct TopologyCommand {
  TopologyCommandKind kind = TopologyCommandKind::kAnnounce;
  std::int64_t time_ms = 0;  // the proposer's wall clock
  // kAnnounce
  NodeId broker;
  BrokerIdentity identity;
  // kStartChange
  std::int64_t based_on_version = 0;
  std::int32_t replication_factor = 0;
  std::vector<Operation> operations;
  // kCompleteOperation, kFailChange
  std::int64_t change_id = 0;
  Operation operation;  // kCompleteOperation: the operation that finished
  std::string reason;   // kFailChange
};

// The command as bytes for the log (JSON text), and back; decode names what is wrong.
std::string encode_command(const TopologyCommand& command);
Result<TopologyCommand, TopologyError> decode_command(std::string_view bytes);

class TopologyStateMachine {
 public:
  explicit TopologyStateMachine(ClusterTopology initial);

  // Applies one committed command; see the class comment for rejections.
  Result<void, TopologyError> apply(const TopologyCommand& command);

  const ClusterTopology& topology() const { return topology_; }
  const std::map<NodeId, BrokerIdentity>& announced() const { return announced_; }

  // The whole state for a Raft snapshot, and back.
  std::string snapshot() const;
  static Result<TopologyStateMachine, TopologyError> restore(std::string_view snapshot);

 private:
  Result<void, TopologyError> announce_member(BrokerInfo& broker, const TopologyCommand& command);
  Result<void, TopologyError> start_change(const TopologyCommand& command);
  Result<void, TopologyError> complete_operation(const TopologyCommand& command);
  void finish(ChangeStatus status, std::int64_t time_ms);

  ClusterTopology topology_;
  std::map<NodeId, BrokerIdentity> announced_;  // brokers that are not members
};

}  // namespace tern::broker::topology
