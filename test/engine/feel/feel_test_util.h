#pragma once

// Helpers for FEEL unit tests: evaluate a source text against JSON variables and render the
// outcome as text ("3", "\"abc\"", "[1, 2]", "null", or "error: <cause>") so that expectations
// read like the expressions they test.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/feel/feel.h"

namespace tern::feel::test {

// 2024-01-31T10:15:30Z: the instant every test's now() sees.
inline const FixedClock& test_clock() {
  static const FixedClock clock(
      std::chrono::system_clock::time_point(std::chrono::seconds(1706696130)));
  return clock;
}

inline std::string show(std::string_view source,
                        const nlohmann::json& variables = nlohmann::json::object()) {
  auto compiled = Expression::compile(source);
  if (!compiled) return "error: " + compiled.error().message;
  MapResolver resolver(variables);
  auto value = compiled->evaluate(resolver, test_clock());
  if (!value) return "error: " + value.error().message;
  return value->debug_string();
}

inline Value eval(std::string_view source,
                  const nlohmann::json& variables = nlohmann::json::object()) {
  auto compiled = Expression::compile(source);
  if (!compiled) return Value::string("compile error: " + compiled.error().message);
  MapResolver resolver(variables);
  auto value = compiled->evaluate(resolver, test_clock());
  if (!value) return Value::string("evaluation error: " + value.error().message);
  return *value;
}

}  // namespace tern::feel::test
