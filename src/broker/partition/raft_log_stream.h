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
// Own records: what this replica appends as leader is buffered at once, behind the committed
// records, so that the leader's engine acts on it before it commits (ReadScope::kCommittedAndOwn)
// and its follow-ups join the same Raft round. They are readable only while this replica leads
// in the term it appended them, and only once every entry before the first of them is committed
// (a new leader may hold earlier leaders' entries it has not committed yet; its own come after
// them in the log and must not be acted on first). When one of them commits (same index, same
// term) it simply becomes committed. A different entry committed at an index this replica wrote
// means a newer leader truncated them: they are dropped, and own_truncated() tells the replica
// that its engine may have acted on records that never happened (it must rebuild its state).
//
// Thread: the partition's strand, like the engine that calls it.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  std::vector<engine::LoggedRecord> read(engine::Position from, std::size_t max_records,
                                         engine::ValueSelection values,
                                         engine::ReadScope scope) const override;
  engine::Position committed_position() const override { return committed_; }

  // A committed entry, in log order (entries of other types only move the committed index).
  // Returns false (and logs nothing; the caller reports, failing the partition) when a kNormal
  // entry does not hold a batch of records whose framing and metadata decode and whose values
  // are well-formed MessagePack — a corrupt log; `error` then names the entry and, for a bad
  // value, the record's position.
  bool add_committed(const raft::Entry& entry, std::string& error);
  // Drops committed records the engine has read (everything up to `consumed`).
  void clear_consumed(engine::Position consumed);
  // Forgets everything (the engine is rebuilt from a snapshot at `committed`).
  void reset(engine::Position committed);
  // The replica stopped leading: own records not committed yet are forgotten (those that commit
  // come back through add_committed like anyone else's).
  void forget_own();
  // True once own records were dropped because a different entry committed at their index; the
  // call clears it.
  bool take_own_truncated() { return std::exchange(own_truncated_, false); }

  // Records held: committed ones not consumed yet, and own ones.
  std::size_t buffered() const { return records_.size(); }
  // The last position a read of `scope` may return.
  engine::Position readable_position(engine::ReadScope scope) const;

 private:
  struct BufferedRecord {
    engine::Record metadata{engine::Record::kValueToFill};  // every field but the value (null)
    std::shared_ptr<const std::string> entry;  // the entry's bytes, shared by its records
    std::string_view value;                    // the value's MessagePack bytes, inside *entry
  };
  struct OwnEntry {
    raft::LogIndex index;
    engine::Position last;  // its last record
  };

  // Decodes the batch in `data` (entry `index`) into `out`; false with `error` as add_committed.
  bool parse(raft::LogIndex index, const std::shared_ptr<const std::string>& data,
             std::vector<BufferedRecord>& out, std::string& error) const;
  void drop_own();

  PartitionId partition_;
  raft::RaftNode* node_ = nullptr;
  // Committed records not consumed yet, then own records not committed yet; ascending.
  std::deque<BufferedRecord> records_;
  engine::Position committed_{0};
  raft::LogIndex committed_index_{0};  // the last entry handed over, of any type
  // Own entries not committed yet, ascending; all of term own_term_, from own_first_ on.
  std::deque<OwnEntry> own_;
  raft::Term own_term_{0};
  std::optional<raft::LogIndex> own_first_;  // the first entry this replica appended in own_term_
  bool own_truncated_ = false;
};

}  // namespace tern::broker
