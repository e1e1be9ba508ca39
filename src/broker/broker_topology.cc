#include "broker/broker_topology.h"

#include "common/version.h"

namespace tern::broker {

BrokerTopology::BrokerTopology(const TernConfig& config,
                               std::vector<std::shared_ptr<const Partition>> partitions)
    : partitions_(std::move(partitions)) {
  fixed_.node_id = config.cluster.node_id;
  fixed_.host = config.network.effective_advertised_host();
  fixed_.command_port = config.network.command_port;
  fixed_.version = std::string(kVersion);
  fixed_.region = config.cluster.region;
  fixed_.cluster_size = config.cluster.size;
  fixed_.partitions_count = config.cluster.partitions;
  fixed_.replication_factor = config.cluster.replication_factor;
}

BrokerSelfReport BrokerTopology::report() const {
  BrokerSelfReport report = fixed_;
  report.partitions.reserve(partitions_.size());
  for (const auto& partition : partitions_)
    report.partitions.push_back(partition->status());
  return report;
}

}  // namespace tern::broker
