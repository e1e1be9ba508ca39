#pragma once

// Test doubles for the exporter director: records in a vector (with a compaction point), an
// in-memory position store, a hand-driven clock, and an exporter that records what it saw and
// fails on command.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exporter/director.h"

namespace tern::exporter::test {

inline Record make_record(std::int64_t position) {
  Record record;
  record.position = Position(position);
  record.key = engine::Key(position);
  record.record_type = engine::RecordType::kEvent;
  record.value_type = engine::ValueType::kVariable;
  record.intent = engine::Intent::kCreated;
  record.partition_id = PartitionId(1);
  record.timestamp_ms = 1'700'000'000'000 + position;
  record.value = Json{{"name", "x"}, {"value", std::to_string(position)}};
  return record;
}

class VectorReader final : public RecordReader {
 public:
  void append(Record record) { records_.push_back(std::move(record)); }
  void append_range(std::int64_t first, std::int64_t last) {
    for (auto p = first; p <= last; ++p)
      append(make_record(p));
  }
  // Records at or below `position` are gone.
  void compact_through(Position position) { compacted_ = position; }

  ExporterResult<std::vector<Record>> read_after(Position after, std::size_t max) override {
    ++reads;
    if (after < compacted_) {
      return unexpected(
          ExporterError{ExporterErrc::kCompacted,
                        "records after " + std::to_string(after.value()) + " are compacted"});
    }
    std::vector<Record> out;
    for (const auto& record : records_) {
      if (record.position <= after) continue;
      if (out.size() == max) break;
      out.push_back(record);
    }
    return out;
  }
  Position committed_position() const override {
    return records_.empty() ? Position(0) : records_.back().position;
  }

  std::int64_t distance(Position from, Position to) const override {
    return RecordReader::distance(from, to) / positions_per_unit;
  }

  int reads = 0;
  std::int64_t positions_per_unit = 1;  // > 1: lag measured like the broker's entries

 private:
  std::vector<Record> records_;
  Position compacted_{0};
};

class MemoryStore final : public PositionStore {
 public:
  std::optional<Position> load(const std::string& name) override {
    auto it = positions.find(name);
    if (it == positions.end()) return std::nullopt;
    return it->second;
  }
  void store(const std::string& name, Position position) override {
    positions[name] = position;
    ++stores;
  }

  std::map<std::string, Position> positions;
  int stores = 0;
};

class ManualClock final : public DirectorClock {
 public:
  std::int64_t now_ms() const override { return now; }
  std::int64_t now = 1'000;
};

// What a RecordingExporter did, kept outside it so tests can read it after handing it over.
struct Journal {
  std::vector<std::int64_t> seen;  // positions handed to export_record, in order
  int opens = 0;
  int closes = 0;
  int flushes = 0;
  // Failure injection: fail the export of this position this many times.
  std::map<std::int64_t, int> fail_export_at;
  int fail_flushes = 0;
  int fail_opens = 0;
  bool acknowledge_on_flush = true;
};

class RecordingExporter final : public Exporter {
 public:
  explicit RecordingExporter(std::shared_ptr<Journal> journal) : journal_(std::move(journal)) {}

  ExporterResult<void> configure(const ExporterContext&) override { return {}; }
  ExporterResult<void> open(ExporterController& controller) override {
    ++journal_->opens;
    if (journal_->fail_opens > 0) {
      --journal_->fail_opens;
      return unexpected(ExporterError{ExporterErrc::kConnection, "destination unreachable"});
    }
    controller_ = &controller;
    last_ = Position(0);
    return {};
  }
  ExporterResult<void> export_record(const Record& record) override {
    auto it = journal_->fail_export_at.find(record.position.value());
    if (it != journal_->fail_export_at.end() && it->second > 0) {
      --it->second;
      return unexpected(ExporterError{ExporterErrc::kIo, "disk full"});
    }
    journal_->seen.push_back(record.position.value());
    last_ = record.position;
    return {};
  }
  ExporterResult<void> flush() override {
    ++journal_->flushes;
    if (journal_->fail_flushes > 0) {
      --journal_->fail_flushes;
      return unexpected(ExporterError{ExporterErrc::kConnection, "connection reset"});
    }
    if (journal_->acknowledge_on_flush && last_ > Position(0)) controller_->acknowledge(last_);
    return {};
  }
  void close() override { ++journal_->closes; }

 private:
  std::shared_ptr<Journal> journal_;
  ExporterController* controller_ = nullptr;
  Position last_{0};
};

}  // namespace tern::exporter::test
