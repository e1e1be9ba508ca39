#include "gateway/routing/job_wakeups.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/routing/stream_reader.h"

namespace tern::gateway::routing {

namespace tc = tern::command;

namespace {
constexpr auto kMinResubscribe = std::chrono::milliseconds(50);
constexpr auto kMaxResubscribe = std::chrono::milliseconds(2000);
}  // namespace

struct JobWakeups::Subscription {
  std::string address;
  std::shared_ptr<tc::BrokerCommands::Stub> stub;
  std::thread thread;
  grpc::ClientContext* active = nullptr;  // guarded by JobWakeups::mutex_
};

JobWakeups::JobWakeups() = default;

JobWakeups::~JobWakeups() {
  shutdown();
}

void JobWakeups::notify(const std::string& type, std::int32_t partition) {
  Woken woken;
  {
    std::lock_guard lock(mutex_);
    ++generations_[type];
    auto& jobs = partition_jobs_[type];
    if (partition == kAnyPartition) {
      ++jobs.any;
    } else {
      ++jobs.partitions[partition].generation;
    }
    auto it = waiters_.find(type);
    if (it != waiters_.end()) {
      // Ids grow: the first is the longest waiting.
      auto first = it->second.begin();
      woken = std::move(first->second);
      waiter_types_.erase(first->first);
      it->second.erase(first);
      if (it->second.empty()) waiters_.erase(it);
    }
  }
  changed_.notify_all();
  if (woken) woken(partition);
}

JobWakeups::WaiterId JobWakeups::when_changed(const std::string& type, std::uint64_t seen,
                                              Woken woken) {
  {
    std::lock_guard lock(mutex_);
    auto it = generations_.find(type);
    const std::uint64_t now = it == generations_.end() ? 0 : it->second;
    if (!stopped_ && now == seen) {
      const WaiterId id = next_waiter_++;
      waiters_[type].emplace(id, std::move(woken));
      waiter_types_.emplace(id, type);
      return id;
    }
  }
  woken(kAnyPartition);
  return 0;
}

bool JobWakeups::forget(WaiterId id) {
  Woken dropped;  // destroyed outside the lock: it may own its waiter
  std::lock_guard lock(mutex_);
  auto type = waiter_types_.find(id);
  if (type == waiter_types_.end()) return false;
  auto of_type = waiters_.find(type->second);
  dropped = std::move(of_type->second.at(id));
  of_type->second.erase(id);
  if (of_type->second.empty()) waiters_.erase(of_type);
  waiter_types_.erase(type);
  return true;
}

std::uint64_t JobWakeups::generation(const std::string& type) const {
  std::lock_guard lock(mutex_);
  auto it = generations_.find(type);
  return it == generations_.end() ? 0 : it->second;
}

std::uint64_t JobWakeups::partition_generation_locked(const std::string& type,
                                                      std::int32_t partition) const {
  auto of_type = partition_jobs_.find(type);
  if (of_type == partition_jobs_.end()) return 0;
  auto it = of_type->second.partitions.find(partition);
  // Both counts only grow, so their sum moves with either.
  return of_type->second.any + (it == of_type->second.partitions.end() ? 0 : it->second.generation);
}

std::uint64_t JobWakeups::partition_generation(const std::string& type,
                                               std::int32_t partition) const {
  std::lock_guard lock(mutex_);
  return partition_generation_locked(type, partition);
}

void JobWakeups::note_empty(const std::string& type, std::int32_t partition,
                            std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  // A wake-up since the poll read the generation may be for a job its answer did not see.
  if (partition_generation_locked(type, partition) != generation) return;
  auto& jobs = partition_jobs_[type].partitions[partition];
  jobs.empty_at = generation;
  jobs.empty_noted = std::chrono::steady_clock::now();
}

bool JobWakeups::known_empty(const std::string& type, std::int32_t partition,
                             std::chrono::steady_clock::duration max_age) const {
  std::lock_guard lock(mutex_);
  auto of_type = partition_jobs_.find(type);
  if (of_type == partition_jobs_.end()) return false;
  auto it = of_type->second.partitions.find(partition);
  if (it == of_type->second.partitions.end() || !it->second.empty_at) return false;
  return *it->second.empty_at == partition_generation_locked(type, partition)
         && std::chrono::steady_clock::now() - it->second.empty_noted < max_age;
}

bool JobWakeups::wait(const std::string& type, std::uint64_t seen, Clock::time_point until) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, until, [&] {
    if (stopped_) return true;
    auto it = generations_.find(type);
    return (it == generations_.end() ? 0 : it->second) != seen;
  });
}

void JobWakeups::watch(const std::string& address, std::shared_ptr<tc::BrokerCommands::Stub> stub) {
  std::lock_guard lock(mutex_);
  if (stopped_ || subscriptions_.contains(address)) return;
  auto subscription = std::make_unique<Subscription>();
  subscription->address = address;
  subscription->stub = std::move(stub);
  Subscription* raw = subscription.get();
  subscriptions_.emplace(address, std::move(subscription));
  raw->thread = std::thread([this, raw] { run(raw); });
}

void JobWakeups::run(Subscription* subscription) {
  auto backoff = kMinResubscribe;
  while (true) {
    grpc::ClientContext context;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      subscription->active = &context;
    }
    // Read on gRPC's callback threads (stream_reader.h); this thread only waits for the end.
    const tc::JobAvailabilitySubscription request;
    StreamReader<tc::JobAvailability> reader(
        [this](tc::JobAvailability& wakeup) { notify(wakeup.job_type(), wakeup.partition_id()); });
    subscription->stub->async()->SubscribeJobAvailability(&context, &request, &reader);
    grpc::Status status = reader.run();
    const bool received = reader.received();
    std::unique_lock lock(mutex_);
    subscription->active = nullptr;
    if (stopped_) return;
    if (received) backoff = kMinResubscribe;
    spdlog::debug("job availability stream from {} ended ({}); re-subscribing in {} ms",
                  subscription->address, status.error_message(), backoff.count());
    // Waiting on the shared condition: shutdown() wakes it at once.
    changed_.wait_for(lock, backoff, [this] { return stopped_; });
    if (stopped_) return;
    backoff = std::min(backoff * 2,
                       std::chrono::duration_cast<std::chrono::milliseconds>(kMaxResubscribe));
  }
}

void JobWakeups::shutdown() {
  std::vector<std::thread> threads;
  std::map<std::string, std::map<WaiterId, Woken>> waiters;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [address, subscription] : subscriptions_) {
      if (subscription->active) subscription->active->TryCancel();
      threads.push_back(std::move(subscription->thread));
    }
    waiters = std::move(waiters_);
    waiters_.clear();
    waiter_types_.clear();
  }
  changed_.notify_all();
  for (auto& [type, of_type] : waiters) {
    for (auto& [id, callback] : of_type)
      callback(kAnyPartition);
  }
  for (auto& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace tern::gateway::routing
