#pragma once

// Journal: the durable, segmented log of one Raft replica, and the LogStorage the core reads.
//
// On disk, in the replica's folder:
//   segment-<first index>.log  append-only; a 16-byte header, then records framed as
//                              [u32 payload length][u32 crc32c(payload)][payload], where the
//                              payload is [u64 term][u64 index][u8 type][data].
//   state                      two alternating 4 KiB slots, each {sequence, term, vote, commit,
//                              flushed index, crc}: the hard state and the "flushed up to" marker.
//   snapshot                   the latest snapshot (metadata, configuration, data, crc), replaced
//                              atomically.
//
// Writes: append() writes records at once (visible to reads) but they are durable only after
// flush(), which syncs every touched segment once and then advances the flushed marker — one
// flush for any number of appends (group commit). At start-up, a record that fails its frame or
// checksum after the flushed marker is a torn tail: the log is cut there and continues. Anything
// wrong at or below the marker is corruption: open() fails naming the segment, offset and index,
// and the replica must not be served from this folder.
//
// A flush syncs the state file only when term or vote changed (they must be durable before a
// vote or acknowledgement leaves). A flush that only raises the flushed marker or the commit
// index writes the slot without syncing it: that costs one sync instead of two per flush, and a
// slot that reaches the disk late merely leaves the marker at an older, still valid value (the
// segments it covers were synced before it was written; Raft's commit index is volatile state).
// Lowering the marker (truncation, snapshot installation) is always synced.
//
// A flush comes in three steps so that its owner need not wait for the disk: begin_flush() (on
// the owner's thread) hands the written range over as a PendingFlush, which shares the files'
// descriptors and never touches the journal; PendingFlush::sync() does the blocking part on any
// thread (segments, directory, then the state slot); finish_flush() (back on the owner's thread)
// raises the flushed index and the durable hard state. Truncation and snapshot installation wait
// until no flush is in flight (checked: they abort otherwise), so the slot a flush writes is never
// overtaken; snapshots and compaction may run meanwhile (a deleted
// segment's descriptor stays open while a flush holds it). flush() runs the three steps in a row.
// Several flushes may be in flight (pipelined syncs; see begin_flush()).
//
// Owned by one thread (the partition's strand); not thread-safe, except that a PendingFlush may be
// synced on another thread.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "raft/core/storage.h"
#include "raft/journal/file.h"

namespace tern::raft::journal {

enum class JournalErrorCode { kIo, kCorrupt, kInvalidArgument };

struct JournalError {
  JournalErrorCode code = JournalErrorCode::kIo;
  std::string message;
};

template <typename T>
using JournalResult = Result<T, JournalError>;

struct JournalOptions {
  std::uint64_t segment_size_bytes = 64ull << 20;  // a segment rolls over past this size
  std::uint32_t index_interval = 32;               // one sparse index point per this many entries
  Durability durability = Durability::kSync;       // kSkip only in tests and simulations
  std::size_t tail_cache_bytes = 4 << 20;          // newest entries kept in memory for reads
};

// The blocking part of one group commit, detached from its journal (see the file comment).
class PendingFlush {
 public:
  PendingFlush(PendingFlush&&) noexcept = default;
  PendingFlush& operator=(PendingFlush&&) noexcept = default;

  // Whether sync() waits for the device (with Durability::kSync); when not, it only writes the
  // state slot and may as well run on the owner's thread.
  bool blocking() const;
  // Syncs the touched segments and the directory, then writes the state slot (synced when term or
  // vote changed). Any thread; at most once.
  JournalResult<void> sync();
  // The index that is durable once this flush finishes.
  LogIndex flushed_to() const { return flushed_to_; }

 private:
  friend class Journal;
  PendingFlush() = default;

  Durability durability_ = Durability::kSync;
  // The touched segments and the state file, shared with the journal rather than duplicated (no
  // dup/close per flush); a segment the owner deletes meanwhile stays open until this lets go.
  std::vector<std::shared_ptr<File>> segments_;
  std::filesystem::path dir_;
  bool sync_dir_ = false;             // a segment was created or removed: its directory entry
  std::shared_ptr<File> state_file_;  // null when no slot is written
  std::uint64_t state_offset_ = 0;
  std::string state_slot_;             // encoded; empty when the state stays as it is
  bool sync_state_ = false;            // term or vote changed (or the first slot ever)
  bool sync_dir_after_state_ = false;  // the state file was just created
  LogIndex flushed_to_;
  HardState hard_state_;
  std::uint64_t sequence_ = 0;          // the slot's sequence when one is written
  std::uint64_t serial_ = 0;            // begin order: flushes finish in it
  std::optional<std::string> failure_;  // set by a failed sync()
  bool synced_ = false;
};

class Journal final : public LogStorage {
 public:
  // Opens (or creates) the journal in `dir`, recovering as described above.
  static JournalResult<std::unique_ptr<Journal>> open(const std::filesystem::path& dir,
                                                      JournalOptions options = {});
  ~Journal() override;

  // --- LogStorage ---
  HardState hard_state() const override { return hard_state_; }
  SnapshotMeta snapshot_meta() const override { return snapshot_meta_; }
  LogIndex first_index() const override { return snapshot_meta_.index.next(); }
  LogIndex last_index() const override;
  StorageResult<Term> term(LogIndex index) const override;
  StorageResult<std::vector<Entry>> entries(LogIndex low, LogIndex high,
                                            std::size_t max_bytes) const override;
  StorageResult<Snapshot> snapshot() const override;

  // --- writes ---
  // Records the configuration of a brand-new group (index 0). Durable on return.
  JournalResult<void> bootstrap(const Configuration& configuration);
  // Appends entries; any stored entry at or after the first one's index is replaced.
  JournalResult<void> append(const std::vector<Entry>& entries);
  // Takes effect (durably) at the next flush().
  void set_hard_state(const HardState& state) { pending_hard_state_ = state; }
  // Group commit: makes every append and the hard state durable with one sync per touched file.
  JournalResult<void> flush();
  // flush() in three steps (see the file comment). begin_flush() gives nothing when everything is
  // durable already (or will be, once the flushes in flight end); otherwise the journal has one
  // more flush in flight until finish_flush(), which fails (and leaves the flushed index as it
  // was) when the sync failed. Several may be in flight: their syncs must run in begin order (one
  // writer thread per journal) and finish_flush() takes them in that order. Appends that extend
  // the log may go on meanwhile; a truncating append, a snapshot install, a state write and
  // flush() need none in flight.
  JournalResult<std::optional<PendingFlush>> begin_flush();
  JournalResult<void> finish_flush(PendingFlush&& flush);
  bool flush_in_flight() const { return flushes_in_flight_ > 0; }
  int flushes_in_flight() const { return flushes_in_flight_; }
  // Replaces the whole log with a received snapshot. Durable on return.
  JournalResult<void> install_snapshot(const Snapshot& snapshot);
  // Records the state machine's snapshot at `index` (<= last flushed index) and compacts below it.
  JournalResult<void> create_snapshot(LogIndex index, const Configuration& configuration,
                                      std::string data);
  // Deletes whole segments whose entries all lie at or below min(index, snapshot index).
  JournalResult<void> compact(LogIndex index);

  LogIndex flushed_index() const { return flushed_index_; }
  std::size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    LogIndex first;
    LogIndex last;               // first - 1 when empty
    std::shared_ptr<File> file;  // shared with flushes in flight
    std::uint64_t size = 0;
    std::vector<std::pair<LogIndex, std::uint64_t>> sparse;  // (index, offset) every N entries
    bool dirty = false;
  };

  explicit Journal(std::filesystem::path dir, JournalOptions options);
  JournalResult<void> recover();
  JournalResult<void> load_state();
  JournalResult<void> load_snapshot();
  JournalResult<void> scan_segments();
  // kLazy: written but not synced. Only for a flush that raises the flushed marker or the commit
  // index and leaves term and vote alone (see the file comment).
  enum class StateSync { kSync, kLazy };
  JournalResult<void> write_state(StateSync sync = StateSync::kSync);
  JournalResult<void> open_state_file();
  JournalResult<void> open_segment(LogIndex first);
  JournalResult<void> truncate_from(LogIndex index);
  JournalResult<void> remove_all_segments();
  JournalResult<void> sync_file(File& file);
  JournalResult<void> sync_dir();
  std::uint64_t offset_of(const Segment& segment, LogIndex index) const;
  const Segment* segment_for(LogIndex index) const;

  std::filesystem::path dir_;
  JournalOptions options_;
  std::map<LogIndex, Segment> segments_;  // by first index
  std::vector<Term> terms_;               // term of every stored entry from terms_base_
  std::deque<Entry> cache_;               // the newest entries, contiguous up to last_index()
  std::size_t cache_bytes_ = 0;
  LogIndex terms_base_{1};
  SnapshotMeta snapshot_meta_;
  std::string snapshot_data_;     // kept in memory: the core streams it in chunks
  HardState hard_state_;          // durable
  HardState pending_hard_state_;  // written at the next flush
  LogIndex flushed_index_;
  std::uint64_t state_sequence_ = 0;
  std::shared_ptr<File> state_file_;  // opened at the first state write
  bool new_files_ = false;            // a segment was created since the last directory sync
  int flushes_in_flight_ = 0;         // begun and not finished
  // What the last begun flush makes durable (valid while flushes are in flight).
  struct Begun {
    LogIndex flushed_to;
    HardState hard_state;
    std::uint64_t sequence = 0;
    std::uint64_t serial = 0;
  } begun_;
  std::uint64_t finished_serial_ = 0;
};

}  // namespace tern::raft::journal
