#pragma once

// `tern cluster status|scale|failover|failback`: the cluster's membership through the management
// endpoint (--management / TERN_MANAGEMENT_ADDRESS). Changes print their plan, then wait for the
// change to finish while showing progress, then print the resulting topology; --dry-run prints
// the plan only.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"

namespace tern::cli {

class ClusterCommand final : public Command {
 public:
  std::string name() const override { return "cluster"; }
  std::string summary() const override {
    return "cluster membership: status, scale, failover and failback of a region";
  }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

// The topology of GET /actuator/cluster for people: brokers grouped by region, each partition
// with its replicas (marked when fewer than the replication factor), the last and pending change.
std::string format_cluster(const nlohmann::json& cluster);

}  // namespace tern::cli
