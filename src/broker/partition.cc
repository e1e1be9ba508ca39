#include "broker/partition.h"

namespace tern::broker {

Partition::Partition(PartitionId id, std::vector<NodeId> replicas, std::filesystem::path directory)
    : id_(id), replicas_(std::move(replicas)), directory_(std::move(directory)) {
  status_.id = id_;
  status_.role = PartitionRole::kInactive;
  status_.health = PartitionHealth::kUnhealthy;
  status_.reason = "opening";
}

void Partition::set_status(PartitionStatus status) {
  status.id = id_;
  std::function<void()> observer;
  {
    std::lock_guard lock(mutex_);
    const bool changed = status.role != status_.role || status.health != status_.health
                         || status.term != status_.term || status.leader != status_.leader;
    status_ = std::move(status);
    if (changed) observer = observer_;
  }
  if (observer) observer();
}

void Partition::set_status_observer(std::function<void()> observer) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(observer);
}

std::vector<NodeId> Partition::replicas() const {
  std::lock_guard lock(mutex_);
  return replicas_;
}

void Partition::set_replicas(std::vector<NodeId> replicas) {
  std::lock_guard lock(mutex_);
  replicas_ = std::move(replicas);
}

PartitionStatus Partition::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

Result<std::vector<std::unique_ptr<Partition>>, ConfigError> create_partitions(
    NodeId node, const ClusterShape& shape, const DataDirectory& data) {
  std::vector<std::unique_ptr<Partition>> partitions;
  for (PartitionId id : partitions_of(node, shape)) {
    auto directory = data.partition_directory(id);
    if (!directory) return tern::unexpected(directory.error());
    partitions.push_back(
        std::make_unique<Partition>(id, replicas_of(id, shape), std::move(*directory)));
  }
  return partitions;
}

}  // namespace tern::broker
