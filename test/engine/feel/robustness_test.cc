// Seeded random inputs: whatever the text, compiling and evaluating returns a value or an error
// with a position inside the source; nothing crashes, hangs or grows without bound. Run under
// the sanitizer build this also checks memory safety. The seed is printed on failure.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "feel_test_util.h"

namespace tern::feel {
namespace {

const std::vector<std::string>& fragments() {
  static const std::vector<std::string> kFragments = {"1",
                                                      "0.5",
                                                      "-",
                                                      "+",
                                                      "*",
                                                      "/",
                                                      "**",
                                                      "=",
                                                      "!=",
                                                      "<",
                                                      ">=",
                                                      "(",
                                                      ")",
                                                      "[",
                                                      "]",
                                                      "{",
                                                      "}",
                                                      ",",
                                                      ".",
                                                      "..",
                                                      ":",
                                                      "\"s\"",
                                                      "\"",
                                                      "x",
                                                      "items",
                                                      "item",
                                                      "a b",
                                                      "and",
                                                      "or",
                                                      "not(",
                                                      "if",
                                                      "then",
                                                      "else",
                                                      "for",
                                                      "in",
                                                      "return",
                                                      "some",
                                                      "every",
                                                      "satisfies",
                                                      "between",
                                                      "instance of",
                                                      "number",
                                                      "null",
                                                      "true",
                                                      "function(",
                                                      "?",
                                                      "@\"P1D\"",
                                                      "@\"2024-01-01\"",
                                                      "date(",
                                                      "count(",
                                                      "sum(",
                                                      "string length(",
                                                      "substring(",
                                                      "sort(",
                                                      "for i in 1..5 return",
                                                      "[1..3]",
                                                      "partial",
                                                      "`q`",
                                                      "\\",
                                                      "$",
                                                      "\n"};
  return kFragments;
}

TEST(FeelRobustness, RandomTextNeverCrashes) {
  const auto& parts = fragments();
  nlohmann::json vars = {{"x", 5}, {"items", {1, 2, 3}}, {"a b", "c"}};
  MapResolver resolver(vars);
  for (std::uint32_t seed = 1; seed <= 20000; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, parts.size() - 1);
    std::uniform_int_distribution<int> length(1, 14);
    std::string source;
    int n = length(rng);
    for (int i = 0; i < n; ++i)
      source += parts[pick(rng)] + " ";
    auto compiled = Expression::compile(source);
    if (!compiled) {
      ASSERT_LE(compiled.error().position, source.size()) << "seed " << seed << ": " << source;
      ASSERT_FALSE(compiled.error().message.empty()) << "seed " << seed;
      continue;
    }
    auto value = compiled->evaluate(resolver, test::test_clock());
    if (!value) {
      ASSERT_LE(value.error().position, source.size()) << "seed " << seed << ": " << source;
      ASSERT_FALSE(value.error().message.empty()) << "seed " << seed;
    }
    auto tests = UnaryTests::compile(source);
    if (tests) {
      auto matched = tests->matches(Value::number(Decimal(3)), resolver);
      if (!matched) {
        ASSERT_FALSE(matched.error().message.empty()) << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace tern::feel
