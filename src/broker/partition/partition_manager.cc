#include "broker/partition/partition_manager.h"

#include <spdlog/spdlog.h>

namespace tern::broker {

std::string_view to_string(SubmitErrorCode code) {
  switch (code) {
    case SubmitErrorCode::kNotLeader:
      return "NOT_LEADER";
    case SubmitErrorCode::kBackPressure:
      return "BACK_PRESSURE";
    case SubmitErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case SubmitErrorCode::kTimeout:
      return "TIMEOUT";
    case SubmitErrorCode::kInvalid:
      return "INVALID";
    case SubmitErrorCode::kShuttingDown:
      return "SHUTTING_DOWN";
  }
  return "UNKNOWN";
}

PartitionManager::PartitionManager(ClusterOptions options,
                                   std::vector<std::shared_ptr<Partition>> partitions)
    : options_(std::move(options)), partitions_(std::move(partitions)) {}

PartitionManager::~PartitionManager() {
  shutdown();
}

Result<std::unique_ptr<PartitionManager>, std::string> PartitionManager::start(
    ClusterOptions options, std::vector<std::shared_ptr<Partition>> partitions) {
  std::unique_ptr<PartitionManager> manager(
      new PartitionManager(std::move(options), std::move(partitions)));
  if (auto started = manager->open_and_start(); !started) {
    manager->shutdown();
    return unexpected(started.error());
  }
  return manager;
}

Result<void, std::string> PartitionManager::open_and_start() {
  if (!options_.replica.engine.db.block_cache) {
    options_.replica.engine.db.block_cache =
        engine::make_shared_block_cache(options_.block_cache_bytes);
  }
  // Messages go to the partition chosen by correlation key hash over the whole cluster.
  options_.replica.engine.processing.partition_count = options_.shape.partitions;
  auto send = [this](NodeId to, PartitionId partition, const raft::Message& message) {
    if (transport_) transport_->send(to, partition, message);
  };
  engine::SubscriptionTransport* subscriptions = this;
  for (const auto& partition : partitions_) {
    auto replica = std::make_unique<PartitionReplica>(io_, options_.self, partition,
                                                      options_.replica, send, subscriptions);
    if (auto opened = replica->open(); !opened) {
      return unexpected("partition " + std::to_string(partition->id().value()) + ": "
                        + opened.error());
    }
    replica->set_job_callback(
        [this](PartitionId id, std::string type) { on_jobs_available(id, std::move(type)); });
    replicas_.emplace(partition->id(), std::move(replica));
  }
  for (const auto& [id, factory] : options_.groups) {
    auto group = factory(io_, send);
    if (auto opened = group->open(); !opened) {
      return unexpected("raft group " + std::to_string(id.value()) + ": " + opened.error());
    }
    groups_.emplace(id, std::move(group));
  }
  options_.transport.self = options_.self;
  auto transport = ClusterTransport::start(
      options_.transport,
      [this](NodeId, PartitionId partition, raft::Message message) {
        if (auto it = replicas_.find(partition); it != replicas_.end()) {
          it->second->receive(std::move(message));
        } else if (auto group = groups_.find(partition); group != groups_.end()) {
          group->second->receive(std::move(message));
        }
      },
      [this](NodeId, PartitionId partition, engine::Record command) {
        deliver_local(partition, std::move(command));
      });
  if (!transport) return unexpected("cluster transport: " + transport.error());
  transport_ = std::move(*transport);
  work_.emplace(io_.get_executor());
  for (int i = 0; i < std::max(1, options_.partition_threads); ++i)
    threads_.emplace_back([this] { io_.run(); });
  for (auto& [id, replica] : replicas_)
    replica->start();
  for (auto& [id, group] : groups_)
    group->start();
  spdlog::info("cluster: {} partition replica(s) started; cluster port {}", replicas_.size(),
               transport_->port());
  return {};
}

void PartitionManager::submit(PartitionId partition, engine::Record command, bool backpressure,
                              SubmitCallback done) {
  if (partition.value() < 1 || partition.value() > options_.shape.partitions) {
    return done(unexpected(SubmitError{SubmitErrorCode::kInvalid,
                                       "partition " + std::to_string(partition.value())
                                           + " does not exist (the cluster has "
                                           + std::to_string(options_.shape.partitions) + ")",
                                       std::nullopt}));
  }
  auto it = replicas_.find(partition);
  if (it == replicas_.end()) {
    return done(unexpected(SubmitError{SubmitErrorCode::kNotLeader,
                                       "partition " + std::to_string(partition.value())
                                           + " has no replica on broker "
                                           + std::to_string(options_.self.value()),
                                       std::nullopt}));
  }
  it->second->submit(std::move(command), backpressure, std::move(done));
}

void PartitionManager::send(const engine::Record& command) {
  PartitionId target = command.partition_id;
  if (target.value() < 1 || target.value() > options_.shape.partitions) {
    spdlog::error(
        "cluster: dropping a subscription command for partition {}, which does not "
        "exist (the cluster has {})",
        target.value(), options_.shape.partitions);
    return;
  }
  for (NodeId node : replicas_of(target, options_.shape)) {
    if (node == options_.self) {
      deliver_local(target, command);
    } else if (transport_) {
      transport_->send_command(node, command);
    }
  }
}

void PartitionManager::deliver_local(PartitionId partition, engine::Record command) {
  auto it = replicas_.find(partition);
  if (it != replicas_.end()) it->second->deliver(std::move(command));
}

void PartitionManager::set_job_available_callback(
    std::function<void(PartitionId, std::string)> cb) {
  std::lock_guard lock(callback_mutex_);
  job_callback_ = std::move(cb);
}

void PartitionManager::on_jobs_available(PartitionId partition, std::string type) {
  std::function<void(PartitionId, std::string)> callback;
  {
    std::lock_guard lock(callback_mutex_);
    callback = job_callback_;
  }
  if (callback) callback(partition, std::move(type));
}

std::vector<PartitionId> PartitionManager::partitions() const {
  std::vector<PartitionId> ids;
  for (const auto& [id, replica] : replicas_)
    ids.push_back(id);
  return ids;
}

std::vector<LeadershipMove> PartitionManager::move_leadership(LeadershipGoal goal,
                                                              std::chrono::milliseconds drain) {
  std::vector<LeadershipMove> moves;
  std::lock_guard lock(lifecycle_mutex_);
  if (stopped_ || threads_.empty()) return moves;
  for (auto& [id, replica] : replicas_)
    moves.push_back(replica->move_leadership(goal, drain));
  return moves;
}

void PartitionManager::shutdown() {
  std::lock_guard lock(lifecycle_mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (!threads_.empty()) {
    for (auto& [id, replica] : replicas_)
      replica->stop();
    for (auto& [id, group] : groups_)
      group->stop();
  }
  if (transport_) transport_->shutdown();
  work_.reset();
  io_.stop();
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
  replicas_.clear();
  groups_.clear();
}

std::vector<PartitionId> PartitionManager::for_each_exporting(
    const std::function<void(PartitionId, PartitionExporting*)>& fn) {
  std::vector<PartitionId> silent;
  for (auto& [id, replica] : replicas_) {
    PartitionId partition = id;
    if (!replica->with_exporting(
            [fn, partition](PartitionExporting* exporting) { fn(partition, exporting); })) {
      silent.push_back(id);
    }
  }
  return silent;
}

std::vector<exporter::DirectorSnapshot> PartitionManager::exporting_snapshots() const {
  std::vector<exporter::DirectorSnapshot> out;
  for (const auto& [id, replica] : replicas_) {
    if (auto snapshot = replica->exporting_snapshot()) out.push_back(std::move(*snapshot));
  }
  return out;
}

}  // namespace tern::broker
