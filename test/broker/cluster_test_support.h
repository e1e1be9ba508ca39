#pragma once

// In-process brokers for the partition/replication tests: each TestBroker is a PartitionManager
// with its own data folder and cluster port on loopback, as `ternd broker` would run it, minus the
// servers. Helpers wait on conditions with a deadline (never a fixed sleep) and submit commands
// synchronously.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/partition/partition_manager.h"
#include "engine/records/record.h"

namespace tern::broker::test {

using SubmitResult = Result<engine::Response, SubmitError>;

struct TestClusterSpec {
  std::int32_t brokers = 1;
  std::int32_t partitions = 1;
  std::int32_t replication_factor = 1;
  std::uint64_t snapshot_log_entries = 2000;
  std::size_t max_inflight_commands = 500;
  // Adjusts a broker's replica options before it starts (e.g. exporters).
  std::function<void(std::int32_t node, ReplicaOptions&)> configure_replica;
  // Adjusts a broker's cluster options before it starts (e.g. the journal flusher).
  std::function<void(std::int32_t node, ClusterOptions&)> configure_cluster;
};

class TestCluster {
 public:
  TestCluster(std::filesystem::path root, TestClusterSpec spec);
  ~TestCluster();

  // Starts (or restarts) broker `node` from its folder.
  void start(std::int32_t node);
  void stop(std::int32_t node);
  void wipe(std::int32_t node);  // stopped broker: removes its data folder
  PartitionManager* broker(std::int32_t node) { return brokers_.at(node).get(); }
  bool running(std::int32_t node) const { return brokers_.at(node) != nullptr; }

  std::optional<PartitionStatus> status(std::int32_t node, PartitionId partition) const;
  // The running broker whose replica of `partition` serves as leader, waiting up to `timeout`.
  std::optional<std::int32_t> wait_for_leader(PartitionId partition,
                                              std::chrono::milliseconds timeout);

  SubmitResult submit(std::int32_t node, PartitionId partition, engine::Record command,
                      bool backpressure = true);
  // Submits to whichever broker leads, retrying NOT_LEADER / UNAVAILABLE until `timeout`.
  SubmitResult submit_to_leader(PartitionId partition, const engine::Record& command,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  std::filesystem::path root_;
  TestClusterSpec spec_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::unique_ptr<PartitionManager>> brokers_;
};

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

engine::Record command(engine::ValueType type, engine::Intent intent, engine::Json value,
                       engine::Key key = engine::kNoKey);
engine::Record deploy_command(const std::string& process_id, const std::string& job_type);
engine::Record create_command(const std::string& process_id);
// The process instance key of an accepted creation, or -1 for an error or a rejection.
std::int64_t instance_key(const SubmitResult& result);

}  // namespace tern::broker::test
