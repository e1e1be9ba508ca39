#pragma once

// RaftLogStream: the engine's LogStream backed by a partition's Raft log.
//
// append() proposes one Raft entry holding the encoded batch. Positions are derived from the
// entry's Raft index, `index * kPositionsPerEntry + offset`, so every replica computes the same
// positions from the log alone (no counter to persist or recover) and positions only grow, as the
// engine requires. Positions inside one batch are consecutive; between batches they jump.
//
// Committed records are handed over by the replica (add_committed) as entries are applied and
// held only until the engine has consumed them (clear_consumed), so memory stays bounded by what
// one Ready commits. They are held encoded, their metadata decoded: a record's value is decoded
// only when a read selects it (a leader never decodes the events it wrote itself).
//
// Thread: the partition's strand, like the engine that calls it.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/log/log_stream.h"
#include "engine/records/record.h"
#include "raft/core/raft_node.h"

namespace tern::broker {

inline constexpr std::int64_t kPositionsPerEntry = 1 << 16;

// The Raft index holding the record at `position`.
inline raft::LogIndex index_of_position(engine::Position position) {
  return raft::LogIndex(static_cast<std::uint64_t>(position.value() / kPositionsPerEntry));
}

class RaftLogStream final : public engine::LogStream {
 public:
  // `node` may be swapped (set_node) when the replica re-opens its Raft state.
  explicit RaftLogStream(PartitionId partition) : partition_(partition) {}

  void set_node(raft::RaftNode* node) { node_ = node; }

  Result<engine::Position, engine::LogError> append(std::vector<engine::Record>& batch) override;
  std::vector<engine::LoggedRecord> read_committed(engine::Position from, std::size_t max_records,
                                                   engine::ValueSelection values) const override;
  engine::Position committed_position() const override { return committed_; }

  // A committed kNormal entry, in log order. Returns false (and logs nothing; the caller
  // reports, failing the partition) when the entry does not hold a batch of records whose
  // framing and metadata decode and whose values are well-formed MessagePack — a corrupt log;
  // `error` then names the entry and, for a bad value, the record's position.
  bool add_committed(const raft::Entry& entry, std::string& error);
  // Drops records the engine has read (everything up to `consumed`).
  void clear_consumed(engine::Position consumed);
  // Forgets everything (the engine is rebuilt from a snapshot at `committed`).
  void reset(engine::Position committed);

  std::size_t buffered() const { return committed_records_.size(); }

 private:
  PartitionId partition_;
  raft::RaftNode* node_ = nullptr;
  struct BufferedRecord {
    engine::Record metadata{engine::Record::kValueToFill};  // every field but the value (null)
    std::shared_ptr<const std::string> entry;  // the entry's bytes, shared by its records
    std::string_view value;                    // the value's MessagePack bytes, inside *entry
  };

  std::deque<BufferedRecord> committed_records_;  // committed, not yet consumed, ascending
  engine::Position committed_{0};
};

}  // namespace tern::broker
