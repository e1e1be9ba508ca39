#include "raft/core/raft_log.h"

#include <algorithm>

#include "common/check.h"

namespace tern::raft {

RaftLog::RaftLog(const LogStorage& storage) : storage_(storage) {
  unstable_offset_ = storage_.last_index().next();
  LogIndex snapshot_index = storage_.snapshot_meta().index;
  committed_ = std::max(storage_.hard_state().commit, snapshot_index);
  committed_ = std::min(committed_, storage_.last_index());
  applied_ = snapshot_index;
  durable_ = storage_.last_index();
}

LogIndex RaftLog::first_index() const {
  if (unstable_snapshot_) return unstable_snapshot_->meta.index.next();
  return storage_.first_index();
}

LogIndex RaftLog::last_index() const {
  if (!unstable_.empty()) return unstable_.back().index;
  if (unstable_snapshot_) return unstable_snapshot_->meta.index;
  return unstable_offset_.prev();
}

Term RaftLog::last_term() const {
  auto t = term(last_index());
  TERN_CHECK(t.has_value(), "the last entry's term must be known");
  return *t;
}

std::optional<Term> RaftLog::term(LogIndex index) const {
  // Index 0 is the empty log's sentinel; once a snapshot exists it is compacted like the rest.
  if (index < first_index().prev()) return std::nullopt;
  if (index == LogIndex(0)) return Term(0);
  if (index >= unstable_offset_) {
    std::uint64_t at = index.value() - unstable_offset_.value();
    if (at < unstable_.size()) return unstable_[at].term;
    return std::nullopt;
  }
  if (unstable_snapshot_) {
    if (index == unstable_snapshot_->meta.index) return unstable_snapshot_->meta.term;
    return std::nullopt;
  }
  auto t = storage_.term(index);
  if (!t.ok()) {
    TERN_CHECK(t.error().code == StorageErrorCode::kCompacted
                   || t.error().code == StorageErrorCode::kUnavailable,
               "log storage failed to read a term");
    return std::nullopt;
  }
  return *t;
}

bool RaftLog::match_term(LogIndex index, Term t) const {
  auto mine = term(index);
  return mine.has_value() && *mine == t;
}

bool RaftLog::is_up_to_date(LogIndex index, Term t) const {
  Term mine = last_term();
  return t > mine || (t == mine && index >= last_index());
}

std::optional<RaftLog::AppendOutcome> RaftLog::maybe_append(LogIndex prev_index, Term prev_term,
                                                            LogIndex commit,
                                                            std::vector<Entry> entries) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  AppendOutcome outcome{LogIndex(prev_index.value() + entries.size()), LogIndex(0)};
  // The first entry that is new or conflicts (§5.3: delete the existing entry and all that follow).
  std::size_t first_new = entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!match_term(entries[i].index, entries[i].term)) {
      first_new = i;
      break;
    }
  }
  if (first_new < entries.size()) {
    LogIndex at = entries[first_new].index;
    TERN_CHECK(at > committed_, "a leader asked to overwrite a committed entry");
    entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(first_new));
    outcome.first_appended = at;
    truncate_and_append(std::move(entries));
  }
  commit_to(std::min(commit, outcome.last_new));
  return outcome;
}

LogIndex RaftLog::append(std::vector<Entry> entries) {
  if (entries.empty()) return last_index();
  TERN_CHECK(entries.front().index == last_index().next(), "leader append must extend the log");
  truncate_and_append(std::move(entries));
  return last_index();
}

void RaftLog::truncate_and_append(std::vector<Entry> entries) {
  LogIndex after = entries.front().index;
  // A rewritten suffix is not durable any more, whatever the syncs in flight report for it.
  durable_ = std::min(durable_, after.prev());
  LogIndex end = LogIndex(unstable_offset_.value() + unstable_.size());
  if (after == end) {
    unstable_.insert(unstable_.end(), std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
  } else if (after <= unstable_offset_) {
    // Rewrites durable entries too: the driver truncates storage when it persists these.
    unstable_offset_ = after;
    unstable_ = std::move(entries);
  } else {
    unstable_.resize(after.value() - unstable_offset_.value());
    unstable_.insert(unstable_.end(), std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
  }
}

LogIndex RaftLog::find_conflict_by_term(LogIndex index, Term t) const {
  while (index > LogIndex(0)) {
    auto mine = term(index);
    if (!mine.has_value() || *mine <= t) break;
    index = index.prev();
  }
  return index;
}

StorageResult<std::vector<Entry>> RaftLog::slice(LogIndex low, LogIndex high,
                                                 std::size_t max_bytes) const {
  if (low < first_index()) {
    return unexpected(StorageError{StorageErrorCode::kCompacted, "entries compacted"});
  }
  TERN_CHECK(high <= last_index().next() && low <= high, "slice beyond the log");
  std::vector<Entry> out;
  std::size_t bytes = 0;
  if (low < unstable_offset_) {
    LogIndex stored_high = std::min(high, unstable_offset_);
    auto stored = storage_.entries(low, stored_high, max_bytes);
    if (!stored.ok()) return unexpected(stored.error());
    out = std::move(*stored);
    for (const Entry& e : out)
      bytes += entry_size_bytes(e);
    if (out.size() < stored_high.value() - low.value()) return out;  // byte limit reached
  }
  for (LogIndex i = std::max(low, unstable_offset_); i < high; i = i.next()) {
    const Entry& entry = unstable_[i.value() - unstable_offset_.value()];
    bytes += entry_size_bytes(entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entry);
  }
  return out;
}

void RaftLog::commit_to(LogIndex index) {
  if (index <= committed_) return;
  TERN_CHECK(index <= last_index(), "commit beyond the last index");
  committed_ = index;
}

void RaftLog::applied_to(LogIndex index) {
  if (index <= applied_) return;
  TERN_CHECK(index <= committed_, "applied beyond the commit index");
  applied_ = index;
}

void RaftLog::restore(Snapshot snapshot) {
  committed_ = snapshot.meta.index;
  unstable_offset_ = snapshot.meta.index.next();
  unstable_.clear();
  unstable_snapshot_ = std::move(snapshot);
  // The log restarts at the snapshot: nothing of it is durable until the driver says so.
  durable_ = LogIndex(0);
}

void RaftLog::stable_to(LogIndex index, Term t) {
  if (index < unstable_offset_) return;
  std::uint64_t at = index.value() - unstable_offset_.value();
  if (at >= unstable_.size() || unstable_[at].term != t) return;
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(at + 1));
  unstable_offset_ = index.next();
}

void RaftLog::stable_snapshot_to(LogIndex index) {
  if (unstable_snapshot_ && unstable_snapshot_->meta.index == index) {
    unstable_snapshot_.reset();
    applied_ = std::max(applied_, index);
  }
}

LogIndex RaftLog::stable_last_index() const {
  if (unstable_snapshot_) return LogIndex(0);
  return unstable_offset_.prev();
}

void RaftLog::durable_to(LogIndex index, Term t) {
  if (index <= durable_ || !match_term(index, t)) return;
  durable_ = index;
}

bool RaftLog::has_next_committed() const {
  return !unstable_snapshot_ && committed_ > applied_;
}

std::vector<Entry> RaftLog::next_committed(std::size_t max_bytes) const {
  return committed_after(applied_, max_bytes);
}

std::vector<Entry> RaftLog::committed_after(LogIndex after, std::size_t max_bytes) const {
  if (unstable_snapshot_ || committed_ <= after) return {};
  auto entries = slice(after.next(), committed_.next(), max_bytes);
  TERN_CHECK(entries.ok(), "committed entries must be readable");
  return std::move(*entries);
}

}  // namespace tern::raft
