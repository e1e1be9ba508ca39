#pragma once

// ReplicatedTopologyManager: the TopologyManager of a multi-broker cluster, over this broker's
// TopologyReplica ("partition 0"). current() and announced() are the replica's applied state.
// submit() and propose() work on any broker: on the topology leader they propose through the
// local replica; elsewhere they forward the command to the leader over the cluster transport
// (TopologyPeers) and answer with the leader's verdict. While nobody is known to lead, or when the
// leader changes under a request, they retry (with the leader a refusal names, else the brokers
// this one is connected to) until the commit timeout.
//
// A retry after an attempt whose outcome is unknown (no answer, leadership lost before the commit)
// may meet the first attempt's effect: for START_CHANGE, a conflict is then checked against the
// leader's topology (the change with the expected id, started at this command's time, is ours)
// and reported as success; for other commands such a conflict is reported as it is, with a note.
//
// restore_quorum() is the first step of a forced change (the PATCH handler calls it): if the
// survivors are not a quorum of the topology group, the most up-to-date survivor forces the group
// to the survivors (src/raft/README.md, "Forced reconfiguration"), retried until the group has a
// leader again.
//
// Thread-safe: HTTP workers and the reconcile loop call it concurrently; calls block (bounded).

#include <chrono>
#include <functional>
#include <memory>

#include "broker/management/topology_manager.h"
#include "broker/management/topology_peers.h"
#include "broker/management/topology_replica.h"

namespace tern::broker::management {

class ReplicatedTopologyManager final : public TopologyManager {
 public:
  using Clock = std::function<std::int64_t()>;  // wall clock in ms since the epoch

  // Without `peers` nothing is forwarded: a broker that does not lead answers kNotLeader.
  ReplicatedTopologyManager(std::shared_ptr<TopologyReplica> replica, Clock clock,
                            std::chrono::milliseconds commit_timeout,
                            std::shared_ptr<const TopologyPeers> peers = nullptr);

  topology::ClusterTopology current() const override;
  std::map<NodeId, topology::BrokerIdentity> announced() const override;
  Result<std::int64_t, ManagementError> submit(const topology::ChangePlan& plan,
                                               std::int64_t based_on_version) override;
  Result<void, ManagementError> restore_quorum(const std::vector<NodeId>& survivors) override;

  // Proposes any topology command (announcements, completion reports) on the topology leader,
  // wherever it is, and waits for its verdict, at most the commit timeout.
  Result<void, ManagementError> propose(topology::TopologyCommand command);

  // The freshest topology among this replica's and its connected peers' (each asked with
  // `timeout`): what a starting broker whose own copy may be stale should go by.
  topology::ClusterTopology freshest(std::chrono::milliseconds timeout) const;

 private:
  struct Attempt {
    Result<void, ManagementError> verdict;
    std::optional<NodeId> asked;  // the broker that gave it (nullopt: this one)
  };
  Attempt attempt(const topology::TopologyCommand& command, std::optional<NodeId> target,
                  std::chrono::milliseconds timeout) const;
  bool holds_change(const topology::TopologyCommand& command, std::optional<NodeId> asked) const;

  std::shared_ptr<TopologyReplica> replica_;
  Clock clock_;
  std::chrono::milliseconds commit_timeout_;
  std::shared_ptr<const TopologyPeers> peers_;
};

}  // namespace tern::broker::management
