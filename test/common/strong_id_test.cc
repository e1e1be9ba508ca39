#include "common/strong_id.h"

#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace tern {
namespace {

TEST(StrongId, OrdersHashesAndPrints) {
  NodeId a(1);
  NodeId b(2);
  EXPECT_LT(a, b);
  EXPECT_EQ(a.next(), b);
  std::unordered_set<NodeId> ids{a, b, NodeId(1)};
  EXPECT_EQ(ids.size(), 2u);
  std::ostringstream out;
  out << b;
  EXPECT_EQ(out.str(), "2");
}

TEST(StrongId, DistinctTagsDoNotConvert) {
  EXPECT_FALSE((std::is_convertible_v<NodeId, PartitionId>));
  EXPECT_FALSE((std::is_convertible_v<int, NodeId>));
}

}  // namespace
}  // namespace tern
