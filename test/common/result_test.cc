#include "common/result.h"

#include <gtest/gtest.h>

#include <string>

namespace tern {
namespace {

Result<int, std::string> parse_positive(int input) {
  if (input <= 0) return unexpected(std::string("must be positive"));
  return input;
}

TEST(Result, HoldsValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);

  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "must be positive");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, VoidSpecialisationCarriesOnlyTheError) {
  Result<void, std::string> fine;
  EXPECT_TRUE(fine.ok());
  Result<void, std::string> failed = unexpected(std::string("disk full"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "disk full");
}

}  // namespace
}  // namespace tern
