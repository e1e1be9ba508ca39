#pragma once

// RaftLog: the replica's log as one sequence — the durable LogStorage below and the unstable tail
// (entries and at most one snapshot not yet persisted) above — plus the commit and apply indexes.
//
// Owned by one RaftNode and touched only from the thread driving it. Invariants:
//   applied <= committed <= last_index();
//   unstable entries are contiguous and start at unstable_offset_;
//   an unstable snapshot, when present, is at unstable_offset_ - 1 and hides everything below;
//   durable <= last_index(), and every entry up to durable is known synced by the driver.
//
// "Stable" (left the unstable tail: written to the storage, readable there) and "durable" (the
// driver reported the write synced) are apart when the driver pipelines its syncs
// (RaftNode::advance_written / persisted); a synchronous driver makes both move together.

#include <cstddef>
#include <optional>
#include <vector>

#include "raft/core/storage.h"

namespace tern::raft {

class RaftLog {
 public:
  explicit RaftLog(const LogStorage& storage);

  LogIndex first_index() const;
  LogIndex last_index() const;
  Term last_term() const;
  // Term of `index`; nullopt when compacted away or beyond the last index. Index 0 has term 0.
  std::optional<Term> term(LogIndex index) const;
  bool match_term(LogIndex index, Term term) const;
  // §5.4.1: is a log ending at (last_index, last_term) at least as up to date as this one?
  bool is_up_to_date(LogIndex last_index, Term last_term) const;

  struct AppendOutcome {
    LogIndex last_new;        // last index known to match the leader
    LogIndex first_appended;  // first index written (0 when every entry was already present)
  };
  // A follower's append (§5.3): checks the previous entry, truncates a conflicting suffix, appends,
  // and advances commit to min(commit, last new index). nullopt when the previous entry mismatches.
  std::optional<AppendOutcome> maybe_append(LogIndex prev_index, Term prev_term, LogIndex commit,
                                            std::vector<Entry> entries);
  // Appends at the end (leader) and returns the new last index.
  LogIndex append(std::vector<Entry> entries);
  // The last index <= `index` whose term is <= `term` (fast log back-off).
  LogIndex find_conflict_by_term(LogIndex index, Term term) const;
  // Entries [low, high) bounded by bytes (at least one); an error when compacted.
  StorageResult<std::vector<Entry>> slice(LogIndex low, LogIndex high, std::size_t max_bytes) const;

  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }
  void commit_to(LogIndex index);
  void applied_to(LogIndex index);

  // Installs a received snapshot as the unstable base; entries above it are discarded.
  void restore(Snapshot snapshot);

  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  // The driver persisted entries up to (index, term): they leave the unstable tail, unless the tail
  // was rewritten meanwhile (then the term no longer matches and nothing happens).
  void stable_to(LogIndex index, Term term);
  void stable_snapshot_to(LogIndex index);
  // Highest index written to the storage (left the unstable tail) and part of the current log.
  LogIndex stable_last_index() const;
  // The driver synced entries up to (index, term): they count as durable unless that entry is no
  // longer in the log (rewritten meanwhile; one (index, term) names one entry, §5.3).
  void durable_to(LogIndex index, Term term);
  // Highest index known durable and part of the current log: what a leader counts for itself.
  LogIndex durable_index() const { return durable_; }

  bool has_next_committed() const;
  std::vector<Entry> next_committed(std::size_t max_bytes) const;
  // Committed entries above `after` (none while a received snapshot is not yet installed).
  std::vector<Entry> committed_after(LogIndex after, std::size_t max_bytes) const;

 private:
  void truncate_and_append(std::vector<Entry> entries);

  const LogStorage& storage_;
  std::optional<Snapshot> unstable_snapshot_;
  std::vector<Entry> unstable_;
  LogIndex unstable_offset_;
  LogIndex committed_;
  LogIndex applied_;
  LogIndex durable_;
};

}  // namespace tern::raft
