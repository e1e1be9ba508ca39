#pragma once

// Shared by the management and CLI tests: clusters shaped like the failover drills, and a probe
// that answers from a set of addresses the test declares alive.

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "broker/management/local_topology_manager.h"
#include "broker/management/reachability_probe.h"
#include "broker/management/replicated_topology_manager.h"

namespace tern::broker::management::testing {

// `brokers` brokers with ids 0..n-1 in `regions` regions (region = id mod regions, labelled
// "0", "1", ...), cluster addresses 127.0.0.1:(30000 + id).
topology::ClusterTopology region_cluster(std::int32_t brokers, std::int32_t partitions,
                                         std::int32_t replication_factor, std::int32_t regions);

std::string address_of(std::int32_t id);

// Which cluster addresses answer is the test's declaration; everything else is silent.
class DeclaredProbe final : public ReachabilityProbe {
 public:
  void set_alive(const std::string& address, bool alive);
  Reachability probe(const std::string& address) const override;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> alive_;
};

// A manager with a clock that advances one second per reading.
std::shared_ptr<LocalTopologyManager> make_manager(topology::ClusterTopology topology);

// Applies operations until the change in progress (if any) finished; returns the steps taken.
int run_to_completion(LocalTopologyManager& manager);

// A wall clock for replicated managers that advances one second per reading (shared by every
// manager of a test binary, so readings never repeat).
std::int64_t advancing_clock();

// Proposes, through `manager`, that each of `operations` of change `change_id` completed; the
// first refusal is returned.
Result<void, ManagementError> report_completed(ReplicatedTopologyManager& manager,
                                               std::int64_t change_id,
                                               const std::vector<topology::Operation>& operations);

}  // namespace tern::broker::management::testing
