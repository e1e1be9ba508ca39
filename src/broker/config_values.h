#pragma once

// One configuration value before it is typed: either a YAML node from the file or the text of a
// TERN_* environment variable, together with the name to use in error messages. The conversions
// here are the only place that knows how each kind is spelled in YAML and in the environment
// (lists in the environment are comma-separated).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/config.h"
#include "common/result.h"

namespace tern::broker {

struct RawValue {
  std::optional<YAML::Node> node;       // from the file
  std::optional<std::string> env_text;  // from the environment (wins over the file)
  std::string where;                    // "cluster.size" or "cluster.size (TERN_CLUSTER_SIZE)"
};

Result<std::int64_t, ConfigError> to_integer(const RawValue& value);
// An integer in 1..65535.
Result<std::uint16_t, ConfigError> to_port(const RawValue& value);
Result<bool, ConfigError> to_boolean(const RawValue& value);
Result<std::string, ConfigError> to_string_value(const RawValue& value);
// YAML: a sequence of scalars (or nothing). Environment: comma-separated; blanks around items are
// trimmed and empty items dropped, so "" is the empty list.
Result<std::vector<std::string>, ConfigError> to_string_list(const RawValue& value);

// A free-form YAML tree (exporter args) as JSON. Plain scalars become numbers or booleans when
// they read as such; quoted scalars stay strings.
nlohmann::json yaml_to_json(const YAML::Node& node);

}  // namespace tern::broker
