#pragma once

// ReplicatedTopologyManager: the TopologyManager of a multi-broker cluster, over this broker's
// TopologyReplica ("partition 0"). current() and announced() are the replica's applied state;
// submit() proposes START_CHANGE through the replica and answers once it is committed and applied
// on this broker (the leader). On a broker that does not lead the topology group, submit() answers
// kUnavailable naming the leader, so the operator (or the CLI) can send the request there.
//
// Thread-safe: HTTP workers call it concurrently; the replica serialises proposals on its strand.

#include <chrono>
#include <functional>
#include <memory>

#include "broker/management/topology_manager.h"
#include "broker/management/topology_replica.h"

namespace tern::broker::management {

class ReplicatedTopologyManager final : public TopologyManager {
 public:
  using Clock = std::function<std::int64_t()>;  // wall clock in ms since the epoch

  ReplicatedTopologyManager(std::shared_ptr<TopologyReplica> replica, Clock clock,
                            std::chrono::milliseconds commit_timeout);

  topology::ClusterTopology current() const override;
  std::map<NodeId, topology::BrokerIdentity> announced() const override;
  Result<std::int64_t, ManagementError> submit(const topology::ChangePlan& plan,
                                               std::int64_t based_on_version) override;

  // Proposes any topology command (announcements, completion reports) and waits for its
  // verdict, at most the commit timeout.
  Result<void, ManagementError> propose(topology::TopologyCommand command);

 private:
  std::shared_ptr<TopologyReplica> replica_;
  Clock clock_;
  std::chrono::milliseconds commit_timeout_;
};

}  // namespace tern::broker::management
