#pragma once

// The validated configuration of a `ternd` process. One YAML file plus TERN_* environment
// variables are read once at start-up into these plain structs; nothing reads YAML afterwards.
// docs/configuration.md is the reference for every key; config/broker.yaml shows them all.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::broker {

struct ClusterConfig {
  std::int32_t node_id = 0;
  std::int32_t size = 1;
  std::int32_t partitions = 1;
  std::int32_t replication_factor = 1;
  // For a broker: the other brokers' cluster ports. For a standalone gateway: the brokers'
  // command ports, which it polls for the topology. Each entry is "host:port".
  std::vector<std::string> contact_points;
  std::string region;
  // With region_count > 0 the node id comes from the StatefulSet pod name (pod_name, else the
  // HOSTNAME variable): ordinal * region_count + region_index; region defaults to the index.
  std::int32_t region_count = 0;
  std::int32_t region_index = 0;
  std::string pod_name;
};

struct NetworkConfig {
  std::string host = "127.0.0.1";
  std::string advertised_host;  // empty: advertise `host`
  std::uint16_t command_port = 26501;
  std::uint16_t cluster_port = 26502;
  std::uint16_t monitoring_port = 9600;

  // The host other processes should use to reach this one.
  const std::string& effective_advertised_host() const {
    return advertised_host.empty() ? host : advertised_host;
  }
};

struct GatewayConfig {
  bool enabled = true;
  std::uint16_t port = 26500;
  std::uint16_t rest_port = 8080;
};

struct DataConfig {
  std::filesystem::path directory = "./data";
  // A partition replica snapshots its state this often, and also once its log has grown by
  // this many entries since the last snapshot. A snapshot copies the whole state on the
  // partition's thread, so taking one every few thousand entries under load costs CPU and
  // latency; these bound the journal and a restart's replay instead.
  std::int32_t snapshot_period_seconds = 300;
  std::int32_t snapshot_log_entries = 50000;
};

// The broker's own thread pools. Partition threads run every partition replica (Raft, journal
// writes, the engine), each replica on one at a time; journal writer threads sync the replicas'
// journals off them. More partition threads let more partitions work at once on more cores;
// fewer cost fewer thread hand-offs where several brokers share few cores (as the benchmarks'
// three brokers on two cores do).
struct ThreadsConfig {
  std::int32_t partition_threads = 2;
  std::int32_t journal_writer_threads = 4;
};

// One configured exporter. Which types exist is the exporter module's business; the broker only
// checks the shape and hands `args` over as JSON.
struct ExporterConfig {
  std::string type;
  nlohmann::json args = nlohmann::json::object();
};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

struct LoggingConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

struct TernConfig {
  ClusterConfig cluster;
  NetworkConfig network;
  GatewayConfig gateway;
  DataConfig data;
  ThreadsConfig threads;
  std::map<std::string, ExporterConfig> exporters;  // by name, ordered for stable output
  LoggingConfig logging;
};

enum class ConfigErrc {
  kUnreadableFile,  // the file named by --config cannot be read
  kSyntax,          // not YAML
  kUnknownKey,      // a key (or TERN_ variable) that matches nothing
  kWrongType,       // e.g. a string where an integer belongs
  kInvalidValue,    // right type, wrong value (replication factor > size, ...)
  kPortInUse,       // a port this process will listen on is taken
  kDataDirectory,   // cannot create, write or lock the data directory
};

// What went wrong and which key it concerns. `key` names the configuration path (and the
// environment variable when the value came from one); `message` says the problem.
struct ConfigError {
  ConfigErrc code = ConfigErrc::kInvalidValue;
  std::string key;
  std::string message;

  // "<key>: <message>", the one line `ternd` prints before exiting with status 1.
  std::string to_string() const { return key.empty() ? message : key + ": " + message; }
};

struct LoadedConfig {
  TernConfig config;
  // Things worth a log line that do not stop start-up (TERN_ variables outside the
  // configuration's sections). Logged once logging is set up.
  std::vector<std::string> warnings;
};

// Environment variables by name (a copy, so that tests pass their own).
using Environment = std::map<std::string, std::string>;

// The process's environment as an Environment.
Environment process_environment();

// Parses YAML text (empty text means "all defaults"), applies TERN_* overrides from `env`, and
// validates the result. The first problem found is returned.
Result<LoadedConfig, ConfigError> parse_config(std::string_view yaml_text, const Environment& env);

// As parse_config, reading `file` first; without a file, defaults plus the environment.
Result<LoadedConfig, ConfigError> load_config(const std::optional<std::filesystem::path>& file,
                                              const Environment& env);

// The checks a standalone gateway adds: it needs at least one contact point.
Result<void, ConfigError> validate_for_gateway(const TernConfig& config);

std::string_view to_string(LogLevel level);
std::string_view to_string(LogFormat format);

}  // namespace tern::broker
