#pragma once

// The cluster management endpoints on the monitoring port, in the shapes of Zeebe's management
// API:
//   GET   /actuator/cluster          the topology (version, brokers, lastChange, pendingChange)
//   PATCH /actuator/cluster          {"brokers":{"add":[..],"remove":[..]},
//                                     "partitions":{"replicationFactor":r}}
//                                    ?dryRun=true  plan only;  ?force=true  forced removal of
//                                    lost brokers;  ?allowReachable=true  force even though a
//                                    broker to remove still answers on its cluster port
//   POST  /actuator/cluster/brokers  [ids...]: scale to exactly these brokers (?dryRun)
// A change answers 202 with changeId, currentTopology, plannedChanges and expectedTopology (200
// for a dry run); 400 with a reason for a malformed or impossible request; 409 while another
// change is in progress or when a forced removal names a broker that still answers; 503 when the
// topology cannot be changed (no leader of the topology group; for a forced removal, the
// survivors could not take the group over: TopologyManager::restore_quorum).
//
// Stateless apart from its collaborators; handlers run on the monitoring server's HTTP workers.

#include <memory>

#include "broker/management/reachability_probe.h"
#include "broker/management/topology_manager.h"
#include "broker/monitoring_server.h"

namespace tern::broker::management {

class ClusterRoutes {
 public:
  ClusterRoutes(std::shared_ptr<TopologyManager> manager,
                std::shared_ptr<const ReachabilityProbe> probe);

  HttpResponse get_cluster(const HttpRequest& request) const;
  HttpResponse patch_cluster(const HttpRequest& request) const;
  HttpResponse post_brokers(const HttpRequest& request) const;

 private:
  HttpResponse change(const topology::ChangeRequest& request, bool dry_run,
                      bool allow_reachable) const;
  HttpResponse submit_forced(const topology::ChangeRequest& request) const;
  HttpResponse accepted(const topology::ClusterTopology& current, const topology::ChangePlan& plan,
                        std::int64_t change_id, bool dry_run) const;

  std::shared_ptr<TopologyManager> manager_;
  std::shared_ptr<const ReachabilityProbe> probe_;
};

// Registers the three routes on `routes` (they keep `cluster` alive).
inline void add_cluster_routes(RouteTable& routes, std::shared_ptr<const ClusterRoutes> cluster) {
  routes.add(HttpMethod::kGet, "/actuator/cluster",
             [cluster](const HttpRequest& request) { return cluster->get_cluster(request); });
  routes.add(HttpMethod::kPatch, "/actuator/cluster",
             [cluster](const HttpRequest& request) { return cluster->patch_cluster(request); });
  routes.add(HttpMethod::kPost, "/actuator/cluster/brokers",
             [cluster](const HttpRequest& request) { return cluster->post_brokers(request); });
}

}  // namespace tern::broker::management
