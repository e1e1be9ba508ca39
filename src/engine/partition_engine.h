#pragma once

// The engine of one partition, as the broker uses it: the state database, the stream processor
// and the log they read, behind one small surface.
//
//   auto engine = PartitionEngine::open(dir, PartitionId(1), log, clock, options);
//   engine->become_leader();          // or become_follower()
//   engine->on_committed();           // after the log's commit position moved
//   engine->check_due_dates();        // leader: now and then (job time-outs, back-offs)
//   engine->answer_without_log(cmd);  // leader: an empty job activation, answered unlogged
//   engine->snapshot(dir);            // a RocksDB checkpoint + MANIFEST.json
//
// Recovery: a replica opens the state restored from its latest snapshot (restore()) and then
// replays the committed log after it; a leader that loses leadership with uncommitted effects
// (has_uncommitted_effects()) must do the same, because its state ran ahead of the log.
//
// Thread: the partition's strand; nothing here is thread-safe.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/log/log_stream.h"
#include "engine/processing/clock.h"
#include "engine/processing/sinks.h"
#include "engine/processing/stream_processor.h"
#include "engine/state/state_db.h"

namespace tern::engine {

enum class EngineErrorCode { kState, kSnapshot };

struct EngineError {
  EngineErrorCode code;
  std::string message;
};

struct EngineOptions {
  StateDbOptions db;
  StreamProcessorOptions processing;
};

struct SnapshotMetadata {
  Position last_processed_position{0};
  Position last_applied_position{0};
};

class PartitionEngine {
 public:
  static Result<std::unique_ptr<PartitionEngine>, EngineError> open(
      const std::filesystem::path& db_dir, PartitionId partition, LogStream& log,
      const EngineClock& clock, const EngineOptions& options = {});

  // Copies a snapshot (verified against its manifest) into `db_dir`, which should be empty.
  static Result<SnapshotMetadata, EngineError> restore(const std::filesystem::path& snapshot_dir,
                                                       const std::filesystem::path& db_dir);

  void set_response_sink(ResponseSink* sink) { processor_->set_response_sink(sink); }
  void set_job_listener(JobAvailabilityListener* listener) {
    processor_->set_job_listener(listener);
  }
  void set_subscription_transport(SubscriptionTransport* transport) {
    processor_->set_subscription_transport(transport);
  }

  // A role change writes the pending state to RocksDB first (StateDb::commit_when_full keeps a
  // window of writes across polls), so that each role starts from state that RocksDB holds.
  void become_leader();
  void become_follower();
  Role role() const { return processor_->role(); }

  // Replays and processes what is readable (committed records; on the leader also its own
  // appended ones), then releases responses and wake-ups whose batches committed. Bounded
  // (StreamProcessorOptions::max_polls_per_run): returns true when it stopped at the bound and
  // should be called again.
  bool on_committed() { return processor_->run(); }
  std::size_t check_due_dates() { return processor_->check_due_dates(); }

  // A command this leader can answer from its state alone, without appending it to the log:
  // then the response (the one processing it would have given the client), else nullopt and
  // the command goes through the log. Today a JOB_BATCH ACTIVATE that finds no activatable job
  // of its type (processing/empty_activation.h says why that is safe). Reads the state the
  // processor sees, uncommitted effects included; changes nothing. Leader only (nullopt on a
  // follower); the host asks after it set the command's request and timestamp.
  std::optional<Response> answer_without_log(const Record& command) const;
  bool has_uncommitted_effects() const { return processor_->has_uncommitted_effects(); }

  // Writes the pending state to RocksDB, then checkpoints it.
  Result<SnapshotMetadata, EngineError> snapshot(const std::filesystem::path& dir);

  // Exporter positions acknowledged and replicated through EXPORTER records (exporter_state.h):
  // where a new leader's exporters resume, and how far a follower may compact its log. Read
  // through the state transaction, so they include changes not yet written to RocksDB.
  std::optional<Position> exporter_position(std::string_view exporter_id) const;
  std::map<std::string, Position> exporter_positions() const;

  // Writes the pending state to RocksDB, then hashes what it holds.
  std::string state_digest() { return db_->digest(); }
  std::uint64_t state_size_bytes() const { return db_->approximate_size_bytes(); }
  StreamProcessor& processor() { return *processor_; }
  StateDb& db() { return *db_; }

 private:
  PartitionEngine(std::unique_ptr<StateDb> db, PartitionId partition, LogStream& log,
                  const EngineClock& clock, const EngineOptions& options);
  void write_back(std::string_view why);

  PartitionId partition_;
  std::unique_ptr<StateDb> db_;
  std::unique_ptr<StreamProcessor> processor_;
};

}  // namespace tern::engine
