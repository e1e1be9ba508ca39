#include "engine/feel/decimal.h"

#include <gtest/gtest.h>

namespace tern::feel {
namespace {

Decimal d(const char* text) {
  auto v = Decimal::parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.value_or(Decimal());
}

TEST(Decimal, ParsesAndPrintsCanonically) {
  EXPECT_EQ(d("12.50").to_string(), "12.5");
  EXPECT_EQ(d("-0.001").to_string(), "-0.001");
  EXPECT_EQ(d("1e3").to_string(), "1000");
  EXPECT_EQ(d(".5").to_string(), "0.5");
  EXPECT_EQ(d("0.000").to_string(), "0");
  EXPECT_EQ(d("1.0"), d("1"));
  EXPECT_FALSE(Decimal::parse("").has_value());
  EXPECT_FALSE(Decimal::parse("1.2.3").has_value());
  EXPECT_FALSE(Decimal::parse("abc").has_value());
  EXPECT_FALSE(Decimal::parse("1e").has_value());
}

TEST(Decimal, MoneyArithmeticIsExact) {
  EXPECT_EQ(d("0.1").add(d("0.2"))->to_string(), "0.3");
  EXPECT_EQ(d("19.99").multiply(d("3"))->to_string(), "59.97");
  EXPECT_EQ(d("1.10").subtract(d("1.1"))->to_string(), "0");
  EXPECT_EQ(d("10").divide(d("4"))->to_string(), "2.5");
}

TEST(Decimal, DivisionRoundsTo34DigitsHalfEven) {
  EXPECT_EQ(d("1").divide(d("3"))->to_string(), "0.3333333333333333333333333333333333");
  EXPECT_EQ(d("2").divide(d("3"))->to_string(), "0.6666666666666666666666666666666667");
  EXPECT_FALSE(d("1").divide(d("0")).has_value());
}

TEST(Decimal, LargeProductsRoundInsteadOfOverflowing) {
  auto big = d("99999999999999999999999999999999").multiply(d("99999999999999999999999999999999"));
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->to_string(), "9999999999999999999999999999999800000000000000000000000000000000");
  auto huge = d("1e6000").multiply(d("1e6000"));
  EXPECT_FALSE(huge.has_value()) << "exponent beyond DECIMAL128's range is an overflow";
}

TEST(Decimal, AddingVeryDifferentMagnitudesKeepsTheLargerRounded) {
  EXPECT_EQ(d("1").add(d("1e-50"))->to_string(), "1");
  EXPECT_EQ(d("1").subtract(d("1e-50"))->to_string(), "1");
}

TEST(Decimal, ComparesAcrossExponents) {
  EXPECT_TRUE(d("1.5") < d("2"));
  EXPECT_TRUE(d("-2") < d("-1.5"));
  EXPECT_TRUE(d("100") > d("99.999"));
  EXPECT_TRUE(d("0") > d("-0.0001"));
  EXPECT_EQ(d("2.50") <=> d("2.5"), std::strong_ordering::equal);
}

TEST(Decimal, RoundingModes) {
  using R = Decimal::Rounding;
  EXPECT_EQ(d("2.5").round(0, R::kHalfEven)->to_string(), "2");
  EXPECT_EQ(d("3.5").round(0, R::kHalfEven)->to_string(), "4");
  EXPECT_EQ(d("2.5").round(0, R::kHalfUp)->to_string(), "3");
  EXPECT_EQ(d("-2.5").round(0, R::kHalfUp)->to_string(), "-3");
  EXPECT_EQ(d("2.5").round(0, R::kHalfDown)->to_string(), "2");
  EXPECT_EQ(d("-1.5").round(0, R::kFloor)->to_string(), "-2");
  EXPECT_EQ(d("-1.5").round(0, R::kCeiling)->to_string(), "-1");
  EXPECT_EQ(d("1.21").round(1, R::kUp)->to_string(), "1.3");
  EXPECT_EQ(d("1.29").round(1, R::kDown)->to_string(), "1.2");
  EXPECT_EQ(d("1234").round(-2, R::kHalfUp)->to_string(), "1200");
  EXPECT_EQ(d("0.0004").round(2, R::kCeiling)->to_string(), "0.01");
}

TEST(Decimal, ModuloTakesTheDivisorsSign) {
  EXPECT_EQ(d("12").modulo(d("5"))->to_string(), "2");
  EXPECT_EQ(d("-12").modulo(d("5"))->to_string(), "3");
  EXPECT_EQ(d("12").modulo(d("-5"))->to_string(), "-3");
  EXPECT_EQ(d("10.1").modulo(d("4.5"))->to_string(), "1.1");
}

TEST(Decimal, PowersAndConversions) {
  EXPECT_EQ(d("2").power(d("10"))->to_string(), "1024");
  EXPECT_EQ(d("2").power(d("-2"))->to_string(), "0.25");
  EXPECT_EQ(Decimal(1).to_string(), "1");
  EXPECT_EQ(Decimal::from_double(0.1)->to_string(), "0.1");
  EXPECT_EQ(d("42").to_int64(), 42);
  EXPECT_FALSE(d("4.2").to_int64().has_value());
  EXPECT_FALSE(d("1e30").to_int64().has_value());
  EXPECT_DOUBLE_EQ(d("1.25").to_double(), 1.25);
}

}  // namespace
}  // namespace tern::feel
