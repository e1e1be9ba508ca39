#pragma once

// The partitions this broker hosts. A Partition is one replica: its id, the brokers of its
// replica group (placement.h), its data directory, and the role and health it reports.
//
// A Partition starts inactive ("opening"); its replica (partition/partition_replica.h) publishes
// the real Raft role, term and leader from its strand as they change, and the topology reads them.
//
// Thread-safe: the replica list and the status are read and written under a lock.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/data_directory.h"
#include "broker/placement.h"
#include "common/partition_status.h"
#include "common/result.h"
#include "common/strong_id.h"

namespace tern::broker {

using tern::PartitionHealth;
using tern::PartitionRole;
using tern::to_string;

struct PartitionStatus {
  PartitionId id;
  PartitionRole role = PartitionRole::kInactive;
  PartitionHealth health = PartitionHealth::kUnhealthy;
  std::string reason;  // why it is not healthy; empty when healthy
  std::uint64_t term = 0;
  std::optional<std::int32_t> leader;   // the node id this replica believes leads, if any
  std::uint64_t applied_index = 0;      // Raft entries applied to the engine
  std::uint64_t snapshot_index = 0;     // the journal's snapshot (compacted below)
  std::int64_t processed_position = 0;  // the engine's last processed command (log position)
};

class Partition {
 public:
  Partition(PartitionId id, std::vector<NodeId> replicas, std::filesystem::path directory);

  PartitionId id() const { return id_; }
  // The brokers of its replica group, preferred leader first (a cluster change may reorder it).
  std::vector<NodeId> replicas() const;
  void set_replicas(std::vector<NodeId> replicas);
  const std::filesystem::path& directory() const { return directory_; }

  PartitionStatus status() const;
  // Stores the status; calls the observer (on the caller's thread, outside the lock) when the
  // role, health, term or leader changed, which is what the topology reports and pushes.
  void set_status(PartitionStatus status);
  void set_status_observer(std::function<void()> observer);

 private:
  const PartitionId id_;
  std::vector<NodeId> replicas_;  // guarded by mutex_
  const std::filesystem::path directory_;
  mutable std::mutex mutex_;
  PartitionStatus status_;          // guarded by mutex_
  std::function<void()> observer_;  // guarded by mutex_
};

// Creates (directories included) the partitions that `node` hosts in a cluster of `shape`.
Result<std::vector<std::unique_ptr<Partition>>, ConfigError> create_partitions(
    NodeId node, const ClusterShape& shape, const DataDirectory& data);

}  // namespace tern::broker
