#pragma once

// The embedded gateway's view of the cluster. This broker is asked directly (no network hop);
// every other broker is learnt as a standalone gateway learns it: a SubscribeTopology stream to
// its command API (gateway::ContactPointTopology, one per peer), on which it pushes its own
// roles, health and terms on every change. The peers' command addresses come from the cluster
// transport's hello, so a broker that joins later (scale-out) is subscribed to once it connects.
// Until a peer's first report arrives, a peer that this broker's replicas name as their leader is
// listed as that partition's leader, so routing works from the first moment.
//
// The cluster's shape (size, partitions, replication factor) is this broker's report of it,
// which follows the committed cluster topology (BrokerTopology's shape source). So do the peers
// listed: a broker that the committed topology no longer names (removed by a cluster change) is
// left out even while it still runs, stays connected and reports itself.
//
// Thread-safe: current() may be called from any thread; it starts a subscription the first time
// it sees a peer's address. The destructor ends the subscriptions.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "broker/broker_topology.h"
#include "broker/transport/cluster_transport.h"
#include "gateway/contact_point_topology.h"
#include "gateway/topology.h"

namespace tern::broker {

class EmbeddedTopologySource final : public gateway::TopologySource {
 public:
  using Peers = std::function<std::map<NodeId, PeerInfo>()>;
  // The node ids of the committed cluster topology's members; nullopt while it is not known
  // (then every peer that reports is listed).
  using Members = std::function<std::optional<std::set<std::int32_t>>()>;

  // Without `peers`, only this broker is known (single-broker tests); without `members`, every
  // peer that reports is listed.
  explicit EmbeddedTopologySource(
      std::shared_ptr<const BrokerTopology> broker, Peers peers = {}, Members members = {},
      std::chrono::milliseconds retry_interval = std::chrono::milliseconds(500));
  ~EmbeddedTopologySource() override;
  EmbeddedTopologySource(const EmbeddedTopologySource&) = delete;
  EmbeddedTopologySource& operator=(const EmbeddedTopologySource&) = delete;

  gateway::ClusterTopology current() const override;

 private:
  // The merged reports of the peers' subscriptions, by node id (other brokers only).
  std::map<std::int32_t, gateway::BrokerInfo> subscribed_peers(std::int32_t self) const;

  std::shared_ptr<const BrokerTopology> broker_;
  Peers peers_;
  Members members_;
  std::chrono::milliseconds retry_interval_;
  mutable std::mutex mutex_;
  // By command address; created on first sight, kept until destruction (a peer that went away
  // drops out of its subscription's report once that is stale). Guarded by mutex_.
  mutable std::map<std::string, std::unique_ptr<gateway::ContactPointTopology>> subscriptions_;
};

}  // namespace tern::broker
