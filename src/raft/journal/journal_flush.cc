// Journal group commit: begin_flush() on the owner's thread, PendingFlush::sync() anywhere,
// finish_flush() back on the owner's thread (see journal.h).

#include "common/check.h"
#include "raft/journal/format.h"
#include "raft/journal/journal.h"

namespace tern::raft::journal {
namespace {

JournalError io_error(std::string message) {
  return JournalError{JournalErrorCode::kIo, std::move(message)};
}

}  // namespace

bool PendingFlush::blocking() const {
  // Also under Durability::kSkip: tests then take the same path as a real disk.
  return !segments_.empty() || sync_dir_ || sync_state_ || sync_dir_after_state_;
}

JournalResult<void> PendingFlush::sync() {
  TERN_CHECK(!synced_ && !failure_, "a pending journal flush synced twice");
  auto failed = [this](std::string message) -> JournalResult<void> {
    failure_ = message;
    return unexpected(io_error(std::move(message)));
  };
  const bool device = durability_ == Durability::kSync;
  // Segments first: the slot's marker may reach the disk only after what it covers.
  if (device) {
    for (const auto& segment : segments_) {
      if (auto r = segment->sync(); !r.ok()) return failed(r.error());
    }
    if (sync_dir_) {
      if (auto r = sync_directory(dir_); !r.ok()) return failed(r.error());
    }
  }
  if (!state_slot_.empty()) {
    if (auto r = state_file_->write_at(state_offset_, state_slot_); !r.ok())
      return failed(r.error());
    if (device && sync_state_) {
      if (auto r = state_file_->sync(); !r.ok()) return failed(r.error());
    }
    if (device && sync_dir_after_state_) {
      if (auto r = sync_directory(dir_); !r.ok()) return failed(r.error());
    }
  }
  // Our references go now, on this thread: when the owner deleted a segment meanwhile, its
  // descriptor closes here.
  segments_.clear();
  state_file_.reset();
  synced_ = true;
  return {};
}

JournalResult<std::optional<PendingFlush>> Journal::begin_flush() {
  // With flushes in flight, this one follows the last begun: it compares with what that one
  // will have made durable, and its slot takes the next sequence (their syncs run in order).
  const bool behind = flushes_in_flight_ > 0;
  const LogIndex base_index = behind ? begun_.flushed_to : flushed_index_;
  const HardState base_state = behind ? begun_.hard_state : hard_state_;
  const std::uint64_t base_sequence = behind ? begun_.sequence : state_sequence_;
  PendingFlush flush;
  flush.durability_ = options_.durability;
  flush.dir_ = dir_;
  for (auto& [first, segment] : segments_) {
    if (!segment.dirty) continue;
    flush.segments_.push_back(segment.file);
    segment.dirty = false;
  }
  flush.sync_dir_ = new_files_;
  new_files_ = false;
  flush.flushed_to_ = last_index();
  flush.hard_state_ = pending_hard_state_;
  const bool state_changes = base_index != flush.flushed_to_ || base_state != pending_hard_state_;
  if (state_changes) {
    if (auto r = open_state_file(); !r.ok()) return unexpected(r.error());
    flush.state_file_ = state_file_;
    // Alternate slots: a torn write can only damage the slot being written, never the last good
    // one. Term and vote must be durable before a vote or acknowledgement leaves; a raised marker
    // or commit index alone may reach the disk late (see the file comment).
    flush.sequence_ = base_sequence + 1;
    flush.state_offset_ = (flush.sequence_ % 2) * kStateSlotBytes;
    flush.state_slot_ =
        encode_state_slot(StateSlot{flush.sequence_, pending_hard_state_, flush.flushed_to_});
    flush.sync_state_ = base_state.term != pending_hard_state_.term
                        || base_state.vote != pending_hard_state_.vote || base_sequence == 0;
    flush.sync_dir_after_state_ = base_sequence == 0;
  } else if (flush.segments_.empty() && !flush.sync_dir_) {
    return std::optional<PendingFlush>();
  }
  flush.serial_ = ++begun_.serial;
  begun_.flushed_to = flush.flushed_to_;
  begun_.hard_state = flush.hard_state_;
  begun_.sequence = flush.state_slot_.empty() ? base_sequence : flush.sequence_;
  ++flushes_in_flight_;
  return std::optional<PendingFlush>(std::move(flush));
}

JournalResult<void> Journal::finish_flush(PendingFlush&& flush) {
  TERN_CHECK(flushes_in_flight_ > 0, "finish_flush() without a flush in flight");
  TERN_CHECK(flush.serial_ == finished_serial_ + 1, "journal flushes finished out of order");
  --flushes_in_flight_;
  finished_serial_ = flush.serial_;
  if (flush.failure_) {
    // Whatever the failed flush covered is not known durable: the next flush syncs it all again.
    for (auto& [first, segment] : segments_)
      segment.dirty = true;
    new_files_ = true;
    return unexpected(io_error(*flush.failure_));
  }
  TERN_CHECK(flush.synced_, "finish_flush() before the pending flush was synced");
  if (!flush.state_slot_.empty()) state_sequence_ = flush.sequence_;
  flushed_index_ = flush.flushed_to_;
  hard_state_ = flush.hard_state_;
  return {};
}

JournalResult<void> Journal::flush() {
  TERN_CHECK(flushes_in_flight_ == 0, "a blocking journal flush while flushes are in flight");
  auto pending = begin_flush();
  if (!pending.ok()) return unexpected(pending.error());
  if (!*pending) return {};
  (void)(*pending)->sync();  // a failure is recorded in the flush and reported by finish_flush()
  return finish_flush(std::move(**pending));
}

}  // namespace tern::raft::journal
