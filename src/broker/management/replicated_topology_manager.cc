#include "broker/management/replicated_topology_manager.h"

#include <spdlog/spdlog.h>

#include <future>

namespace tern::broker::management {

namespace tp = tern::broker::topology;

ReplicatedTopologyManager::ReplicatedTopologyManager(std::shared_ptr<TopologyReplica> replica,
                                                     Clock clock,
                                                     std::chrono::milliseconds commit_timeout)
    : replica_(std::move(replica)), clock_(std::move(clock)), commit_timeout_(commit_timeout) {}

tp::ClusterTopology ReplicatedTopologyManager::current() const {
  return replica_->topology();
}

std::map<NodeId, tp::BrokerIdentity> ReplicatedTopologyManager::announced() const {
  return replica_->announced();
}

Result<void, ManagementError> ReplicatedTopologyManager::propose(tp::TopologyCommand command) {
  // The promise outlives a timed-out wait: the replica answers every proposal exactly once.
  auto verdict = std::make_shared<std::promise<Result<void, ManagementError>>>();
  auto future = verdict->get_future();
  replica_->propose(std::move(command), [verdict](Result<void, ManagementError> result) {
    verdict->set_value(std::move(result));
  });
  if (future.wait_for(commit_timeout_) != std::future_status::ready) {
    return unexpected(ManagementError{ManagementErrc::kUnavailable,
                                      "the cluster topology did not commit the command within "
                                          + std::to_string(commit_timeout_.count())
                                          + " ms; it may still take effect"});
  }
  return future.get();
}

Result<std::int64_t, ManagementError> ReplicatedTopologyManager::submit(
    const tp::ChangePlan& plan, std::int64_t based_on_version) {
  // A START_CHANGE only applies at `based_on_version`, so the change gets the id that version
  // hands out next.
  const tp::ClusterTopology now = replica_->topology();
  if (now.version != based_on_version) {
    return unexpected(ManagementError{ManagementErrc::kConflict,
                                      "the topology moved to version " + std::to_string(now.version)
                                          + " since the plan was made on version "
                                          + std::to_string(based_on_version) + "; plan again"});
  }
  tp::TopologyCommand command;
  command.kind = tp::TopologyCommandKind::kStartChange;
  command.time_ms = clock_();
  command.based_on_version = based_on_version;
  command.replication_factor = plan.expected.replication_factor;
  command.operations = plan.operations;
  if (auto proposed = propose(std::move(command)); !proposed) {
    return unexpected(proposed.error());
  }
  const std::int64_t id = now.next_change_id();
  spdlog::info("cluster change {} committed with {} operation(s)", id, plan.operations.size());
  return id;
}

}  // namespace tern::broker::management
