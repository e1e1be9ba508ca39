// TopologyReplica: partition-0 membership requests of the reconcile loop (membership_control.h),
// carried out on the strand with the Raft core's membership APIs.

#include <spdlog/spdlog.h>

#include <future>

#include "broker/management/topology_replica.h"

namespace tern::broker::management {

GroupMembership TopologyReplica::membership() const {
  std::lock_guard lock(published_mutex_);
  return published_membership_;
}

Result<void, std::string> TopologyReplica::on_strand(
    std::function<Result<void, std::string>()> fn) {
  // Shared with the strand: after a time-out the handler may still run later.
  auto answer = std::make_shared<std::promise<Result<void, std::string>>>();
  auto future = answer->get_future();
  asio::post(strand_, [this, fn = std::move(fn), answer] {
    if (stopped_ || failed_ || !node_) {
      answer->set_value(unexpected(std::string("the cluster topology replica is stopped")));
      return;
    }
    auto result = fn();
    process();
    answer->set_value(std::move(result));
  });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return unexpected(std::string("the cluster topology replica did not answer within 10 s"));
  }
  return future.get();
}

Result<void, std::string> TopologyReplica::change_membership(const raft::ConfigChange& change) {
  return on_strand([this, change]() -> Result<void, std::string> {
    auto proposed = node_->propose_config_change(change);
    if (!proposed) return unexpected(proposed.error().message);
    return {};
  });
}

Result<void, std::string> TopologyReplica::transfer_leadership_away() {
  if (hand_over()) return {};
  return unexpected(std::string("not leading the cluster topology, or no caught-up voter"));
}

Result<void, std::string> TopologyReplica::force_configuration(std::vector<NodeId> voters) {
  return on_strand([this, voters = std::move(voters)]() mutable -> Result<void, std::string> {
    auto forced = node_->force_configuration(std::move(voters));
    if (!forced) return unexpected(forced.error().message);
    return {};
  });
}

}  // namespace tern::broker::management
