#pragma once

// The exporter director: feeds one partition's committed records, in order, to every configured
// exporter, tracks what each acknowledged, persists those positions, retries failing exporters
// with back-off (never skipping a record), and tells the owner how far the log may be compacted.
//
// Owning thread: the partition's strand (the broker's replica actor). The director holds no
// threads, timers or locks: the owner calls run() when records were committed or when the wake-up
// time run() returned has come, and routes operator requests (pause, disable) to the same strand.
//
// Invariants:
//  * For every exporter, acknowledged <= exported cursor <= the reader's committed position.
//  * After a failure an exporter is closed and replayed from its acknowledged position, so every
//    record after that position reaches it at least once and in order.
//  * lowest_acknowledged_position() ignores disabled exporters only; a paused or failing one holds
//    compaction back.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exporter.h"

namespace tern::exporter {

// Committed records of one partition, read from the log (or a buffer of it).
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Committed records with position > `after`, in position order, at most `max_records`; empty
  // when there is nothing newer. kCompacted when records right after `after` are gone.
  virtual ExporterResult<std::vector<Record>> read_after(Position after,
                                                         std::size_t max_records) = 0;
  // The highest committed position (0 when the log is empty); used for lag.
  virtual Position committed_position() const = 0;
  // How far `to` is ahead of `from`, for lag and its warning. Records for a log with dense
  // positions (the default); a log whose positions jump (the broker's: Raft index * 2^16 +
  // offset) returns its own measure, e.g. entries, and says so where the lag is shown.
  virtual std::int64_t distance(Position from, Position to) const {
    return to > from ? to.value() - from.value() : 0;
  }
};

// Where acknowledged positions live. The broker keeps them in the partition's replicated state so
// that a new leader resumes from them.
class PositionStore {
 public:
  virtual ~PositionStore() = default;
  virtual std::optional<Position> load(const std::string& exporter_name) = 0;
  virtual void store(const std::string& exporter_name, Position position) = 0;
};

class DirectorClock {
 public:
  virtual ~DirectorClock() = default;
  virtual std::int64_t now_ms() const = 0;
};

struct DirectorOptions {
  PartitionId partition{1};
  // Records handed to one exporter per run() before it is flushed; bounds memory and latency.
  std::size_t max_records_per_run = 1000;
  std::int64_t retry_initial_backoff_ms = 100;
  std::int64_t retry_max_backoff_ms = 30'000;
  // Positions are persisted at most this often per exporter (each store is a replicated write).
  std::int64_t persist_interval_ms = 1'000;
  // An exporter this far behind the committed position (RecordReader::distance) makes the
  // director DEGRADED: it holds compaction back, so the disk fills if it stays there.
  std::int64_t lag_warning = 100'000;
  // Consecutive failures after which the exporter (and the director) report UNHEALTHY.
  int unhealthy_after_failures = 5;
  // Records the exporters never see (e.g. the partition's own exporter-position records).
  std::function<bool(const Record&)> skip;
};

enum class ExporterState { kActive, kRetrying, kDisabled };
enum class HealthStatus { kHealthy, kDegraded, kUnhealthy };

std::string_view to_string(ExporterState state);
std::string_view to_string(HealthStatus status);

struct ExporterStatus {
  std::string name;
  std::string type;
  ExporterState state = ExporterState::kActive;
  HealthStatus health = HealthStatus::kHealthy;
  Position acknowledged{0};
  Position exported{0};   // the last position handed over since the last (re)open
  Position persisted{0};  // the last position handed to the PositionStore
  std::int64_t lag = 0;
  std::uint64_t exported_records_total = 0;
  std::uint64_t failures_total = 0;
  int consecutive_failures = 0;
  std::string last_error;
  std::optional<std::int64_t> next_retry_ms;
};

struct DirectorSnapshot {
  PartitionId partition{0};
  bool paused = false;
  HealthStatus health = HealthStatus::kHealthy;
  Position committed{0};
  std::optional<Position> lowest_acknowledged;
  std::vector<ExporterStatus> exporters;  // by name
};

struct RunResult {
  bool more_work = false;                  // call run() again right away
  std::optional<std::int64_t> wake_at_ms;  // otherwise call it no later than this
};

class ExporterDirector {
 public:
  ExporterDirector(DirectorOptions options, RecordReader& reader, PositionStore& store,
                   const DirectorClock& clock);
  ~ExporterDirector();
  ExporterDirector(const ExporterDirector&) = delete;
  ExporterDirector& operator=(const ExporterDirector&) = delete;

  // Takes a configured exporter (see ExporterRegistry) and loads its acknowledged position from
  // the store; it opens on the next run().
  ExporterResult<void> add(std::string name, std::string type, std::unique_ptr<Exporter> exporter);

  // Hands newly committed records to every exporter that is due, flushes them, persists changed
  // positions when the persist interval allows. Never blocks beyond the exporters' own calls.
  RunResult run();

  // Stops handing out records (exporters stay open, positions stay). Idempotent.
  void pause();
  void resume();
  bool paused() const { return paused_; }

  // A disabled exporter is closed, gets nothing, and no longer holds compaction back.
  ExporterResult<void> disable(const std::string& name);
  // Re-enables; with `initialize_from`, starts at that exporter's acknowledged position (the
  // records it missed may already be compacted away).
  ExporterResult<void> enable(const std::string& name,
                              const std::optional<std::string>& initialize_from = std::nullopt);

  // The position below which (inclusive) every enabled exporter has acknowledged; the journal
  // may be compacted up to it. nullopt: no enabled exporter, nothing to hold back.
  std::optional<Position> lowest_acknowledged_position() const;

  // Stores every changed position now (before a snapshot or on leaving leadership).
  void persist_positions();
  // Persists positions and closes every exporter.
  void close();

  DirectorSnapshot snapshot() const;

 private:
  struct Entry;
  class Controller;

  void run_one(Entry& entry, std::int64_t now, RunResult& result);
  void fail(Entry& entry, std::int64_t now, ExporterError error);
  void persist_due(std::int64_t now, RunResult& result);
  ExporterStatus status_of(const Entry& entry, Position committed) const;

  DirectorOptions options_;
  RecordReader& reader_;
  PositionStore& store_;
  const DirectorClock& clock_;
  bool paused_ = false;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

// Prometheus text for the directors of every partition on a broker (HELP/TYPE once per metric).
std::string render_metrics(const std::vector<DirectorSnapshot>& snapshots);

}  // namespace tern::exporter
