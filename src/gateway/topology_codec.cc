#include "gateway/topology_codec.h"

#include <fmt/format.h>

namespace tern::gateway {
namespace {

using ProtoPartition = gateway_protocol::Partition;

ProtoPartition::PartitionBrokerRole to_proto(PartitionRole role) {
  switch (role) {
    case PartitionRole::kLeader:
      return ProtoPartition::LEADER;
    case PartitionRole::kFollower:
      return ProtoPartition::FOLLOWER;
    case PartitionRole::kInactive:
      return ProtoPartition::INACTIVE;
  }
  return ProtoPartition::INACTIVE;
}

ProtoPartition::PartitionBrokerHealth to_proto(PartitionHealth health) {
  switch (health) {
    case PartitionHealth::kHealthy:
      return ProtoPartition::HEALTHY;
    case PartitionHealth::kUnhealthy:
      return ProtoPartition::UNHEALTHY;
    case PartitionHealth::kDead:
      return ProtoPartition::DEAD;
  }
  return ProtoPartition::DEAD;
}

}  // namespace

gateway_protocol::TopologyResponse to_topology_response(const ClusterTopology& topology) {
  gateway_protocol::TopologyResponse response;
  for (const BrokerInfo& broker : topology.brokers) {
    gateway_protocol::BrokerInfo* out = response.add_brokers();
    out->set_nodeid(broker.node_id);
    out->set_host(broker.host);
    out->set_port(broker.port);
    out->set_version(broker.version);
    for (const PartitionInfo& partition : broker.partitions) {
      ProtoPartition* p = out->add_partitions();
      p->set_partitionid(partition.partition_id);
      p->set_role(to_proto(partition.role));
      p->set_health(to_proto(partition.health));
    }
  }
  response.set_clustersize(topology.cluster_size);
  response.set_partitionscount(topology.partitions_count);
  response.set_replicationfactor(topology.replication_factor);
  response.set_gatewayversion(topology.gateway_version);
  return response;
}

nlohmann::ordered_json to_rest_json(const ClusterTopology& topology) {
  nlohmann::ordered_json brokers = nlohmann::ordered_json::array();
  for (const BrokerInfo& broker : topology.brokers) {
    nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
    for (const PartitionInfo& partition : broker.partitions) {
      partitions.push_back({{"partitionId", partition.partition_id},
                            {"role", std::string(to_string(partition.role))},
                            {"health", std::string(to_string(partition.health))}});
    }
    brokers.push_back({{"nodeId", broker.node_id},
                       {"host", broker.host},
                       {"port", broker.port},
                       {"partitions", std::move(partitions)},
                       {"version", broker.version},
                       // Not in Zeebe's shape (its gRPC Topology has no region either); extra
                       // fields are ignored by its clients, and region-aware tools need it.
                       {"region", broker.region}});
  }
  return {{"brokers", std::move(brokers)},
          {"clusterSize", topology.cluster_size},
          {"partitionsCount", topology.partitions_count},
          {"replicationFactor", topology.replication_factor},
          {"gatewayVersion", topology.gateway_version}};
}

tern::Result<ClusterTopology, std::string> from_topology_info(
    const tern::command::TopologyInfo& info) {
  ClusterTopology topology;
  topology.cluster_size = info.cluster_size();
  topology.partitions_count = info.partitions_count();
  topology.replication_factor = info.replication_factor();
  topology.membership_version = info.membership_version();
  topology.member_ids.assign(info.member_ids().begin(), info.member_ids().end());
  for (const auto& broker : info.brokers()) {
    BrokerInfo out{.node_id = broker.node_id(),
                   .host = broker.host(),
                   .port = broker.port(),
                   .version = broker.version(),
                   .region = broker.region(),
                   .partitions = {}};
    for (const auto& partition : broker.partitions()) {
      auto role = parse_partition_role(partition.role());
      if (!role) {
        return tern::unexpected(
            fmt::format("broker {} reports partition {} with unknown role '{}' (expected "
                        "leader, follower or inactive)",
                        broker.node_id(), partition.partition_id(), partition.role()));
      }
      auto health = parse_partition_health(partition.health());
      if (!health) {
        return tern::unexpected(
            fmt::format("broker {} reports partition {} with unknown health '{}' (expected "
                        "healthy, unhealthy or dead)",
                        broker.node_id(), partition.partition_id(), partition.health()));
      }
      out.partitions.push_back({partition.partition_id(), *role, *health, partition.term()});
    }
    topology.brokers.push_back(std::move(out));
  }
  return topology;
}

tern::command::TopologyInfo to_topology_info(const ClusterTopology& topology) {
  tern::command::TopologyInfo info;
  for (const BrokerInfo& broker : topology.brokers) {
    auto* out = info.add_brokers();
    out->set_node_id(broker.node_id);
    out->set_host(broker.host);
    out->set_port(broker.port);
    out->set_version(broker.version);
    out->set_region(broker.region);
    for (const PartitionInfo& partition : broker.partitions) {
      auto* p = out->add_partitions();
      p->set_partition_id(partition.partition_id);
      p->set_role(std::string(to_string(partition.role)));
      p->set_health(std::string(to_string(partition.health)));
      p->set_term(partition.term);
    }
  }
  info.set_cluster_size(topology.cluster_size);
  info.set_partitions_count(topology.partitions_count);
  info.set_replication_factor(topology.replication_factor);
  info.set_membership_version(topology.membership_version);
  for (std::int32_t id : topology.member_ids)
    info.add_member_ids(id);
  return info;
}

}  // namespace tern::gateway
