#include "engine/feel/value.h"

#include "common/check.h"
#include "engine/feel/function.h"

namespace tern::feel {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kContext:
      return "context";
    case Kind::kDate:
      return "date";
    case Kind::kTime:
      return "time";
    case Kind::kDateTime:
      return "date and time";
    case Kind::kDaysTimeDuration:
      return "days and time duration";
    case Kind::kYearsMonthsDuration:
      return "years and months duration";
    case Kind::kRange:
      return "range";
    case Kind::kFunction:
      return "function";
  }
  return "unknown";
}

const Value* Context::find(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

void Context::put(std::string key, Value value) {
  for (auto& entry : entries_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool operator==(const Context& a, const Context& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a.entries_) {
    const Value* other = b.find(key);
    if (other == nullptr || !(*other == value)) return false;
  }
  return true;
}

Value Value::boolean(bool value) {
  Value v;
  v.data_ = value;
  return v;
}
Value Value::number(Decimal value) {
  Value v;
  v.data_ = value;
  return v;
}
Value Value::string(std::string value) {
  Value v;
  v.data_ = std::make_shared<const std::string>(std::move(value));
  return v;
}
Value Value::list(List items) {
  Value v;
  v.data_ = std::make_shared<const List>(std::move(items));
  return v;
}
Value Value::context(Context entries) {
  Value v;
  v.data_ = std::make_shared<const Context>(std::move(entries));
  return v;
}
Value Value::date(Date value) {
  Value v;
  v.data_ = value;
  return v;
}
Value Value::time(Time value) {
  Value v;
  v.data_ = std::move(value);
  return v;
}
Value Value::date_time(DateTime value) {
  Value v;
  v.data_ = std::move(value);
  return v;
}
Value Value::duration(DaysTimeDuration value) {
  Value v;
  v.data_ = value;
  return v;
}
Value Value::duration(YearsMonthsDuration value) {
  Value v;
  v.data_ = value;
  return v;
}
Value Value::range(Range value) {
  Value v;
  v.data_ = std::make_shared<const Range>(std::move(value));
  return v;
}
Value Value::function(std::shared_ptr<const Function> value) {
  TERN_CHECK(value != nullptr, "a function value needs a function");
  Value v;
  v.data_ = std::move(value);
  return v;
}

#define TERN_FEEL_ACCESS(kind_enum, what)                                \
  TERN_CHECK(kind() == Kind::kind_enum, "FEEL value accessed as " what); \
  return

bool Value::as_boolean() const {
  TERN_FEEL_ACCESS(kBoolean, "boolean") std::get<bool>(data_);
}
const Decimal& Value::as_number() const {
  TERN_FEEL_ACCESS(kNumber, "number") std::get<Decimal>(data_);
}
const std::string& Value::as_string() const {
  TERN_FEEL_ACCESS(kString, "string") * std::get<std::shared_ptr<const std::string>>(data_);
}
const List& Value::as_list() const {
  TERN_FEEL_ACCESS(kList, "list") * std::get<std::shared_ptr<const List>>(data_);
}
const Context& Value::as_context() const {
  TERN_FEEL_ACCESS(kContext, "context") * std::get<std::shared_ptr<const Context>>(data_);
}
const Date& Value::as_date() const {
  TERN_FEEL_ACCESS(kDate, "date") std::get<Date>(data_);
}
const Time& Value::as_time() const {
  TERN_FEEL_ACCESS(kTime, "time") std::get<Time>(data_);
}
const DateTime& Value::as_date_time() const {
  TERN_FEEL_ACCESS(kDateTime, "date and time") std::get<DateTime>(data_);
}
const DaysTimeDuration& Value::as_days_time() const {
  TERN_FEEL_ACCESS(kDaysTimeDuration, "days and time duration") std::get<DaysTimeDuration>(data_);
}
const YearsMonthsDuration& Value::as_years_months() const {
  TERN_FEEL_ACCESS(kYearsMonthsDuration, "years and months duration")
  std::get<YearsMonthsDuration>(data_);
}
const Range& Value::as_range() const {
  TERN_FEEL_ACCESS(kRange, "range") * std::get<std::shared_ptr<const Range>>(data_);
}
const Function& Value::as_function() const {
  TERN_FEEL_ACCESS(kFunction, "function") * std::get<std::shared_ptr<const Function>>(data_);
}

#undef TERN_FEEL_ACCESS

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string render(const Value& v, bool quote_strings) {
  switch (v.kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return v.as_boolean() ? "true" : "false";
    case Kind::kNumber:
      return v.as_number().to_string();
    case Kind::kString:
      return quote_strings ? quote(v.as_string()) : v.as_string();
    case Kind::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.as_list().size(); ++i) {
        if (i > 0) out += ", ";
        out += render(v.as_list()[i], true);
      }
      return out + "]";
    }
    case Kind::kContext: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, value] : v.as_context().entries()) {
        if (!first) out += ", ";
        first = false;
        out += key + ":" + render(value, true);
      }
      return out + "}";
    }
    case Kind::kDate:
      return v.as_date().to_string();
    case Kind::kTime:
      return v.as_time().to_string();
    case Kind::kDateTime:
      return v.as_date_time().to_string();
    case Kind::kDaysTimeDuration:
      return v.as_days_time().to_string();
    case Kind::kYearsMonthsDuration:
      return v.as_years_months().to_string();
    case Kind::kRange: {
      const Range& r = v.as_range();
      std::string out = r.start_inclusive ? "[" : "(";
      out += r.start ? render(*r.start, true) : "null";
      out += "..";
      out += r.end ? render(*r.end, true) : "null";
      return out + (r.end_inclusive ? "]" : ")");
    }
    case Kind::kFunction:
      return "function(" + v.as_function().describe() + ")";
  }
  return "";
}

}  // namespace

std::string Value::to_string() const {
  return render(*this, false);
}
std::string Value::debug_string() const {
  return render(*this, true);
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kList:
      return a.as_list() == b.as_list();
    case Kind::kContext:
      return a.as_context() == b.as_context();
    case Kind::kRange:
      return a.as_range() == b.as_range();
    case Kind::kFunction:
      return &a.as_function() == &b.as_function();
    default:
      return a.data_ == b.data_;
  }
}

}  // namespace tern::feel
