// Journal writes: append (with truncation on conflict), snapshots, compaction. The group-commit
// flush is in journal_flush.cc.

#include <cstdio>

#include "common/check.h"
#include "raft/journal/format.h"
#include "raft/journal/journal.h"

namespace tern::raft::journal {
namespace {

JournalError io_error(std::string message) {
  return JournalError{JournalErrorCode::kIo, std::move(message)};
}

std::string segment_name(LogIndex first) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%020llu.log",
                static_cast<unsigned long long>(first.value()));
  return name;
}

}  // namespace

JournalResult<void> Journal::sync_file(File& file) {
  if (options_.durability == Durability::kSkip) return {};
  if (auto r = file.sync(); !r.ok()) return unexpected(io_error(r.error()));
  return {};
}

JournalResult<void> Journal::sync_dir() {
  if (options_.durability == Durability::kSkip) return {};
  if (auto r = sync_directory(dir_); !r.ok()) return unexpected(io_error(r.error()));
  return {};
}

JournalResult<void> Journal::bootstrap(const Configuration& configuration) {
  if (snapshot_meta_.index != LogIndex(0) || !terms_.empty()) {
    return unexpected(JournalError{JournalErrorCode::kInvalidArgument,
                                   "cannot bootstrap a journal that already holds a log"});
  }
  Snapshot initial{SnapshotMeta{LogIndex(0), Term(0), configuration}, {}};
  if (auto r = write_file_atomically(dir_ / "snapshot", encode_snapshot_file(initial),
                                     options_.durability);
      !r.ok()) {
    return unexpected(io_error(r.error()));
  }
  snapshot_meta_ = initial.meta;
  return {};
}

JournalResult<void> Journal::open_segment(LogIndex first) {
  std::filesystem::path path = dir_ / segment_name(first);
  auto file = File::open(path, OpenMode::kCreate);
  if (!file.ok()) return unexpected(io_error(file.error()));
  if (auto r = file->truncate(0); !r.ok()) return unexpected(io_error(r.error()));
  if (auto r = file->write_at(0, encode_segment_header(first)); !r.ok()) {
    return unexpected(io_error(r.error()));
  }
  Segment segment;
  segment.first = first;
  segment.last = first.prev();
  segment.file = std::make_shared<File>(std::move(*file));
  segment.size = kSegmentHeaderBytes;
  segment.dirty = true;
  if (segments_.empty()) terms_base_ = first;
  segments_.emplace(first, std::move(segment));
  new_files_ = true;
  return {};
}

JournalResult<void> Journal::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return {};
  LogIndex first = entries.front().index;
  // A truncation would lower the marker under the flushes in flight; the owner orders them after.
  TERN_CHECK(flushes_in_flight_ == 0 || first > last_index(),
             "a truncating journal append while a flush is in flight");
  if (first <= snapshot_meta_.index || first > last_index().next()) {
    return unexpected(JournalError{JournalErrorCode::kInvalidArgument,
                                   "append at index " + std::to_string(first.value())
                                       + " does not continue a log of "
                                       + std::to_string(snapshot_meta_.index.value()) + ".."
                                       + std::to_string(last_index().value())});
  }
  if (first <= last_index()) {
    if (auto r = truncate_from(first); !r.ok()) return r;
  }
  std::string pending;
  auto write_pending = [&]() -> JournalResult<void> {
    if (pending.empty()) return {};
    Segment& active = segments_.rbegin()->second;
    if (auto r = active.file->write_at(active.size, pending); !r.ok()) {
      return unexpected(io_error(r.error()));
    }
    active.size += pending.size();
    active.dirty = true;
    pending.clear();
    return {};
  };
  for (const Entry& entry : entries) {
    if (segments_.empty()
        || segments_.rbegin()->second.size + pending.size() >= options_.segment_size_bytes) {
      if (auto r = write_pending(); !r.ok()) return r;
      if (auto r = open_segment(entry.index); !r.ok()) return r;
    }
    Segment& active = segments_.rbegin()->second;
    if (active.sparse.empty()
        || entry.index.value() - active.sparse.back().first.value() >= options_.index_interval) {
      active.sparse.emplace_back(entry.index, active.size + pending.size());
    }
    encode_record(entry, pending);
    active.last = entry.index;
    terms_.push_back(entry.term);
    cache_.push_back(entry);
    cache_bytes_ += entry_size_bytes(entry);
  }
  while (cache_bytes_ > options_.tail_cache_bytes && !cache_.empty()) {
    cache_bytes_ -= entry_size_bytes(cache_.front());
    cache_.pop_front();
  }
  return write_pending();
}

JournalResult<void> Journal::truncate_from(LogIndex index) {
  // Lower the flushed marker first and durably: a crash between cutting and the next flush must
  // not make start-up believe flushed data went missing.
  if (flushed_index_ >= index) {
    flushed_index_ = index.prev();
    if (auto r = write_state(); !r.ok()) return r;
  }
  while (!segments_.empty() && segments_.rbegin()->second.first >= index) {
    std::filesystem::path path = segments_.rbegin()->second.file->path();
    segments_.erase(std::prev(segments_.end()));
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return unexpected(io_error("cannot remove " + path.string() + ": " + ec.message()));
    new_files_ = true;
  }
  if (!segments_.empty() && segments_.rbegin()->second.last >= index) {
    Segment& segment = segments_.rbegin()->second;
    std::uint64_t offset = offset_of(segment, index);
    if (auto r = segment.file->truncate(offset); !r.ok()) return unexpected(io_error(r.error()));
    if (auto r = sync_file(*segment.file); !r.ok()) return r;
    segment.size = offset;
    segment.last = index.prev();
    while (!segment.sparse.empty() && segment.sparse.back().first >= index)
      segment.sparse.pop_back();
  }
  if (new_files_) {
    if (auto r = sync_dir(); !r.ok()) return r;
    new_files_ = false;
  }
  terms_.resize(index.value() - terms_base_.value());
  if (segments_.empty()) terms_base_ = index;
  while (!cache_.empty() && cache_.back().index >= index) {
    cache_bytes_ -= entry_size_bytes(cache_.back());
    cache_.pop_back();
  }
  return {};
}

JournalResult<void> Journal::open_state_file() {
  if (state_file_) return {};
  auto file = File::open(dir_ / "state", OpenMode::kCreate);
  if (!file.ok()) return unexpected(io_error(file.error()));
  state_file_ = std::make_shared<File>(std::move(*file));
  return {};
}

JournalResult<void> Journal::write_state(StateSync sync) {
  TERN_CHECK(flushes_in_flight_ == 0, "journal state written while a flush is in flight");
  if (auto r = open_state_file(); !r.ok()) return r;
  // Alternate slots: a torn write can only damage the slot being written, never the last good one.
  StateSlot slot{state_sequence_ + 1, hard_state_, flushed_index_};
  if (auto r =
          state_file_->write_at((slot.sequence % 2) * kStateSlotBytes, encode_state_slot(slot));
      !r.ok()) {
    return unexpected(io_error(r.error()));
  }
  if (sync == StateSync::kSync || state_sequence_ == 0) {
    if (auto r = sync_file(*state_file_); !r.ok()) return r;
  }
  if (state_sequence_ == 0) {
    if (auto r = sync_dir(); !r.ok()) return r;
  }
  state_sequence_ = slot.sequence;
  return {};
}

JournalResult<void> Journal::remove_all_segments() {
  for (auto& [first, segment] : segments_) {
    std::error_code ec;
    std::filesystem::remove(segment.file->path(), ec);
    if (ec) {
      return unexpected(
          io_error("cannot remove " + segment.file->path().string() + ": " + ec.message()));
    }
  }
  segments_.clear();
  terms_.clear();
  cache_.clear();
  cache_bytes_ = 0;
  terms_base_ = snapshot_meta_.index.next();
  if (auto r = sync_dir(); !r.ok()) return r;
  return {};
}

JournalResult<void> Journal::install_snapshot(const Snapshot& snapshot) {
  TERN_CHECK(flushes_in_flight_ == 0, "snapshot installed while a flush is in flight");
  if (auto r = write_file_atomically(dir_ / "snapshot", encode_snapshot_file(snapshot),
                                     options_.durability);
      !r.ok()) {
    return unexpected(io_error(r.error()));
  }
  snapshot_meta_ = snapshot.meta;
  snapshot_data_ = snapshot.data;
  if (auto r = remove_all_segments(); !r.ok()) return r;
  flushed_index_ = snapshot.meta.index;
  hard_state_ = pending_hard_state_;
  return write_state();
}

JournalResult<void> Journal::create_snapshot(LogIndex index, const Configuration& configuration,
                                             std::string data) {
  if (index <= snapshot_meta_.index) return {};
  if (index > flushed_index_) {
    return unexpected(JournalError{
        JournalErrorCode::kInvalidArgument,
        "snapshot index " + std::to_string(index.value()) + " is beyond the flushed log"});
  }
  auto t = term(index);
  if (!t.ok())
    return unexpected(JournalError{JournalErrorCode::kInvalidArgument, t.error().message});
  Snapshot snapshot{SnapshotMeta{index, *t, configuration}, std::move(data)};
  if (auto r = write_file_atomically(dir_ / "snapshot", encode_snapshot_file(snapshot),
                                     options_.durability);
      !r.ok()) {
    return unexpected(io_error(r.error()));
  }
  snapshot_meta_ = snapshot.meta;
  snapshot_data_ = std::move(snapshot.data);
  return compact(index);
}

JournalResult<void> Journal::compact(LogIndex index) {
  LogIndex limit = std::min(index, snapshot_meta_.index);
  bool removed = false;
  // The active (last) segment stays: appends continue in it.
  while (segments_.size() > 1 && segments_.begin()->second.last <= limit) {
    Segment& oldest = segments_.begin()->second;
    std::size_t count = oldest.last.value() - oldest.first.value() + 1;
    std::filesystem::path path = oldest.file->path();
    segments_.erase(segments_.begin());
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return unexpected(io_error("cannot remove " + path.string() + ": " + ec.message()));
    terms_.erase(terms_.begin(), terms_.begin() + static_cast<std::ptrdiff_t>(count));
    terms_base_ = segments_.begin()->second.first;
    removed = true;
  }
  if (removed) {
    if (auto r = sync_dir(); !r.ok()) return r;
  }
  return {};
}

}  // namespace tern::raft::journal
