// Function calls (built-ins and lambdas), paths and `instance of` for the Evaluator.

#include <algorithm>

#include "engine/feel/evaluator.h"
#include "engine/feel/function.h"
#include "engine/feel/time_zone.h"

namespace tern::feel {

std::string Function::describe() const {
  if (builtin != nullptr) return std::string(builtin->name);
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i)
    out += (i > 0 ? ", " : "") + params[i];
  return out;
}

}  // namespace tern::feel

namespace tern::feel::detail {

EvalResult Evaluator::eval_call(const Node& node, const Scope* scope) {
  std::size_t first_arg = node.builtin != nullptr ? 0 : 1;
  std::vector<Value> args;
  args.reserve(node.kids.size());
  for (std::size_t i = first_arg; i < node.kids.size(); ++i) {
    auto v = eval(*node.kids[i], scope);
    if (!v) return v;
    args.push_back(std::move(*v));
  }
  if (node.builtin != nullptr) {
    const Builtin& b = *node.builtin;
    if (!node.names.empty()) {
      // Named arguments: place each by its parameter; trailing gaps are dropped.
      std::vector<Value> placed(b.params.size());
      std::size_t used = 0;
      for (std::size_t i = 0; i < node.names.size(); ++i) {
        auto it = std::find(b.params.begin(), b.params.end(), node.names[i]);
        auto index = static_cast<std::size_t>(std::distance(b.params.begin(), it));
        placed[index] = std::move(args[i]);
        used = std::max(used, index + 1);
      }
      placed.resize(used);
      if (used < b.min_args) {
        return tern::unexpected(EvalError{
            node.pos, "function '" + std::string(b.name) + "' is missing required arguments"});
      }
      args = std::move(placed);
    }
    auto r = b.impl(args, *this);
    if (!r) return tern::unexpected(EvalError{node.pos, r.error()});
    return std::move(*r);
  }
  auto callee = eval(*node.kids[0], scope);
  if (!callee) return callee;
  if (!callee->is(Kind::kFunction)) {
    std::string what = node.kids[0]->op == Op::kName ? "'" + node.kids[0]->name + "'" : "value";
    return tern::unexpected(EvalError{
        node.pos,
        what + " is not a function (it is " + std::string(kind_name(callee->kind())) + ")"});
  }
  auto r = call(callee->as_function(), std::move(args));
  if (!r) return tern::unexpected(EvalError{node.pos, r.error()});
  return std::move(*r);
}

tern::Result<Value, std::string> Evaluator::call(const Function& function,
                                                 std::vector<Value> args) {
  if (function.builtin != nullptr) return function.builtin->impl(args, *this);
  if (depth_ > limits_.max_nesting_depth * 4)
    return tern::unexpected(std::string("calls nested too deeply"));
  Context frame_entries;
  for (const auto& [key, value] : function.captured)
    frame_entries.put(key, value);
  for (std::size_t i = 0; i < function.params.size(); ++i) {
    frame_entries.put(function.params[i], i < args.size() ? std::move(args[i]) : Value());
  }
  Scope frame{nullptr, {}, nullptr, &frame_entries};
  auto r = eval(*function.body, &frame);
  if (!r) return tern::unexpected(std::move(r.error().message));
  return std::move(*r);
}

namespace {

Value number(std::int64_t n) {
  return Value::number(Decimal(n));
}

Value seconds_value(std::int64_t nanos_of_day) {
  auto s = Decimal::make(nanos_of_day % (60 * kNanosPerSecond), -9);
  return s ? Value::number(*s) : Value();
}

Value time_offset(std::optional<std::int32_t> resolved) {
  if (!resolved) return {};
  return Value::duration(DaysTimeDuration{*resolved, 0});
}

Value temporal_property(const Value& v, std::string_view name) {
  if (v.is(Kind::kDate) || v.is(Kind::kDateTime)) {
    const Date& date = v.is(Kind::kDate) ? v.as_date() : v.as_date_time().date;
    if (name == "year") return number(date.year());
    if (name == "month") return number(date.month());
    if (name == "day") return number(date.day());
    if (name == "weekday") {
      // 1970-01-01 was a Thursday; ISO weekdays run 1 (Monday) to 7.
      std::int64_t w = ((date.days % 7) + 7 + 3) % 7 + 1;
      return number(w);
    }
  }
  if (v.is(Kind::kTime) || v.is(Kind::kDateTime)) {
    std::int64_t nanos =
        v.is(Kind::kTime) ? v.as_time().nanos_of_day : v.as_date_time().nanos_of_day;
    const Zone& zone = v.is(Kind::kTime) ? v.as_time().zone : v.as_date_time().zone;
    if (name == "hour") return number(nanos / (3600 * kNanosPerSecond));
    if (name == "minute") return number(nanos / (60 * kNanosPerSecond) % 60);
    if (name == "second") return seconds_value(nanos);
    if (name == "time offset") {
      if (!zone.has_zone()) return {};
      if (v.is(Kind::kDateTime)) return time_offset(v.as_date_time().offset_seconds());
      return time_offset(zone.offset_seconds);
    }
    if (name == "timezone") return zone.id.empty() ? Value() : Value::string(zone.id);
  }
  if (v.is(Kind::kDaysTimeDuration)) {
    const auto& d = v.as_days_time();
    if (name == "days") return number(d.seconds / kSecondsPerDay);
    if (name == "hours") return number(d.seconds / 3600 % 24);
    if (name == "minutes") return number(d.seconds / 60 % 60);
    if (name == "seconds") return number(d.seconds % 60);
  }
  if (v.is(Kind::kYearsMonthsDuration)) {
    const auto& d = v.as_years_months();
    if (name == "years") return number(d.months / 12);
    if (name == "months") return number(d.months % 12);
  }
  if (v.is(Kind::kRange)) {
    const Range& r = v.as_range();
    if (name == "start") return r.start.value_or(Value());
    if (name == "end") return r.end.value_or(Value());
    if (name == "start included") return Value::boolean(r.start_inclusive);
    if (name == "end included") return Value::boolean(r.end_inclusive);
  }
  return {};
}

}  // namespace

Value path_of(const Value& value, std::string_view name) {
  switch (value.kind()) {
    case Kind::kContext: {
      const Value* v = value.as_context().find(name);
      return v != nullptr ? *v : Value();
    }
    case Kind::kList: {
      List out;
      out.reserve(value.as_list().size());
      for (const auto& item : value.as_list())
        out.push_back(path_of(item, name));
      return Value::list(std::move(out));
    }
    default:
      return temporal_property(value, name);
  }
}

std::optional<bool> instance_of(const Value& value, std::string_view type) {
  static constexpr std::pair<std::string_view, Kind> kTypes[] = {
      {"number", Kind::kNumber},
      {"string", Kind::kString},
      {"boolean", Kind::kBoolean},
      {"date", Kind::kDate},
      {"time", Kind::kTime},
      {"date and time", Kind::kDateTime},
      {"days and time duration", Kind::kDaysTimeDuration},
      {"dayTimeDuration", Kind::kDaysTimeDuration},
      {"years and months duration", Kind::kYearsMonthsDuration},
      {"yearMonthDuration", Kind::kYearsMonthsDuration},
      {"list", Kind::kList},
      {"context", Kind::kContext},
      {"range", Kind::kRange},
      {"function", Kind::kFunction},
      {"Null", Kind::kNull},
      {"null", Kind::kNull},
  };
  if (type == "Any") return !value.is_null();
  for (const auto& [name, kind] : kTypes) {
    if (name == type) return value.kind() == kind;
  }
  return std::nullopt;
}

}  // namespace tern::feel::detail
