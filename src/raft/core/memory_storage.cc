#include "common/check.h"
#include "raft/core/storage.h"

namespace tern::raft {

void MemoryStorage::bootstrap(const Configuration& configuration) {
  TERN_CHECK(entries_.empty() && snapshot_.meta.index == LogIndex(0), "bootstrap of a used log");
  snapshot_.meta.configuration = configuration;
}

LogIndex MemoryStorage::last_index() const {
  return entries_.empty() ? snapshot_.meta.index : entries_.back().index;
}

StorageResult<Term> MemoryStorage::term(LogIndex index) const {
  if (index < snapshot_.meta.index) {
    return unexpected(StorageError{StorageErrorCode::kCompacted, "term below the snapshot"});
  }
  if (index == snapshot_.meta.index) return snapshot_.meta.term;
  if (index > last_index()) {
    return unexpected(StorageError{StorageErrorCode::kUnavailable, "term beyond the last index"});
  }
  return entries_[index.value() - first_index().value()].term;
}

StorageResult<std::vector<Entry>> MemoryStorage::entries(LogIndex low, LogIndex high,
                                                         std::size_t max_bytes) const {
  if (low < first_index()) {
    return unexpected(StorageError{StorageErrorCode::kCompacted, "entries below the snapshot"});
  }
  if (high > last_index().next() || low > high) {
    return unexpected(StorageError{StorageErrorCode::kUnavailable, "entries beyond the log"});
  }
  std::vector<Entry> out;
  std::size_t bytes = 0;
  for (LogIndex i = low; i < high; i = i.next()) {
    const Entry& entry = entries_[i.value() - first_index().value()];
    bytes += entry_size_bytes(entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entry);
  }
  return out;
}

void MemoryStorage::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  LogIndex first = entries.front().index;
  TERN_CHECK(first > snapshot_.meta.index, "append below the snapshot");
  TERN_CHECK(first <= last_index().next(), "append leaves a gap in the log");
  entries_.resize(first.value() - first_index().value());
  entries_.insert(entries_.end(), entries.begin(), entries.end());
}

void MemoryStorage::apply_snapshot(Snapshot snapshot) {
  entries_.clear();
  snapshot_ = std::move(snapshot);
}

void MemoryStorage::create_snapshot(LogIndex index, const Configuration& configuration,
                                    std::string data) {
  TERN_CHECK(index <= last_index(), "snapshot beyond the last index");
  if (index <= snapshot_.meta.index) return;
  Term term = entries_[index.value() - first_index().value()].term;
  entries_.erase(
      entries_.begin(),
      entries_.begin() + static_cast<std::ptrdiff_t>(index.value() - first_index().value() + 1));
  snapshot_.meta = SnapshotMeta{index, term, configuration};
  snapshot_.data = std::move(data);
}

}  // namespace tern::raft
