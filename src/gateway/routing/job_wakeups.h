#pragma once

// JobWakeups: what a gateway knows about jobs becoming available. Brokers push (partition, job
// type) wake-ups over the gateway's command stream to them (link/broker_links.h, which calls
// notify()), or over a BrokerCommands.SubscribeJobAvailability stream (watch()) when the router
// reaches brokers over gRPC; a
// long-polling ActivateJobs request notes the type's generation before it polls, and waits for
// the generation to move (or its time to run out) before polling again: blocking in wait(), or
// without a thread through when_changed().
//
// A wake-up means "a command made jobs of this type activatable on this partition" (typically
// one job); it goes to one when_changed() waiter, the longest waiting, not to all: every poll
// costs each partition it asks an activation, so waking every idle worker for each job would
// cost a poll per worker and job, all but one finding nothing. The waiter hears the partition,
// so that it asks that partition first (job_poll.h), not every one. A poll that filled its
// maximum passes the wake-up on (notify() again: there may be more). Blocking wait()ers, and
// waiters that register after the generation moved, are all woken.
//
// Threads: one subscription thread per broker address (started by watch(), ended by shutdown()),
// which opens the stream and waits for its end; the stream is read on gRPC's callback threads
// (stream_reader.h). wait()/generation()/when_changed()/forget() from any thread. when_changed()
// callbacks run on the gRPC thread that read the wake-up (or at shutdown on the caller of
// shutdown()), without the lock held. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "command_api.grpc.pb.h"

namespace tern::gateway::routing {

class JobWakeups {
 public:
  using Clock = std::chrono::system_clock;

  JobWakeups();
  ~JobWakeups();
  JobWakeups(const JobWakeups&) = delete;
  JobWakeups& operator=(const JobWakeups&) = delete;

  // Stands for "some partition, not known which" in a wake-up.
  static constexpr std::int32_t kAnyPartition = 0;

  // Jobs of `type` may be available on `partition` (kAnyPartition: on some partition, as the
  // embedded broker's wake-ups say): moves the type's generation and wakes the longest-waiting
  // when_changed() waiter of that type with the partition (and every blocking wait()er).
  void notify(const std::string& type, std::int32_t partition);
  std::uint64_t generation(const std::string& type) const;

  // What the gateway knows of a partition having no activatable job of a type, so that a fresh
  // poll need not ask it. partition_generation() moves with every wake-up naming the partition
  // (and every kAnyPartition one); a poll reads it before it asks, and when the partition's
  // answer shows it had no more jobs, note_empty() records that with the value it read. Until a
  // wake-up moves the partition's generation past that value, or `max_age` passes,
  // known_empty() says so. A wake-up lost with a broker's stream, or jobs a new leader holds
  // without a wake-up, are therefore missed for `max_age` at most (the gateway's re-poll
  // interval, after which a waiting call asks every partition anyway).
  std::uint64_t partition_generation(const std::string& type, std::int32_t partition) const;
  void note_empty(const std::string& type, std::int32_t partition, std::uint64_t generation);
  bool known_empty(const std::string& type, std::int32_t partition,
                   std::chrono::steady_clock::duration max_age) const;

  // Blocks until the type's generation differs from `seen` (true) or `until` passes (false).
  bool wait(const std::string& type, std::uint64_t seen, Clock::time_point until) const;

  using WaiterId = std::uint64_t;
  // The partition that raised the wake-up, or kAnyPartition when that is not known: the
  // generation had moved already when the waiter registered, or at shutdown.
  using Woken = std::function<void(std::int32_t partition)>;
  // Calls `woken` once: at once on this thread (returning 0) if the type's generation differs
  // from `seen` already or the wake-ups are shut down; else when a notify() picks this waiter
  // (the longest waiting of its type), or at shutdown. The id is for forget().
  WaiterId when_changed(const std::string& type, std::uint64_t seen, Woken woken);
  // Drops a waiter that has not been called; false when it was (or is being) called.
  bool forget(WaiterId id);

  // Subscribes to the broker at `address` unless already subscribed; re-subscribes with
  // back-off whenever the stream ends, until shutdown().
  void watch(const std::string& address, std::shared_ptr<tern::command::BrokerCommands::Stub> stub);

  // Cancels the subscriptions and joins their threads; wakes every waiter. Idempotent.
  void shutdown();

 private:
  struct Subscription;
  void run(Subscription* subscription);

  // One partition's wake-ups of a type, and its latest empty answer.
  struct PartitionJobs {
    std::uint64_t generation = 0;
    std::optional<std::uint64_t> empty_at;  // the generation its empty answer was asked at
    std::chrono::steady_clock::time_point empty_noted;
  };
  struct TypeJobs {
    std::uint64_t any = 0;  // kAnyPartition wake-ups: they move every partition's generation
    std::map<std::int32_t, PartitionJobs> partitions;
  };
  std::uint64_t partition_generation_locked(const std::string& type, std::int32_t partition) const;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::uint64_t> generations_;  // by job type; guarded by mutex_
  std::map<std::string, TypeJobs> partition_jobs_;    // by job type; guarded by mutex_
  // when_changed() callbacks by job type and id, and each id's type; guarded by mutex_.
  std::map<std::string, std::map<WaiterId, Woken>> waiters_;
  std::map<WaiterId, std::string> waiter_types_;
  WaiterId next_waiter_ = 1;                                            // guarded by mutex_
  std::map<std::string, std::unique_ptr<Subscription>> subscriptions_;  // by address
  bool stopped_ = false;                                                // guarded by mutex_
};

}  // namespace tern::gateway::routing
