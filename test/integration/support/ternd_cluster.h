#pragma once

// TerndCluster: real `ternd broker` processes on 127.0.0.1 with free ports and their own data
// folders, for multi-process tests. Configs are computed from the cluster's shape (every broker
// lists the others' cluster ports as contact points); broker 0 can embed the gateway. Brokers are
// started, stopped with SIGTERM, killed with SIGKILL, restarted from their folder or wiped.
// Partition roles come from each broker's monitoring port (/actuator/health component details).
//
// Waiting is polling with a deadline: the only way to observe another process.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"

namespace tern::test {

struct BrokerPorts {
  std::uint16_t command = 0, cluster = 0, monitoring = 0, gateway = 0, rest = 0;
};

struct ReplicaView {
  std::string role;    // leader, follower, inactive
  std::string health;  // healthy, unhealthy, dead
  std::uint64_t term = 0;
  std::optional<std::int32_t> leader;
  std::uint64_t applied_index = 0;
  std::uint64_t snapshot_index = 0;
};

struct TerndClusterSpec {
  int brokers = 3;
  int partitions = 3;
  int replication_factor = 3;
  bool embedded_gateway_on_first = true;
  // With regions, brokers alternate (region = id mod region_count) and take their id from a pod
  // name and region index, as in Kubernetes; 0: plain node ids.
  int region_count = 0;
  // data.snapshot-log-entries of every broker: far below the default, so that a short run under
  // load takes snapshots and a wiped broker catches up from one.
  int snapshot_log_entries = 2000;
  // YAML appended to every broker's configuration (e.g. an `exporters:` section).
  std::string extra_config;
  // cluster.size in the configurations: the initial members (ids below it). Zero: every broker.
  // Brokers with larger ids join the running cluster when a change adds them.
  int initial_members = 0;
};

class TerndCluster {
 public:
  TerndCluster(std::filesystem::path root, TerndClusterSpec spec);
  ~TerndCluster();

  const TerndClusterSpec& spec() const { return spec_; }
  const BrokerPorts& ports(int node) const { return ports_.at(static_cast<std::size_t>(node)); }
  std::filesystem::path data_dir(int node) const;

  // Spawns broker `node` (fails the test via the returned error when it cannot spawn).
  Result<void, std::string> start(int node);
  void start_all();
  void kill(int node);  // SIGKILL, waits for the exit
  void stop(int node);  // SIGTERM, waits for the exit
  void wipe(int node);  // removes the data folder of a broker that is not running
  bool running(int node);
  std::string log_of(int node) const;

  // A standalone `ternd gateway` polling every broker's command port (one per cluster).
  Result<void, std::string> start_gateway();
  const BrokerPorts& gateway_ports() const { return gateway_ports_; }
  std::string gateway_log() const;
  // The gRPC port clients use: the standalone gateway's when started, else broker 0's embedded
  // one.
  std::uint16_t client_port() const;

  // The partition as broker `node` sees it; nullopt when it does not answer.
  std::optional<ReplicaView> replica(int node, int partition) const;
  // The broker serving `partition` as leader (and that nobody else claims), waiting up to
  // `timeout`.
  std::optional<int> wait_for_leader(int partition, std::chrono::milliseconds timeout,
                                     std::optional<int> excluding = std::nullopt) const;
  // Every partition led by a running broker.
  bool wait_for_all_leaders(std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path write_config(int node) const;

  std::filesystem::path root_;
  TerndClusterSpec spec_;
  std::vector<BrokerPorts> ports_;
  std::vector<std::unique_ptr<Process>> processes_;
  BrokerPorts gateway_ports_;
  std::unique_ptr<Process> gateway_;
};

// Distinct free ports.
std::vector<std::uint16_t> distinct_free_ports(std::size_t count);

}  // namespace tern::test
