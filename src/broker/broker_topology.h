#pragma once

// What this broker says about the cluster: itself (node id, advertised address, version, region,
// the partitions it hosts with role, health and term) and the cluster's shape (from the shape
// source, the committed cluster topology in ternd, else the configuration). Each broker reports
// only itself; a standalone gateway merges the reports of all brokers it subscribes to.
//
// Changes: the partitions call notify_changed() (through Partition's status observer, wired by
// the daemon) when a role, health, term or leader changes; that bumps a generation and wakes
// wait_for_change(), which the command API's SubscribeTopology streams use to push the change.
// close() wakes every waiter for good (shutdown). Thread-safe; the change-tracking members are
// mutable because they describe when the report changes, not the report.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  // The committed cluster topology's version (0: none known yet) and its member broker ids.
  std::int64_t membership_version = 0;
  std::vector<std::int32_t> member_ids;
};

// The cluster's shape as the committed cluster topology has it (it changes with a scale-out or a
// new replication factor); a field of zero means "not known", and the configured value is used.
struct ReportedShape {
  std::int32_t cluster_size = 0;
  std::int32_t partitions_count = 0;
  std::int32_t replication_factor = 0;
  std::int64_t membership_version = 0;  // 0: no committed topology known
  std::vector<std::int32_t> member_ids;
};

class BrokerTopology {
 public:
  // The hosted partitions now (the set changes when a cluster change starts or stops replicas).
  using PartitionSource = std::function<std::vector<std::shared_ptr<const Partition>>()>;

  BrokerTopology(const TernConfig& config,
                 std::vector<std::shared_ptr<const Partition>> partitions);
  using ShapeSource = std::function<ReportedShape()>;

  BrokerTopology(const TernConfig& config, PartitionSource partitions, ShapeSource shape = {});

  BrokerSelfReport report() const;

  // The number of changes so far.
  std::uint64_t generation() const;
  void notify_changed() const;
  // Returns the generation once it differs from `seen`, at `deadline`, or once closed.
  std::uint64_t wait_for_change(std::uint64_t seen,
                                std::chrono::steady_clock::time_point deadline) const;
  void close() const;
  bool closed() const;

 private:
  BrokerSelfReport fixed_;  // everything but the partitions' live status; immutable
  const PartitionSource partitions_;
  const ShapeSource shape_;  // empty: the configured shape
  mutable std::mutex change_mutex_;
  mutable std::condition_variable changed_;
  mutable std::uint64_t generation_ = 0;  // guarded by change_mutex_
  mutable bool closed_ = false;           // guarded by change_mutex_
};

}  // namespace tern::broker
