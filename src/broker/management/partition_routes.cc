#include "broker/management/partition_routes.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace tern::broker::management {

using nlohmann::json;

PartitionRoutes::PartitionRoutes(std::vector<std::shared_ptr<const Partition>> partitions,
                                 Rebalance rebalance)
    : PartitionRoutes(
        Live{}, [partitions = std::move(partitions)] { return partitions; }, std::move(rebalance)) {
}

PartitionRoutes::PartitionRoutes(Live, PartitionSource partitions, Rebalance rebalance)
    : partitions_(std::move(partitions)), rebalance_(std::move(rebalance)) {}

std::shared_ptr<PartitionRoutes> PartitionRoutes::over(PartitionSource partitions,
                                                       Rebalance rebalance) {
  return std::shared_ptr<PartitionRoutes>(
      new PartitionRoutes(Live{}, std::move(partitions), std::move(rebalance)));
}

HttpResponse PartitionRoutes::get_partitions(const HttpRequest&) const {
  // Keyed by partition id as a string, the shape of Zeebe's /actuator/partitions.
  json body = json::object();
  for (const auto& partition : partitions_()) {
    const PartitionStatus status = partition->status();
    json entry = {{"role", to_string(status.role)},
                  {"health", to_string(status.health)},
                  {"term", status.term},
                  {"leader", status.leader ? json(*status.leader) : json(nullptr)},
                  {"appliedIndex", status.applied_index},
                  {"snapshotIndex", status.snapshot_index},
                  {"processedPosition", status.processed_position}};
    if (!status.reason.empty()) entry["reason"] = status.reason;
    body[std::to_string(partition->id().value())] = std::move(entry);
  }
  return HttpResponse{200, "application/json", body.dump()};
}

HttpResponse PartitionRoutes::post_rebalance(const HttpRequest&) const {
  json moves = json::array();
  int transferring = 0;
  for (const LeadershipMove& move : rebalance_()) {
    json entry = {{"partitionId", move.partition.value()}, {"state", to_string(move.state)}};
    if (move.target) entry["target"] = move.target->value();
    if (move.state == LeadershipMoveState::kScheduled) ++transferring;
    moves.push_back(std::move(entry));
  }
  spdlog::info("rebalance requested: {} partition(s) move leadership to their preferred broker",
               transferring);
  return HttpResponse{202, "application/json", json{{"partitions", std::move(moves)}}.dump()};
}

void add_partition_routes(RouteTable& routes, std::shared_ptr<const PartitionRoutes> partitions) {
  routes.add(HttpMethod::kGet, "/actuator/partitions", [partitions](const HttpRequest& request) {
    return partitions->get_partitions(request);
  });
  routes.add(HttpMethod::kPost, "/actuator/rebalance", [partitions](const HttpRequest& request) {
    return partitions->post_rebalance(request);
  });
}

}  // namespace tern::broker::management
