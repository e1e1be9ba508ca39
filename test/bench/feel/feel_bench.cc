// FEEL evaluation throughput: evaluations per second of typical Zeebe expressions (sequence-flow
// conditions, mappings, job types), compiled once and evaluated against a variable map.
// Target: >= 2 million evaluations per second for `amount > 100 and status = "open"`.

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "engine/feel/feel.h"

namespace {

using tern::feel::Expression;
using tern::feel::MapResolver;

const MapResolver& variables() {
  static const MapResolver resolver(nlohmann::json{
      {"amount", 250},
      {"status", "open"},
      {"customer", {{"name", "Ada"}, {"vip", true}}},
      {"items", nlohmann::json::array({{{"price", 3.5}}, {{"price", 12}}, {{"price", 20.25}}})},
      {"retries", 3}});
  return resolver;
}

void evaluate(benchmark::State& state, const char* source) {
  auto expression = Expression::compile(source);
  if (!expression) {
    state.SkipWithError(expression.error().to_string().c_str());
    return;
  }
  const MapResolver& vars = variables();
  for (auto _ : state) {
    auto result = expression->evaluate(vars);
    benchmark::DoNotOptimize(result);
  }
  state.counters["evals_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Condition(benchmark::State& state) {
  evaluate(state, "amount > 100 and status = \"open\"");
}
void BM_Path(benchmark::State& state) {
  evaluate(state, "customer.vip = true");
}
void BM_Arithmetic(benchmark::State& state) {
  evaluate(state, "amount * 1.19 + 5");
}
void BM_Filter(benchmark::State& state) {
  evaluate(state, "count(items[price > 10])");
}
void BM_StringConcat(benchmark::State& state) {
  evaluate(state, "\"order-\" + customer.name + \"-\" + string(retries)");
}
// The same condition read lazily from a JSON variable document (what the engine holds).
void BM_ConditionJsonResolver(benchmark::State& state) {
  auto expression = Expression::compile("amount > 100 and status = \"open\"");
  if (!expression) {
    state.SkipWithError(expression.error().to_string().c_str());
    return;
  }
  const nlohmann::json doc = {{"amount", 250}, {"status", "open"}, {"retries", 3}};
  tern::feel::JsonResolver vars(doc);
  for (auto _ : state) {
    auto result = expression->evaluate(vars);
    benchmark::DoNotOptimize(result);
  }
  state.counters["evals_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Compile(benchmark::State& state) {
  for (auto _ : state) {
    auto e = Expression::compile("amount > 100 and status = \"open\"");
    benchmark::DoNotOptimize(e);
  }
}

BENCHMARK(BM_Condition);
BENCHMARK(BM_ConditionJsonResolver);
BENCHMARK(BM_Path);
BENCHMARK(BM_Arithmetic);
BENCHMARK(BM_Filter);
BENCHMARK(BM_StringConcat);
BENCHMARK(BM_Compile);

}  // namespace

BENCHMARK_MAIN();
