#include "integration/support/ternd_cluster.h"

#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/support/placement_view.h"
#include "support/free_port.h"
#include "support/paths.h"

extern char** environ;  // NOLINT: POSIX

namespace tern::test {

using namespace std::chrono_literals;

std::vector<std::uint16_t> distinct_free_ports(std::size_t count) {
  std::set<std::uint16_t> ports;
  while (ports.size() < count)
    ports.insert(free_port());
  return {ports.begin(), ports.end()};
}

TerndCluster::TerndCluster(std::filesystem::path root, TerndClusterSpec spec)
    : root_(std::move(root)), spec_(spec) {
  auto all = distinct_free_ports(static_cast<std::size_t>(spec_.brokers + 1) * 5);
  for (int i = 0; i <= spec_.brokers; ++i) {
    auto at = static_cast<std::size_t>(i) * 5;
    BrokerPorts ports{all[at], all[at + 1], all[at + 2], all[at + 3], all[at + 4]};
    if (i < spec_.brokers) {
      ports_.push_back(ports);
    } else {
      gateway_ports_ = ports;  // the standalone gateway's (command and cluster unused)
    }
  }
  processes_.resize(static_cast<std::size_t>(spec_.brokers));
}

TerndCluster::~TerndCluster() {
  if (gateway_ && gateway_->running()) gateway_->kill();
  for (auto& process : processes_)
    if (process && process->running()) process->kill();
}

namespace {

ProcessOptions ternd_options(std::vector<std::string> args, const std::filesystem::path& log) {
  ProcessOptions options;
  options.executable = (binary_dir() / "ternd").string();
  options.args = std::move(args);
  // The test's own TERN_ variables (TERN_SOURCE_DIR) would be read as configuration.
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string name(text.substr(0, text.find('=')));
    if (name.rfind("TERN_", 0) == 0) options.unset_env.push_back(name);
  }
  options.stderr_path = log;
  options.stdout_path = std::filesystem::path(log).replace_extension(".out");
  return options;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

Result<void, std::string> TerndCluster::start_gateway() {
  auto path = root_ / "gateway.yaml";
  {
    std::ofstream out(path);
    out << "cluster:\n  contact-points: [";
    for (int node = 0; node < spec_.brokers; ++node)
      out << (node == 0 ? "" : ", ") << "\"127.0.0.1:" << ports(node).command << "\"";
    out << "]\nnetwork:\n  host: 127.0.0.1\n  monitoring-port: " << gateway_ports_.monitoring
        << "\ngateway:\n  port: " << gateway_ports_.gateway
        << "\n  rest-port: " << gateway_ports_.rest << "\n";
  }
  auto spawned =
      Process::spawn(ternd_options({"gateway", "--config", path.string()}, root_ / "gateway.log"));
  if (!spawned) return unexpected(spawned.error());
  gateway_ = std::move(*spawned);
  return {};
}

std::string TerndCluster::gateway_log() const {
  return read_text(root_ / "gateway.log") + read_text(root_ / "gateway.out");
}

std::uint16_t TerndCluster::client_port() const {
  return gateway_ ? gateway_ports_.gateway : ports(0).gateway;
}

std::filesystem::path TerndCluster::data_dir(int node) const {
  return root_ / ("broker-" + std::to_string(node));
}

std::filesystem::path TerndCluster::write_config(int node) const {
  auto path = root_ / ("broker-" + std::to_string(node) + ".yaml");
  const auto& p = ports(node);
  std::ofstream out(path);
  const int size = spec_.initial_members > 0 ? spec_.initial_members : spec_.brokers;
  out << "cluster:\n";
  if (spec_.region_count > 0) {
    // As a StatefulSet per region would: the id comes from the pod's ordinal and the region.
    out << "  region-count: " << spec_.region_count
        << "\n  region-index: " << node % spec_.region_count << "\n  pod-name: tern-region"
        << node % spec_.region_count << "-" << node / spec_.region_count;
  } else {
    out << "  node-id: " << node;
  }
  out << "\n  size: " << size << "\n  partitions: " << spec_.partitions
      << "\n  replication-factor: " << spec_.replication_factor << "\n  contact-points: [";
  bool first = true;
  for (int other = 0; other < spec_.brokers; ++other) {
    if (other == node) continue;
    out << (first ? "" : ", ") << "\"127.0.0.1:" << ports(other).cluster << "\"";
    first = false;
  }
  out << "]\nnetwork:\n  host: 127.0.0.1\n  command-port: " << p.command
      << "\n  cluster-port: " << p.cluster << "\n  monitoring-port: " << p.monitoring
      << "\ngateway:\n  enabled: "
      << ((node == 0 && spec_.embedded_gateway_on_first) ? "true" : "false")
      << "\n  port: " << p.gateway << "\n  rest-port: " << p.rest
      << "\ndata:\n  directory: " << data_dir(node).string()
      << "\n  snapshot-log-entries: " << spec_.snapshot_log_entries << "\n";
  out << spec_.extra_config;
  return path;
}

Result<void, std::string> TerndCluster::start(int node) {
  auto spawned = Process::spawn(ternd_options({"broker", "--config", write_config(node).string()},
                                              root_ / ("broker-" + std::to_string(node) + ".log")));
  if (!spawned) return unexpected(spawned.error());
  processes_[static_cast<std::size_t>(node)] = std::move(*spawned);
  return {};
}

void TerndCluster::start_all() {
  for (int node = 0; node < spec_.brokers; ++node)
    (void)start(node);
}

void TerndCluster::kill(int node) {
  auto& process = processes_.at(static_cast<std::size_t>(node));
  if (!process) return;
  process->kill();
  process->wait(10s);
}

void TerndCluster::stop(int node) {
  auto& process = processes_.at(static_cast<std::size_t>(node));
  if (process) process->stop(10s);
}

void TerndCluster::wipe(int node) {
  std::filesystem::remove_all(data_dir(node));
}

bool TerndCluster::running(int node) {
  auto& process = processes_.at(static_cast<std::size_t>(node));
  return process && process->running();
}

std::string TerndCluster::log_of(int node) const {
  return read_text(root_ / ("broker-" + std::to_string(node) + ".log"))
         + read_text(root_ / ("broker-" + std::to_string(node) + ".out"));
}

std::optional<ReplicaView> TerndCluster::replica(int node, int partition) const {
  httplib::Client client("127.0.0.1", ports(node).monitoring);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  auto response = client.Get("/actuator/health");
  if (!response) return std::nullopt;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  auto name = "partition-" + std::to_string(partition);
  if (!body.contains("components") || !body["components"].contains(name)) return std::nullopt;
  const auto& details = body["components"][name]["details"];
  ReplicaView view;
  view.role = details.value("role", "");
  view.health = details.value("health", "");
  view.term = details.value("term", std::uint64_t{0});
  if (details.contains("leader")) view.leader = details["leader"].get<std::int32_t>();
  view.applied_index = details.value("appliedIndex", std::uint64_t{0});
  view.snapshot_index = details.value("snapshotIndex", std::uint64_t{0});
  return view;
}

std::optional<int> TerndCluster::wait_for_leader(int partition, std::chrono::milliseconds timeout,
                                                 std::optional<int> excluding) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // Every broker, not only the configured placement's: cluster changes move replicas.
    for (int node = 0; node < spec_.brokers; ++node) {
      if (node == excluding) continue;
      auto view = replica(node, partition);
      if (view && view->role == "leader") return node;
    }
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

bool TerndCluster::wait_for_all_leaders(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int partition = 1; partition <= spec_.partitions; ++partition) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for_leader(partition, left)) return false;
  }
  return true;
}

}  // namespace tern::test
