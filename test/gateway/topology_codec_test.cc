// Conversions between the gateway's topology and the command API's message.

#include "gateway/topology_codec.h"

#include <gtest/gtest.h>

#include "gateway/static_topology.h"

namespace tern::gateway {
namespace {

TEST(TopologyCodec, CommandApiRoundTripKeepsEverything) {
  ClusterTopology original = testing::sample_topology();
  original.membership_version = 12;
  original.member_ids = {0, 1};
  const auto info = to_topology_info(original);
  EXPECT_EQ(info.brokers(0).partitions(1).role(), "follower");
  EXPECT_EQ(info.brokers(1).partitions(0).health(), "dead");
  EXPECT_EQ(info.brokers(1).region(), "west");
  EXPECT_EQ(info.membership_version(), 12);
  EXPECT_EQ(info.member_ids_size(), 2);

  auto decoded = from_topology_info(info);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, original);
}

TEST(TopologyCodec, UnknownRoleIsAnErrorNamingBrokerPartitionAndValue) {
  auto info = to_topology_info(testing::sample_topology());
  info.mutable_brokers(1)->mutable_partitions(1)->set_role("LEADER");
  auto decoded = from_topology_info(info);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("broker 1"), std::string::npos) << decoded.error();
  EXPECT_NE(decoded.error().find("partition 2"), std::string::npos) << decoded.error();
  EXPECT_NE(decoded.error().find("'LEADER'"), std::string::npos) << decoded.error();
}

TEST(TopologyCodec, UnknownHealthIsAnError) {
  auto info = to_topology_info(testing::sample_topology());
  info.mutable_brokers(0)->mutable_partitions(0)->set_health("");
  auto decoded = from_topology_info(info);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("health"), std::string::npos) << decoded.error();
}

TEST(TopologyNames, ParseIsTheInverseOfToString) {
  for (auto role : {PartitionRole::kLeader, PartitionRole::kFollower, PartitionRole::kInactive}) {
    EXPECT_EQ(parse_partition_role(to_string(role)), role);
  }
  for (auto health :
       {PartitionHealth::kHealthy, PartitionHealth::kUnhealthy, PartitionHealth::kDead}) {
    EXPECT_EQ(parse_partition_health(to_string(health)), health);
  }
  EXPECT_FALSE(parse_partition_role("boss").has_value());
  EXPECT_FALSE(parse_partition_health("fine").has_value());
}

}  // namespace
}  // namespace tern::gateway
