#include "broker/daemon/embedded_topology.h"

#include "common/version.h"

namespace tern::broker {
gateway::ClusterTopology EmbeddedTopologySource::current() const {
  BrokerSelfReport self = broker_->report();
  gateway::BrokerInfo broker;
  broker.node_id = self.node_id;
  broker.host = self.host;
  broker.port = self.command_port;
  broker.version = self.version;
  broker.region = self.region;
  for (const auto& partition : self.partitions) {
    broker.partitions.push_back({partition.id.value(), partition.role, partition.health});
  }
  gateway::ClusterTopology topology;
  topology.brokers.push_back(std::move(broker));
  topology.cluster_size = self.cluster_size;
  topology.partitions_count = self.partitions_count;
  topology.replication_factor = self.replication_factor;
  topology.gateway_version = std::string(kVersion);
  return topology;
}

}  // namespace tern::broker
