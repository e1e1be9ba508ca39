#include "broker/management/local_topology_manager.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/check.h"

namespace tern::broker::management {

namespace tp = tern::broker::topology;

LocalTopologyManager::LocalTopologyManager(tp::ClusterTopology initial, Clock clock)
    : clock_(std::move(clock)), machine_(std::move(initial)) {}

tp::ClusterTopology LocalTopologyManager::current() const {
  std::lock_guard lock(mutex_);
  return machine_.topology();
}

std::map<NodeId, tp::BrokerIdentity> LocalTopologyManager::announced() const {
  std::lock_guard lock(mutex_);
  return machine_.announced();
}

void LocalTopologyManager::announce(NodeId id, tp::BrokerIdentity identity) {
  tp::TopologyCommand command;
  command.kind = tp::TopologyCommandKind::kAnnounce;
  command.time_ms = clock_();
  command.broker = id;
  command.identity = std::move(identity);
  std::lock_guard lock(mutex_);
  if (auto applied = machine_.apply(command); !applied) {
    spdlog::warn("broker {} announced itself: {}", id.value(), applied.error().message);
  }
}

Result<std::int64_t, ManagementError> LocalTopologyManager::submit(const tp::ChangePlan& plan,
                                                                   std::int64_t based_on_version) {
  tp::TopologyCommand command;
  command.kind = tp::TopologyCommandKind::kStartChange;
  command.time_ms = clock_();
  command.based_on_version = based_on_version;
  command.replication_factor = plan.expected.replication_factor;
  command.operations = plan.operations;
  std::int64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = machine_.topology().next_change_id();
    if (auto applied = machine_.apply(command); !applied) {
      return tern::unexpected(ManagementError{ManagementErrc::kConflict, applied.error().message});
    }
  }
  spdlog::info("cluster change {} started with {} operation(s)", id, plan.operations.size());
  change_started_.notify_all();
  return id;
}

bool LocalTopologyManager::step() {
  std::lock_guard lock(mutex_);
  const auto& pending = machine_.topology().pending_change;
  if (!pending) return false;
  tp::TopologyCommand command;
  command.time_ms = clock_();
  command.change_id = pending->id;
  command.kind = tp::TopologyCommandKind::kCompleteOperation;
  command.operation = pending->pending.front();  // a running change has operations left
  if (auto applied = machine_.apply(command); !applied) {
    spdlog::error("cluster change {} failed: {}", command.change_id, applied.error().message);
    command.kind = tp::TopologyCommandKind::kFailChange;
    command.reason = applied.error().message;
    TERN_CHECK(machine_.apply(command).ok(), "failing the running change cannot be refused");
  }
  const auto& last = machine_.topology().last_change;
  if (last && last->id == command.change_id) {
    spdlog::info("cluster change {} {}", last->id, tp::to_string(last->status));
  }
  return true;
}

bool LocalTopologyManager::wait_for_change(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return change_started_.wait_for(
      lock, timeout, [this] { return machine_.topology().pending_change.has_value(); });
}

Result<void, ManagementError> LocalTopologyManager::restore_quorum(const std::vector<NodeId>&) {
  return {};
}

}  // namespace tern::broker::management
