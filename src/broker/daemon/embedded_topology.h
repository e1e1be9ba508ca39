#pragma once

// The embedded gateway's view of the cluster: the broker it runs in, asked directly (no network
// hop). Until brokers exchange membership, a broker knows only itself, so the topology lists this
// broker alone together with the cluster's configured shape. Thread-safe (BrokerTopology is).

#include <memory>

#include "broker/broker_topology.h"
#include "gateway/topology.h"

namespace tern::broker {

class EmbeddedTopologySource final : public gateway::TopologySource {
 public:
  explicit EmbeddedTopologySource(std::shared_ptr<const BrokerTopology> broker)
      : broker_(std::move(broker)) {}

  gateway::ClusterTopology current() const override;

 private:
  std::shared_ptr<const BrokerTopology> broker_;
};

}  // namespace tern::broker
