#pragma once

// Writes every record as one line of JSON (the exported-record shape of engine::to_json) to a
// file per partition, `<directory>/partition-<id>.jsonl`, rotated by size to
// `partition-<id>-<sequence>.jsonl`. Lines are buffered and made durable on flush(), which then
// acknowledges them.
//
// Idempotent by position: open() reads the position of the last complete line (cutting a torn
// last line left by a crash) and skips records at or below it, so a replay after a failure or a
// restart writes no line twice on this broker. (Another broker's file after a failover is a
// different file: each broker's files hold what it exported while it led.)
//
// Owning thread: the director's. Arguments: see docs/exporters.md.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "exporter/exporter.h"

namespace tern::exporter {

class JsonLinesExporter final : public Exporter {
 public:
  ~JsonLinesExporter() override;

  ExporterResult<void> configure(const ExporterContext& context) override;
  ExporterResult<void> open(ExporterController& controller) override;
  ExporterResult<void> export_record(const Record& record) override;
  ExporterResult<void> flush() override;
  void close() override;

  const std::filesystem::path& active_file() const { return active_; }

 private:
  ExporterResult<void> recover();
  ExporterResult<void> open_active();
  ExporterResult<void> rotate();
  std::filesystem::path rotated_path(std::uint64_t sequence) const;
  void remove_old_rotations();
  ExporterError io_error(const std::string& what) const;

  std::string name_;
  PartitionId partition_{0};
  std::filesystem::path directory_;
  std::filesystem::path active_;
  std::int64_t max_file_size_bytes_ = 0;
  std::int64_t max_rotated_files_ = 0;
  bool sync_ = false;

  ExporterController* controller_ = nullptr;
  std::FILE* file_ = nullptr;
  std::int64_t size_bytes_ = 0;
  std::uint64_t next_sequence_ = 1;
  Position last_written_{0};
  Position last_acknowledged_{0};
  std::string line_;  // reused buffer
};

}  // namespace tern::exporter
