#pragma once

// A LogStream held in memory, for tests and benchmarks. Records are stored encoded (as a
// replicated log would hold them) so that every read goes through the codec. Commit is either
// automatic on append, or manual so that tests can hold follow-ups uncommitted.
//
// Thread: single-threaded, like the partition strand that uses it.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/log/log_stream.h"

namespace tern::engine {

enum class CommitMode { kOnAppend, kManual };

class InMemoryLogStream final : public LogStream {
 public:
  explicit InMemoryLogStream(CommitMode mode = CommitMode::kOnAppend) : mode_(mode) {}

  Result<Position, LogError> append(std::vector<Record>& batch) override;
  std::vector<LoggedRecord> read_committed(Position from, std::size_t max_records,
                                           ValueSelection values) const override;
  Position committed_position() const override { return committed_; }

  // kManual: marks everything up to `position` committed.
  void commit(Position position);
  void commit_all() { commit(last_position()); }
  // Drops uncommitted records after `position` (a leader change losing its tail).
  void truncate_after(Position position);

  Position last_position() const { return Position(static_cast<std::int64_t>(entries_.size())); }
  // Every record, committed or not, decoded; for assertions.
  std::vector<Record> all() const;

 private:
  CommitMode mode_;
  std::vector<std::string> entries_;  // entries_[i] holds the record at position i + 1
  Position committed_{0};
  std::string scratch_;  // append's encoding buffer, reused
};

}  // namespace tern::engine
