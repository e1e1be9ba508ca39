#pragma once

// The partitions this broker hosts. A Partition is one replica: its id, the brokers of its
// replica group (placement.h), its data directory, and the role and health it reports.
//
// At this stage there is no Raft and no engine yet. A partition with replication factor 1 is the
// leader of its single-replica group, trivially and truthfully, and is healthy. A partition with
// more replicas cannot elect a leader without replication, so it reports itself inactive and
// unhealthy with that reason, rather than pretending to be a follower or a leader.
//
// Thread-safe: the partition set is fixed at construction; role and health are read under a lock
// because later stages change them from the partition's strand.

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/data_directory.h"
#include "broker/placement.h"
#include "common/result.h"
#include "common/strong_id.h"

namespace tern::broker {

enum class PartitionRole { kLeader, kFollower, kInactive };
enum class PartitionHealth { kHealthy, kUnhealthy, kDead };

std::string_view to_string(PartitionRole role);
std::string_view to_string(PartitionHealth health);

struct PartitionStatus {
  PartitionId id;
  PartitionRole role = PartitionRole::kInactive;
  PartitionHealth health = PartitionHealth::kUnhealthy;
  std::string reason;  // why it is not healthy; empty when healthy
};

class Partition {
 public:
  Partition(PartitionId id, std::vector<NodeId> replicas, std::filesystem::path directory);

  PartitionId id() const { return id_; }
  const std::vector<NodeId>& replicas() const { return replicas_; }
  const std::filesystem::path& directory() const { return directory_; }

  PartitionStatus status() const;

 private:
  const PartitionId id_;
  const std::vector<NodeId> replicas_;
  const std::filesystem::path directory_;
  mutable std::mutex mutex_;
  PartitionStatus status_;  // guarded by mutex_
};

// Creates (directories included) the partitions that `node` hosts in a cluster of `shape`.
Result<std::vector<std::unique_ptr<Partition>>, ConfigError> create_partitions(
    NodeId node, const ClusterShape& shape, const DataDirectory& data);

}  // namespace tern::broker
