#pragma once

// A LogStream held in memory, for tests and benchmarks. Records are stored encoded (as a
// replicated log would hold them) so that every read goes through the codec. Commit is either
// automatic on append, or manual so that tests can hold records appended but not committed.
// Appended records are the writer's own (ReadScope::kCommittedAndOwn reads them before they
// commit); start_term() models a new leader: what the log holds then was written by an earlier
// one, and the new leader's own records are readable only once all of that is committed. A
// long-running user (the engine benchmark) drops what its reader has passed with compact_before, as
// a replicated log is compacted below a snapshot, so that the log's memory is reused instead of
// growing without bound.
//
// Thread: single-threaded, like the partition strand that uses it.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "engine/log/log_stream.h"

namespace tern::engine {

enum class CommitMode { kOnAppend, kManual };

class InMemoryLogStream final : public LogStream {
 public:
  explicit InMemoryLogStream(CommitMode mode = CommitMode::kOnAppend) : mode_(mode) {}

  Result<Position, LogError> append(std::vector<Record>& batch) override;
  std::vector<LoggedRecord> read(Position from, std::size_t max_records, ValueSelection values,
                                 ReadScope scope) const override;
  Position committed_position() const override { return committed_; }

  // kManual: marks everything up to `position` committed.
  void commit(Position position);
  void commit_all() { commit(last_position()); }
  // Drops uncommitted records after `position` (a leader change losing its tail).
  void truncate_after(Position position);
  // A new writer (leader) from here on: the records held now are an earlier leader's, and
  // records appended from now are own.
  void start_term() { own_first_ = last_position().next(); }
  // The end of what `scope` lets a reader act on.
  Position readable_position(ReadScope scope) const;
  // Drops the committed records before `first_kept`; reading them afterwards is a programming
  // error. Positions of the records kept do not change.
  void compact_before(Position first_kept);

  Position last_position() const {
    return Position(first_.value() - 1 + static_cast<std::int64_t>(entries_.size()));
  }
  // The first record still held (1 until compact_before drops some).
  Position first_position() const { return first_; }
  // Every record still held, committed or not, decoded; for assertions.
  std::vector<Record> all() const;

 private:
  CommitMode mode_;
  // entries_[i] holds the record at position first_ + i. A deque: compaction frees from the
  // front, and growth never moves the records already held.
  std::deque<std::string> entries_;
  Position first_{1};
  Position committed_{0};
  // The first record the current writer appended itself (start_term()).
  Position own_first_{1};
  std::string scratch_;  // append's encoding buffer, reused
};

}  // namespace tern::engine
