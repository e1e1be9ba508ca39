#include "broker/management/local_topology_manager.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace tern::broker::management {

namespace tp = tern::broker::topology;

LocalTopologyManager::LocalTopologyManager(tp::ClusterTopology initial, Clock clock)
    : clock_(std::move(clock)), topology_(std::move(initial)) {}

tp::ClusterTopology LocalTopologyManager::current() const {
  std::lock_guard lock(mutex_);
  return topology_;
}

std::map<NodeId, tp::BrokerIdentity> LocalTopologyManager::announced() const {
  std::lock_guard lock(mutex_);
  return announced_;
}

void LocalTopologyManager::announce(NodeId id, tp::BrokerIdentity identity) {
  std::lock_guard lock(mutex_);
  announced_[id] = std::move(identity);
}

Result<std::int64_t, ManagementError> LocalTopologyManager::submit(const tp::ChangePlan& plan,
                                                                   std::int64_t based_on_version) {
  std::int64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (topology_.pending_change) {
      return tern::unexpected(ManagementError{
          ManagementErrc::kConflict,
          "change " + std::to_string(topology_.pending_change->id) + " is in progress"});
    }
    if (topology_.version != based_on_version) {
      return tern::unexpected(ManagementError{
          ManagementErrc::kConflict, "the topology changed (version "
                                         + std::to_string(based_on_version) + " -> "
                                         + std::to_string(topology_.version) + "); plan again"});
    }
    id = topology_.next_change_id();
    tp::ClusterChange change;
    change.id = id;
    change.status = tp::ChangeStatus::kInProgress;
    change.started_at_ms = clock_();
    change.pending = plan.operations;
    topology_.pending_change = std::move(change);
    topology_.replication_factor = plan.expected.replication_factor;
    ++topology_.version;
  }
  spdlog::info("cluster change {} started with {} operation(s)", id, plan.operations.size());
  change_started_.notify_all();
  return id;
}

bool LocalTopologyManager::step() {
  std::lock_guard lock(mutex_);
  if (!topology_.pending_change) return false;
  auto& change = *topology_.pending_change;
  if (change.pending.empty()) {
    finish_locked(tp::ChangeStatus::kCompleted);
    return true;
  }
  tp::Operation operation = change.pending.front();
  auto applied = tp::apply_operation(topology_, operation, clock_());
  if (!applied) {
    spdlog::error("cluster change {} failed: {}", change.id, applied.error().message);
    finish_locked(tp::ChangeStatus::kFailed);
    return true;
  }
  // apply_operation may not touch pending_change, so `change` is still valid.
  change.pending.erase(change.pending.begin());
  change.completed.push_back(std::move(operation));
  return true;
}

void LocalTopologyManager::finish_locked(tp::ChangeStatus status) {
  tp::ClusterChange finished = std::move(*topology_.pending_change);
  topology_.pending_change.reset();
  finished.status = status;
  finished.completed_at_ms = clock_();
  finished.completed.clear();
  finished.pending.clear();
  spdlog::info("cluster change {} {}", finished.id, tp::to_string(status));
  topology_.last_change = std::move(finished);
  for (const auto& [id, broker] : topology_.brokers)
    announced_.erase(id);
  ++topology_.version;
}

bool LocalTopologyManager::wait_for_change(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return change_started_.wait_for(lock, timeout,
                                  [this] { return topology_.pending_change.has_value(); });
}

}  // namespace tern::broker::management
