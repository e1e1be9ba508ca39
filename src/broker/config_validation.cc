#include "broker/config_validation.h"

#include <charconv>

namespace tern::broker {
namespace {

ConfigError invalid(std::string key, std::string message) {
  return ConfigError{ConfigErrc::kInvalidValue, std::move(key), std::move(message)};
}

}  // namespace

Result<HostPort, std::string> parse_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return tern::unexpected("'" + text + "' is not of the form host:port");
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return tern::unexpected("'" + text + "' has an empty host");
  std::string_view port_text(text);
  port_text.remove_prefix(colon + 1);
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return tern::unexpected("'" + text + "' has no valid port (1-65535) after the colon");
  }
  return HostPort{std::move(host), static_cast<std::uint16_t>(port)};
}

Result<void, ConfigError> validate_config(const TernConfig& config) {
  const auto& cluster = config.cluster;
  if (cluster.size < 1) {
    return tern::unexpected(
        invalid("cluster.size", "must be at least 1, got " + std::to_string(cluster.size)));
  }
  // cluster.size counts the initial members (ids 0..size-1), which bootstrap the cluster; a
  // broker with a larger id joins a running cluster once a change adds it.
  if (cluster.node_id < 0) {
    return tern::unexpected(invalid(
        "cluster.node-id", std::to_string(cluster.node_id) + " is negative (node ids start at 0)"));
  }
  if (cluster.partitions < 1) {
    return tern::unexpected(invalid(
        "cluster.partitions", "must be at least 1, got " + std::to_string(cluster.partitions)));
  }
  if (cluster.replication_factor < 1) {
    return tern::unexpected(
        invalid("cluster.replication-factor",
                "must be at least 1, got " + std::to_string(cluster.replication_factor)));
  }
  if (cluster.replication_factor > cluster.size) {
    return tern::unexpected(
        invalid("cluster.replication-factor", std::to_string(cluster.replication_factor)
                                                  + " is greater than cluster.size ("
                                                  + std::to_string(cluster.size) + ")"));
  }
  if (cluster.region_count < 0) {
    return tern::unexpected(
        invalid("cluster.region-count",
                "must be 0 (no regions) or more, got " + std::to_string(cluster.region_count)));
  }
  if (cluster.region_count > 0
      && (cluster.region_index < 0 || cluster.region_index >= cluster.region_count)) {
    return tern::unexpected(
        invalid("cluster.region-index", std::to_string(cluster.region_index) + " is outside 0.."
                                            + std::to_string(cluster.region_count - 1)
                                            + " (cluster.region-count is "
                                            + std::to_string(cluster.region_count) + ")"));
  }
  for (std::size_t i = 0; i < cluster.contact_points.size(); ++i) {
    auto parsed = parse_host_port(cluster.contact_points[i]);
    if (!parsed) {
      return tern::unexpected(
          invalid("cluster.contact-points[" + std::to_string(i) + "]", parsed.error()));
    }
  }
  if (config.network.host.empty()) {
    return tern::unexpected(invalid("network.host", "must not be empty"));
  }
  if (config.data.directory.empty()) {
    return tern::unexpected(invalid("data.directory", "must not be empty"));
  }
  if (config.data.snapshot_period_seconds < 1 || config.data.snapshot_period_seconds > 86400) {
    return tern::unexpected(invalid("data.snapshot-period-seconds",
                                    "must be between 1 and 86400 (a day), got "
                                        + std::to_string(config.data.snapshot_period_seconds)));
  }
  if (config.data.snapshot_log_entries < 1) {
    return tern::unexpected(
        invalid("data.snapshot-log-entries",
                "must be at least 1, got " + std::to_string(config.data.snapshot_log_entries)));
  }
  for (const auto& [key, threads] :
       {std::pair{"threads.partition-threads", config.threads.partition_threads},
        std::pair{"threads.journal-writer-threads", config.threads.journal_writer_threads}}) {
    if (threads < 1 || threads > 64) {
      return tern::unexpected(
          invalid(key, "must be between 1 and 64, got " + std::to_string(threads)));
    }
  }
  return {};
}

Result<void, ConfigError> validate_for_gateway(const TernConfig& config) {
  if (config.cluster.contact_points.empty()) {
    return tern::unexpected(invalid("cluster.contact-points",
                                    "a standalone gateway needs at least one contact point (a "
                                    "broker's command address, host:port)"));
  }
  return {};
}

std::vector<ListenPort> listen_ports(const TernConfig& config, ProcessKind kind) {
  const auto& host = config.network.host;
  std::vector<ListenPort> ports;
  if (kind == ProcessKind::kBroker) {
    ports.push_back({"network.command-port", host, config.network.command_port});
    ports.push_back({"network.cluster-port", host, config.network.cluster_port});
  }
  ports.push_back({"network.monitoring-port", host, config.network.monitoring_port});
  if (kind == ProcessKind::kGateway || config.gateway.enabled) {
    ports.push_back({"gateway.port", host, config.gateway.port});
    ports.push_back({"gateway.rest-port", host, config.gateway.rest_port});
  }
  return ports;
}

Result<void, ConfigError> check_distinct_ports(const std::vector<ListenPort>& ports) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (ports[i].port == ports[j].port) {
        return tern::unexpected(invalid(
            ports[i].key,
            "port " + std::to_string(ports[i].port) + " is also configured as " + ports[j].key));
      }
    }
  }
  return {};
}

}  // namespace tern::broker
