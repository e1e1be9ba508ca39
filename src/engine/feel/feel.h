#pragma once

// The public surface of Tern's FEEL evaluator (the expression language of Zeebe models).
//
//   auto expr = Expression::compile("amount > 100 and status = \"open\"");   // once
//   MapResolver vars(nlohmann::json{{"amount", 250}, {"status", "open"}});
//   auto value = expr->evaluate(vars);                                        // many times
//
// Compilation parses into an immutable tree shared by every copy of the Expression, so compiled
// expressions can be cached and used from any thread at once. Evaluation never throws and never
// reads the wall clock unless the caller passes a clock that does; it is bounded in nesting
// depth, iteration count and the size of the values it builds (see Limits).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "engine/feel/value.h"

namespace tern::feel {

// What went wrong, for a person.
struct Error {
  std::string expression;    // the source text
  std::size_t position = 0;  // 0-based offset into it
  std::string message;       // the cause
  // "failed to evaluate expression 'x > ': <message> at position 4"
  std::string to_string() const;
};

// How the engine supplies variables: lazily, by name. A missing variable is null (Zeebe >= 8.3).
class VariableResolver {
 public:
  virtual ~VariableResolver() = default;
  virtual std::optional<Value> lookup(std::string_view name) const = 0;
};

// Variables held in a map: from a JSON object (each member converted by from_json) or from values.
class MapResolver : public VariableResolver {
 public:
  MapResolver() = default;
  explicit MapResolver(const nlohmann::json& object);  // non-objects give no variables
  explicit MapResolver(std::map<std::string, Value, std::less<>> values);
  void set(std::string name, Value value);
  std::optional<Value> lookup(std::string_view name) const override;

 private:
  std::map<std::string, Value, std::less<>> values_;
};

// Variables read lazily from a JSON object the caller keeps alive: only the variables an
// expression reads are converted, which suits large variable documents. Not owning.
class JsonResolver : public VariableResolver {
 public:
  explicit JsonResolver(const nlohmann::json& object) : object_(object) {}
  std::optional<Value> lookup(std::string_view name) const override;

 private:
  const nlohmann::json& object_;
};

// Zeebe marks an attribute as an expression with a leading '=' ("=amount > 100"); anything else
// is a static value. Returns the expression text without the marker, or nullopt for a static
// value.
std::optional<std::string_view> expression_text(std::string_view attribute);

// The time `now()` and `today()` see. The engine passes the record's timestamp or the leader's
// clock; the evaluator never reads the wall clock on its own.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

// A clock fixed at one instant (tests, replay).
class FixedClock : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point at) : at_(at) {}
  std::chrono::system_clock::time_point now() const override { return at_; }

 private:
  std::chrono::system_clock::time_point at_;
};

// The wall clock, for callers that really mean "now".
class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

// Bounds that keep a hostile expression from exhausting the broker.
struct Limits {
  std::size_t max_source_bytes = 64 * 1024;
  std::size_t max_nesting_depth = 128;       // parser and evaluator recursion
  std::size_t max_collection_size = 100000;  // elements of a list built during evaluation
  std::size_t max_string_bytes = 1 << 20;    // bytes of a string built during evaluation
  std::size_t max_iterations = 1000000;      // for/some/every/filter steps per evaluation
  // Bytes of strings, lists and contexts produced during one evaluation (counted where they are
  // produced, so a value passed along unchanged may be counted more than once).
  std::size_t max_total_bytes = 64 << 20;
};

namespace detail {
struct CompiledExpression;
struct CompiledUnaryTests;
}  // namespace detail

// A FEEL expression, compiled once, evaluated many times. Cheap to copy (shared, immutable).
class Expression {
 public:
  // `source` is the expression without Zeebe's leading '='.
  static tern::Result<Expression, Error> compile(std::string_view source);
  static tern::Result<Expression, Error> compile(std::string_view source, const Limits& limits);

  // The clock-less form: now() and today() are errors.
  tern::Result<Value, Error> evaluate(const VariableResolver& variables) const;
  tern::Result<Value, Error> evaluate(const VariableResolver& variables, const Clock& clock) const;
  // For conditions (sequence flows): anything but a boolean is an error naming what it was.
  tern::Result<bool, Error> evaluate_condition(const VariableResolver& variables) const;
  tern::Result<bool, Error> evaluate_condition(const VariableResolver& variables,
                                               const Clock& clock) const;

  const std::string& source() const;
  // Top-level variable names the expression reads (first segment of each path), sorted, unique;
  // names bound inside it (for/some/every variables, function parameters) are left out.
  std::vector<std::string> referenced_names() const;

 private:
  explicit Expression(std::shared_ptr<const detail::CompiledExpression> compiled)
      : compiled_(std::move(compiled)) {}
  std::shared_ptr<const detail::CompiledExpression> compiled_;
};

// FEEL unary tests (`> 10`, `"a","b"`, `[1..5]`, `not(3)`, `-`), tested against an input value
// the way decision tables and Zeebe's unary-test attributes use them.
class UnaryTests {
 public:
  static tern::Result<UnaryTests, Error> compile(std::string_view source);
  tern::Result<bool, Error> matches(const Value& input, const VariableResolver& variables) const;
  tern::Result<bool, Error> matches(const Value& input, const VariableResolver& variables,
                                    const Clock& clock) const;
  const std::string& source() const;

 private:
  explicit UnaryTests(std::shared_ptr<const detail::CompiledUnaryTests> compiled)
      : compiled_(std::move(compiled)) {}
  std::shared_ptr<const detail::CompiledUnaryTests> compiled_;
};

// JSON <-> FEEL. Numbers become decimals, objects contexts (member order kept), arrays lists.
Value from_json(const nlohmann::json& json);
// Dates, times and durations become ISO 8601 strings as Zeebe writes them; ranges and functions
// become null. Integral numbers that fit int64 become JSON integers, others JSON doubles.
nlohmann::json to_json(const Value& value);

// A thread-safe, bounded (least recently used) cache from source text to compiled Expression.
// Compile errors are returned, not cached.
class ExpressionCache {
 public:
  explicit ExpressionCache(std::size_t capacity = 4096);
  tern::Result<Expression, Error> get(std::string_view source);
  std::size_t size() const;

 private:
  using Entry = std::pair<std::string, Expression>;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

}  // namespace tern::feel
