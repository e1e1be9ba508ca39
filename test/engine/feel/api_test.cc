// The public surface the engine uses: conditions, referenced names, unary tests, JSON
// conversion, the resolver and the compiled-expression cache.

#include <gtest/gtest.h>

#include <thread>

#include "feel_test_util.h"

namespace tern::feel {
namespace {

using nlohmann::json;

TEST(FeelApi, ConditionsMustBeBooleans) {
  auto e = Expression::compile("amount > 100");
  ASSERT_TRUE(e.ok());
  MapResolver big(json{{"amount", 250}});
  MapResolver none;
  ASSERT_TRUE(e->evaluate_condition(big).ok());
  EXPECT_TRUE(*e->evaluate_condition(big));
  auto missing = e->evaluate_condition(none);
  ASSERT_FALSE(missing.ok()) << "a null condition is an incident, not false";
  EXPECT_EQ(missing.error().to_string(),
            "failed to evaluate expression 'amount > 100': expected the condition to be a boolean "
            "but it was null (null) at position 0");
}

TEST(FeelApi, ReferencedNamesLeaveOutBoundNames) {
  auto e = Expression::compile(
      "for x in orders return x.total + tax + sum(for y in fees return y) + {k: 1, v: k}.v");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->referenced_names(), (std::vector<std::string>{"fees", "orders", "tax"}));
  auto f = Expression::compile("items[price > limit].sku");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->referenced_names(), (std::vector<std::string>{"items", "limit", "price"}));
  EXPECT_EQ(f->source(), "items[price > limit].sku");
}

TEST(FeelApi, UnaryTests) {
  MapResolver vars(json{{"limit", 10}});
  auto check = [&](const char* tests, const Value& input) {
    auto t = UnaryTests::compile(tests);
    EXPECT_TRUE(t.ok()) << tests;
    auto r = t->matches(input, vars);
    EXPECT_TRUE(r.ok()) << tests;
    return r.ok() && *r;
  };
  Value five = Value::number(Decimal(5));
  EXPECT_TRUE(check("< limit", five));
  EXPECT_FALSE(check("> limit", five));
  EXPECT_TRUE(check("1, 5, 7", five));
  EXPECT_TRUE(check("[1..5]", five));
  EXPECT_FALSE(check("not(5)", five));
  EXPECT_TRUE(check("not(4, 6)", five));
  EXPECT_TRUE(check("-", five));
  EXPECT_TRUE(check("? > 4 and ? < 6", five));
  EXPECT_TRUE(check("\"a\", \"b\"", Value::string("b")));
  EXPECT_FALSE(UnaryTests::compile("< ").ok());
}

TEST(FeelApi, JsonRoundTrip) {
  json doc = {{"n", 1.5},     {"i", 42},     {"s", "x"},          {"b", true},
              {"z", nullptr}, {"l", {1, 2}}, {"o", {{"k", "v"}}}, {"big", 18446744073709551615ULL}};
  Value v = from_json(doc);
  ASSERT_TRUE(v.is(Kind::kContext));
  EXPECT_EQ(v.as_context().find("n")->as_number().to_string(), "1.5");
  EXPECT_EQ(v.as_context().find("big")->as_number().to_string(), "18446744073709551615");
  json back = to_json(v);
  EXPECT_EQ(back["n"], 1.5);
  EXPECT_EQ(back["i"], 42);
  EXPECT_EQ(back["l"], json({1, 2}));
  EXPECT_EQ(back["o"]["k"], "v");
  EXPECT_TRUE(back["z"].is_null());
  EXPECT_EQ(back["big"], 18446744073709551615ULL);
  EXPECT_EQ(to_json(test::eval("10 ** 20")), 1e20);
  EXPECT_EQ(to_json(test::eval("date(\"2024-01-31\")")), "2024-01-31");
  EXPECT_EQ(to_json(test::eval("duration(\"PT36H\")")), "P1DT12H");
  EXPECT_EQ(to_json(test::eval("date and time(\"2024-07-01T12:00:00@Europe/Berlin\")")),
            "2024-07-01T12:00:00+02:00[Europe/Berlin]");
  EXPECT_EQ(to_json(test::eval("[1..2]")), nullptr);
}

TEST(FeelApi, DeeplyNestedJsonIsCutOffInsteadOfExhaustingTheStack) {
  json deep = json::array();
  json* innermost = &deep;
  for (int i = 0; i < 10000; ++i) {
    innermost->push_back(json::array());
    innermost = &(*innermost)[0];
  }
  Value v = from_json(deep);
  int depth = 0;
  while (v.is(Kind::kList)) {
    ASSERT_EQ(v.as_list().size(), 1U) << "at depth " << depth;
    Value inner = v.as_list()[0];
    v = inner;
    ++depth;
  }
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(depth, 257);
}

TEST(FeelApi, JsonResolverConvertsOnlyWhatIsRead) {
  json doc = {{"amount", 250}, {"status", "open"}};
  JsonResolver vars(doc);
  auto e = Expression::compile("amount > 100 and status = \"open\" and missing = null");
  ASSERT_TRUE(e.ok());
  auto r = e->evaluate_condition(vars);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(*r);
  json not_object = json::array({1});
  EXPECT_FALSE(JsonResolver(not_object).lookup("amount").has_value());
}

TEST(FeelApi, ExpressionMarker) {
  EXPECT_EQ(expression_text("=a + 1"), std::optional<std::string_view>("a + 1"));
  EXPECT_EQ(expression_text("plain-job-type"), std::nullopt);
  EXPECT_EQ(expression_text(""), std::nullopt);
}

TEST(FeelApi, ResolverSuppliesValues) {
  MapResolver vars;
  vars.set("x", Value::number(Decimal(2)));
  auto e = Expression::compile("x * 21");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->evaluate(vars)->as_number().to_string(), "42");
  MapResolver not_an_object(json::array({1, 2}));
  EXPECT_FALSE(not_an_object.lookup("0").has_value());
}

TEST(FeelApi, CacheIsBoundedAndSharedAcrossThreads) {
  ExpressionCache cache(2);
  ASSERT_TRUE(cache.get("1 + 1").ok());
  ASSERT_TRUE(cache.get("2 + 2").ok());
  ASSERT_TRUE(cache.get("3 + 3").ok());
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_FALSE(cache.get("1 +").ok());
  EXPECT_EQ(cache.size(), 2U) << "compile errors are not cached";

  ExpressionCache shared(64);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &wrong, t] {
      MapResolver vars(json{{"x", t}});
      for (int i = 0; i < 200; ++i) {
        auto e = shared.get("x + " + std::to_string(i % 16));
        if (!e.ok()) {
          ++wrong;
          continue;
        }
        auto r = e->evaluate(vars);
        if (!r.ok() || r->as_number() != Decimal(t + i % 16)) ++wrong;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(shared.size(), 16U);
}

}  // namespace
}  // namespace tern::feel
