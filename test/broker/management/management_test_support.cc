#include "management_test_support.h"

#include <atomic>

namespace tern::broker::management::testing {

topology::ClusterTopology region_cluster(std::int32_t brokers, std::int32_t partitions,
                                         std::int32_t replication_factor, std::int32_t regions) {
  std::vector<topology::BrokerInfo> list;
  for (std::int32_t id = 0; id < brokers; ++id) {
    topology::BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = address_of(id);
    broker.region = std::to_string(id % regions);
    list.push_back(broker);
  }
  return topology::initial_topology(list, partitions, replication_factor);
}

std::string address_of(std::int32_t id) {
  return "127.0.0.1:" + std::to_string(30000 + id);
}

void DeclaredProbe::set_alive(const std::string& address, bool alive) {
  std::lock_guard lock(mutex_);
  if (alive) {
    alive_.insert(address);
  } else {
    alive_.erase(address);
  }
}

Reachability DeclaredProbe::probe(const std::string& address) const {
  std::lock_guard lock(mutex_);
  return alive_.count(address) ? Reachability::kAnswers : Reachability::kSilent;
}

std::shared_ptr<LocalTopologyManager> make_manager(topology::ClusterTopology topology) {
  auto ticks = std::make_shared<std::atomic<std::int64_t>>(1'763'780'000'000);
  return std::make_shared<LocalTopologyManager>(std::move(topology),
                                                [ticks] { return ticks->fetch_add(1000); });
}

int run_to_completion(LocalTopologyManager& manager) {
  int steps = 0;
  while (manager.step())
    ++steps;
  return steps;
}

std::int64_t advancing_clock() {
  static std::atomic<std::int64_t> now{1'700'000'000'000};
  return now += 1000;
}

Result<void, ManagementError> report_completed(ReplicatedTopologyManager& manager,
                                               std::int64_t change_id,
                                               const std::vector<topology::Operation>& operations) {
  for (const auto& operation : operations) {
    topology::TopologyCommand report;
    report.kind = topology::TopologyCommandKind::kCompleteOperation;
    report.time_ms = advancing_clock();
    report.change_id = change_id;
    report.operation = operation;
    if (auto reported = manager.propose(report); !reported) return reported;
  }
  return {};
}

}  // namespace tern::broker::management::testing
