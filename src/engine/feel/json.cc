// FEEL values <-> JSON documents (process variables).

#include <nlohmann/json.hpp>

#include "engine/feel/feel.h"
#include "engine/feel/time_zone.h"

namespace tern::feel {
namespace {

std::string offset_text(std::int32_t offset) {
  if (offset == 0) return "Z";
  std::int32_t m = offset < 0 ? -offset : offset;
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", offset < 0 ? '-' : '+', m / 3600,
                m / 60 % 60);
  return buffer;
}

// A date-time as Zeebe writes a zoned value: ISO offset, then the zone id in brackets.
std::string date_time_json(const DateTime& dt) {
  if (dt.zone.id.empty()) return dt.to_string();
  DateTime with_offset = dt;
  with_offset.zone = Zone{};
  std::string local = with_offset.to_string();
  auto offset = dt.offset_seconds();
  return local + (offset ? offset_text(*offset) : "") + "[" + dt.zone.id + "]";
}

// Variables come from clients: a document nested deeper than this would recurse deep enough to
// threaten the stack, so what lies below the limit becomes null.
constexpr std::size_t kMaxJsonDepth = 256;

Value from_json_at(const nlohmann::json& json, std::size_t depth);

}  // namespace

Value from_json(const nlohmann::json& json) {
  return from_json_at(json, 0);
}

namespace {

Value from_json_at(const nlohmann::json& json, std::size_t depth) {
  if (depth > kMaxJsonDepth) return {};
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return {};
    case nlohmann::json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::number(Decimal(json.get<std::int64_t>()));
    case nlohmann::json::value_t::number_unsigned: {
      auto d = Decimal::parse(std::to_string(json.get<std::uint64_t>()));
      return d ? Value::number(*d) : Value();
    }
    case nlohmann::json::value_t::number_float: {
      auto d = Decimal::from_double(json.get<double>());
      return d ? Value::number(*d) : Value();
    }
    case nlohmann::json::value_t::string:
      return Value::string(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      List items;
      items.reserve(json.size());
      for (const auto& item : json)
        items.push_back(from_json_at(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Context context;
      for (const auto& [key, value] : json.items())
        context.put(key, from_json_at(value, depth + 1));
      return Value::context(std::move(context));
    }
    case nlohmann::json::value_t::binary:
      return {};
  }
  return {};
}

}  // namespace

std::optional<Value> JsonResolver::lookup(std::string_view name) const {
  if (!object_.is_object()) return std::nullopt;
  auto it = object_.find(name);
  if (it == object_.end()) return std::nullopt;
  return from_json(*it);
}

nlohmann::json to_json(const Value& value) {
  switch (value.kind()) {
    case Kind::kNull:
    case Kind::kRange:
    case Kind::kFunction:
      return nullptr;
    case Kind::kBoolean:
      return value.as_boolean();
    case Kind::kNumber: {
      const Decimal& d = value.as_number();
      if (auto i = d.to_int64()) return *i;
      if (d.is_integer() && !d.is_negative() && d.exponent() <= 20) {
        // Up to 2^64 - 1, an integer stays exact as JSON's unsigned form.
        UInt128 n = static_cast<UInt128>(d.coefficient());
        for (std::int32_t k = 0; k < d.exponent() && n <= UINT64_MAX; ++k)
          n *= 10;
        if (n <= UINT64_MAX) return static_cast<std::uint64_t>(n);
      }
      return d.to_double();
    }
    case Kind::kString:
      return value.as_string();
    case Kind::kList: {
      auto array = nlohmann::json::array();
      for (const auto& item : value.as_list())
        array.push_back(to_json(item));
      return array;
    }
    case Kind::kContext: {
      auto object = nlohmann::json::object();
      for (const auto& [key, item] : value.as_context().entries())
        object[key] = to_json(item);
      return object;
    }
    case Kind::kDate:
      return value.as_date().to_string();
    case Kind::kTime:
      return value.as_time().to_string();
    case Kind::kDateTime:
      return date_time_json(value.as_date_time());
    case Kind::kDaysTimeDuration:
      return value.as_days_time().to_string();
    case Kind::kYearsMonthsDuration:
      return value.as_years_months().to_string();
  }
  return nullptr;
}

}  // namespace tern::feel
