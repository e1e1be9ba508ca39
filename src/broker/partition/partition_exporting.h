#pragma once

// Exporting on one partition replica: the exporter director's life on the leader, and the bound
// exporters put on compaction on every replica.
//
// ExportingSettings is broker-wide: the configured exporters and the operator's switches (paused,
// disabled exporters), kept in `<data>/exporting.json` so that they outlive a restart, and applied
// to every director this broker creates later (a new leader stays paused). Thread-safe.
//
// PartitionExporting belongs to one replica and runs on its strand:
//   start_leading()  the replica serves as leader (its engine has caught up): the director is
//                    created with one instance of every configured exporter, positions loaded
//                    from the replicated state.
//   run()            after every commit and tick: hands committed records to the exporters when
//                    the committed position moved or a retry / persistence is due.
//   stop_leading()   leadership lost or the replica stops: positions persisted (when still
//                    possible), exporters closed.
//   compaction_bound() the position below which (inclusive) the journal may be compacted: the
//                    director's lowest acknowledged position on the leader, the replicated
//                    positions of the configured exporters on a follower.
// Exporter calls run on the strand and may block on their destination's round trips; a batch is
// bounded by DirectorOptions::max_records_per_run.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/partition/journal_record_reader.h"
#include "common/result.h"
#include "exporter/director.h"
#include "exporter/registry.h"

namespace tern::broker {

class ExportingSettings {
 public:
  // Reads the switches from `state_file` when it exists; an unreadable file is an error.
  static Result<std::shared_ptr<ExportingSettings>, std::string> open(
      std::map<std::string, exporter::ExporterSpec> exporters, std::filesystem::path state_file);

  const std::map<std::string, exporter::ExporterSpec>& exporters() const { return exporters_; }
  bool has(const std::string& name) const { return exporters_.contains(name); }

  bool paused() const;
  std::set<std::string> disabled() const;
  // Record a switch and write the file; the error names the file.
  Result<void, std::string> set_paused(bool paused);
  Result<void, std::string> set_disabled(const std::string& name, bool disabled);

 private:
  ExportingSettings(std::map<std::string, exporter::ExporterSpec> exporters,
                    std::filesystem::path state_file)
      : exporters_(std::move(exporters)), state_file_(std::move(state_file)) {}
  Result<void, std::string> write() const;  // mutex_ held

  const std::map<std::string, exporter::ExporterSpec> exporters_;
  const std::filesystem::path state_file_;
  mutable std::mutex mutex_;
  bool paused_ = false;             // guarded by mutex_
  std::set<std::string> disabled_;  // guarded by mutex_
};

class PartitionExporting {
 public:
  PartitionExporting(PartitionId partition, std::shared_ptr<ExportingSettings> settings,
                     exporter::DirectorOptions options = {});
  ~PartitionExporting();

  // Creates (without IO) every configured exporter once, so a bad argument stops start-up.
  Result<void, std::string> validate() const;

  void start_leading(const raft::journal::Journal& journal, const RaftLogStream& stream,
                     ReplicaPositionStore::Load load, ReplicaPositionStore::Append append);
  void stop_leading();
  // Stores every changed position now (before handing leadership over).
  void persist_positions();
  bool leading() const { return director_ != nullptr; }

  // Runs the director when the committed position moved, or when a retry or a position
  // persistence is due (its wake-up time passed); a bounded number of rounds per call.
  void run();

  // nullopt: nothing to hold back (no exporter configured, or none enabled on the leader).
  std::optional<engine::Position> compaction_bound(
      const std::map<std::string, engine::Position>& replicated) const;

  // Operator switches, applied to the running director (if leading); the settings hold them for
  // directors created later.
  void apply_switches();
  exporter::ExporterResult<void> enable(const std::string& name,
                                        const std::optional<std::string>& initialize_from);

  // The director's last published state; nullopt when this replica does not lead. Any thread.
  std::optional<exporter::DirectorSnapshot> snapshot() const;

 private:
  class Clock;
  void publish();

  const PartitionId partition_;
  const std::shared_ptr<ExportingSettings> settings_;
  const exporter::DirectorOptions options_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<JournalRecordReader> reader_;
  std::unique_ptr<ReplicaPositionStore> store_;
  std::unique_ptr<exporter::ExporterDirector> director_;
  engine::Position last_run_committed_{-1};
  std::optional<std::int64_t> wake_at_ms_;
  bool more_work_ = false;

  mutable std::mutex snapshot_mutex_;
  std::optional<exporter::DirectorSnapshot> snapshot_;  // guarded by snapshot_mutex_
};

}  // namespace tern::broker
