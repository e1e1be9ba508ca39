#pragma once

// Leadership moves requested by an operator or by shutdown (PartitionReplica::move_leadership,
// PartitionManager::move_leadership) and what each replica decided.

#include <optional>
#include <string_view>

#include "common/strong_id.h"

namespace tern::broker {

// Why leadership moves on request: to the partition's preferred replica (rebalancing after a
// failover), or to the most caught-up other voter (this broker is shutting down).
enum class LeadershipGoal { kPreferred, kHandOver };

enum class LeadershipMoveState {
  kScheduled,         // new commands are refused; once in-flight ones commit, `target` takes over
  kNotLeader,         // this replica does not lead (nothing to do)
  kAlreadyPreferred,  // kPreferred: this replica is the preferred leader
  kNoTarget,          // no other voter is caught up (or the partition has one replica)
};

std::string_view to_string(LeadershipMoveState state);

struct LeadershipMove {
  PartitionId partition;
  LeadershipMoveState state = LeadershipMoveState::kNotLeader;
  std::optional<NodeId> target;
};

}  // namespace tern::broker
