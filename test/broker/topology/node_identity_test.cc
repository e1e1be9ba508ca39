// Node ids from StatefulSet pod names: id = ordinal * region count + region index.

#include "broker/topology/node_identity.h"

#include <gtest/gtest.h>

namespace tern::broker::topology {
namespace {

TEST(NodeIdentity, OrdinalIsTheNumberAfterTheLastDash) {
  EXPECT_EQ(pod_ordinal("tern-0").value(), 0);
  EXPECT_EQ(pod_ordinal("tern-broker-region-a-12").value(), 12);
}

TEST(NodeIdentity, BadPodNamesAreNamedInTheError) {
  for (const char* name : {"tern", "tern-", "tern-x1", "tern-1x", "tern-1.5", "tern-+1"}) {
    auto ordinal = pod_ordinal(name);
    ASSERT_FALSE(ordinal.ok()) << name;
    EXPECT_NE(ordinal.error().find(name), std::string::npos) << ordinal.error();
  }
}

TEST(NodeIdentity, RegionsAlternate) {
  // Two regions: region 0 has even ids, region 1 odd ids.
  EXPECT_EQ(node_id_from_pod("tern-0", 2, 0).value(), 0);
  EXPECT_EQ(node_id_from_pod("tern-0", 2, 1).value(), 1);
  EXPECT_EQ(node_id_from_pod("tern-3", 2, 1).value(), 7);
  EXPECT_EQ(node_id_from_pod("tern-2", 3, 2).value(), 8);
  EXPECT_EQ(node_id_from_pod("tern-5", 1, 0).value(), 5);
  EXPECT_EQ(region_of(7, 2), 1);
  EXPECT_EQ(region_of(8, 3), 2);
}

TEST(NodeIdentity, RegionSettingsAreChecked) {
  auto zero = node_id_from_pod("tern-1", 0, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().find("region count must be at least 1"), std::string::npos);
  auto outside = node_id_from_pod("tern-1", 2, 2);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().find("region index 2 is outside 0..1"), std::string::npos);
  auto huge = node_id_from_pod("tern-2000000000", 3, 0);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().find("too large"), std::string::npos);
}

}  // namespace
}  // namespace tern::broker::topology
