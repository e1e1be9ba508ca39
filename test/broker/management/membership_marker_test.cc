// The membership marker on disk and the fencing decision a starting broker takes from it.

#include "broker/management/membership_marker.h"

#include <gtest/gtest.h>

#include <fstream>

#include "management_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::management {
namespace {

namespace tp = tern::broker::topology;

TEST(MembershipMarker, WrittenThenRead) {
  tern::test::TempDir dir;
  auto none = read_membership_marker(dir.path());
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(write_membership_marker(dir.path(), {NodeId(3), 7}).ok());
  auto read = read_membership_marker(dir.path());
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, (MembershipMarker{NodeId(3), 7}));
}

TEST(MembershipMarker, AGarbledMarkerIsNamed) {
  tern::test::TempDir dir;
  std::ofstream(dir.path() / kMembershipMarkerFile) << "{\"nodeId\": \"three\"}";
  auto read = read_membership_marker(dir.path());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().find("membership.json: not a membership marker"), std::string::npos);
}

TEST(MembershipMarker, ARemovedBrokerWithItsOldDataIsFencedWithAReason) {
  auto manager = testing::make_manager(testing::region_cluster(4, 4, 4, 2));
  const MembershipMarker old_data{NodeId(3), 0};
  EXPECT_EQ(decide_fencing(manager->current(), NodeId(3), old_data).verdict,
            tp::FencingVerdict::kMember);

  // Region 1 is forced out.
  auto plan = tp::plan_change(manager->current(),
                              {{}, {NodeId(1), NodeId(3)}, std::nullopt, tp::ChangeMode::kForce});
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(manager->submit(*plan, manager->current().version).ok());
  testing::run_to_completion(*manager);

  auto fenced = decide_fencing(manager->current(), NodeId(3), old_data);
  EXPECT_EQ(fenced.verdict, tp::FencingVerdict::kFenced);
  EXPECT_NE(fenced.reason.find("removed from the cluster by change 1"), std::string::npos)
      << fenced.reason;
  EXPECT_NE(fenced.reason.find("never vote again"), std::string::npos);
  EXPECT_EQ(decide_fencing(manager->current(), NodeId(3), std::nullopt).verdict,
            tp::FencingVerdict::kUnknown);

  // Added back with a fresh disk by change 2: that broker is a member, the old data stays fenced.
  auto back =
      tp::plan_change(manager->current(), {{NodeId(1), NodeId(3)}, {}, 4, tp::ChangeMode::kSafe});
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(manager->submit(*back, manager->current().version).ok());
  testing::run_to_completion(*manager);
  EXPECT_EQ(decide_fencing(manager->current(), NodeId(3), MembershipMarker{NodeId(3), 2}).verdict,
            tp::FencingVerdict::kMember);
  auto still = decide_fencing(manager->current(), NodeId(3), old_data);
  EXPECT_EQ(still.verdict, tp::FencingVerdict::kFenced);
  EXPECT_NE(still.reason.find("added again with a fresh disk"), std::string::npos);
}

TEST(MembershipMarker, SomeoneElsesDiskIsFenced) {
  auto topology = testing::region_cluster(2, 1, 2, 2);
  auto decision = decide_fencing(topology, NodeId(1), MembershipMarker{NodeId(0), 0});
  EXPECT_EQ(decision.verdict, tp::FencingVerdict::kFenced);
  EXPECT_NE(decision.reason.find("belongs to broker 0"), std::string::npos);
}

}  // namespace
}  // namespace tern::broker::management
