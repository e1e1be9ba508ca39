#include "integration/support/cluster_admin.h"

#include <httplib.h>

#include <thread>

#include "support/paths.h"
#include "support/process.h"

namespace tern::test {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

httplib::Client client_of(const TerndCluster& cluster, int node) {
  httplib::Client client("127.0.0.1", cluster.ports(node).monitoring);
  client.set_connection_timeout(2s);
  // A forced change first takes the topology group over (bounded at 30 s by the broker).
  client.set_read_timeout(60s);
  client.set_write_timeout(5s);
  return client;
}

}  // namespace

std::optional<json> cluster_topology(const TerndCluster& cluster, int node) {
  auto client = client_of(cluster, node);
  auto response = client.Get("/actuator/cluster");
  if (!response || response->status != 200) return std::nullopt;
  auto body = json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

std::optional<HttpAnswer> patch_cluster(const TerndCluster& cluster, int node,
                                        const std::string& query, const json& body) {
  auto client = client_of(cluster, node);
  auto response = client.Patch("/actuator/cluster" + query, body.dump(), "application/json");
  if (!response) return std::nullopt;
  return HttpAnswer{response->status, json::parse(response->body, nullptr, false), response->body};
}

std::optional<std::string> wait_for_change(const TerndCluster& cluster, int node, std::int64_t id,
                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto topology = cluster_topology(cluster, node);
    if (topology && topology->contains("lastChange")
        && (*topology)["lastChange"].value("id", std::int64_t{-1}) == id) {
      return (*topology)["lastChange"].value("status", std::string());
    }
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

std::map<int, std::vector<int>> replicas_by_partition(const json& cluster) {
  std::map<int, std::vector<int>> out;
  for (const auto& broker : cluster.value("brokers", json::array())) {
    for (const auto& partition : broker.value("partitions", json::array()))
      out[partition.value("id", 0)].push_back(broker.value("id", -1));
  }
  return out;
}

CliRun run_cluster_cli(const TerndCluster& cluster, int node, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {
      "--management", "http://127.0.0.1:" + std::to_string(cluster.ports(node).monitoring),
      "cluster"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options{(binary_dir() / "tern").string(), argv, {},
                         {"TERN_MANAGEMENT_ADDRESS"},      {},   {}};
  auto ran = run_process(options, timeout);
  if (!ran) return CliRun{-1, "", ran.error()};
  return CliRun{ran->exit_code, ran->out, ran->err};
}

std::optional<json> health_component(const TerndCluster& cluster, int node,
                                     const std::string& name) {
  auto client = client_of(cluster, node);
  auto response = client.Get("/actuator/health");
  if (!response) return std::nullopt;
  auto body = json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.contains("components") || !body["components"].contains(name))
    return std::nullopt;
  return body["components"][name];
}

}  // namespace tern::test
