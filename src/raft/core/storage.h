#pragma once

// LogStorage: the durable part of a replica's log as the core sees it. The driver implements it
// (the journal in production, MemoryStorage in tests) and changes it only while handling a Ready;
// the core only reads it. Everything not yet persisted lives in the core's unstable tail.

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "raft/core/messages.h"
#include "raft/core/types.h"

namespace tern::raft {

enum class StorageErrorCode {
  kCompacted,    // the entries or term asked for lie below the snapshot
  kUnavailable,  // beyond the last index
  kIo,           // the medium failed
  kCorrupt,      // stored data failed its checksum
};

struct StorageError {
  StorageErrorCode code = StorageErrorCode::kIo;
  std::string message;
};

template <typename T>
using StorageResult = Result<T, StorageError>;

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual HardState hard_state() const = 0;
  // The latest snapshot's metadata; index 0 when none (its configuration is then the bootstrap
  // one).
  virtual SnapshotMeta snapshot_meta() const = 0;
  // first_index() == snapshot index + 1; last_index() == snapshot index when no entries follow.
  virtual LogIndex first_index() const = 0;
  virtual LogIndex last_index() const = 0;
  // Term of entry `index`, for first_index() - 1 <= index <= last_index().
  virtual StorageResult<Term> term(LogIndex index) const = 0;
  // Entries [low, high), at least one if any, at most `max_bytes` otherwise.
  virtual StorageResult<std::vector<Entry>> entries(LogIndex low, LogIndex high,
                                                    std::size_t max_bytes) const = 0;
  virtual StorageResult<Snapshot> snapshot() const = 0;
};

// An in-memory LogStorage: what tests and the simulator persist to. "Durable" here means "handed
// over by the driver"; a simulated crash discards whatever the driver had not handed over yet.
class MemoryStorage final : public LogStorage {
 public:
  // A fresh replica of a new group starts from `configuration` at index 0.
  void bootstrap(const Configuration& configuration);

  HardState hard_state() const override { return hard_state_; }
  SnapshotMeta snapshot_meta() const override { return snapshot_.meta; }
  LogIndex first_index() const override { return snapshot_.meta.index.next(); }
  LogIndex last_index() const override;
  StorageResult<Term> term(LogIndex index) const override;
  StorageResult<std::vector<Entry>> entries(LogIndex low, LogIndex high,
                                            std::size_t max_bytes) const override;
  StorageResult<Snapshot> snapshot() const override { return snapshot_; }

  // Driver side (Ready handling). append() replaces every stored entry at or after the first
  // appended index.
  void set_hard_state(const HardState& state) { hard_state_ = state; }
  void append(const std::vector<Entry>& entries);
  void apply_snapshot(Snapshot snapshot);  // replaces the whole log
  // Records a snapshot of the state machine at `index` (<= last_index) and drops entries up to it.
  void create_snapshot(LogIndex index, const Configuration& configuration, std::string data);

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> entries_;  // entries_[0].index == snapshot_.meta.index + 1
};

}  // namespace tern::raft
