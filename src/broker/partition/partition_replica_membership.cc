// PartitionReplica: membership requests of the reconcile loop (membership_control.h), carried out
// on the strand with the Raft core's membership APIs.

#include <spdlog/spdlog.h>

#include <future>

#include "broker/partition/partition_replica.h"

namespace tern::broker {

void PartitionReplica::publish_membership() {
  GroupMembership view;
  if (node_ && !stopped_ && !failed_) {
    const raft::Configuration& config = node_->configuration();
    view.running = true;
    view.leader = node_->role() == raft::Role::kLeader;
    view.known_leader = node_->leader();
    view.voters = config.voters;
    view.learners = config.learners;
    view.configuration_committed = node_->configuration_committed();
    view.last_term = node_->log().last_term().value();
    view.last_index = node_->log().last_index().value();
    view.committed_index = node_->log().committed().value();
    view.applied_index = node_->log().applied().value();
  }
  std::lock_guard lock(membership_mutex_);
  membership_ = std::move(view);
}

GroupMembership PartitionReplica::membership() const {
  std::lock_guard lock(membership_mutex_);
  return membership_;
}

Result<void, std::string> PartitionReplica::on_strand(
    std::function<Result<void, std::string>()> fn) {
  // Shared with the strand: after a time-out the handler may still run later.
  auto answer = std::make_shared<std::promise<Result<void, std::string>>>();
  auto future = answer->get_future();
  asio::post(strand_, [this, fn = std::move(fn), answer] {
    if (stopped_ || failed_ || !node_) {
      answer->set_value(unexpected(std::string("the replica is stopped")));
      return;
    }
    auto result = fn();
    process();
    answer->set_value(std::move(result));
  });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return unexpected(std::string("the replica's strand did not answer within 10 s"));
  }
  return future.get();
}

Result<void, std::string> PartitionReplica::change_membership(const raft::ConfigChange& change) {
  return on_strand([this, change]() -> Result<void, std::string> {
    auto proposed = node_->propose_config_change(change);
    if (!proposed) return unexpected(proposed.error().message);
    return {};
  });
}

Result<void, std::string> PartitionReplica::transfer_leadership_away() {
  LeadershipMove move = move_leadership(LeadershipGoal::kHandOver, std::chrono::seconds(1));
  switch (move.state) {
    case LeadershipMoveState::kScheduled:
      return {};
    case LeadershipMoveState::kNotLeader:
      return unexpected(std::string("this replica does not lead"));
    case LeadershipMoveState::kAlreadyPreferred:
    case LeadershipMoveState::kNoTarget:
      break;
  }
  return unexpected(std::string("no caught-up voter to hand leadership to"));
}

Result<void, std::string> PartitionReplica::force_configuration(std::vector<NodeId> voters) {
  return on_strand([this, voters = std::move(voters)]() mutable -> Result<void, std::string> {
    stop_serving("partition " + std::to_string(id().value()) + " is being reconfigured by force");
    auto forced = node_->force_configuration(std::move(voters));
    if (!forced) return unexpected(forced.error().message);
    return {};
  });
}

Result<void, std::string> PartitionReplica::set_priority_order(std::vector<NodeId> order) {
  return on_strand([this, order = std::move(order)]() mutable -> Result<void, std::string> {
    partition_->set_replicas(order);
    node_->set_priority_order(std::move(order));
    return {};
  });
}

}  // namespace tern::broker
