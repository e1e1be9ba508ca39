#pragma once

// What the management endpoints need from whoever keeps the cluster topology: the current value,
// the brokers that announced themselves but are not members yet, and a way to start a change.
// The replicated implementation (a Raft group holding the topology) and LocalTopologyManager
// (one process, used by single-node brokers and tests) both implement it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/topology/change_planner.h"
#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::management {

enum class ManagementErrc {
  kConflict,     // a change is in progress, or the topology moved since the plan was made
  kUnavailable,  // the topology cannot be changed right now (no leader, no quorum, shutting
                 // down), or the outcome is unknown (leadership moved before the commit)
  kNotLeader,    // this replica does not lead the topology group: nothing was proposed
};

struct ManagementError {
  ManagementErrc code = ManagementErrc::kConflict;
  std::string message;
  std::optional<NodeId> leader;  // kNotLeader: the leader this replica knows of, if any
};

// Thread-safe: the HTTP workers call it concurrently.
class TopologyManager {
 public:
  virtual ~TopologyManager() = default;

  virtual topology::ClusterTopology current() const = 0;

  // Brokers that contacted the cluster but are not members, with their address and region.
  virtual std::map<NodeId, topology::BrokerIdentity> announced() const = 0;

  // Starts `plan` as the next change, provided no change is in progress and the topology is still
  // at `based_on_version` (the version the plan was made from). Returns the change id.
  virtual Result<std::int64_t, ManagementError> submit(const topology::ChangePlan& plan,
                                                       std::int64_t based_on_version) = 0;

  // Before a forced change that removes every broker but `survivors`: makes sure the topology
  // itself can be changed, i.e. that the group holding it has a leader among the survivors,
  // forcing it to a configuration of the survivors when they are not a quorum of it. Blocks
  // until then (bounded); kUnavailable with the reason when that cannot be done.
  virtual Result<void, ManagementError> restore_quorum(const std::vector<NodeId>& survivors) = 0;
};

}  // namespace tern::broker::management
