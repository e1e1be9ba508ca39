#pragma once

// This broker's own partition endpoints on its monitoring port:
//   GET  /actuator/partitions  every hosted replica by partition id: role, health (and why not
//                              healthy), term, known leader, applied and snapshot index, and the
//                              engine's processed position
//   POST /actuator/rebalance   every partition this broker leads moves leadership to its preferred
//                              replica (the first of its round-robin replica list) when that
//                              replica is a caught-up voter; answers 202 with what each did
// Rebalancing is per broker: a cluster is rebalanced by asking each broker (`tern cluster
// rebalance` would do that). Handlers run on the monitoring server's HTTP workers.

#include <functional>
#include <memory>
#include <vector>

#include "broker/monitoring_server.h"
#include "broker/partition.h"
#include "broker/partition/leadership.h"

namespace tern::broker::management {

class PartitionRoutes {
 public:
  using Rebalance = std::function<std::vector<LeadershipMove>()>;
  // The hosted partitions now (cluster changes start and stop replicas).
  using PartitionSource = std::function<std::vector<std::shared_ptr<const Partition>>()>;

  PartitionRoutes(std::vector<std::shared_ptr<const Partition>> partitions, Rebalance rebalance);
  // Over whatever the broker hosts when a request comes (ternd: its PartitionManager).
  static std::shared_ptr<PartitionRoutes> over(PartitionSource partitions, Rebalance rebalance);

  HttpResponse get_partitions(const HttpRequest& request) const;
  HttpResponse post_rebalance(const HttpRequest& request) const;

 private:
  struct Live {};
  PartitionRoutes(Live, PartitionSource partitions, Rebalance rebalance);

  const PartitionSource partitions_;
  const Rebalance rebalance_;
};

void add_partition_routes(RouteTable& routes, std::shared_ptr<const PartitionRoutes> partitions);

}  // namespace tern::broker::management
