#include "broker/placement.h"

#include <algorithm>

#include "common/check.h"

namespace tern::broker {
namespace {

void check_shape(const ClusterShape& shape) {
  TERN_CHECK(shape.cluster_size >= 1, "cluster size must be at least 1");
  TERN_CHECK(shape.partitions >= 1, "partition count must be at least 1");
  TERN_CHECK(shape.replication_factor >= 1 && shape.replication_factor <= shape.cluster_size,
             "replication factor must be in 1..cluster size");
}

}  // namespace

std::vector<NodeId> replicas_of(PartitionId partition, const ClusterShape& shape) {
  check_shape(shape);
  TERN_CHECK(partition.value() >= 1, "partition ids are 1-based");
  std::vector<NodeId> replicas;
  replicas.reserve(static_cast<std::size_t>(shape.replication_factor));
  // 64-bit arithmetic: partition ids near INT32_MAX must not overflow.
  const std::int64_t base = std::int64_t{partition.value()} - 1;
  for (std::int32_t i = 0; i < shape.replication_factor; ++i) {
    replicas.emplace_back(static_cast<std::int32_t>((base + i) % shape.cluster_size));
  }
  return replicas;
}

std::vector<PartitionId> partitions_of(NodeId node, const ClusterShape& shape) {
  check_shape(shape);
  TERN_CHECK(node.value() >= 0 && node.value() < shape.cluster_size, "node id outside the cluster");
  std::vector<PartitionId> hosted;
  for (std::int32_t p = 1; p <= shape.partitions; ++p) {
    auto replicas = replicas_of(PartitionId(p), shape);
    if (std::find(replicas.begin(), replicas.end(), node) != replicas.end()) {
      hosted.emplace_back(p);
    }
  }
  return hosted;
}

}  // namespace tern::broker
