// `ternd broker`: configuration -> ports and data directory checked -> partitions created ->
// monitoring, command API and (optionally) the embedded gateway started -> wait for SIGTERM or
// SIGINT -> orderly shutdown in reverse order, one log line per step.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "broker/broker_metrics.h"
#include "broker/broker_topology.h"
#include "broker/command_api/command_service.h"
#include "broker/command_api_server.h"
#include "broker/config_validation.h"
#include "broker/daemon/broker_membership.h"
#include "broker/daemon/daemon.h"
#include "broker/daemon/embedded_topology.h"
#include "broker/daemon/local_commands.h"
#include "broker/data_directory.h"
#include "broker/exporting_routes.h"
#include "broker/health.h"
#include "broker/logging.h"
#include "broker/management/broker_announcer.h"
#include "broker/management/cluster_routes.h"
#include "broker/management/partition_routes.h"
#include "broker/management/reconcile_loop.h"
#include "broker/management/replicated_topology_manager.h"
#include "broker/management/topology_peers.h"
#include "broker/management/topology_replica.h"
#include "broker/monitoring_server.h"
#include "broker/partition.h"
#include "broker/partition/partition_manager.h"
#include "broker/port_check.h"
#include "broker/signals.h"
#include "broker/topology/node_identity.h"
#include "broker/topology/topology_json.h"
#include "common/version.h"
#include "gateway/gateway_server.h"
#include "gateway/routing/partition_routing.h"

namespace tern::broker {
namespace {

ComponentStatus component_status(PartitionHealth health) {
  switch (health) {
    case PartitionHealth::kHealthy:
      return ComponentStatus::kUp;
    case PartitionHealth::kUnhealthy:
      return ComponentStatus::kDown;
    case PartitionHealth::kDead:
      break;
  }
  return ComponentStatus::kDead;
}

// Keeps one health component per hosted partition ("partition-<id>") as replicas start and stop.
class PartitionHealthSync {
 public:
  explicit PartitionHealthSync(std::shared_ptr<HealthRegistry> health)
      : health_(std::move(health)) {}

  void sync(const std::vector<std::shared_ptr<Partition>>& hosted);

 private:
  std::shared_ptr<HealthRegistry> health_;
  std::mutex mutex_;
  std::set<std::int32_t> registered_;  // guarded by mutex_
};

void register_partition_health(HealthRegistry& health,
                               const std::vector<std::shared_ptr<const Partition>>& partitions) {
  for (const auto& partition : partitions) {
    health.set_check("partition-" + std::to_string(partition->id().value()), [partition] {
      PartitionStatus status = partition->status();
      nlohmann::json details = {{"role", to_string(status.role)},
                                {"health", to_string(status.health)},
                                {"term", status.term},
                                {"appliedIndex", status.applied_index},
                                {"snapshotIndex", status.snapshot_index}};
      if (status.leader) details["leader"] = *status.leader;
      if (!status.reason.empty()) details["reason"] = status.reason;
      return ComponentHealth{component_status(status.health), std::move(details)};
    });
  }
}

void PartitionHealthSync::sync(const std::vector<std::shared_ptr<Partition>>& hosted) {
  std::lock_guard lock(mutex_);
  std::set<std::int32_t> now;
  std::vector<std::shared_ptr<const Partition>> added;
  for (const auto& partition : hosted) {
    now.insert(partition->id().value());
    if (!registered_.count(partition->id().value())) added.push_back(partition);
  }
  for (std::int32_t id : registered_) {
    if (!now.count(id)) health_->remove_component("partition-" + std::to_string(id));
  }
  register_partition_health(*health_, added);
  registered_ = std::move(now);
}

void add_broker_routes(RouteTable& routes, const TernConfig& config,
                       std::shared_ptr<const BrokerTopology> topology) {
  // The cluster's shape as the committed topology has it (after a scale-out or a new replication
  // factor), the same as the gateway's Topology reports.
  routes.add(HttpMethod::kGet, "/actuator/info",
             [topology, node = config.cluster.node_id,
              region = config.cluster.region](const HttpRequest&) {
               const BrokerSelfReport self = topology->report();
               nlohmann::json info = {{"version", kVersion},
                                      {"process", "broker"},
                                      {"nodeId", node},
                                      {"region", region},
                                      {"clusterSize", self.cluster_size},
                                      {"partitionsCount", self.partitions_count},
                                      {"replicationFactor", self.replication_factor}};
               return HttpResponse{200, "application/json", info.dump()};
             });
  auto started = std::chrono::steady_clock::now();
  routes.add(HttpMethod::kGet, "/metrics", [topology, started](const HttpRequest&) {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now()
                                                                   - started);
    return HttpResponse{200, kPrometheusContentType,
                        broker_metrics_text(topology->report(), uptime)};
  });
}

// Replicas elect leaders on their own; readiness waits (bounded) until every hosted partition and
// the topology group know their leader, so that a probe's "ready" means commands can be served. A
// broker started before its peers stops waiting after `timeout` and reports readiness anyway, with
// a log line.
void wait_for_leaders(const PartitionManager& manager, const management::TopologyReplica& topology,
                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto all_led = [&] {
    for (const auto& partition : manager.partition_objects())
      if (!partition->status().leader) return false;
    return topology.leader().has_value();
  };
  while (!all_led()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn("not every partition has a leader after {} ms; reporting started anyway",
                   timeout.count());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// SIGTERM: every partition this broker leads hands leadership to its most caught-up follower
// before anything stops, so that a rolling restart costs clients a NOT_LEADER retry rather than an
// election timeout. Commands in flight get `drain` to answer; the transfers get until `timeout`.
void hand_over_leadership(PartitionManager& manager, management::TopologyReplica& topology,
                          NodeId self, std::chrono::milliseconds drain,
                          std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  auto deadline = started + timeout;
  // A follower qualifies once the leader hears from it and replicates to it in step; right after
  // an election (or a reconnect) none may yet, for a heartbeat or two. Asking again within the
  // drain time finds it then; a partition already handing over answers "scheduled" again.
  int scheduled = 0;
  std::vector<PartitionId> without_target;
  for (;;) {
    scheduled = 0;
    without_target.clear();
    for (const auto& move : manager.move_leadership(LeadershipGoal::kHandOver, drain)) {
      if (move.state == LeadershipMoveState::kScheduled) {
        ++scheduled;
      } else if (move.state == LeadershipMoveState::kNoTarget) {
        without_target.push_back(move.partition);
      }
    }
    if (without_target.empty() || std::chrono::steady_clock::now() >= started + drain) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (PartitionId partition : without_target) {
    spdlog::warn("partition {}: no caught-up follower to hand leadership to; it stops with us",
                 partition.value());
  }
  // The topology group too: its next leader is then known at once, not after an election.
  const bool topology_moving = topology.hand_over().has_value();
  if (scheduled == 0 && !topology_moving) return;
  auto still_leading = [&] {
    int leading = topology_moving && topology.leader() == self ? 1 : 0;
    for (const auto& partition : manager.partition_objects())
      if (partition->status().role == PartitionRole::kLeader) ++leading;
    return leading;
  };
  while (still_leading() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (int left = still_leading(); left > 0) {
    spdlog::warn("{} group(s) still led here after {} ms; stopping anyway", left, timeout.count());
  } else {
    spdlog::info("leadership of {} partition(s) handed over{}", scheduled,
                 topology_moving ? ", and of the cluster topology group" : "");
  }
}

// The topology every broker of the configured cluster starts from. It must be the same on every
// broker (the topology group's replicas apply the same commands to it), so it holds only what the
// configuration says about everyone: ids, the round-robin placement and, with region-count set,
// the region index of each id. Cluster addresses are not known for the other brokers.
topology::ClusterTopology configured_topology(const TernConfig& config) {
  std::vector<topology::BrokerInfo> brokers;
  for (std::int32_t id = 0; id < config.cluster.size; ++id) {
    topology::BrokerInfo broker;
    broker.id = NodeId(id);
    if (config.cluster.region_count > 0)
      broker.region = std::to_string(topology::region_of(id, config.cluster.region_count));
    brokers.push_back(std::move(broker));
  }
  return topology::initial_topology(brokers, config.cluster.partitions,
                                    config.cluster.replication_factor);
}

void register_topology_health(HealthRegistry& health,
                              std::shared_ptr<const management::TopologyReplica> replica) {
  health.set_check("cluster-topology", [replica] {
    auto leader = replica->leader();
    nlohmann::json details = {{"version", replica->topology().version},
                              {"appliedIndex", replica->applied_index()}};
    if (leader) details["leader"] = leader->value();
    return ComponentHealth{leader ? ComponentStatus::kUp : ComponentStatus::kDown,
                           std::move(details)};
  });
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// host:port as peers reach this broker (the advertised host, else the listening one).
std::string advertised_address(const TernConfig& config, std::uint16_t port) {
  const std::string& host = config.network.effective_advertised_host();
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":"
         + std::to_string(port);
}

// What this broker announces to the topology: the region is the region index when the cluster
// has regions (as in the configured topology, which `tern cluster failover --region` matches),
// else the configured label.
topology::BrokerIdentity own_identity(const TernConfig& config, std::uint16_t cluster_port,
                                      std::uint16_t monitoring_port) {
  topology::BrokerIdentity identity;
  identity.address = advertised_address(config, cluster_port);
  identity.monitoring_address = advertised_address(config, monitoring_port);
  identity.region =
      config.cluster.region_count > 0
          ? std::to_string(topology::region_of(config.cluster.node_id, config.cluster.region_count))
          : config.cluster.region;
  return identity;
}

// A fenced broker (removed from the cluster, back with its old data) runs no replica and binds
// neither the cluster nor the command port: it only answers on monitoring, reporting REMOVED with
// the reason, until it is stopped. Its data stays untouched for the operator to inspect.
int run_fenced_broker(const TernConfig& config, const StartMembership& membership,
                      DataDirectory& data) {
  const auto& reason = membership.decision.reason;
  spdlog::error("broker {} is fenced and starts no replica: {}", config.cluster.node_id, reason);
  auto health = std::make_shared<HealthRegistry>();
  health->set_component("membership", ComponentStatus::kDown,
                        {{"state", "REMOVED"}, {"reason", reason}});
  auto routes = std::make_shared<RouteTable>();
  add_health_routes(*routes, health);
  nlohmann::json cluster = topology::topology_to_json(membership.topology);
  cluster["fenced"] = {
      {"brokerId", config.cluster.node_id}, {"state", "REMOVED"}, {"reason", reason}};
  routes->add(HttpMethod::kGet, "/actuator/cluster", [cluster](const HttpRequest&) {
    return HttpResponse{200, "application/json", cluster.dump()};
  });
  auto monitoring =
      MonitoringServer::start(config.network.host, config.network.monitoring_port, routes);
  if (!monitoring) return report_start_failure("network.monitoring-port", monitoring.error());
  spdlog::info("monitoring listening on {}:{} (fenced)", config.network.host,
               (*monitoring)->port());
  health->mark_started();
  int signal_number = wait_for_shutdown_signal();
  spdlog::info("received {}; shutting down", signal_name(signal_number));
  (*monitoring)->shutdown();
  data.release();
  spdlog::info("broker {} stopped (fenced)", config.cluster.node_id);
  return 0;
}

// Whether `directory` holds a Raft journal (a broker that ran before).
bool has_raft_data(const std::filesystem::path& directory) {
  std::error_code ec;
  return std::filesystem::exists(directory / "raft", ec)
         && !std::filesystem::is_empty(directory / "raft", ec);
}

// The data-partition replicas that start with the broker. First start of an initial member: the
// configured round-robin placement (bootstrapped). Otherwise: the replicas whose folders hold a
// journal resume from it; the reconcile loop starts the others the committed topology assigns
// here and stops those it no longer does. Their priority order is the configured placement's
// until a cluster change reorders it.
Result<std::vector<std::shared_ptr<Partition>>, ConfigError> initial_replicas(
    const TernConfig& config, const ClusterShape& shape, const DataDirectory& data,
    bool first_start) {
  std::vector<std::shared_ptr<Partition>> out;
  const NodeId self(config.cluster.node_id);
  if (first_start) {
    auto created = create_partitions(self, shape, data);
    if (!created) return unexpected(created.error());
    for (auto& partition : *created)
      out.push_back(std::move(partition));
    return out;
  }
  for (std::int32_t p = 1; p <= shape.partitions; ++p) {
    const PartitionId id(p);
    if (!has_raft_data(data.path() / ("partition-" + std::to_string(p)))) continue;
    auto directory = data.partition_directory(id);
    if (!directory) return unexpected(directory.error());
    out.push_back(std::make_shared<Partition>(id, replicas_of(id, shape), std::move(*directory)));
  }
  return out;
}

}  // namespace

int run_broker(const CommandLine& command_line) {
  auto loaded = load_config(command_line.config_file, process_environment());
  if (!loaded) return report_config_error(loaded.error());
  const TernConfig& config = loaded->config;
  setup_logging(config.logging, "broker");
  for (const auto& warning : loaded->warnings)
    spdlog::warn("configuration: {}", warning);

  const auto& host = config.network.host;
  if (config.network.advertised_host.empty() && (host == "0.0.0.0" || host == "::")) {
    spdlog::warn(
        "network.host {} is a wildcard address and network.advertised-host is empty; "
        "gateways will be told to reach this broker at {}",
        host, host);
  }
  if (auto free = check_ports_available(listen_ports(config, ProcessKind::kBroker)); !free) {
    return report_config_error(free.error());
  }
  auto data = DataDirectory::open(config.data.directory);
  if (!data) return report_config_error(data.error());
  spdlog::info("data directory {} locked", (*data)->path().string());

  // A broker back with data from an earlier membership first learns whether it was removed.
  auto membership = decide_start_membership(config, (*data)->path(), configured_topology(config),
                                            std::chrono::seconds(5));
  if (!membership) return report_start_failure("data.directory", membership.error());
  if (membership->decision.verdict == topology::FencingVerdict::kFenced) {
    return run_fenced_broker(config, *membership, **data);
  }
  spdlog::info("membership: {}", membership->decision.reason);

  ClusterShape shape{config.cluster.size, config.cluster.partitions,
                     config.cluster.replication_factor};
  const NodeId self(config.cluster.node_id);
  // A broker's very first start as one of the initial members bootstraps the configured cluster;
  // any other start (a restart, or a broker joining a running cluster) follows the committed
  // topology, which the reconcile loop carries out. An initial id whose peers say it was removed
  // (or re-added by a change) is not on its first start, whatever its empty disk suggests: it
  // joins (failback).
  const bool initial_member = config.cluster.node_id < config.cluster.size;
  const bool first_start =
      initial_member && membership->may_bootstrap && !has_raft_data((*data)->path() / "topology");
  auto initial = initial_replicas(config, shape, **data, first_start);
  if (!initial) return report_config_error(initial.error());
  spdlog::info("{}; {} partition replica(s) start with the broker",
               first_start      ? "first start of an initial member: bootstrapping the cluster"
               : initial_member ? "restart: replicas follow the committed cluster topology"
                                : "not an initial member: joining a running cluster",
               initial->size());

  ClusterOptions cluster;
  cluster.self = self;
  cluster.shape = shape;
  cluster.transport.host = config.network.host;
  cluster.transport.port = config.network.cluster_port;
  cluster.transport.contact_points = config.cluster.contact_points;
  cluster.partition_directory =
      [&data_directory = **data](PartitionId id) -> Result<std::filesystem::path, std::string> {
    auto directory = data_directory.partition_directory(id);
    if (!directory) return unexpected(directory.error().message);
    return *directory;
  };
  // "Partition 0": the cluster topology, replicated on every broker (created during start). A
  // broker that joins a running cluster does not bootstrap it: its replica waits, empty, until
  // the topology leader adds it (BROKER_ADD).
  std::shared_ptr<management::TopologyReplica> topology_replica;
  cluster.groups[management::TopologyReplica::kPartition] =
      [&](std::shared_ptr<asio::io_context> io, RaftGroup::Send send) {
        management::TopologyReplicaOptions options;
        options.bootstrap = initial_member;
        topology_replica = std::make_shared<management::TopologyReplica>(
            io, cluster.self, (*data)->path() / "topology", configured_topology(config), options,
            std::move(send));
        return std::static_pointer_cast<RaftGroup>(topology_replica);
      };
  // Told to peers in the hello, so that a gateway embedded in any broker can route here.
  if (config.network.command_port != 0) {
    const std::string& advertised =
        config.network.advertised_host.empty() ? host : config.network.advertised_host;
    cluster.transport.command_address =
        (advertised.find(':') != std::string::npos ? "[" + advertised + "]" : advertised) + ":"
        + std::to_string(config.network.command_port);
  }
  auto exporting = open_exporting_settings(config, **data);
  if (!exporting) return report_start_failure("exporters", exporting.error());
  cluster.replica.exporting = *exporting;
  cluster.replica.snapshot_period_ms = config.data.snapshot_period_seconds * 1000;
  cluster.replica.snapshot_log_entries =
      static_cast<std::uint64_t>(config.data.snapshot_log_entries);
  cluster.partition_threads = config.threads.partition_threads;
  cluster.journal_flush_threads = config.threads.journal_writer_threads;
  auto started_manager = PartitionManager::start(
      cluster, *initial, first_start ? ReplicaStart::kBootstrap : ReplicaStart::kJoin);
  if (!started_manager) {
    return report_start_failure("network.cluster-port", started_manager.error());
  }
  std::shared_ptr<PartitionManager> manager = std::move(*started_manager);
  spdlog::info("cluster transport listening on {}:{}", config.network.host,
               manager->cluster_port());
  auto commands = std::make_shared<command_api::CommandService>(manager);
  // The broker's view of itself follows the replicas it hosts now. Weak: the manager outlives
  // neither the topology nor the routes that read it, but it is shut down first.
  auto topology = std::make_shared<const BrokerTopology>(
      config,
      [weak = std::weak_ptr<PartitionManager>(manager)] {
        std::vector<std::shared_ptr<const Partition>> hosted;
        if (auto alive = weak.lock()) {
          for (auto& partition : alive->partition_objects())
            hosted.push_back(std::move(partition));
        }
        return hosted;
      },
      [topology_replica] {
        // The committed topology, so that a scale-out or a new replication factor shows.
        const topology::ClusterTopology committed = topology_replica->topology();
        ReportedShape reported{static_cast<std::int32_t>(committed.brokers.size()),
                               committed.partition_count, committed.replication_factor};
        // The members too, so that a standalone gateway can leave out a removed broker.
        if (!committed.brokers.empty()) {
          reported.membership_version = committed.version;
          for (const auto& [id, member] : committed.brokers)
            reported.member_ids.push_back(id.value());
        }
        return reported;
      });

  auto health = std::make_shared<HealthRegistry>();
  auto health_sync = std::make_shared<PartitionHealthSync>(health);
  health_sync->sync(manager->partition_objects());
  auto routes = std::make_shared<RouteTable>();
  add_health_routes(*routes, health);
  add_broker_routes(*routes, config, topology);
  register_topology_health(*health, topology_replica);
  // Any broker takes topology commands: followers forward them to the topology leader.
  management::serve_topology_requests(manager->transport(), topology_replica);
  auto topology_peers = std::make_shared<management::TopologyPeers>(manager->transport());
  auto topology_manager = std::make_shared<management::ReplicatedTopologyManager>(
      topology_replica, wall_clock_ms, std::chrono::seconds(10), topology_peers);
  MembershipMarkerKeeper marker_keeper(
      (*data)->path(), cluster.self, [topology_replica] { return topology_replica->topology(); },
      membership->marker, membership->verified ? membership->topology.version : 0);
  marker_keeper.start();
  // The reconcile loop performs the committed topology's changes on this broker's replicas.
  auto reconcile = std::make_shared<management::ReconcileLoop>(
      self, manager, [topology_replica] { return topology_replica->topology(); }, topology_replica,
      [topology_manager](topology::TopologyCommand command) {
        return topology_manager->propose(std::move(command));
      },
      wall_clock_ms,
      // A fenced broker never gets here (run_fenced_broker); a fresh one is kUnknown until added.
      [verdict = membership->decision.verdict] { return verdict; });
  // Role, health, term and leader changes are pushed to subscribed gateways at once, the health
  // components follow the hosted replicas, and the reconcile loop looks again.
  manager->set_change_observer([weak_topology = std::weak_ptr<const BrokerTopology>(topology),
                                weak_health = std::weak_ptr<PartitionHealthSync>(health_sync),
                                weak_manager = std::weak_ptr<PartitionManager>(manager),
                                weak_loop = std::weak_ptr<management::ReconcileLoop>(reconcile)] {
    if (auto alive = weak_topology.lock()) alive->notify_changed();
    auto sync = weak_health.lock();
    auto partitions = weak_manager.lock();
    if (sync && partitions) sync->sync(partitions->partition_objects());
    if (auto loop = weak_loop.lock()) loop->wake();
  });
  reconcile->start();
  auto cluster_routes = std::make_shared<management::ClusterRoutes>(
      topology_manager,
      std::make_shared<management::TcpReachabilityProbe>(std::chrono::milliseconds(500)));
  // GET /actuator/cluster reads the replicated topology; PATCH and POST .../brokers start changes
  // that the brokers' reconcile loops carry out (any broker takes them: followers forward).
  management::add_cluster_routes(*routes, cluster_routes);
  management::add_partition_routes(*routes,
                                   management::PartitionRoutes::over(
                                       [weak = std::weak_ptr<PartitionManager>(manager)] {
                                         std::vector<std::shared_ptr<const Partition>> hosted;
                                         if (auto alive = weak.lock()) {
                                           for (auto& partition : alive->partition_objects())
                                             hosted.push_back(std::move(partition));
                                         }
                                         return hosted;
                                       },
                                       [manager] {
                                         return manager->move_leadership(LeadershipGoal::kPreferred,
                                                                         std::chrono::seconds(2));
                                       }));
  add_exporting_endpoints(*routes, *health, manager, *exporting);

  auto monitoring =
      MonitoringServer::start(config.network.host, config.network.monitoring_port, routes);
  if (!monitoring) return report_start_failure("network.monitoring-port", monitoring.error());
  spdlog::info("monitoring listening on {}:{}", config.network.host, (*monitoring)->port());
  // Its own manager with a short timeout: stopping the announcer waits for a running attempt.
  management::BrokerAnnouncer announcer(
      std::make_shared<management::ReplicatedTopologyManager>(
          topology_replica, wall_clock_ms, std::chrono::seconds(3), topology_peers),
      cluster.self, own_identity(config, manager->cluster_port(), (*monitoring)->port()),
      wall_clock_ms);
  announcer.start();

  auto command_api =
      CommandApiServer::start(config.network.host, config.network.command_port, topology, commands);
  if (!command_api) return report_start_failure("network.command-port", command_api.error());
  health->set_component("command-api", ComponentStatus::kUp);
  spdlog::info("command API listening on {}:{}", config.network.host, (*command_api)->port());

  std::unique_ptr<gateway::GatewayServer> gateway;
  if (config.gateway.enabled) {
    gateway::GatewayOptions options{config.network.host, config.gateway.port,
                                    config.gateway.rest_port};
    // Commands for partitions led here skip gRPC over loopback; the address is the one this
    // broker's topology report (and so the router) names it by.
    const BrokerSelfReport own = topology->report();
    options.local_broker = std::make_shared<LocalCommands>(
        commands, gateway::routing::address_of(gateway::BrokerInfo{
                      .node_id = own.node_id, .host = own.host, .port = own.command_port}));
    auto started = gateway::GatewayServer::start(
        options, std::make_shared<EmbeddedTopologySource>(
                     topology, [manager] { return manager->peer_infos(); },
                     [topology_replica]() -> std::optional<std::set<std::int32_t>> {
                       // The committed members; none before the topology is known.
                       const topology::ClusterTopology committed = topology_replica->topology();
                       if (committed.brokers.empty()) return std::nullopt;
                       std::set<std::int32_t> ids;
                       for (const auto& [id, member] : committed.brokers)
                         ids.insert(id.value());
                       return ids;
                     }));
    if (!started) return report_start_failure("gateway.port", started.error());
    gateway = std::move(*started);
    health->set_component("gateway", ComponentStatus::kUp);
    spdlog::info("embedded gateway listening on {}:{} (gRPC) and {}:{} (REST)", config.network.host,
                 gateway->grpc_port(), config.network.host, gateway->rest_port());
  }

  wait_for_leaders(*manager, *topology_replica, std::chrono::seconds(10));
  health->mark_started();
  spdlog::info("broker {} ready (tern {}, {} partition(s) hosted)", config.cluster.node_id,
               kVersion, manager->partition_objects().size());

  int signal_number = wait_for_shutdown_signal();
  spdlog::info("received {}; shutting down", signal_name(signal_number));
  health->mark_shutting_down();
  // No cluster change is carried out from here on: the replicas stay as they are.
  reconcile->stop();
  hand_over_leadership(*manager, *topology_replica, cluster.self, std::chrono::seconds(2),
                       std::chrono::seconds(5));
  if (gateway) {
    gateway->shutdown();
    spdlog::info("embedded gateway stopped");
  }
  announcer.stop();
  marker_keeper.stop();
  commands->shutdown();
  (*command_api)->shutdown();
  spdlog::info("command API stopped");
  manager->shutdown();
  spdlog::info("partitions and cluster transport stopped");
  (*monitoring)->shutdown();
  spdlog::info("monitoring stopped");
  (*data)->release();
  spdlog::info("data directory lock released");
  spdlog::info("broker {} stopped", config.cluster.node_id);
  return 0;
}

}  // namespace tern::broker
