#pragma once

// A TopologyManager that keeps the topology in this process and applies a change's operations
// when step() is called, one operation per call. It feeds a topology::TopologyStateMachine the
// same commands a topology Raft group would commit (START_CHANGE, COMPLETE_OPERATION, ...), so it
// behaves as the replicated one does, minus replication. It serves a single-node cluster, where
// there is nobody to replicate to, and tests of the management API and the CLI.
//
// Thread-safe: one mutex guards the topology; HTTP workers read and submit, a driver calls step().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "broker/management/topology_manager.h"
#include "broker/topology/topology_state_machine.h"

namespace tern::broker::management {

class LocalTopologyManager final : public TopologyManager {
 public:
  using Clock = std::function<std::int64_t()>;  // wall clock in ms since the epoch

  LocalTopologyManager(topology::ClusterTopology initial, Clock clock);

  topology::ClusterTopology current() const override;
  std::map<NodeId, topology::BrokerIdentity> announced() const override;
  Result<std::int64_t, ManagementError> submit(const topology::ChangePlan& plan,
                                               std::int64_t based_on_version) override;
  // One process holds the whole topology: nothing to restore, it can always be changed.
  Result<void, ManagementError> restore_quorum(const std::vector<NodeId>& survivors) override;

  // Records a broker that is not a member yet (as a starting broker would announce itself).
  void announce(NodeId id, topology::BrokerIdentity identity);

  // Completes the next pending operation (the change completes with its last one). Returns false
  // when no change is in progress. An operation that no longer fits fails the change.
  bool step();

  // Blocks until a change is in progress or `timeout` passed; true if one is.
  bool wait_for_change(std::chrono::milliseconds timeout) const;

 private:
  const Clock clock_;
  mutable std::mutex mutex_;
  mutable std::condition_variable change_started_;
  topology::TopologyStateMachine machine_;  // guarded by mutex_
};

}  // namespace tern::broker::management
