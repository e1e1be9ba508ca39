#pragma once

// The management API of a TerndCluster as the drills use it: GET /actuator/cluster, PATCH and POST
// changes, waiting for a change to finish, the replicas each partition has in the topology, and
// `tern cluster ...` run as the real CLI binary. Polling with deadlines only.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "integration/support/ternd_cluster.h"

namespace tern::test {

struct HttpAnswer {
  int status = 0;
  nlohmann::json body;  // discarded when the answer is not JSON
  std::string text;
};

// GET /actuator/cluster from broker `node`; nullopt when it does not answer 200 with JSON.
std::optional<nlohmann::json> cluster_topology(const TerndCluster& cluster, int node);
// PATCH /actuator/cluster<query> with `body` on broker `node` (nullopt: no answer).
std::optional<HttpAnswer> patch_cluster(const TerndCluster& cluster, int node,
                                        const std::string& query, const nlohmann::json& body);

// Waits until broker `node` reports change `id` finished; its status (COMPLETED, FAILED, ...)
// or nullopt on timeout.
std::optional<std::string> wait_for_change(const TerndCluster& cluster, int node, std::int64_t id,
                                           std::chrono::milliseconds timeout);

// Partition id -> broker ids hosting it, per the topology `cluster` (GET /actuator/cluster).
std::map<int, std::vector<int>> replicas_by_partition(const nlohmann::json& cluster);

// `tern --management http://127.0.0.1:<monitoring of node> cluster <args...>`.
struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CliRun run_cluster_cli(const TerndCluster& cluster, int node, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout);

// The health details of component `name` on broker `node`; nullopt when it does not answer.
std::optional<nlohmann::json> health_component(const TerndCluster& cluster, int node,
                                               const std::string& name);

}  // namespace tern::test
