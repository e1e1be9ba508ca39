#include "broker/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "broker/config_schema.h"
#include "broker/config_validation.h"
#include "broker/config_values.h"
#include "broker/topology/node_identity.h"

extern char** environ;  // NOLINT: POSIX

namespace tern::broker {
namespace {

using RawMap = std::map<std::string, RawValue, std::less<>>;

ConfigError error(ConfigErrc code, std::string key, std::string message) {
  return ConfigError{code, std::move(key), std::move(message)};
}

std::string section_list() {
  std::string out;
  for (auto section : config_sections()) {
    if (!out.empty()) out += ", ";
    out += section;
  }
  return out;
}

std::string keys_of_section(std::string_view section) {
  std::string out;
  for (const auto& spec : config_keys()) {
    if (spec.path.substr(0, spec.path.find('.')) != section) continue;
    if (!out.empty()) out += ", ";
    out += spec.path.substr(spec.path.find('.') + 1);
  }
  return out;
}

bool is_section(std::string_view name) {
  for (auto section : config_sections()) {
    if (section == name) return true;
  }
  return false;
}

// Exporters are a map of name -> {type, args}; their names are the operator's own.
Result<std::map<std::string, ExporterConfig>, ConfigError> read_exporters(
    const YAML::Node& node, const std::string& where) {
  std::map<std::string, ExporterConfig> exporters;
  if (node.IsNull()) return exporters;
  if (!node.IsMap()) {
    return tern::unexpected(error(ConfigErrc::kWrongType, where, "expected a map of exporters"));
  }
  for (const auto& entry : node) {
    std::string name = entry.first.Scalar();
    std::string path = "exporters." + name;
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) {
      return tern::unexpected(
          error(ConfigErrc::kWrongType, path, "expected a map with 'type' and 'args'"));
    }
    ExporterConfig exporter;
    for (const auto& field : body) {
      std::string key = field.first.Scalar();
      if (key == "type") {
        if (!field.second.IsScalar() || field.second.Scalar().empty()) {
          return tern::unexpected(
              error(ConfigErrc::kWrongType, path + ".type", "expected a non-empty string"));
        }
        exporter.type = field.second.Scalar();
      } else if (key == "args") {
        if (!field.second.IsMap() && !field.second.IsNull()) {
          return tern::unexpected(error(ConfigErrc::kWrongType, path + ".args", "expected a map"));
        }
        if (field.second.IsMap()) exporter.args = yaml_to_json(field.second);
      } else {
        return tern::unexpected(error(ConfigErrc::kUnknownKey, path + "." + key,
                                      "unknown key (an exporter has 'type' and 'args')"));
      }
    }
    if (exporter.type.empty()) {
      return tern::unexpected(error(ConfigErrc::kInvalidValue, path + ".type", "is required"));
    }
    exporters.emplace(std::move(name), std::move(exporter));
  }
  return exporters;
}

Result<YAML::Node, ConfigError> load_yaml(std::string_view text, const std::string& where) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return tern::unexpected(error(ConfigErrc::kSyntax, where,
                                  "not valid YAML (line " + std::to_string(e.mark.line + 1)
                                      + ", column " + std::to_string(e.mark.column + 1)
                                      + "): " + e.msg));
  }
}

// Collects the file's fixed keys into `raw` and its exporters into `exporters_node`.
Result<void, ConfigError> collect_file(const YAML::Node& root, RawMap& raw,
                                       YAML::Node& exporters_node) {
  if (root.IsNull()) return {};
  if (!root.IsMap()) {
    return tern::unexpected(
        error(ConfigErrc::kWrongType, "", "the configuration must be a map of sections"));
  }
  for (const auto& section : root) {
    std::string name = section.first.Scalar();
    if (!is_section(name)) {
      return tern::unexpected(error(ConfigErrc::kUnknownKey, name,
                                    "unknown key (sections are " + section_list() + ")"));
    }
    if (name == "exporters") {
      exporters_node = section.second;
      continue;
    }
    if (section.second.IsNull()) continue;
    if (!section.second.IsMap()) {
      return tern::unexpected(error(ConfigErrc::kWrongType, name, "expected a map"));
    }
    for (const auto& entry : section.second) {
      std::string path = name + "." + entry.first.Scalar();
      if (find_config_key(path) == nullptr) {
        return tern::unexpected(
            error(ConfigErrc::kUnknownKey, path,
                  "unknown key (" + name + " has " + keys_of_section(name) + ")"));
      }
      raw[path] = RawValue{entry.second, std::nullopt, path};
    }
  }
  return {};
}

// Applies TERN_* variables. A variable under a section's prefix that names no key is an error
// (almost always a typo that would otherwise be silently ignored); other TERN_ variables are not
// configuration (tools use TERN_SOURCE_DIR and the like) and only produce a warning.
Result<void, ConfigError> collect_env(const Environment& env, RawMap& raw,
                                      YAML::Node& exporters_node,
                                      std::vector<std::string>& warnings) {
  std::map<std::string, std::string, std::less<>> by_env_name;
  for (const auto& spec : config_keys())
    by_env_name.emplace(env_name_for(spec.path), std::string(spec.path));
  for (const auto& [name, value] : env) {
    if (name.rfind("TERN_", 0) != 0) continue;
    if (auto it = by_env_name.find(name); it != by_env_name.end()) {
      raw[it->second] = RawValue{std::nullopt, value, it->second + " (" + name + ")"};
      continue;
    }
    if (name == "TERN_EXPORTERS") {
      auto parsed = load_yaml(value, "exporters (TERN_EXPORTERS)");
      if (!parsed) return tern::unexpected(parsed.error());
      exporters_node = *parsed;
      continue;
    }
    bool under_section = false;
    for (auto section : config_sections()) {
      if (name.rfind(env_name_for(section) + "_", 0) == 0) under_section = true;
    }
    if (under_section) {
      return tern::unexpected(
          error(ConfigErrc::kUnknownKey, name,
                "environment variable matches no configuration key (see docs/configuration.md)"));
    }
    warnings.push_back(name + " is not a configuration key; ignored");
  }
  return {};
}

template <typename T, typename Convert>
Result<void, ConfigError> assign(const RawMap& raw, std::string_view path, T& out,
                                 Convert convert) {
  auto it = raw.find(path);
  if (it == raw.end()) return {};
  auto converted = convert(it->second);
  if (!converted) return tern::unexpected(converted.error());
  out = static_cast<T>(*converted);
  return {};
}

Result<void, ConfigError> assign_all(const RawMap& raw, TernConfig& config) {
  std::string level = std::string(to_string(config.logging.level));
  std::string format = std::string(to_string(config.logging.format));
  std::string directory = config.data.directory.string();
  for (auto result : {
           assign(raw, "cluster.node-id", config.cluster.node_id, to_integer),
           assign(raw, "cluster.size", config.cluster.size, to_integer),
           assign(raw, "cluster.partitions", config.cluster.partitions, to_integer),
           assign(raw, "cluster.replication-factor", config.cluster.replication_factor, to_integer),
           assign(raw, "cluster.contact-points", config.cluster.contact_points, to_string_list),
           assign(raw, "cluster.region", config.cluster.region, to_string_value),
           assign(raw, "cluster.region-count", config.cluster.region_count, to_integer),
           assign(raw, "cluster.region-index", config.cluster.region_index, to_integer),
           assign(raw, "cluster.pod-name", config.cluster.pod_name, to_string_value),
           assign(raw, "network.host", config.network.host, to_string_value),
           assign(raw, "network.advertised-host", config.network.advertised_host, to_string_value),
           assign(raw, "network.command-port", config.network.command_port, to_port),
           assign(raw, "network.cluster-port", config.network.cluster_port, to_port),
           assign(raw, "network.monitoring-port", config.network.monitoring_port, to_port),
           assign(raw, "gateway.enabled", config.gateway.enabled, to_boolean),
           assign(raw, "gateway.port", config.gateway.port, to_port),
           assign(raw, "gateway.rest-port", config.gateway.rest_port, to_port),
           assign(raw, "data.directory", directory, to_string_value),
           assign(raw, "data.snapshot-period-seconds", config.data.snapshot_period_seconds,
                  to_integer),
           assign(raw, "data.snapshot-log-entries", config.data.snapshot_log_entries, to_integer),
           assign(raw, "threads.partition-threads", config.threads.partition_threads, to_integer),
           assign(raw, "threads.journal-writer-threads", config.threads.journal_writer_threads,
                  to_integer),
           assign(raw, "logging.level", level, to_string_value),
           assign(raw, "logging.format", format, to_string_value),
       }) {
    if (!result) return result;
  }
  config.data.directory = directory;
  // Enumerated strings: checked here because only here is the raw spelling still at hand.
  static constexpr LogLevel kLevels[] = {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo,
                                         LogLevel::kWarn,  LogLevel::kError, LogLevel::kOff};
  bool level_ok = false;
  for (auto candidate : kLevels) {
    if (to_string(candidate) == level) {
      config.logging.level = candidate;
      level_ok = true;
    }
  }
  auto where = [&](std::string_view path) {
    auto it = raw.find(path);
    return it == raw.end() ? std::string(path) : it->second.where;
  };
  if (!level_ok) {
    return tern::unexpected(
        error(ConfigErrc::kInvalidValue, where("logging.level"),
              "'" + level + "' is not one of trace, debug, info, warn, error, off"));
  }
  if (format == "text") {
    config.logging.format = LogFormat::kText;
  } else if (format == "json") {
    config.logging.format = LogFormat::kJson;
  } else {
    return tern::unexpected(error(ConfigErrc::kInvalidValue, where("logging.format"),
                                  "'" + format + "' is not one of text, json"));
  }
  return {};
}

// cluster.region-count > 0: the node id is the pod's ordinal * region-count + region-index, and
// the region label defaults to the index, so a StatefulSet per region needs no per-pod settings.
Result<void, ConfigError> derive_node_id(const RawMap& raw, const Environment& env,
                                         ClusterConfig& cluster) {
  if (cluster.region_count == 0) return {};
  if (raw.count("cluster.node-id")) {
    return tern::unexpected(error(ConfigErrc::kInvalidValue, raw.at("cluster.node-id").where,
                                  "must not be set together with cluster.region-count, which "
                                  "derives the node id from the pod name"));
  }
  if (cluster.region_count < 1 || cluster.region_index < 0
      || cluster.region_index >= cluster.region_count) {
    return {};  // validate_config names the bad value
  }
  std::string pod = cluster.pod_name;
  if (pod.empty()) {
    auto hostname = env.find("HOSTNAME");
    if (hostname != env.end()) pod = hostname->second;
  }
  if (pod.empty()) {
    return tern::unexpected(error(ConfigErrc::kInvalidValue, "cluster.pod-name",
                                  "cluster.region-count is set but neither cluster.pod-name nor "
                                  "the HOSTNAME variable names the pod"));
  }
  auto id = topology::node_id_from_pod(pod, cluster.region_count, cluster.region_index);
  if (!id)
    return tern::unexpected(error(ConfigErrc::kInvalidValue, "cluster.pod-name", id.error()));
  cluster.node_id = *id;
  if (cluster.region.empty()) cluster.region = std::to_string(cluster.region_index);
  return {};
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

Result<LoadedConfig, ConfigError> parse_config(std::string_view yaml_text, const Environment& env) {
  auto root = load_yaml(yaml_text, "");
  if (!root) return tern::unexpected(root.error());
  RawMap raw;
  YAML::Node exporters_node;
  LoadedConfig loaded;
  if (auto collected = collect_file(*root, raw, exporters_node); !collected) {
    return tern::unexpected(collected.error());
  }
  if (auto collected = collect_env(env, raw, exporters_node, loaded.warnings); !collected) {
    return tern::unexpected(collected.error());
  }
  if (auto assigned = assign_all(raw, loaded.config); !assigned) {
    return tern::unexpected(assigned.error());
  }
  if (exporters_node.IsDefined()) {
    auto exporters = read_exporters(exporters_node, "exporters");
    if (!exporters) return tern::unexpected(exporters.error());
    loaded.config.exporters = std::move(*exporters);
  }
  if (auto derived = derive_node_id(raw, env, loaded.config.cluster); !derived) {
    return tern::unexpected(derived.error());
  }
  if (auto valid = validate_config(loaded.config); !valid) return tern::unexpected(valid.error());
  return loaded;
}

Result<LoadedConfig, ConfigError> load_config(const std::optional<std::filesystem::path>& file,
                                              const Environment& env) {
  if (!file) return parse_config("", env);
  std::ifstream in(*file);
  if (!in) {
    return tern::unexpected(
        error(ConfigErrc::kUnreadableFile, file->string(), "cannot read the configuration file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_config(text.str(), env);
  if (!parsed && parsed.error().code == ConfigErrc::kSyntax) {
    // Name the file for syntax errors; other errors name the key, which is more useful.
    parsed.error().key = file->string();
  }
  return parsed;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

std::string_view to_string(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

}  // namespace tern::broker
