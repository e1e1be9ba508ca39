// EmbeddedTopologySource (the embedded gateway's view of the cluster): peers are learnt from
// their own SubscribeTopology reports, but only members of the committed cluster topology are
// listed, so a broker removed by a cluster change drops out even while it runs on and reports.

#include "broker/daemon/embedded_topology.h"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <set>

#include "broker/config.h"
#include "gateway/fake_command_api.h"
#include "gateway/topology_codec.h"
#include "support/eventually.h"

namespace tern::broker {
namespace {

using namespace std::chrono_literals;

std::vector<std::int32_t> broker_ids(const gateway::ClusterTopology& topology) {
  std::vector<std::int32_t> ids;
  for (const auto& broker : topology.brokers)
    ids.push_back(broker.node_id);
  return ids;
}

TEST(EmbeddedTopology, ARemovedBrokerDropsOutWhileItStillReports) {
  // Broker 1, still running, reports itself as a follower of partition 1.
  gateway::testing::FakeCommandApi peer;
  gateway::ClusterTopology reported;
  reported.brokers.push_back(gateway::BrokerInfo{
      .node_id = 1,
      .host = "127.0.0.1",
      .port = peer.port(),
      .version = "0.1.0",
      .region = "",
      .partitions = {{1, PartitionRole::kFollower, PartitionHealth::kHealthy}}});
  reported.cluster_size = 2;
  reported.partitions_count = 1;
  reported.replication_factor = 2;
  peer.set(gateway::to_topology_info(reported));

  TernConfig config;
  config.cluster.node_id = 0;
  config.cluster.size = 2;
  config.cluster.partitions = 1;
  config.cluster.replication_factor = 2;
  auto self = std::make_shared<const BrokerTopology>(
      config, std::vector<std::shared_ptr<const Partition>>{});

  std::mutex mutex;
  std::optional<std::set<std::int32_t>> members;  // guarded by mutex
  auto set_members = [&](std::optional<std::set<std::int32_t>> ids) {
    std::lock_guard lock(mutex);
    members = std::move(ids);
  };
  EmbeddedTopologySource source(
      self,
      [&] {
        return std::map<NodeId, PeerInfo>{{NodeId(1), PeerInfo{peer.address(), "0.1.0"}}};
      },
      [&] {
        std::lock_guard lock(mutex);
        return members;
      },
      20ms);

  // Before the committed topology is known, every reporting peer is listed.
  ASSERT_TRUE(tern::test::eventually(
      [&] {
        return broker_ids(source.current()) == std::vector<std::int32_t>{0, 1};
      },
      10s));
  set_members(std::set<std::int32_t>{0, 1});
  EXPECT_EQ(broker_ids(source.current()), (std::vector<std::int32_t>{0, 1}));

  // Removed from the committed topology: gone, although its reports keep coming.
  set_members(std::set<std::int32_t>{0});
  EXPECT_EQ(broker_ids(source.current()), std::vector<std::int32_t>{0});
  const int subscriptions = peer.subscriptions();
  EXPECT_GE(subscriptions, 1) << "the peer is still followed";
  peer.set(gateway::to_topology_info(reported));  // a fresh report changes nothing
  EXPECT_EQ(broker_ids(source.current()), std::vector<std::int32_t>{0});

  // Added back (a failback): listed again from its reports.
  set_members(std::set<std::int32_t>{0, 1});
  EXPECT_EQ(broker_ids(source.current()), (std::vector<std::int32_t>{0, 1}));
}

}  // namespace
}  // namespace tern::broker
