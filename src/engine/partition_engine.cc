#include "engine/partition_engine.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "engine/processing/empty_activation.h"
#include "engine/state/exporter_state.h"

namespace tern::engine {

Result<std::unique_ptr<PartitionEngine>, EngineError> PartitionEngine::open(
    const std::filesystem::path& db_dir, PartitionId partition, LogStream& log,
    const EngineClock& clock, const EngineOptions& options) {
  auto db = StateDb::open(db_dir, options.db);
  if (!db) return unexpected(EngineError{EngineErrorCode::kState, db.error().message});
  spdlog::info("partition {}: engine state opened in {}", partition.value(), db_dir.string());
  return std::unique_ptr<PartitionEngine>(
      new PartitionEngine(std::move(db.value()), partition, log, clock, options));
}

PartitionEngine::PartitionEngine(std::unique_ptr<StateDb> db, PartitionId partition, LogStream& log,
                                 const EngineClock& clock, const EngineOptions& options)
    : partition_(partition),
      db_(std::move(db)),
      processor_(
          std::make_unique<StreamProcessor>(partition, log, *db_, clock, options.processing)) {}

void PartitionEngine::become_leader() {
  write_back("leader");
  processor_->become_leader();
}

void PartitionEngine::become_follower() {
  write_back("follower");
  processor_->become_follower();
}

void PartitionEngine::write_back(std::string_view why) {
  if (auto written = db_->commit(); !written) {
    spdlog::critical("engine state cannot be written before becoming {}: {}", why,
                     written.error().message);
    TERN_CHECK(false, "state commit failed; the replica cannot continue");
  }
  // The index floors are rebuilt by the next scans of each role (Transaction::scan_index).
  db_->transaction().clear_floors();
}

std::optional<Response> PartitionEngine::answer_without_log(const Record& command) const {
  if (processor_->role() != Role::kLeader) return std::nullopt;
  return answer_empty_activation(command, EngineState(db_->transaction(), partition_));
}

Result<SnapshotMetadata, EngineError> PartitionEngine::snapshot(const std::filesystem::path& dir) {
  SnapshotMetadata metadata{processor_->last_processed_position(),
                            processor_->last_applied_position()};
  nlohmann::json json{{"lastProcessedPosition", metadata.last_processed_position.value()},
                      {"lastAppliedPosition", metadata.last_applied_position.value()}};
  auto result = db_->snapshot(dir, json.dump());
  if (!result) return unexpected(EngineError{EngineErrorCode::kSnapshot, result.error().message});
  spdlog::info("engine snapshot taken in {} at position {}", dir.string(),
               metadata.last_applied_position.value());
  return metadata;
}

Result<SnapshotMetadata, EngineError> PartitionEngine::restore(
    const std::filesystem::path& snapshot_dir, const std::filesystem::path& db_dir) {
  auto metadata = StateDb::restore(snapshot_dir, db_dir);
  if (!metadata) {
    return unexpected(EngineError{EngineErrorCode::kSnapshot, metadata.error().message});
  }
  auto json = nlohmann::json::parse(metadata.value());
  return SnapshotMetadata{Position(json.value("lastProcessedPosition", std::int64_t{0})),
                          Position(json.value("lastAppliedPosition", std::int64_t{0}))};
}

std::optional<Position> PartitionEngine::exporter_position(std::string_view exporter_id) const {
  return ExporterStateView(db_->transaction()).position(exporter_id);
}

std::map<std::string, Position> PartitionEngine::exporter_positions() const {
  return ExporterStateView(db_->transaction()).positions();
}

}  // namespace tern::engine
