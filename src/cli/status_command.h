#pragma once

// `tern status`: the cluster's topology as the gateway reports it.

#include <string>

#include "cli/command.h"
#include "gateway.pb.h"

namespace tern::cli {

class StatusCommand final : public Command {
 public:
  std::string name() const override { return "status"; }
  std::string summary() const override { return "print the cluster topology"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

// The human-readable topology, one broker after another, partitions by id:
//   Cluster size: 1
//   ...
//   Brokers:
//     Broker 0 - 127.0.0.1:26501
//       Version: 0.1.0
//       Partition 1 : Leader, Healthy
std::string format_topology(const gateway_protocol::TopologyResponse& topology);

}  // namespace tern::cli
