// Every built-in function, with null, empty and Unicode edge cases.

#include <gtest/gtest.h>

#include "feel_test_util.h"

namespace tern::feel {
namespace {

using test::show;

TEST(FeelStringBuiltins, Basics) {
  EXPECT_EQ(show("string length(\"h\u00e9llo\U0001F600\")"), "6");
  EXPECT_EQ(show("string length(\"\")"), "0");
  EXPECT_EQ(show("string length(1)"), "null");
  EXPECT_EQ(show("substring(\"foobar\", 3)"), "\"obar\"");
  EXPECT_EQ(show("substring(\"foobar\", 3, 3)"), "\"oba\"");
  EXPECT_EQ(show("substring(\"foobar\", -2, 1)"), "\"a\"");
  EXPECT_EQ(show("substring(\"h\u00e9llo\", 2, 2)"), "\"\u00e9l\"");
  EXPECT_EQ(show("upper case(\"caf\u00e9 \u03b1\u0431\")"), "\"CAF\u00c9 \u0391\u0411\"");
  EXPECT_EQ(show("lower case(\"\u00c9COLE\")"), "\"\u00e9cole\"");
  EXPECT_EQ(show("upper case(\"stra\u00dfe\")"), "\"STRASSE\"");
  EXPECT_EQ(show("upper case(null)"), "null");
  EXPECT_EQ(show("contains(\"foobar\", \"ob\")"), "true");
  EXPECT_EQ(show("starts with(\"foobar\", \"foo\")"), "true");
  EXPECT_EQ(show("ends with(\"foobar\", \"foo\")"), "false");
  EXPECT_EQ(show("substring before(\"foobar\", \"bar\")"), "\"foo\"");
  EXPECT_EQ(show("substring after(\"foobar\", \"ob\")"), "\"ar\"");
  EXPECT_EQ(show("trim(\"  x \")"), "\"x\"");
}

TEST(FeelStringBuiltins, RegexSplitJoinAndString) {
  EXPECT_EQ(show("matches(\"foobar\", \"^fo*b\")"), "true");
  EXPECT_EQ(show("matches(\"FooBar\", \"foobar\", \"i\")"), "true");
  EXPECT_EQ(show("matches(\"x\", \"[\")"), "null");
  EXPECT_EQ(show("replace(\"abcd\", \"(ab)|(a)\", \"[1=$1][2=$2]\")"), "\"[1=ab][2=]cd\"");
  EXPECT_EQ(show("replace(\"banana\", \"a\", \"o\")"), "\"bonono\"");
  EXPECT_EQ(show("split(\"John Doe\", \"\\\\s\")"), "[\"John\", \"Doe\"]");
  EXPECT_EQ(show("split(\"a;;b\", \";\")"), "[\"a\", \"\", \"b\"]");
  EXPECT_EQ(show("string join([\"a\", null, \"c\"], \"-\")"), "\"a-c\"");
  EXPECT_EQ(show("string join([\"a\", \"b\"], \", \", \"[\", \"]\")"), "\"[a, b]\"");
  EXPECT_EQ(show("string join([1], \",\")"), "null");
  EXPECT_EQ(show("string(1.50)"), "\"1.5\"");
  EXPECT_EQ(show("string(date(\"2024-01-31\"))"), "\"2024-01-31\"");
  EXPECT_EQ(show("string([1, \"a\"])"), "\"[1, \\\"a\\\"]\"");
  EXPECT_EQ(show("string(null)"), "null");
  std::string long_input = "\"" + std::string(20000, 'a') + "\"";
  EXPECT_EQ(show("matches(" + long_input + ", \"(a+)+b\")"), "error: input of 'matches' too long");
}

TEST(FeelNumberBuiltins, ConversionRoundingAggregates) {
  EXPECT_EQ(show("number(\"12.5\")"), "12.5");
  EXPECT_EQ(show("number(\"1 000,5\", \" \", \",\")"), "1000.5");
  EXPECT_EQ(show("number(\"abc\")"), "null");
  EXPECT_EQ(show("decimal(1 / 3, 2)"), "0.33");
  EXPECT_EQ(show("decimal(2.5, 0)"), "2");
  EXPECT_EQ(show("floor(-1.5)"), "-2");
  EXPECT_EQ(show("floor(1.567, 2)"), "1.56");
  EXPECT_EQ(show("ceiling(1.2)"), "2");
  EXPECT_EQ(show("round half up(-2.5, 0)"), "-3");
  EXPECT_EQ(show("round half down(2.5, 0)"), "2");
  EXPECT_EQ(show("round up(-1.21, 1)"), "-1.3");
  EXPECT_EQ(show("round down(1.29, 1)"), "1.2");
  EXPECT_EQ(show("abs(-3)"), "3");
  EXPECT_EQ(show("abs(duration(\"-P1D\"))"), "P1D");
  EXPECT_EQ(show("modulo(-12, 5)"), "3");
  EXPECT_EQ(show("modulo(5, 0)"), "null");
  EXPECT_EQ(show("sqrt(16)"), "4");
  EXPECT_EQ(show("sqrt(-1)"), "null");
  EXPECT_EQ(show("odd(5) and even(4)"), "true");
  EXPECT_EQ(show("exp(0)"), "1");
  EXPECT_EQ(show("log(1)"), "0");
  EXPECT_EQ(show("log(0)"), "null");
  EXPECT_EQ(show("decimal(log(10), 4)"), "2.3026");
  EXPECT_EQ(show("min([3, 1, 2])"), "1");
  EXPECT_EQ(show("max(3, 1, 2)"), "3");
  EXPECT_EQ(show("min([])"), "null");
  EXPECT_EQ(show("max([date(\"2024-01-02\"), date(\"2024-01-01\")])"), "2024-01-02");
  EXPECT_EQ(show("sum([1, 2.5])"), "3.5");
  EXPECT_EQ(show("sum([1, \"a\"])"), "null");
  EXPECT_EQ(show("mean([1, 2, 3, 4])"), "2.5");
  EXPECT_EQ(show("product([2, 3, 4])"), "24");
  EXPECT_EQ(show("median([4, 1, 3, 2])"), "2.5");
}

TEST(FeelListBuiltins, All) {
  EXPECT_EQ(show("count([1, 2, 3])"), "3");
  EXPECT_EQ(show("count([])"), "0");
  EXPECT_EQ(show("list contains([1, null], null)"), "true");
  EXPECT_EQ(show("append([1], 2, 3)"), "[1, 2, 3]");
  EXPECT_EQ(show("concatenate([1], [2, 3], [])"), "[1, 2, 3]");
  EXPECT_EQ(show("distinct values([1, 2, 1, 1.0])"), "[1, 2]");
  EXPECT_EQ(show("flatten([[1, 2], [[3]], 4])"), "[1, 2, 3, 4]");
  EXPECT_EQ(show("index of([1, 2, 3, 2], 2)"), "[2, 4]");
  EXPECT_EQ(show("reverse([1, 2, 3])"), "[3, 2, 1]");
  EXPECT_EQ(show("sort([\"b\", \"a\", \"c\"])"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(show("sort([1, \"a\"])"), "null");
  EXPECT_EQ(show("sublist([1, 2, 3, 4], 2, 2)"), "[2, 3]");
  EXPECT_EQ(show("sublist([1, 2, 3], 5)"), "null");
  EXPECT_EQ(show("remove([1, 2, 3], -1)"), "[1, 2]");
  EXPECT_EQ(show("insert before([1, 3], 2, 2)"), "[1, 2, 3]");
  EXPECT_EQ(show("is empty([])"), "true");
  EXPECT_EQ(show("all([true, null])"), "null");
  EXPECT_EQ(show("all([true, false, null])"), "false");
  EXPECT_EQ(show("any([false, true])"), "true");
  EXPECT_EQ(show("union([1, 2], [2, 3])"), "[1, 2, 3]");
}

TEST(FeelContextBuiltins, All) {
  EXPECT_EQ(show("get value({a: 1}, \"a\")"), "1");
  EXPECT_EQ(show("get value({a: {b: 3}}, [\"a\", \"b\"])"), "3");
  EXPECT_EQ(show("get value({a: 1}, \"z\")"), "null");
  EXPECT_EQ(show("get entries({a: 1, b: 2})"), "[{key:\"a\", value:1}, {key:\"b\", value:2}]");
  EXPECT_EQ(show("context put({a: 1}, \"b\", 2)"), "{a:1, b:2}");
  EXPECT_EQ(show("context put({a: {b: 1}}, [\"a\", \"c\"], 2)"), "{a:{b:1, c:2}}");
  EXPECT_EQ(show("context merge([{a: 1}, {a: 2, b: 3}])"), "{a:2, b:3}");
  EXPECT_EQ(show("context([{key: \"k\", value: 1}])"), "{k:1}");
}

TEST(FeelOtherBuiltins, TemporalConstructorsAndDefinedness) {
  EXPECT_EQ(show("date(2024, 2, 29)"), "2024-02-29");
  EXPECT_EQ(show("date(2023, 2, 29)"), "null");
  EXPECT_EQ(show("date(\"2024-02-30\")"), "null");
  EXPECT_EQ(show("time(10, 30, 15.5)"), "10:30:15.5");
  EXPECT_EQ(show("time(10, 30, 0, duration(\"PT1H\"))"), "10:30:00+01:00");
  EXPECT_EQ(show("date and time(date(\"2024-01-31\"), time(\"10:00:00Z\"))"),
            "2024-01-31T10:00:00Z");
  EXPECT_EQ(show("duration(\"P1Y2M\")"), "P1Y2M");
  EXPECT_EQ(show("duration(\"nonsense\")"), "null");
  EXPECT_EQ(show("years and months duration(date(\"2020-01-15\"), date(\"2021-03-14\"))"), "P1Y1M");
  EXPECT_EQ(show("day of year(date(\"2024-12-31\"))"), "366");
  EXPECT_EQ(show("month of year(date(\"2024-07-04\"))"), "\"July\"");
  EXPECT_EQ(show("day of week(date and time(\"2024-01-31T23:00:00Z\"))"), "\"Wednesday\"");
  EXPECT_EQ(show("is defined(missing)"), "false");
  EXPECT_EQ(show("is defined(1)"), "true");
  EXPECT_EQ(show("get or else(missing, \"fallback\")"), "\"fallback\"");
}

}  // namespace
}  // namespace tern::feel
