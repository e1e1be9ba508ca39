#include "gateway/engine_partition_service.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace tern::gateway::testing {

// One partition's engine and the callbacks waiting for its responses; worker thread only.
struct EnginePartitionService::Partition final : engine::ResponseSink,
                                                 engine::JobAvailabilityListener,
                                                 engine::SubscriptionTransport {
  EnginePartitionService* owner = nullptr;
  PartitionId id{0};
  engine::InMemoryLogStream log;
  std::unique_ptr<engine::PartitionEngine> engine;
  std::int64_t next_request = 1;
  std::map<std::int64_t, broker::SubmitCallback> waiting;

  void on_response(const engine::Response& response) override {
    auto it = waiting.find(response.request.request_id);
    if (it == waiting.end()) return;
    auto done = std::move(it->second);
    waiting.erase(it);
    done(response);
  }

  void on_jobs_available(std::string_view type) override {
    std::function<void(PartitionId, std::string)> callback;
    {
      std::lock_guard lock(owner->mutex_);
      callback = owner->job_callback_;
    }
    if (callback) callback(id, std::string(type));
  }

  // The message subscription protocol between partitions: the command is appended to the
  // target partition's log on the worker thread, as a broker appends it on the target's leader.
  // Delivery here never fails, so no SubscriptionCommandSender is needed for retries.
  void send(const engine::Record& command) override {
    auto target = owner->partitions_.find(command.partition_id);
    if (target == owner->partitions_.end()) return;
    Partition* to = target->second.get();
    owner->post([owner = owner, to, command] {
      engine::Record copy = command;
      copy.timestamp_ms = owner->clock_.now_ms();
      std::vector<engine::Record> batch{std::move(copy)};
      if (to->log.append(batch)) to->engine->on_committed();
    });
  }
};

EnginePartitionService::EnginePartitionService(std::int32_t partition_count)
    : partition_count_(partition_count) {
  for (std::int32_t p = 1; p <= partition_count; ++p) {
    auto partition = std::make_unique<Partition>();
    partition->owner = this;
    partition->id = PartitionId(p);
    engine::EngineOptions options;
    options.db.write_buffer_size_bytes = 1 << 20;
    options.processing.partition_count = partition_count;
    auto opened = engine::PartitionEngine::open(dir_.path() / std::to_string(p), PartitionId(p),
                                                partition->log, clock_, options);
    if (!opened) throw std::runtime_error(opened.error().message);
    partition->engine = std::move(*opened);
    partition->engine->set_response_sink(partition.get());
    partition->engine->set_job_listener(partition.get());
    partition->engine->set_subscription_transport(partition.get());
    partition->engine->become_leader();
    partitions_.emplace(PartitionId(p), std::move(partition));
  }
  worker_ = std::thread([this] { run(); });
}

void EnginePartitionService::release_held_activations() {
  std::vector<Held> held;
  {
    std::lock_guard lock(mutex_);
    hold_until_ = 0;
    held.swap(held_);
    for (auto& [partition, stalled] : stalled_) {
      for (auto& activation : stalled)
        held.push_back(std::move(activation));
    }
    stalled_.clear();
  }
  for (auto& activation : held) {
    activation.done(tern::unexpected(broker::SubmitError{broker::SubmitErrorCode::kShuttingDown,
                                                         "the test cluster stops", std::nullopt}));
  }
}

EnginePartitionService::~EnginePartitionService() {
  release_held_activations();
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void EnginePartitionService::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void EnginePartitionService::run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopped_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void EnginePartitionService::submit(PartitionId partition, engine::Record command, bool,
                                    broker::SubmitCallback done) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) {
    done(tern::unexpected(
        broker::SubmitError{broker::SubmitErrorCode::kInvalid, "no such partition", std::nullopt}));
    return;
  }
  std::optional<broker::SubmitError> refusal;
  {
    std::lock_guard lock(mutex_);
    if (command.value_type == engine::ValueType::kJobBatch) ++activations_asked_[partition];
    if (auto found = refusals_.find(partition); found != refusals_.end()) {
      refusal = found->second;
      ++refused_[partition];
    }
  }
  if (refusal) {
    post([done = std::move(done), error = *refusal] { done(tern::unexpected(error)); });
    return;
  }
  Partition* target = it->second.get();
  if (command.value_type == engine::ValueType::kJobBatch) {
    std::vector<Held> released;
    {
      std::lock_guard lock(mutex_);
      if (auto stall = stalled_.find(partition); stall != stalled_.end()) {
        stall->second.push_back(Held{target, std::move(command), std::move(done)});
        return;
      }
      if (hold_until_ > 0) {
        held_.push_back(Held{target, std::move(command), std::move(done)});
        std::set<Partition*> waiting;
        for (const auto& activation : held_)
          waiting.insert(activation.partition);
        most_held_ = std::max(most_held_, static_cast<std::int32_t>(waiting.size()));
        if (static_cast<std::int32_t>(waiting.size()) < hold_until_) return;
        released.swap(held_);
      }
    }
    for (auto& activation : released)
      append(activation.partition, std::move(activation.command), std::move(activation.done));
    if (!released.empty()) return;
  }
  append(target, std::move(command), std::move(done));
}

void EnginePartitionService::append(Partition* target, engine::Record command,
                                    broker::SubmitCallback done) {
  post([this, target, command = std::move(command), done = std::move(done)]() mutable {
    command.request = engine::RequestRef{0, target->next_request++};
    command.partition_id = target->id;
    command.timestamp_ms = clock_.now_ms();
    // As a broker's partition leader does: a job activation that finds no job is answered from
    // the engine's state, without a log entry.
    if (auto answer = target->engine->answer_without_log(command)) {
      {
        std::lock_guard lock(mutex_);
        ++answered_without_log_[target->id];
      }
      done(std::move(*answer));
      return;
    }
    target->waiting.emplace(command.request.request_id, std::move(done));
    std::vector<engine::Record> batch{std::move(command)};
    auto appended = target->log.append(batch);
    if (!appended) {
      auto waiting = target->waiting.find(batch.front().request.request_id);
      auto callback = std::move(waiting->second);
      target->waiting.erase(waiting);
      callback(tern::unexpected(broker::SubmitError{broker::SubmitErrorCode::kUnavailable,
                                                    "append failed", std::nullopt}));
      return;
    }
    {
      std::lock_guard lock(mutex_);
      ++processed_[target->id];
    }
    target->engine->on_committed();
  });
}

void EnginePartitionService::set_job_available_callback(
    std::function<void(PartitionId, std::string)> cb) {
  std::lock_guard lock(mutex_);
  job_callback_ = std::move(cb);
}

std::vector<PartitionId> EnginePartitionService::partitions() const {
  std::vector<PartitionId> out;
  for (const auto& [id, partition] : partitions_)
    out.push_back(id);
  return out;
}

void EnginePartitionService::refuse(PartitionId partition,
                                    std::optional<broker::SubmitError> error) {
  std::lock_guard lock(mutex_);
  if (error) {
    refusals_[partition] = *error;
  } else {
    refusals_.erase(partition);
  }
}

std::int64_t EnginePartitionService::processed(PartitionId partition) const {
  std::lock_guard lock(mutex_);
  auto it = processed_.find(partition);
  return it == processed_.end() ? 0 : it->second;
}

std::int64_t EnginePartitionService::answered_without_log(PartitionId partition) const {
  std::lock_guard lock(mutex_);
  auto it = answered_without_log_.find(partition);
  return it == answered_without_log_.end() ? 0 : it->second;
}

std::int64_t EnginePartitionService::activations_asked(PartitionId partition) const {
  std::lock_guard lock(mutex_);
  auto it = activations_asked_.find(partition);
  return it == activations_asked_.end() ? 0 : it->second;
}

std::int64_t EnginePartitionService::refused(PartitionId partition) const {
  std::lock_guard lock(mutex_);
  auto it = refused_.find(partition);
  return it == refused_.end() ? 0 : it->second;
}

void EnginePartitionService::hold_job_activations_until(std::int32_t partitions) {
  std::lock_guard lock(mutex_);
  hold_until_ = partitions;
}

void EnginePartitionService::stall_job_activations(PartitionId partition) {
  std::lock_guard lock(mutex_);
  stalled_.try_emplace(partition);
}

void EnginePartitionService::release_stalled_activations(PartitionId partition) {
  std::vector<Held> released;
  {
    std::lock_guard lock(mutex_);
    auto stall = stalled_.find(partition);
    if (stall == stalled_.end()) return;
    released = std::move(stall->second);
    stalled_.erase(stall);
  }
  for (auto& activation : released)
    append(activation.partition, std::move(activation.command), std::move(activation.done));
}

std::int32_t EnginePartitionService::stalled_activations(PartitionId partition) const {
  std::lock_guard lock(mutex_);
  auto stall = stalled_.find(partition);
  return stall == stalled_.end() ? 0 : static_cast<std::int32_t>(stall->second.size());
}

std::int32_t EnginePartitionService::most_activations_held() const {
  std::lock_guard lock(mutex_);
  return most_held_;
}

}  // namespace tern::gateway::testing
