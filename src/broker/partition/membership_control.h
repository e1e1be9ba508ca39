#pragma once

// MembershipControl: what the broker's reconcile loop (management/reconcile_loop.h) needs from a
// Raft group it takes part in — a data partition's PartitionReplica or the topology group's
// TopologyReplica — to carry out a cluster change: the replica's view of its group, and the
// membership requests of the Raft core (src/raft/README.md, "Membership" and "Forced
// reconfiguration").
//
// Threads: membership() reads a copy the replica publishes from its strand after every change
// (any thread). The requests post to the strand and block until it decided (never call them from
// the strand); their effect is asynchronous (a proposed change commits later, a transfer completes
// later), which is why the loop asks again instead of waiting for it. Repeating a request whose
// effect is already visible or pending is refused by the core (kConfigChangePending, "already a
// member", ...), which the loop takes as "nothing to do".

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"
#include "raft/core/configuration.h"

namespace tern::broker {

struct GroupMembership {
  bool running = false;  // false once stopped or failed
  bool leader = false;   // this replica leads the group (Raft role)
  std::optional<NodeId> known_leader;
  std::vector<NodeId> voters;    // the configuration in force here (incoming set when joint)
  std::vector<NodeId> learners;  // replicate the log but do not vote
  // The configuration above is committed (a change is complete only then: an appended one could
  // still be truncated by a new leader, a forced one is not in force until its election is won).
  bool configuration_committed = false;
  std::uint64_t last_term = 0;  // the log's last entry: who is the most up-to-date survivor
  std::uint64_t last_index = 0;
  std::uint64_t committed_index = 0;
  std::uint64_t applied_index = 0;
};

class MembershipControl {
 public:
  virtual ~MembershipControl() = default;

  virtual GroupMembership membership() const = 0;
  // As leader: proposes a single-server change (add a learner, remove a node).
  virtual Result<void, std::string> change_membership(const raft::ConfigChange& change) = 0;
  // As leader: hands leadership to the most caught-up other voter (before this replica leaves).
  virtual Result<void, std::string> transfer_leadership_away() = 0;
  // Adopts `voters` alone under a new term (forced reconfiguration); `voters` includes this node.
  virtual Result<void, std::string> force_configuration(std::vector<NodeId> voters) = 0;
};

}  // namespace tern::broker
