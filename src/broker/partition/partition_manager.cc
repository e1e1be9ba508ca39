#include "broker/partition/partition_manager.h"

#include <spdlog/spdlog.h>

#include "broker/thread_name.h"

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
    : options_(std::move(options)), initial_partitions_(std::move(partitions)) {}

PartitionManager::~PartitionManager() {
  shutdown();
}

Result<std::unique_ptr<PartitionManager>, std::string> PartitionManager::start(
    ClusterOptions options, std::vector<std::shared_ptr<Partition>> partitions,
    ReplicaStart initial_start) {
  std::unique_ptr<PartitionManager> manager(
      new PartitionManager(std::move(options), std::move(partitions)));
  if (auto started = manager->open_and_start(initial_start); !started) {
    manager->shutdown();
    return unexpected(started.error());
  }
  return manager;
}

Result<std::shared_ptr<PartitionReplica>, std::string> PartitionManager::open_replica(
    std::shared_ptr<Partition> partition, ReplicaStart start) {
  auto send = [this](NodeId to, PartitionId id, const raft::Message& message) {
    if (transport_) transport_->send(to, id, message);
  };
  engine::SubscriptionTransport* subscriptions = this;
  auto replica = std::make_shared<PartitionReplica>(
      *io_, options_.self, partition, options_.replica, send, subscriptions, flusher_);
  if (auto opened = replica->open(start); !opened) {
    return unexpected("partition " + std::to_string(partition->id().value()) + ": "
                      + opened.error());
  }
  replica->set_job_callback(
      [this](PartitionId id, std::string type) { on_jobs_available(id, std::move(type)); });
  partition->set_status_observer([this] { notify_change(); });
  return replica;
}

Result<void, std::string> PartitionManager::open_and_start(ReplicaStart initial_start) {
  if (!options_.replica.engine.db.block_cache) {
    options_.replica.engine.db.block_cache =
        engine::make_shared_block_cache(options_.block_cache_bytes);
  }
  // Messages go to the partition chosen by correlation key hash over the whole cluster.
  options_.replica.engine.processing.partition_count = options_.shape.partitions;
  if (options_.flusher) {
    flusher_ = options_.flusher.get();
  } else if (options_.journal_flush_threads > 0) {
    writer_pool_ = std::make_unique<JournalWriterPool>(options_.journal_flush_threads);
    flusher_ = writer_pool_.get();
  }
  auto send = [this](NodeId to, PartitionId partition, const raft::Message& message) {
    if (transport_) transport_->send(to, partition, message);
  };
  for (const auto& partition : initial_partitions_) {
    auto replica = open_replica(partition, initial_start);
    if (!replica) return unexpected(replica.error());
    std::unique_lock lock(replicas_mutex_);
    replicas_.emplace(partition->id(), std::move(*replica));
    partitions_.emplace(partition->id(), partition);
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
      [this](NodeId, PartitionId partition, std::vector<raft::Message> messages) {
        if (auto group = groups_.find(partition); group != groups_.end()) {
          for (auto& message : messages)
            group->second->receive(std::move(message));
        } else if (auto target = replica(partition)) {
          target->receive(std::move(messages));
        }
      },
      [this](NodeId, PartitionId partition, engine::Record command) {
        deliver_local(partition, std::move(command));
      });
  if (!transport) return unexpected("cluster transport: " + transport.error());
  transport_ = std::move(*transport);
  work_.emplace(io_->get_executor());
  for (int i = 0; i < std::max(1, options_.partition_threads); ++i) {
    threads_.emplace_back([this, i] {
      set_thread_name("tern-part-" + std::to_string(i));
      io_->run();
    });
  }
  std::size_t count = 0;
  {
    std::shared_lock lock(replicas_mutex_);
    for (auto& [id, replica] : replicas_)
      replica->start();
    count = replicas_.size();
  }
  for (auto& [id, group] : groups_)
    group->start();
  spdlog::info("cluster: {} partition replica(s) started; cluster port {}", count,
               transport_->port());
  return {};
}

std::shared_ptr<PartitionReplica> PartitionManager::replica(PartitionId partition) const {
  std::shared_lock lock(replicas_mutex_);
  auto it = replicas_.find(partition);
  return it == replicas_.end() ? nullptr : it->second;
}

Result<void, std::string> PartitionManager::start_replica(PartitionId partition,
                                                          std::vector<NodeId> replicas,
                                                          ReplicaStart start) {
  std::lock_guard change(change_mutex_);
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_ || threads_.empty()) return unexpected(std::string("the broker is stopping"));
  }
  if (partition.value() < 1 || partition.value() > options_.shape.partitions) {
    return unexpected("partition " + std::to_string(partition.value()) + " does not exist");
  }
  if (replica(partition)) return {};
  if (!options_.partition_directory) {
    return unexpected(std::string("no data directory for replicas started at runtime"));
  }
  auto directory = options_.partition_directory(partition);
  if (!directory) return unexpected(directory.error());
  auto object = std::make_shared<Partition>(partition, std::move(replicas), std::move(*directory));
  auto opened = open_replica(object, start);
  if (!opened) return unexpected(opened.error());
  {
    std::unique_lock lock(replicas_mutex_);
    replicas_.emplace(partition, *opened);
    partitions_.emplace(partition, object);
  }
  (*opened)->start();
  spdlog::info("partition {}: replica started on this broker ({})", partition.value(),
               start == ReplicaStart::kJoin ? "joining" : "bootstrapped");
  notify_change();
  return {};
}

Result<void, std::string> PartitionManager::stop_replica(PartitionId partition, ReplicaData data) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<PartitionReplica> stopping;
  std::shared_ptr<Partition> object;
  {
    std::unique_lock lock(replicas_mutex_);
    auto it = replicas_.find(partition);
    if (it == replicas_.end()) return {};
    stopping = it->second;
    object = partitions_.at(partition);
    replicas_.erase(it);
    partitions_.erase(partition);
    retired_.push_back(stopping);
  }
  object->set_status_observer({});
  stopping->stop();
  if (data == ReplicaData::kDelete) {
    std::error_code ec;
    std::filesystem::remove_all(object->directory(), ec);
    if (ec) {
      return unexpected("partition " + std::to_string(partition.value())
                        + ": cannot remove its data " + object->directory().string() + ": "
                        + ec.message());
    }
  }
  spdlog::info("partition {}: replica stopped on this broker{}", partition.value(),
               data == ReplicaData::kDelete ? " and its data removed" : "");
  notify_change();
  return {};
}

Result<void, std::string> PartitionManager::set_priority_order(PartitionId partition,
                                                               std::vector<NodeId> order) {
  auto target = replica(partition);
  if (!target) {
    return unexpected("partition " + std::to_string(partition.value()) + " has no replica here");
  }
  return target->set_priority_order(std::move(order));
}

std::shared_ptr<MembershipControl> PartitionManager::membership_control(
    PartitionId partition) const {
  if (auto found = replica(partition)) return found;
  if (auto it = groups_.find(partition); it != groups_.end()) {
    return std::dynamic_pointer_cast<MembershipControl>(it->second);
  }
  return nullptr;
}

std::shared_ptr<RaftGroup> PartitionManager::group(PartitionId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second;
}

void PartitionManager::set_placement(std::map<PartitionId, std::vector<NodeId>> placement) {
  std::unique_lock lock(replicas_mutex_);
  placement_ = std::move(placement);
}

void PartitionManager::set_change_observer(std::function<void()> observer) {
  std::lock_guard lock(callback_mutex_);
  change_observer_ = std::move(observer);
}

void PartitionManager::notify_change() {
  std::function<void()> observer;
  {
    std::lock_guard lock(callback_mutex_);
    observer = change_observer_;
  }
  if (observer) observer();
}

std::vector<std::shared_ptr<Partition>> PartitionManager::partition_objects() const {
  std::shared_lock lock(replicas_mutex_);
  std::vector<std::shared_ptr<Partition>> out;
  for (const auto& [id, partition] : partitions_)
    out.push_back(partition);
  return out;
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
  auto target = replica(partition);
  if (!target) {
    return done(unexpected(SubmitError{SubmitErrorCode::kNotLeader,
                                       "partition " + std::to_string(partition.value())
                                           + " has no replica on broker "
                                           + std::to_string(options_.self.value()),
                                       std::nullopt}));
  }
  target->submit(std::move(command), backpressure, std::move(done));
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
  std::vector<NodeId> nodes;
  {
    std::shared_lock lock(replicas_mutex_);
    if (auto it = placement_.find(target); it != placement_.end()) nodes = it->second;
  }
  if (nodes.empty()) nodes = replicas_of(target, options_.shape);
  for (NodeId node : nodes) {
    if (node == options_.self) {
      deliver_local(target, command);
    } else if (transport_) {
      transport_->send_command(node, command);
    }
  }
}

void PartitionManager::deliver_local(PartitionId partition, engine::Record command) {
  if (auto target = replica(partition)) target->deliver(std::move(command));
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
  std::shared_lock lock(replicas_mutex_);
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
  std::vector<std::shared_ptr<PartitionReplica>> hosted;
  {
    std::shared_lock replicas(replicas_mutex_);
    for (auto& [id, replica] : replicas_)
      hosted.push_back(replica);
  }
  for (auto& replica : hosted)
    moves.push_back(replica->move_leadership(goal, drain));
  return moves;
}

void PartitionManager::shutdown() {
  std::lock_guard change(change_mutex_);
  std::lock_guard lock(lifecycle_mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (!threads_.empty()) {
    std::shared_lock replicas(replicas_mutex_);
    for (auto& [id, replica] : replicas_)
      replica->stop();
    for (auto& [id, group] : groups_)
      group->stop();
  }
  // Every replica waited for its flush in flight; what the writers still run posts to a live io_.
  if (writer_pool_) writer_pool_->stop();
  if (transport_) transport_->shutdown();
  work_.reset();
  io_->stop();
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
  std::unique_lock replicas(replicas_mutex_);
  replicas_.clear();
  retired_.clear();
  groups_.clear();
}

std::vector<PartitionId> PartitionManager::for_each_exporting(
    const std::function<void(PartitionId, PartitionExporting*)>& fn) {
  std::vector<PartitionId> silent;
  std::map<PartitionId, std::shared_ptr<PartitionReplica>> hosted;
  {
    std::shared_lock lock(replicas_mutex_);
    hosted = replicas_;
  }
  for (auto& [id, replica] : hosted) {
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
  std::shared_lock lock(replicas_mutex_);
  for (const auto& [id, replica] : replicas_) {
    if (auto snapshot = replica->exporting_snapshot()) out.push_back(std::move(*snapshot));
  }
  return out;
}

}  // namespace tern::broker
