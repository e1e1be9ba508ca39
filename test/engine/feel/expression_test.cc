// Each FEEL construct: literals, names and paths, operators, three-valued logic, if, between,
// in, quantifiers, for, filters, instance of, lambdas, and the limits that bound evaluation.

#include <gtest/gtest.h>

#include "feel_test_util.h"

namespace tern::feel {
namespace {

using nlohmann::json;
using test::show;

TEST(FeelLiterals, ScalarsListsAndContexts) {
  EXPECT_EQ(show("42"), "42");
  EXPECT_EQ(show("-1.50"), "-1.5");
  EXPECT_EQ(show("\"a\\\"b\\\\c\\n\""), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(show("\"\\u00e9\\ud83d\\ude00\""), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  EXPECT_EQ(show("true"), "true");
  EXPECT_EQ(show("null"), "null");
  EXPECT_EQ(show("[1, \"a\", null]"), "[1, \"a\", null]");
  EXPECT_EQ(show("{a: 1, \"b c\": 2}"), "{a:1, b c:2}");
  EXPECT_EQ(show("{a: 1, b: a + 1}.b"), "2");
  EXPECT_EQ(show("@\"2024-01-31\""), "2024-01-31");
  EXPECT_EQ(show("@\"P1DT2H\""), "P1DT2H");
  EXPECT_EQ(show("1 // a comment\n + /* another */ 2"), "3");
}

TEST(FeelNames, PathsIndexesAndNamesWithSpaces) {
  json vars = {{"order", {{"items", {{{"price", 3}}, {{"price", 12}}}}, {"id", "o-1"}}},
               {"order total", 120},
               {"weird-name", 1}};
  EXPECT_EQ(show("order.items[1].price", vars), "3");
  EXPECT_EQ(show("order.items[-1].price", vars), "12");
  EXPECT_EQ(show("order.items[3]", vars), "null");
  EXPECT_EQ(show("order.items.price", vars), "[3, 12]");
  EXPECT_EQ(show("order total > 100", vars), "true");
  EXPECT_EQ(show("`weird-name` + 1", vars), "2");
  EXPECT_EQ(show("order.missing.deeper", vars), "null");
  EXPECT_EQ(show("nobody", vars), "null");
}

TEST(FeelOperators, ArithmeticComparisonAndNull) {
  EXPECT_EQ(show("1 + 2 * 3 - 4 / 2"), "5");
  EXPECT_EQ(show("2 ** 3 ** 2"), "64");
  EXPECT_EQ(show("0.1 + 0.2 = 0.3"), "true");
  EXPECT_EQ(show("1 / 0"), "null");
  EXPECT_EQ(show("\"a\" + \"b\""), "\"ab\"");
  EXPECT_EQ(show("\"a\" + 1"), "null");
  EXPECT_EQ(show("1 = 1.0"), "true");
  EXPECT_EQ(show("1 = \"1\""), "null");
  EXPECT_EQ(show("null = null"), "true");
  EXPECT_EQ(show("missing = null"), "true");
  EXPECT_EQ(show("missing > 5"), "null");
  EXPECT_EQ(show("[1, 2] = [1, 2]"), "true");
  EXPECT_EQ(show("{a: 1} != {a: 2}"), "true");
  EXPECT_EQ(show("\"B\" < \"a\""), "true");
}

TEST(FeelLogic, ThreeValued) {
  EXPECT_EQ(show("true and null"), "null");
  EXPECT_EQ(show("false and null"), "false");
  EXPECT_EQ(show("null and false"), "false");
  EXPECT_EQ(show("true or null"), "true");
  EXPECT_EQ(show("null or false"), "null");
  EXPECT_EQ(show("1 and true"), "null");
  EXPECT_EQ(show("not(null)"), "null");
  EXPECT_EQ(show("not(false)"), "true");
}

TEST(FeelControl, IfBetweenInAndInstanceOf) {
  EXPECT_EQ(show("if 2 > 1 then \"a\" else \"b\""), "\"a\"");
  EXPECT_EQ(show("if null then \"a\" else \"b\""), "\"b\"");
  EXPECT_EQ(show("5 between 1 and 5"), "true");
  EXPECT_EQ(show("null between 1 and 5"), "null");
  EXPECT_EQ(show("5 in [1..5)"), "false");
  EXPECT_EQ(show("5 in ]1..5]"), "true");
  EXPECT_EQ(show("3 in ]1..5["), "true");
  EXPECT_EQ(show("5 in (1, 5, 7)"), "true");
  EXPECT_EQ(show("5 in (< 3, > 4)"), "true");
  EXPECT_EQ(show("\"c\" in [\"a\", \"b\"]"), "false");
  EXPECT_EQ(show("5 instance of number"), "true");
  EXPECT_EQ(show("\"x\" instance of number"), "false");
  EXPECT_EQ(show("date(\"2024-01-01\") instance of date"), "true");
  EXPECT_EQ(show("[1] instance of list<number>"), "true");
  EXPECT_EQ(show("1 instance of nonsense"), "error: unknown type 'nonsense'");
}

TEST(FeelIteration, ForSomeEveryAndFilters) {
  EXPECT_EQ(show("for x in [1, 2, 3] return x * 2"), "[2, 4, 6]");
  EXPECT_EQ(show("for x in 1..3 return x"), "[1, 2, 3]");
  EXPECT_EQ(show("for x in 3..1 return x"), "[3, 2, 1]");
  EXPECT_EQ(show("for x in [1, 2], y in [10, 20] return x + y"), "[11, 21, 12, 22]");
  EXPECT_EQ(show("for x in [1, 2, 3] return if x = 1 then 0 else partial[-1] + x"), "[0, 2, 5]");
  EXPECT_EQ(show("for x in [] return x"), "[]");
  EXPECT_EQ(show("some x in [1, 2, 3] satisfies x > 2"), "true");
  EXPECT_EQ(show("some x in [] satisfies x > 2"), "false");
  EXPECT_EQ(show("every x in [1, 2, 3] satisfies x > 1"), "false");
  EXPECT_EQ(show("every x in [] satisfies x > 1"), "true");
  EXPECT_EQ(show("[1, 5, 10][item > 3]"), "[5, 10]");
  EXPECT_EQ(show("[{a: 1}, {a: 2}][a > 1]"), "[{a:2}]");
  EXPECT_EQ(show("[][item > 1]"), "[]");
  EXPECT_EQ(show("[][1]"), "null");
  EXPECT_EQ(show("5[item > 1]"), "[5]");
}

TEST(FeelFunctions, LambdasAndNamedArguments) {
  EXPECT_EQ(show("sort([3, 1, 2], function(a, b) a > b)"), "[3, 2, 1]");
  EXPECT_EQ(show("{f: function(x) x * 2, y: f(4)}.y"), "8");
  EXPECT_EQ(show("substring(string: \"foobar\", start position: 4)"), "\"bar\"");
  EXPECT_EQ(show("x(1)", json{{"x", 5}}), "error: unknown function 'x'");
  EXPECT_EQ(show("{f: 5, y: f(1)}.y"), "error: 'f' is not a function (it is number)");
}

TEST(FeelErrors, NameTheExpressionPositionAndCause) {
  auto e = Expression::compile("x > ");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().position, 4U);
  EXPECT_EQ(e.error().to_string(),
            "failed to evaluate expression 'x > ': unexpected end of expression at position 4");
  EXPECT_EQ(show("foo(1)"), "error: unknown function 'foo'");
  EXPECT_EQ(show("substring(\"a\")"), "error: function 'substring' does not take 1 argument");
  EXPECT_EQ(show("\"open"), "error: unterminated string");
  EXPECT_EQ(show("1 $ 2"), "error: unexpected character '$'");
  EXPECT_EQ(show("if true then 1"),
            "error: expected 'else' in if expression but found end of expression");
  EXPECT_EQ(show(""), "error: empty expression");
  EXPECT_EQ(show("{a: 1"), "error: expected '}' to close the context but found end of expression");
}

TEST(FeelLimits, HostileExpressionsAreBounded) {
  std::string deep(5000, '(');
  EXPECT_EQ(show(deep + "1" + std::string(5000, ')')), "error: expression is nested too deeply");
  std::string chain = "1";
  for (int i = 0; i < 2000; ++i)
    chain += " + 1";
  EXPECT_EQ(show(chain), "error: expression is nested too deeply");
  std::string shorter = "1";
  for (int i = 0; i < 300; ++i)
    shorter += " + 1";
  EXPECT_EQ(show(shorter), "301");
  EXPECT_EQ(show("for x in 1..100000000 return x"),
            "error: range longer than the limit of 100000 elements");
  EXPECT_EQ(show("every x in [1..99999], y in [1..99999] satisfies true"),
            "error: evaluation exceeded the limit of 1000000 iterations");
  // Doubling a string 30 times would need gigabytes; the string limit stops it at 1 MiB.
  EXPECT_EQ(show("for i in 1..30 return if i = 1 then \"xxxxxxxxxxxxxxxx\" "
                 "else partial[-1] + partial[-1]"),
            "error: string longer than the limit of 1048576 bytes");
  // Copying a large list over and over is paid for in bytes...
  EXPECT_EQ(
      show("{big: for i in 1..100000 return i, r: for j in 1..1000 return count(reverse(big))}"),
      "error: evaluation built more than the limit of 67108864 bytes");
  // ... as is reading `partial` in a long loop (each read copies the results so far).
  EXPECT_EQ(show("for i in 1..50000 return count(partial)"),
            "error: evaluation built more than the limit of 67108864 bytes");
  EXPECT_EQ(show("for i in 1..100 return count(partial)").substr(0, 10), "[0, 1, 2, ");
  Limits tight;
  tight.max_source_bytes = 10;
  auto e = Expression::compile("1 + 2 + 3 + 4", tight);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("longer than the limit"), std::string::npos);
}

}  // namespace
}  // namespace tern::feel
