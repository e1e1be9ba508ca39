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
  // Commands each partition accepted so far (processed by its engine).
  std::int64_t processed(PartitionId partition) const;

 private:
  struct Partition;
  void run();
  void post(std::function<void()> task);

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
  bool stopped_ = false;                                        // guarded by mutex_
  std::thread worker_;
};

}  // namespace tern::gateway::testing
