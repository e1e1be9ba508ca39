// PartitionReplica: leadership moves on request (rebalancing to the preferred leader, handing over
// before the broker stops). The strand's side: decide a target, refuse new commands, let the ones
// in flight answer, then start Raft's leadership transfer.

#include <spdlog/spdlog.h>

#include <future>

#include "broker/partition/partition_replica.h"

namespace tern::broker {

std::string_view to_string(LeadershipMoveState state) {
  switch (state) {
    case LeadershipMoveState::kScheduled:
      return "TRANSFERRING";
    case LeadershipMoveState::kNotLeader:
      return "NOT_LEADER";
    case LeadershipMoveState::kAlreadyPreferred:
      return "ALREADY_PREFERRED";
    case LeadershipMoveState::kNoTarget:
      return "NO_CAUGHT_UP_TARGET";
  }
  return "UNKNOWN";
}

LeadershipMove PartitionReplica::move_leadership(LeadershipGoal goal,
                                                 std::chrono::milliseconds drain) {
  std::promise<LeadershipMove> decided;
  auto future = decided.get_future();
  asio::post(strand_, [this, goal, drain, &decided] {
    LeadershipMove move = schedule_move(goal, drain);
    // Without commands in flight the transfer starts right away.
    process();
    decided.set_value(move);
  });
  return future.get();
}

LeadershipMove PartitionReplica::schedule_move(LeadershipGoal goal,
                                               std::chrono::milliseconds drain) {
  LeadershipMove move{id()};
  if (stopped_ || failed_ || !node_ || node_->role() != raft::Role::kLeader) return move;
  if (handover_) {
    move.state = LeadershipMoveState::kScheduled;
    move.target = handover_->target;
    return move;
  }
  if (auto transferring = node_->transfer_target()) {
    move.state = LeadershipMoveState::kScheduled;
    move.target = *transferring;
    return move;
  }
  if (goal == LeadershipGoal::kPreferred) {
    for (NodeId replica : partition_->replicas()) {
      if (!node_->configuration().is_voter(replica)) continue;
      if (replica == self_) {
        move.state = LeadershipMoveState::kAlreadyPreferred;
        return move;
      }
      break;
    }
  }
  auto target = move_target(goal);
  if (!target) {
    move.state = LeadershipMoveState::kNoTarget;
    return move;
  }
  handover_ = HandOver{*target, std::chrono::steady_clock::now() + drain};
  move.state = LeadershipMoveState::kScheduled;
  move.target = target;
  spdlog::info("partition {}: handing leadership to broker {} ({}); new commands are refused",
               id().value(), target->value(),
               goal == LeadershipGoal::kPreferred ? "its preferred leader" : "shutting down");
  return move;
}

// A target must be a voter the leader hears from and replicates to in step: a transfer to a dead
// or lagging replica would stall the partition for an election timeout (§3.10 abandons it then).
std::optional<NodeId> PartitionReplica::move_target(LeadershipGoal goal) const {
  auto in_step = [this](NodeId peer) {
    const raft::Progress* progress = node_->progress(peer);
    return peer != self_ && node_->configuration().is_voter(peer) && progress != nullptr
           && progress->recent_active && progress->state == raft::ProgressState::kReplicate;
  };
  if (goal == LeadershipGoal::kPreferred) {
    for (NodeId replica : partition_->replicas()) {
      if (node_->configuration().is_voter(replica))
        return in_step(replica) ? std::optional(replica) : std::nullopt;
    }
    return std::nullopt;
  }
  // The most caught-up voter; among equals the one earlier in the priority order.
  std::optional<NodeId> best;
  raft::LogIndex best_match{0};
  auto consider = [&](NodeId peer) {
    if (!in_step(peer)) return;
    const raft::LogIndex match = node_->progress(peer)->match;
    if (!best || match > best_match) {
      best = peer;
      best_match = match;
    }
  };
  for (NodeId replica : partition_->replicas())
    consider(replica);
  for (NodeId voter : node_->configuration().voters) {
    const auto& preferred = partition_->replicas();
    if (std::find(preferred.begin(), preferred.end(), voter) == preferred.end()) consider(voter);
  }
  return best;
}

// Runs on the strand after every input: once the commands in flight have answered (or the drain
// deadline passed), stop serving and start the transfer.
void PartitionReplica::maybe_hand_over() {
  if (!handover_ || failed_ || stopped_) return;
  if (node_->role() != raft::Role::kLeader) {
    handover_.reset();  // leadership moved (or was lost) meanwhile
    return;
  }
  const bool drained = pending_.empty() && (!engine_ || !engine_->has_uncommitted_effects());
  if (!drained && std::chrono::steady_clock::now() < handover_->deadline) return;
  const NodeId target = handover_->target;
  handover_.reset();
  // Exporter positions go into the log while this replica still leads, so that the next leader
  // resumes exporting where this one stopped rather than at the last periodic position.
  if (exporting_) exporting_->persist_positions();
  if (auto transferred = node_->transfer_leadership(target); !transferred) {
    spdlog::warn("partition {}: leadership transfer to broker {} refused: {}", id().value(),
                 target.value(), transferred.error().message);
    return;
  }
  stop_serving("leadership of partition " + std::to_string(id().value())
               + " is being handed to broker " + std::to_string(target.value()));
  spdlog::info("partition {}: leadership transfer to broker {} started{}", id().value(),
               target.value(), drained ? "" : " (commands still in flight were refused)");
}

}  // namespace tern::broker
