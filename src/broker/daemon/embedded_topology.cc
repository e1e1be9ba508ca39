#include "broker/daemon/embedded_topology.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/config_validation.h"
#include "common/version.h"

namespace tern::broker {
namespace {

// The peers that lead a partition hosted here, with those partitions, by node id: what this
// broker's own replicas know, used for peers whose subscription has not reported yet.
std::map<std::int32_t, gateway::BrokerInfo> leading_peers(const BrokerSelfReport& self,
                                                          const std::map<NodeId, PeerInfo>& peers) {
  std::map<std::int32_t, gateway::BrokerInfo> out;
  for (const auto& partition : self.partitions) {
    if (!partition.leader || *partition.leader == self.node_id) continue;
    auto peer = peers.find(NodeId(*partition.leader));
    if (peer == peers.end() || peer->second.command_address.empty()) continue;
    auto address = parse_host_port(peer->second.command_address);
    if (!address) continue;
    auto [it, inserted] = out.try_emplace(*partition.leader);
    gateway::BrokerInfo& broker = it->second;
    if (inserted) {
      broker.node_id = *partition.leader;
      broker.host = address->host;
      broker.port = address->port;
      broker.version = peer->second.version;
    }
    broker.partitions.push_back(
        {partition.id.value(), PartitionRole::kLeader, PartitionHealth::kHealthy});
  }
  return out;
}

}  // namespace

EmbeddedTopologySource::EmbeddedTopologySource(std::shared_ptr<const BrokerTopology> broker,
                                               Peers peers, Members members,
                                               std::chrono::milliseconds retry_interval)
    : broker_(std::move(broker)),
      peers_(std::move(peers)),
      members_(std::move(members)),
      retry_interval_(retry_interval) {}

EmbeddedTopologySource::~EmbeddedTopologySource() {
  std::lock_guard lock(mutex_);
  for (auto& [address, subscription] : subscriptions_)
    subscription->shutdown();
}

std::map<std::int32_t, gateway::BrokerInfo> EmbeddedTopologySource::subscribed_peers(
    std::int32_t self) const {
  std::map<std::int32_t, gateway::BrokerInfo> out;
  std::lock_guard lock(mutex_);
  for (const auto& [address, subscription] : subscriptions_) {
    for (auto& broker : subscription->current().brokers) {
      if (broker.node_id != self) out.try_emplace(broker.node_id, std::move(broker));
    }
  }
  return out;
}

gateway::ClusterTopology EmbeddedTopologySource::current() const {
  BrokerSelfReport self = broker_->report();
  gateway::BrokerInfo broker;
  broker.node_id = self.node_id;
  broker.host = self.host;
  broker.port = self.command_port;
  broker.version = self.version;
  broker.region = self.region;
  for (const auto& partition : self.partitions) {
    broker.partitions.push_back(
        {partition.id.value(), partition.role, partition.health, partition.term});
  }
  gateway::ClusterTopology topology;
  topology.brokers.push_back(std::move(broker));
  if (peers_) {
    const std::map<NodeId, PeerInfo> peers = peers_();
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, peer] : peers) {
        if (peer.command_address.empty() || subscriptions_.contains(peer.command_address)) continue;
        auto started =
            gateway::ContactPointTopology::start({peer.command_address}, retry_interval_);
        if (!started) {
          spdlog::warn("embedded gateway: cannot follow broker {}'s topology at {}: {}", id.value(),
                       peer.command_address, started.error());
          continue;
        }
        spdlog::info("embedded gateway: following broker {}'s topology at {}", id.value(),
                     peer.command_address);
        subscriptions_.emplace(peer.command_address, std::move(*started));
      }
    }
    auto known = subscribed_peers(self.node_id);
    for (auto& [id, leader] : leading_peers(self, peers))
      known.try_emplace(id, std::move(leader));
    // A removed broker may run on (until its operator stops it) and keep reporting itself: the
    // committed topology, not its reports, says who is in the cluster.
    if (const auto members = members_ ? members_() : std::nullopt) {
      std::erase_if(known, [&](const auto& entry) { return !members->contains(entry.first); });
    }
    for (auto& [id, peer] : known)
      topology.brokers.push_back(std::move(peer));
    std::sort(topology.brokers.begin(), topology.brokers.end(),
              [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  }
  topology.cluster_size = self.cluster_size;
  topology.partitions_count = self.partitions_count;
  topology.replication_factor = self.replication_factor;
  topology.gateway_version = std::string(kVersion);
  return topology;
}

}  // namespace tern::broker
