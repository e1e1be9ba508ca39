// `ternd gateway`: a standalone gateway. It polls the brokers' command API (the configured
// contact points) for the topology, serves clients, and answers health probes; SIGTERM or SIGINT
// stops it in reverse order.

#include <spdlog/spdlog.h>

#include <chrono>

#include "broker/config_validation.h"
#include "broker/daemon/daemon.h"
#include "broker/health.h"
#include "broker/logging.h"
#include "broker/monitoring_server.h"
#include "broker/port_check.h"
#include "broker/signals.h"
#include "common/version.h"
#include "gateway/contact_point_topology.h"
#include "gateway/gateway_server.h"

namespace tern::broker {
namespace {

// The brokers push topology changes; this is how long the gateway waits before subscribing again
// to a broker that is down, short enough that a restarted broker shows up quickly.
constexpr std::chrono::milliseconds kTopologyRetryInterval{1000};

}  // namespace

int run_gateway(const CommandLine& command_line) {
  auto loaded = load_config(command_line.config_file, process_environment());
  if (!loaded) return report_config_error(loaded.error());
  const TernConfig& config = loaded->config;
  if (auto valid = validate_for_gateway(config); !valid) return report_config_error(valid.error());
  setup_logging(config.logging, "gateway");
  for (const auto& warning : loaded->warnings)
    spdlog::warn("configuration: {}", warning);

  if (auto free = check_ports_available(listen_ports(config, ProcessKind::kGateway)); !free) {
    return report_config_error(free.error());
  }

  auto health = std::make_shared<HealthRegistry>();
  auto routes = std::make_shared<RouteTable>();
  add_health_routes(*routes, health);
  nlohmann::json info = {{"version", kVersion},
                         {"process", "gateway"},
                         {"contactPoints", config.cluster.contact_points}};
  routes->add(HttpMethod::kGet, "/actuator/info", [info](const HttpRequest&) {
    return HttpResponse{200, "application/json", info.dump()};
  });
  auto monitoring =
      MonitoringServer::start(config.network.host, config.network.monitoring_port, routes);
  if (!monitoring) return report_start_failure("network.monitoring-port", monitoring.error());
  spdlog::info("monitoring listening on {}:{}", config.network.host, (*monitoring)->port());

  auto topology =
      gateway::ContactPointTopology::start(config.cluster.contact_points, kTopologyRetryInterval);
  if (!topology) return report_start_failure("cluster.contact-points", topology.error());
  std::shared_ptr<gateway::ContactPointTopology> cluster = std::move(*topology);
  // UP once at least one broker has answered: before that, the gateway can route nothing.
  health->set_check("cluster", [cluster] {
    auto current = cluster->current();
    if (current.brokers.empty()) {
      return ComponentHealth{ComponentStatus::kDown,
                             {{"reason", "no broker has answered on the contact points yet"}}};
    }
    return ComponentHealth{ComponentStatus::kUp, {{"brokers", current.brokers.size()}}};
  });
  spdlog::info("polling the topology from {} contact point(s)",
               config.cluster.contact_points.size());

  gateway::GatewayOptions options{config.network.host, config.gateway.port,
                                  config.gateway.rest_port};
  auto server = gateway::GatewayServer::start(options, cluster);
  if (!server) return report_start_failure("gateway.port", server.error());
  health->set_component("gateway", ComponentStatus::kUp);
  spdlog::info("gateway listening on {}:{} (gRPC) and {}:{} (REST)", config.network.host,
               (*server)->grpc_port(), config.network.host, (*server)->rest_port());

  health->mark_started();
  spdlog::info("gateway ready (tern {})", kVersion);

  int signal_number = wait_for_shutdown_signal();
  spdlog::info("received {}; shutting down", signal_name(signal_number));
  health->mark_shutting_down();
  (*server)->shutdown();
  spdlog::info("gateway servers stopped");
  cluster->shutdown();
  spdlog::info("topology polling stopped");
  (*monitoring)->shutdown();
  spdlog::info("monitoring stopped");
  spdlog::info("gateway stopped");
  return 0;
}

}  // namespace tern::broker
