#include "broker/broker_topology.h"

#include "common/version.h"

namespace tern::broker {

BrokerTopology::BrokerTopology(const TernConfig& config,
                               std::vector<std::shared_ptr<const Partition>> partitions)
    : BrokerTopology(config, [partitions = std::move(partitions)] { return partitions; }) {}

BrokerTopology::BrokerTopology(const TernConfig& config, PartitionSource partitions,
                               ShapeSource shape)
    : partitions_(std::move(partitions)), shape_(std::move(shape)) {
  fixed_.node_id = config.cluster.node_id;
  fixed_.host = config.network.effective_advertised_host();
  fixed_.command_port = config.network.command_port;
  fixed_.version = std::string(kVersion);
  fixed_.region = config.cluster.region;
  fixed_.cluster_size = config.cluster.size;
  fixed_.partitions_count = config.cluster.partitions;
  fixed_.replication_factor = config.cluster.replication_factor;
}

BrokerSelfReport BrokerTopology::report() const {
  BrokerSelfReport report = fixed_;
  if (shape_) {
    const ReportedShape shape = shape_();
    if (shape.cluster_size > 0) report.cluster_size = shape.cluster_size;
    if (shape.partitions_count > 0) report.partitions_count = shape.partitions_count;
    if (shape.replication_factor > 0) report.replication_factor = shape.replication_factor;
    report.membership_version = shape.membership_version;
    report.member_ids = shape.member_ids;
  }
  const auto hosted = partitions_();
  report.partitions.reserve(hosted.size());
  for (const auto& partition : hosted)
    report.partitions.push_back(partition->status());
  return report;
}

std::uint64_t BrokerTopology::generation() const {
  std::lock_guard lock(change_mutex_);
  return generation_;
}

void BrokerTopology::notify_changed() const {
  {
    std::lock_guard lock(change_mutex_);
    ++generation_;
  }
  changed_.notify_all();
}

std::uint64_t BrokerTopology::wait_for_change(
    std::uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(change_mutex_);
  changed_.wait_until(lock, deadline, [&] { return generation_ != seen || closed_; });
  return generation_;
}

void BrokerTopology::close() const {
  {
    std::lock_guard lock(change_mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool BrokerTopology::closed() const {
  std::lock_guard lock(change_mutex_);
  return closed_;
}

}  // namespace tern::broker
