#pragma once

// What the management endpoints need from whoever keeps the cluster topology: the current value,
// the brokers that announced themselves but are not members yet, and a way to start a change.
// The replicated implementation (a Raft group holding the topology) and LocalTopologyManager
// (one process, used by single-node brokers and tests) both implement it.

#include <cstdint>
#include <map>
#include <string>

#include "broker/topology/change_planner.h"
#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::management {

enum class ManagementErrc {
  kConflict,     // a change is in progress, or the topology moved since the plan was made
  kUnavailable,  // the topology cannot be changed right now (no leader, shutting down)
};

struct ManagementError {
  ManagementErrc code = ManagementErrc::kConflict;
  std::string message;
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
};

}  // namespace tern::broker::management
