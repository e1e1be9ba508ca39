#pragma once

// The topology replica's services on the cluster transport, and the client side that reaches
// them on other brokers. They let any broker act on the cluster topology, not only the leader of
// its Raft group ("partition 0"):
//   topology/propose  a topology command (encode_command bytes) proposed on the receiving
//                     broker's replica; answers the verdict once applied there, or NOT_LEADER
//                     (naming the leader it knows) when that replica does not lead;
//   topology/status   the receiving replica's Raft view (role, term, last log entry, leader,
//                     voters) and its topology version: what a forced reconfiguration of the group
//                     needs to pick the most up-to-date survivor;
//   topology/force    force the receiving replica's group to the given voters (it campaigns and
//                     must win every one of their votes);
//   topology/get      the receiving replica's applied topology (a starting broker whose own data
//                     may be stale asks its peers).
// Bodies are JSON (the command is the state machine's own encoding).
//
// TopologyPeers is thread-safe; its calls block the caller up to their timeout (never call them
// from the transport's IO thread or a replica's strand).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker/management/topology_manager.h"
#include "broker/management/topology_replica.h"
#include "broker/topology/topology_state_machine.h"
#include "broker/transport/cluster_transport.h"

namespace tern::broker::management {

inline constexpr const char* kTopologyProposeTopic = "topology/propose";
inline constexpr const char* kTopologyStatusTopic = "topology/status";
inline constexpr const char* kTopologyForceTopic = "topology/force";
inline constexpr const char* kTopologyGetTopic = "topology/get";

// Installs the four services for `replica` on `transport`. The handlers keep the replica alive;
// they answer "stopped" once it is.
void serve_topology_requests(ClusterTransport& transport, std::shared_ptr<TopologyReplica> replica);

// A peer replica's answer to topology/status.
struct PeerTopologyStatus {
  NodeId broker;
  TopologyRaftStatus raft;
  std::int64_t version = 0;
};

class TopologyPeers {
 public:
  explicit TopologyPeers(ClusterTransport& transport);

  // The verdict of broker `to`'s replica on `command`. Errors: kNotLeader when nothing was
  // proposed (that replica does not lead, the broker is not connected or serves no topology);
  // kUnavailable when the outcome is unknown (no answer in time, connection lost, leadership
  // moved before the commit); kConflict when the state machine rejected it.
  Result<void, ManagementError> propose(NodeId to, const topology::TopologyCommand& command,
                                        std::chrono::milliseconds timeout) const;
  Result<PeerTopologyStatus, std::string> status(NodeId to,
                                                 std::chrono::milliseconds timeout) const;
  Result<void, std::string> force(NodeId to, const std::vector<NodeId>& voters,
                                  std::chrono::milliseconds timeout) const;
  Result<topology::ClusterTopology, std::string> fetch(NodeId to,
                                                       std::chrono::milliseconds timeout) const;

  // Brokers this one has a connection with (candidates to ask when no leader is known).
  std::vector<NodeId> connected() const { return transport_.connected_peers(); }

 private:
  Result<std::string, RequestError> call(NodeId to, const char* topic, std::string body,
                                         std::chrono::milliseconds timeout) const;

  ClusterTransport& transport_;
};

}  // namespace tern::broker::management
