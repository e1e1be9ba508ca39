#include "exporter/director.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/check.h"

namespace tern::exporter {

std::string_view to_string(ExporterState state) {
  switch (state) {
    case ExporterState::kActive:
      return "ACTIVE";
    case ExporterState::kRetrying:
      return "RETRYING";
    case ExporterState::kDisabled:
      return "DISABLED";
  }
  return "UNKNOWN";
}

std::string_view to_string(HealthStatus status) {
  switch (status) {
    case HealthStatus::kHealthy:
      return "HEALTHY";
    case HealthStatus::kDegraded:
      return "DEGRADED";
    case HealthStatus::kUnhealthy:
      return "UNHEALTHY";
  }
  return "UNKNOWN";
}

struct ExporterDirector::Entry {
  std::string name;
  std::string type;
  std::unique_ptr<Exporter> exporter;
  std::unique_ptr<Controller> controller;
  ExporterState state = ExporterState::kActive;
  bool open = false;
  Position acknowledged{0};
  Position persisted{0};
  bool persisted_once = false;
  std::int64_t last_persist_ms = 0;
  Position cursor{0};
  std::uint64_t exported_total = 0;
  std::uint64_t failures_total = 0;
  int consecutive_failures = 0;
  std::string last_error;
  std::int64_t retry_at_ms = 0;
};

// Routes an exporter's acknowledgements to its entry. Positions only grow, and never past what
// the exporter was handed (that would be a bug in the exporter).
class ExporterDirector::Controller final : public ExporterController {
 public:
  explicit Controller(Entry& entry) : entry_(entry) {}

  void acknowledge(Position position) override {
    if (position <= entry_.acknowledged) return;
    entry_.acknowledged = position;
    entry_.cursor = std::max(entry_.cursor, position);
  }
  Position last_acknowledged() const override { return entry_.acknowledged; }

 private:
  Entry& entry_;
};

ExporterDirector::ExporterDirector(DirectorOptions options, RecordReader& reader,
                                   PositionStore& store, const DirectorClock& clock)
    : options_(std::move(options)), reader_(reader), store_(store), clock_(clock) {
  TERN_CHECK(options_.max_records_per_run > 0, "max_records_per_run must be positive");
  TERN_CHECK(options_.retry_initial_backoff_ms > 0, "retry back-off must be positive");
}

ExporterDirector::~ExporterDirector() {
  close();
}

ExporterResult<void> ExporterDirector::add(std::string name, std::string type,
                                           std::unique_ptr<Exporter> exporter) {
  TERN_CHECK(exporter != nullptr, "add() needs an exporter");
  if (entries_.contains(name)) {
    return unexpected(
        ExporterError{ExporterErrc::kInvalidConfig, "exporter '" + name + "' is added twice"});
  }
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->type = std::move(type);
  entry->exporter = std::move(exporter);
  entry->controller = std::make_unique<Controller>(*entry);
  if (auto position = store_.load(name)) {
    entry->acknowledged = *position;
    entry->persisted = *position;
    entry->persisted_once = true;
  }
  entry->cursor = entry->acknowledged;
  entries_.emplace(std::move(name), std::move(entry));
  return {};
}

RunResult ExporterDirector::run() {
  RunResult result;
  std::int64_t now = clock_.now_ms();
  if (!paused_) {
    for (auto& [name, entry] : entries_)
      run_one(*entry, now, result);
  }
  persist_due(now, result);
  return result;
}

void ExporterDirector::run_one(Entry& entry, std::int64_t now, RunResult& result) {
  if (entry.state == ExporterState::kDisabled) return;
  if (entry.state == ExporterState::kRetrying && now < entry.retry_at_ms) {
    result.wake_at_ms = std::min(result.wake_at_ms.value_or(entry.retry_at_ms), entry.retry_at_ms);
    return;
  }
  if (!entry.open) {
    entry.cursor = entry.acknowledged;
    if (auto opened = entry.exporter->open(*entry.controller); !opened) {
      fail(entry, now, opened.error());
      result.wake_at_ms =
          std::min(result.wake_at_ms.value_or(entry.retry_at_ms), entry.retry_at_ms);
      return;
    }
    entry.open = true;
    Position committed = reader_.committed_position();
    if (entry.acknowledged > committed) {
      // The destination claims records this log has not committed: it was written by another
      // cluster, or this log lost its tail. Records up to there will not be exported again.
      spdlog::warn(
          "exporter '{}' on partition {} resumes at position {}, beyond the committed "
          "position {}: does its destination belong to another cluster?",
          entry.name, options_.partition.value(), entry.acknowledged.value(), committed.value());
    }
  }
  auto batch = reader_.read_after(entry.cursor, options_.max_records_per_run);
  if (!batch) {
    fail(entry, now, batch.error());
    result.wake_at_ms = std::min(result.wake_at_ms.value_or(entry.retry_at_ms), entry.retry_at_ms);
    return;
  }
  for (const auto& record : *batch) {
    TERN_CHECK(record.position > entry.cursor, "the record reader went backwards");
    if (!options_.skip || !options_.skip(record)) {
      if (auto exported = entry.exporter->export_record(record); !exported) {
        fail(entry, now, exported.error());
        result.wake_at_ms =
            std::min(result.wake_at_ms.value_or(entry.retry_at_ms), entry.retry_at_ms);
        return;
      }
      ++entry.exported_total;
    }
    entry.cursor = record.position;
  }
  if (auto flushed = entry.exporter->flush(); !flushed) {
    fail(entry, now, flushed.error());
    result.wake_at_ms = std::min(result.wake_at_ms.value_or(entry.retry_at_ms), entry.retry_at_ms);
    return;
  }
  if (entry.state == ExporterState::kRetrying) {
    spdlog::info("exporter '{}' on partition {} recovered after {} failure(s), at position {}",
                 entry.name, options_.partition.value(), entry.consecutive_failures,
                 entry.acknowledged.value());
  }
  entry.state = ExporterState::kActive;
  entry.consecutive_failures = 0;
  if (batch->size() == options_.max_records_per_run) result.more_work = true;
}

void ExporterDirector::fail(Entry& entry, std::int64_t now, ExporterError error) {
  entry.exporter->close();
  entry.open = false;
  entry.cursor = entry.acknowledged;  // replay everything not yet acknowledged
  ++entry.failures_total;
  ++entry.consecutive_failures;
  // Exponential back-off, capped; the shift is bounded so it cannot overflow.
  int exponent = std::min(entry.consecutive_failures - 1, 20);
  std::int64_t backoff =
      std::min(options_.retry_max_backoff_ms,
               options_.retry_initial_backoff_ms * (std::int64_t{1} << exponent));
  entry.retry_at_ms = now + backoff;
  entry.state = ExporterState::kRetrying;
  entry.last_error = std::string(to_string(error.code)) + ": " + error.message;
  spdlog::warn(
      "exporter '{}' on partition {} failed ({} in a row), retrying in {} ms from "
      "position {}: {}",
      entry.name, options_.partition.value(), entry.consecutive_failures, backoff,
      entry.acknowledged.value(), entry.last_error);
}

void ExporterDirector::persist_due(std::int64_t now, RunResult& result) {
  for (auto& [name, entry] : entries_) {
    bool changed = !entry->persisted_once || entry->acknowledged != entry->persisted;
    if (!changed || entry->acknowledged == Position(0)) continue;
    std::int64_t due = entry->last_persist_ms + options_.persist_interval_ms;
    if (entry->persisted_once && now < due) {
      result.wake_at_ms = std::min(result.wake_at_ms.value_or(due), due);
      continue;
    }
    store_.store(name, entry->acknowledged);
    entry->persisted = entry->acknowledged;
    entry->persisted_once = true;
    entry->last_persist_ms = now;
  }
}

void ExporterDirector::pause() {
  if (paused_) return;
  paused_ = true;
  spdlog::info("exporting paused on partition {}", options_.partition.value());
}

void ExporterDirector::resume() {
  if (!paused_) return;
  paused_ = false;
  spdlog::info("exporting resumed on partition {}", options_.partition.value());
}

ExporterResult<void> ExporterDirector::disable(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return unexpected(ExporterError{ExporterErrc::kNotFound, "no exporter named '" + name + "'"});
  }
  Entry& entry = *it->second;
  if (entry.state == ExporterState::kDisabled) return {};
  if (entry.open) entry.exporter->close();
  entry.open = false;
  entry.state = ExporterState::kDisabled;
  entry.consecutive_failures = 0;
  spdlog::info("exporter '{}' disabled on partition {} at position {}", name,
               options_.partition.value(), entry.acknowledged.value());
  return {};
}

ExporterResult<void> ExporterDirector::enable(const std::string& name,
                                              const std::optional<std::string>& initialize_from) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return unexpected(ExporterError{ExporterErrc::kNotFound, "no exporter named '" + name + "'"});
  }
  Entry& entry = *it->second;
  if (initialize_from) {
    auto source = entries_.find(*initialize_from);
    if (source == entries_.end() || *initialize_from == name) {
      return unexpected(ExporterError{ExporterErrc::kNotFound, "cannot initialize '" + name
                                                                   + "' from '" + *initialize_from
                                                                   + "': no such other exporter"});
    }
    if (entry.state != ExporterState::kDisabled) {
      return unexpected(ExporterError{
          ExporterErrc::kInvalidConfig,
          "exporter '" + name + "' is enabled; only a disabled exporter can be re-initialized"});
    }
    entry.acknowledged = std::max(entry.acknowledged, source->second->acknowledged);
  }
  if (entry.state != ExporterState::kDisabled) return {};
  entry.state = ExporterState::kActive;
  entry.cursor = entry.acknowledged;
  spdlog::info("exporter '{}' enabled on partition {} at position {}", name,
               options_.partition.value(), entry.acknowledged.value());
  return {};
}

std::optional<Position> ExporterDirector::lowest_acknowledged_position() const {
  std::optional<Position> lowest;
  for (const auto& [name, entry] : entries_) {
    if (entry->state == ExporterState::kDisabled) continue;
    lowest = lowest ? std::min(*lowest, entry->acknowledged) : entry->acknowledged;
  }
  return lowest;
}

void ExporterDirector::persist_positions() {
  std::int64_t now = clock_.now_ms();
  for (auto& [name, entry] : entries_) {
    if (entry->acknowledged == entry->persisted && entry->persisted_once) continue;
    if (entry->acknowledged == Position(0)) continue;
    store_.store(name, entry->acknowledged);
    entry->persisted = entry->acknowledged;
    entry->persisted_once = true;
    entry->last_persist_ms = now;
  }
}

void ExporterDirector::close() {
  persist_positions();
  for (auto& [name, entry] : entries_) {
    if (entry->open) entry->exporter->close();
    entry->open = false;
  }
}

ExporterStatus ExporterDirector::status_of(const Entry& entry, Position committed) const {
  ExporterStatus status;
  status.name = entry.name;
  status.type = entry.type;
  status.state = entry.state;
  status.acknowledged = entry.acknowledged;
  status.exported = entry.cursor;
  status.persisted = entry.persisted;
  status.lag = reader_.distance(entry.acknowledged, committed);
  status.exported_records_total = entry.exported_total;
  status.failures_total = entry.failures_total;
  status.consecutive_failures = entry.consecutive_failures;
  status.last_error = entry.last_error;
  if (entry.state == ExporterState::kRetrying) status.next_retry_ms = entry.retry_at_ms;
  if (entry.state == ExporterState::kDisabled) {
    status.health = HealthStatus::kHealthy;
  } else if (entry.consecutive_failures >= options_.unhealthy_after_failures) {
    status.health = HealthStatus::kUnhealthy;
  } else if (entry.state == ExporterState::kRetrying || status.lag > options_.lag_warning) {
    status.health = HealthStatus::kDegraded;
  }
  return status;
}

DirectorSnapshot ExporterDirector::snapshot() const {
  DirectorSnapshot snapshot;
  snapshot.partition = options_.partition;
  snapshot.paused = paused_;
  snapshot.committed = reader_.committed_position();
  snapshot.lowest_acknowledged = lowest_acknowledged_position();
  for (const auto& [name, entry] : entries_) {
    snapshot.exporters.push_back(status_of(*entry, snapshot.committed));
    snapshot.health = std::max(snapshot.health, snapshot.exporters.back().health);
  }
  return snapshot;
}

}  // namespace tern::exporter
