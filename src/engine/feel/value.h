#pragma once

// Value: one FEEL value. Small and cheap to copy: scalars are held inline, strings, lists,
// contexts, ranges and functions are shared immutable objects. Equality (`==`) is structural
// and is what tests use; FEEL's own `=` (with null and type rules) lives in the evaluator.
// Immutable; any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/feel/decimal.h"
#include "engine/feel/temporal.h"

namespace tern::feel {

class Value;
struct Range;
struct Function;

enum class Kind {
  kNull,
  kBoolean,
  kNumber,
  kString,
  kList,
  kContext,
  kDate,
  kTime,
  kDateTime,
  kDaysTimeDuration,
  kYearsMonthsDuration,
  kRange,
  kFunction,
};

// FEEL's name for a kind, as `instance of` and error messages spell it ("number", "date and time").
std::string_view kind_name(Kind kind);

// A context: entries in insertion order (FEEL contexts are ordered); keys are unique.
class Context {
 public:
  Context() = default;
  const Value* find(std::string_view key) const;
  // Adds or replaces (keeping the original position of a replaced key).
  void put(std::string key, Value value);
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  friend bool operator==(const Context&, const Context&);

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

using List = std::vector<Value>;

class Value {
 public:
  Value() = default;  // null
  static Value null() { return Value(); }
  static Value boolean(bool value);
  static Value number(Decimal value);
  static Value string(std::string value);
  static Value list(List items);
  static Value context(Context entries);
  static Value date(Date value);
  static Value time(Time value);
  static Value date_time(DateTime value);
  static Value duration(DaysTimeDuration value);
  static Value duration(YearsMonthsDuration value);
  static Value range(Range value);
  static Value function(std::shared_ptr<const Function> value);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is(Kind k) const { return kind() == k; }

  // Accessors; calling one for another kind is a programming error (checked).
  bool as_boolean() const;
  const Decimal& as_number() const;
  const std::string& as_string() const;
  const List& as_list() const;
  const Context& as_context() const;
  const Date& as_date() const;
  const Time& as_time() const;
  const DateTime& as_date_time() const;
  const DaysTimeDuration& as_days_time() const;
  const YearsMonthsDuration& as_years_months() const;
  const Range& as_range() const;
  const Function& as_function() const;

  // FEEL's `string()` of the value: strings as-is, others in their literal-like form.
  std::string to_string() const;
  // A readable rendering for messages and tests: strings quoted, lists and contexts expanded.
  std::string debug_string() const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  using Data = std::variant<std::monostate, bool, Decimal, std::shared_ptr<const std::string>,
                            std::shared_ptr<const List>, std::shared_ptr<const Context>, Date, Time,
                            DateTime, DaysTimeDuration, YearsMonthsDuration,
                            std::shared_ptr<const Range>, std::shared_ptr<const Function>>;
  Data data_;
};

// A FEEL range `[1..10)`, `> 5` (one side open). An absent bound is unbounded.
struct Range {
  std::optional<Value> start;
  bool start_inclusive = false;
  std::optional<Value> end;
  bool end_inclusive = false;
  friend bool operator==(const Range&, const Range&) = default;
};

}  // namespace tern::feel
