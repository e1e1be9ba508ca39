#pragma once

// What this broker says about the cluster: itself (node id, advertised address, version, region,
// the partitions it hosts with role and health) and the cluster's shape. Each broker reports only
// itself; a standalone gateway merges the reports of all brokers it polls. Thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/config.h"
#include "broker/partition.h"

namespace tern::broker {

struct BrokerSelfReport {
  std::int32_t node_id = 0;
  std::string host;  // network.advertised-host, or network.host when that is empty
  std::int32_t command_port = 0;
  std::string version;
  std::string region;
  std::vector<PartitionStatus> partitions;
  std::int32_t cluster_size = 0;
  std::int32_t partitions_count = 0;
  std::int32_t replication_factor = 0;
};

class BrokerTopology {
 public:
  BrokerTopology(const TernConfig& config,
                 std::vector<std::shared_ptr<const Partition>> partitions);

  BrokerSelfReport report() const;

 private:
  BrokerSelfReport fixed_;  // everything but the partitions' live status; immutable
  const std::vector<std::shared_ptr<const Partition>> partitions_;
};

}  // namespace tern::broker
