#pragma once

// A PartitionService for tests of the command path: real engines (PartitionEngine over an
// in-memory log with RocksDB in a temporary folder), one per partition, all driven by one
// worker thread that plays the partitions' strand. Not a mock: commands are appended, processed
// and answered by the engine exactly as a single-replica partition would. Tests can make a
// partition refuse (not leader with a hint, back-pressure) to exercise the gateway's retries.
//
// Thread-safe: submit() from any thread; callbacks run on the worker thread.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "broker/partition/partition_service.h"
#include "engine/log/in_memory_log_stream.h"
#include "engine/partition_engine.h"
#include "engine/processing/clock.h"
#include "support/temp_dir.h"

namespace tern::gateway::testing {

class EnginePartitionService final : public broker::PartitionService {
 public:
  explicit EnginePartitionService(std::int32_t partition_count);
  ~EnginePartitionService() override;

  void submit(PartitionId partition, engine::Record command, bool backpressure,
              broker::SubmitCallback done) override;
  void set_job_available_callback(std::function<void(PartitionId, std::string)> cb) override;
  std::vector<PartitionId> partitions() const override;
  std::int32_t partition_count() const override { return partition_count_; }

  // How a partition answers from now on: normally, or refusing with this error.
  void refuse(PartitionId partition, std::optional<broker::SubmitError> error);
  // Commands each partition accepted so far and appended to its log (processed by its engine).
  std::int64_t processed(PartitionId partition) const;
  // Job activations each partition answered from its engine's state without a log entry (they
  // found no job; PartitionEngine::answer_without_log), as a broker's partition leader does.
  std::int64_t answered_without_log(PartitionId partition) const;
  // Commands each partition refused so far (see refuse()).
  std::int64_t refused(PartitionId partition) const;
  // Job activations each partition was asked for so far, whatever became of them (refused,
  // held, stalled, answered without the log or processed).
  std::int64_t activations_asked(PartitionId partition) const;
  // From now on, job activations are held back until `partitions` different partitions each have
  // one waiting, and then all are let through together: a gateway that asks partitions one after
  // another never gets an answer (until its deadline). Held activations still waiting when the
  // service is destroyed are answered "shutting down".
  void hold_job_activations_until(std::int32_t partitions);
  // Answers the activations still held "shutting down" and holds no more. A test cluster calls
  // it before its broker server waits for the calls in flight, so that a gateway that never
  // asked every partition makes the test fail rather than hang.
  void release_held_activations();
  // The most activations that were held at once.
  std::int32_t most_activations_held() const;
  // From now on, `partition`'s job activations wait (a slow partition) until
  // release_stalled_activations(), which processes them in order and stalls no more. Stalled
  // activations still waiting when the service is destroyed are answered "shutting down".
  void stall_job_activations(PartitionId partition);
  void release_stalled_activations(PartitionId partition);
  // `partition`'s activations waiting in a stall now.
  std::int32_t stalled_activations(PartitionId partition) const;

 private:
  struct Partition;
  void run();
  void post(std::function<void()> task);
  void append(Partition* target, engine::Record command, broker::SubmitCallback done);

  std::int32_t partition_count_;
  tern::test::TempDir dir_;
  engine::SystemEngineClock clock_;
  std::map<PartitionId, std::unique_ptr<Partition>> partitions_;  // fixed after construction

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;                     // guarded by mutex_
  std::map<PartitionId, broker::SubmitError> refusals_;         // guarded by mutex_
  std::function<void(PartitionId, std::string)> job_callback_;  // guarded by mutex_
  std::map<PartitionId, std::int64_t> processed_;               // guarded by mutex_
  std::map<PartitionId, std::int64_t> answered_without_log_;    // guarded by mutex_
  std::map<PartitionId, std::int64_t> refused_;                 // guarded by mutex_
  std::map<PartitionId, std::int64_t> activations_asked_;       // guarded by mutex_
  bool stopped_ = false;                                        // guarded by mutex_
  std::int32_t hold_until_ = 0;                                 // guarded by mutex_
  std::int32_t most_held_ = 0;                                  // guarded by mutex_
  struct Held {
    Partition* partition;
    engine::Record command;
    broker::SubmitCallback done;
  };
  std::vector<Held> held_;  // activations waiting for the others; guarded by mutex_
  // Stalled partitions and their activations waiting; guarded by mutex_.
  std::map<PartitionId, std::vector<Held>> stalled_;
  std::thread worker_;
};

}  // namespace tern::gateway::testing
