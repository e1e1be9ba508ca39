#include "differential_support.h"

#include "engine/feel/feel.h"

namespace tern::feel::test {
namespace {

nlohmann::json normalise(const Value& v) {
  nlohmann::json out;
  out["t"] = std::string(kind_name(v.kind()));
  switch (v.kind()) {
    case Kind::kNull:
    case Kind::kRange:
    case Kind::kFunction:
      break;
    case Kind::kBoolean:
      out["v"] = v.as_boolean();
      break;
    case Kind::kNumber:
    case Kind::kString:
    case Kind::kDate:
    case Kind::kTime:
    case Kind::kDateTime:
    case Kind::kDaysTimeDuration:
    case Kind::kYearsMonthsDuration:
      out["v"] = v.to_string();
      break;
    case Kind::kList: {
      auto items = nlohmann::json::array();
      for (const auto& item : v.as_list())
        items.push_back(normalise(item));
      out["v"] = items;
      break;
    }
    case Kind::kContext: {
      auto entries = nlohmann::json::object();
      for (const auto& [key, value] : v.as_context().entries())
        entries[key] = normalise(value);
      out["v"] = entries;
      break;
    }
  }
  return out;
}

bool numbers_agree(const std::string& a, const std::string& b) {
  auto x = Decimal::parse(a), y = Decimal::parse(b);
  if (!x || !y) return false;
  if (*x == *y) return true;
  // feelin computes in binary doubles: agree when both round to the same 15 significant digits.
  auto round15 = [](const Decimal& d) {
    double v = d.to_double();
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.14e", v);
    return std::string(buffer);
  };
  return round15(*x) == round15(*y);
}

}  // namespace

nlohmann::json evaluate_normalised(const std::string& expression, const nlohmann::json& context) {
  auto compiled = Expression::compile(expression);
  if (!compiled) return {{"t", "error"}, {"v", compiled.error().to_string()}};
  MapResolver variables(context);
  auto value = compiled->evaluate(variables);
  if (!value) return {{"t", "error"}, {"v", value.error().to_string()}};
  return normalise(*value);
}

bool equivalent(const nlohmann::json& tern, const nlohmann::json& feelin) {
  if (tern.value("t", "") != feelin.value("t", "")) return false;
  const std::string type = tern.value("t", "");
  if (type == "error" || type == "null" || type == "range" || type == "function") return true;
  if (type == "number") return numbers_agree(tern["v"], feelin["v"]);
  if (type == "list") {
    if (tern["v"].size() != feelin["v"].size()) return false;
    for (std::size_t i = 0; i < tern["v"].size(); ++i) {
      if (!equivalent(tern["v"][i], feelin["v"][i])) return false;
    }
    return true;
  }
  if (type == "context") {
    if (tern["v"].size() != feelin["v"].size()) return false;
    for (const auto& [key, value] : tern["v"].items()) {
      if (!feelin["v"].contains(key) || !equivalent(value, feelin["v"][key])) return false;
    }
    return true;
  }
  return tern["v"] == feelin["v"];
}

}  // namespace tern::feel::test
