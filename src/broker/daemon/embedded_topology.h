#pragma once

// The embedded gateway's view of the cluster: the broker it runs in, asked directly (no network
// hop), and its peers as far as this broker knows them. Every peer announces its command address
// in the cluster transport's hello; every replica hosted here knows its partition's leader. So the
// topology lists this broker with its own roles, and each peer that leads a partition hosted here
// as that partition's leader (the other brokers' follower roles are not known here; a standalone
// gateway, which asks every broker, reports them). That is what routing needs: every partition
// with a replica here has its leader's address. Thread-safe (BrokerTopology is; `peers` must be).

#include <functional>
#include <map>
#include <memory>

#include "broker/broker_topology.h"
#include "broker/transport/cluster_transport.h"
#include "gateway/topology.h"

namespace tern::broker {

class EmbeddedTopologySource final : public gateway::TopologySource {
 public:
  using Peers = std::function<std::map<NodeId, PeerInfo>()>;

  EmbeddedTopologySource(std::shared_ptr<const BrokerTopology> broker, Peers peers = {})
      : broker_(std::move(broker)), peers_(std::move(peers)) {}

  gateway::ClusterTopology current() const override;

 private:
  std::shared_ptr<const BrokerTopology> broker_;
  Peers peers_;
};

}  // namespace tern::broker
