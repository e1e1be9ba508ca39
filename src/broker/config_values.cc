#include "broker/config_values.h"

#include <charconv>
#include <limits>

namespace tern::broker {
namespace {

ConfigError wrong_type(const RawValue& value, std::string_view expected, std::string_view got) {
  return ConfigError{ConfigErrc::kWrongType, value.where,
                     "expected " + std::string(expected) + ", got " + std::string(got)};
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t out = 0;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// The text of a scalar, or an error naming what was found instead.
Result<std::string, ConfigError> scalar_text(const RawValue& value, std::string_view expected) {
  if (value.env_text) return *value.env_text;
  const YAML::Node& node = *value.node;
  if (!node.IsScalar()) return tern::unexpected(wrong_type(value, expected, describe_node(node)));
  return node.Scalar();
}

}  // namespace

Result<std::int64_t, ConfigError> to_integer(const RawValue& value) {
  auto text = scalar_text(value, "an integer");
  if (!text) return tern::unexpected(text.error());
  auto parsed = parse_int(*text);
  if (!parsed) return tern::unexpected(wrong_type(value, "an integer", "'" + *text + "'"));
  if (*parsed < std::numeric_limits<std::int32_t>::min()
      || *parsed > std::numeric_limits<std::int32_t>::max()) {
    return tern::unexpected(ConfigError{ConfigErrc::kInvalidValue, value.where,
                                        *text + " is out of range for a 32-bit integer"});
  }
  return *parsed;
}

Result<std::uint16_t, ConfigError> to_port(const RawValue& value) {
  auto text = scalar_text(value, "a port number");
  if (!text) return tern::unexpected(text.error());
  auto parsed = parse_int(*text);
  if (!parsed) return tern::unexpected(wrong_type(value, "a port number", "'" + *text + "'"));
  if (*parsed < 1 || *parsed > 65535) {
    return tern::unexpected(ConfigError{ConfigErrc::kInvalidValue, value.where,
                                        "port " + *text + " is not between 1 and 65535"});
  }
  return static_cast<std::uint16_t>(*parsed);
}

Result<bool, ConfigError> to_boolean(const RawValue& value) {
  auto text = scalar_text(value, "a boolean (true or false)");
  if (!text) return tern::unexpected(text.error());
  auto parsed = parse_bool(*text);
  if (!parsed) {
    return tern::unexpected(wrong_type(value, "a boolean (true or false)", "'" + *text + "'"));
  }
  return *parsed;
}

Result<std::string, ConfigError> to_string_value(const RawValue& value) {
  if (!value.env_text && value.node->IsNull()) return std::string();
  return scalar_text(value, "a string");
}

Result<std::vector<std::string>, ConfigError> to_string_list(const RawValue& value) {
  std::vector<std::string> items;
  if (value.env_text) {
    std::string_view rest = *value.env_text;
    while (true) {
      auto comma = rest.find(',');
      auto item = trim(rest.substr(0, comma));
      if (!item.empty()) items.push_back(std::move(item));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return items;
  }
  const YAML::Node& node = *value.node;
  if (node.IsNull()) return items;
  if (!node.IsSequence()) {
    return tern::unexpected(wrong_type(value, "a list of strings", describe_node(node)));
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) {
      return tern::unexpected(ConfigError{ConfigErrc::kWrongType,
                                          value.where + "[" + std::to_string(i) + "]",
                                          "expected a string, got " + describe_node(node[i])});
    }
    items.push_back(node[i].Scalar());
  }
  return items;
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      auto array = nlohmann::json::array();
      for (const auto& item : node)
        array.push_back(yaml_to_json(item));
      return array;
    }
    case YAML::NodeType::Map: {
      auto object = nlohmann::json::object();
      for (const auto& entry : node)
        object[entry.first.Scalar()] = yaml_to_json(entry.second);
      return object;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& text = node.Scalar();
  // A quoted scalar carries the "!" tag: the author meant a string.
  if (node.Tag() == "!") return text;
  if (auto integer = parse_int(text)) return *integer;
  if (auto boolean = parse_bool(text)) return *boolean;
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
  return text;
}

}  // namespace tern::broker
