#pragma once

// JournalFlusher: where partition replicas run the blocking part of their journals' group commits
// (raft::journal::PendingFlush::sync), so that a partition's strand — and the pool thread under
// it — carries on while the disk works (DESIGN.md, "Threads").
//
// JournalWriterPool is the broker's: `threads` writer threads, partition p's syncs on thread
// p mod threads, so one partition's syncs run in order and never two at once. A job is a closure
// the replica builds (sync, then post the result back to its strand); the pool knows nothing of
// replicas. stop() runs what is queued, then joins; jobs submitted afterwards run on the caller's
// thread, so a replica never waits for a flush that cannot come. Thread-safe.
//
// Lifecycle: the PartitionManager creates the pool before its replicas and stops it after every
// replica stopped (a stopping replica waits for its flush in flight) and before its io_context
// stops, so a job's post to a strand always finds the io_context alive.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/strong_id.h"

namespace tern::broker {

class JournalFlusher {
 public:
  virtual ~JournalFlusher() = default;
  // Runs `job` off the caller's thread; jobs of one partition run in submission order.
  virtual void submit(PartitionId partition, std::function<void()> job) = 0;
};

class JournalWriterPool final : public JournalFlusher {
 public:
  explicit JournalWriterPool(int threads);
  ~JournalWriterPool() override;
  JournalWriterPool(const JournalWriterPool&) = delete;
  JournalWriterPool& operator=(const JournalWriterPool&) = delete;

  void submit(PartitionId partition, std::function<void()> job) override;
  // Runs every queued job, then joins the threads. Idempotent.
  void stop();

  int threads() const { return static_cast<int>(workers_.size()); }
  // Jobs run since start, for tests and metrics.
  std::uint64_t jobs_run() const;

 private:
  struct Worker {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> queue;  // guarded by mutex
    bool stopping = false;                    // guarded by mutex
    std::uint64_t run = 0;                    // guarded by mutex
    std::thread thread;
  };
  static void run(Worker& worker);

  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace tern::broker
