// RaftLogStream's committed side: entries handed over by the replica are checked (framing,
// metadata, positions derived from the entry index), buffered encoded, and a read decodes only
// the values its ValueSelection asks for. Its own side: a leader reads what it appended before
// it commits, once everything before it is committed; a newer leader's entry at the same index
// drops them and says so.

#include "broker/partition/raft_log_stream.h"

#include <gtest/gtest.h>

#include <memory>

#include "engine/records/record_codec.h"
#include "raft/core/storage.h"

namespace tern::broker {
namespace {

using engine::Intent;
using engine::Json;
using engine::Position;
using engine::ReadScope;
using engine::Record;
using engine::RecordType;
using engine::ValueSelection;
using engine::ValueType;

Position position_in(std::uint64_t index, std::int64_t offset) {
  return Position(static_cast<std::int64_t>(index) * kPositionsPerEntry + offset);
}

// An entry at `index` holding a command and its two events, as a leader writes them.
raft::Entry entry_at(std::uint64_t index) {
  std::vector<Record> batch(3);
  for (std::int64_t i = 0; i < 3; ++i) {
    auto& record = batch[static_cast<std::size_t>(i)];
    record.position = position_in(index, i);
    record.record_type = i == 0 ? RecordType::kCommand : RecordType::kEvent;
    record.value_type = ValueType::kJob;
    record.intent = i == 0 ? Intent::kComplete : Intent::kCompleted;
    record.key = engine::Key(static_cast<std::int64_t>(index));
    record.partition_id = PartitionId(1);
    record.value = Json{{"index", index}, {"offset", i}};
  }
  return raft::Entry{raft::Term(1), raft::LogIndex(index), raft::EntryType::kNormal,
                     engine::encode_batch(batch)};
}

TEST(RaftLogStreamTest, ReadsMetadataOfEveryRecordAndOnlySelectedValues) {
  RaftLogStream stream(PartitionId(1));
  std::string error;
  ASSERT_TRUE(stream.add_committed(entry_at(5), error)) << error;
  ASSERT_TRUE(stream.add_committed(entry_at(6), error)) << error;
  EXPECT_EQ(stream.committed_position(), position_in(6, 2));

  auto all = stream.read(Position(0), 100, ValueSelection::all(), ReadScope::kCommitted);
  ASSERT_EQ(all.size(), 6u);
  for (const auto& logged : all) {
    ASSERT_TRUE(logged.has_value);
    auto offset = logged.record.position.value() % kPositionsPerEntry;
    EXPECT_EQ(logged.record.value,
              (Json{{"index", logged.record.key.value()}, {"offset", offset}}));
  }

  // A leader that processed the command of entry 5 and applied its events: only entry 6's
  // command value is wanted; a follower (kNone for commands) wants every event after entry 5.
  auto leader =
      stream.read(position_in(5, 1), 100, ValueSelection{position_in(5, 0), position_in(6, 2)},
                  ReadScope::kCommitted);
  ASSERT_EQ(leader.size(), 5u);
  for (const auto& logged : leader) {
    bool wanted = logged.record.position == position_in(6, 0);
    EXPECT_EQ(logged.has_value, wanted) << logged.record.position;
    EXPECT_EQ(logged.record.value.is_null(), !wanted) << logged.record.position;
    EXPECT_EQ(logged.record.partition_id, PartitionId(1));
  }
  auto follower =
      stream.read(Position(0), 4, ValueSelection{ValueSelection::kNone, position_in(5, 2)},
                  ReadScope::kCommitted);
  ASSERT_EQ(follower.size(), 4u);
  EXPECT_FALSE(follower[0].has_value);  // command
  EXPECT_FALSE(follower[1].has_value);  // applied
  EXPECT_FALSE(follower[2].has_value);  // applied
  EXPECT_FALSE(follower[3].has_value);  // command of entry 6
  EXPECT_EQ(follower[3].record.intent, Intent::kComplete);

  stream.clear_consumed(position_in(5, 2));
  EXPECT_EQ(stream.buffered(), 3u);
  EXPECT_EQ(stream.read(Position(0), 100, ValueSelection::all(), ReadScope::kCommitted)
                .front()
                .record.position,
            position_in(6, 0));
}

TEST(RaftLogStreamTest, RefusesEntriesThatDoNotHoldABatchAtTheirPositions) {
  RaftLogStream stream(PartitionId(1));
  std::string error;
  auto truncated = entry_at(3);
  truncated.data.resize(truncated.data.size() / 2);
  EXPECT_FALSE(stream.add_committed(truncated, error));
  EXPECT_NE(error.find("entry 3 does not hold a record batch"), std::string::npos) << error;

  auto misplaced = entry_at(3);
  misplaced.index = raft::LogIndex(4);
  EXPECT_FALSE(stream.add_committed(misplaced, error));
  EXPECT_NE(error.find("expected " + std::to_string(position_in(4, 0).value())), std::string::npos)
      << error;
  // Nothing of a refused entry is buffered.
  EXPECT_EQ(stream.buffered(), 0u);
  EXPECT_EQ(stream.committed_position(), Position(0));
}

TEST(RaftLogStreamTest, RefusesAnEntryWithAValueThatIsNotWellFormedWhenItIsCommitted) {
  RaftLogStream stream(PartitionId(1));
  std::string error;
  ASSERT_TRUE(stream.add_committed(entry_at(2), error)) << error;
  // The last record of entry 3 carries a map whose key is not a string: its framing and metadata
  // decode, only its value is wrong.
  std::vector<Record> batch(2);
  for (std::int64_t i = 0; i < 2; ++i) {
    auto& record = batch[static_cast<std::size_t>(i)];
    record.position = position_in(3, i);
    record.record_type = RecordType::kEvent;
    record.partition_id = PartitionId(1);
  }
  batch[1].value = Json();
  batch[1].packed_value = std::string("\x81\x01\x01", 3);
  raft::Entry corrupt{raft::Term(1), raft::LogIndex(3), raft::EntryType::kNormal,
                      engine::encode_batch(batch)};
  EXPECT_FALSE(stream.add_committed(corrupt, error));
  EXPECT_NE(error.find("position " + std::to_string(position_in(3, 1).value())), std::string::npos)
      << error;
  EXPECT_NE(error.find("not well-formed MessagePack"), std::string::npos) << error;
  // Nothing of the refused entry is buffered; what came before still reads.
  EXPECT_EQ(stream.buffered(), 3u);
  EXPECT_EQ(stream.committed_position(), position_in(2, 2));
  EXPECT_EQ(stream.read(Position(0), 100, ValueSelection::all(), ReadScope::kCommitted).size(), 3u);

  // Each damaged form is refused: truncated, the never-used type byte, trailing bytes.
  for (std::string damaged :
       {std::string("\x92\x01"), std::string("\xc1"), std::string("\xc0\xc0")}) {
    batch[1].packed_value = damaged;
    corrupt.data = engine::encode_batch(batch);
    EXPECT_FALSE(stream.add_committed(corrupt, error)) << damaged.size();
  }
}

// A batch of `count` records as the engine hands it to append (positions are the log's to set).
std::vector<Record> batch_of(std::int64_t count, std::int64_t tag) {
  std::vector<Record> batch(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    auto& record = batch[static_cast<std::size_t>(i)];
    record.record_type = i == 0 ? RecordType::kCommand : RecordType::kEvent;
    record.value_type = ValueType::kJob;
    record.intent = i == 0 ? Intent::kComplete : Intent::kCompleted;
    record.value = Json{{"tag", tag}, {"offset", i}};
  }
  return batch;
}

// Node 1 of {1, 2, 3}, leading, with its log stream: Readies are persisted to memory at once and
// committed entries handed to the stream, as the replica does.
struct LeaderWithStream {
  LeaderWithStream() {
    raft::Configuration config;
    for (int id : {1, 2, 3})
      config.voters.emplace_back(id);
    storage.bootstrap(config);
    raft::RaftOptions options;
    options.id = NodeId(1);
    node = std::make_unique<raft::RaftNode>(options, storage);
    stream.set_node(node.get());
    for (int i = 0; i < 40 && node->role() == raft::Role::kFollower; ++i)
      node->tick();
    write();
    node->step(from(2, raft::MessageType::kPreVoteResponse, node->term().next()));
    write();
    node->step(from(2, raft::MessageType::kVoteResponse, node->term()));
    write();
    EXPECT_EQ(node->role(), raft::Role::kLeader);
  }

  void write() {
    while (node->has_ready()) {
      raft::Ready ready = node->ready();
      storage.append(ready.entries);
      if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
      feed(ready.committed_entries);
      node->advance();
    }
    feed(node->take_committed());
  }
  void feed(const std::vector<raft::Entry>& entries) {
    for (const auto& entry : entries) {
      std::string error;
      EXPECT_TRUE(stream.add_committed(entry, error)) << error;
    }
  }
  raft::Message from(int peer, raft::MessageType type, raft::Term term) const {
    raft::Message m;
    m.type = type;
    m.from = NodeId(peer);
    m.to = NodeId(1);
    m.term = term;
    return m;
  }
  // Peer 2 holds the log up to `index`: with the leader, a quorum.
  void ack(raft::LogIndex index) {
    raft::Message m = from(2, raft::MessageType::kAppendResponse, node->term());
    m.index = index;
    node->step(m);
    write();
  }
  std::vector<std::int64_t> tags(ReadScope scope) const {
    std::vector<std::int64_t> out;
    for (const auto& logged : stream.read(Position(0), 100, ValueSelection::all(), scope)) {
      EXPECT_TRUE(logged.has_value);
      out.push_back(logged.record.value["tag"].get<std::int64_t>());
    }
    return out;
  }

  raft::MemoryStorage storage;
  std::unique_ptr<raft::RaftNode> node;
  RaftLogStream stream{PartitionId(1)};
};

TEST(RaftLogStreamTest, ALeaderReadsItsOwnRecordsBeforeTheyCommit) {
  LeaderWithStream l;
  l.ack(l.node->log().last_index());  // the term's first entry commits
  auto batch = batch_of(2, 7);
  auto first = l.stream.append(batch);
  ASSERT_TRUE(first.ok());
  raft::LogIndex index = l.node->log().last_index();
  EXPECT_EQ(*first, position_in(index.value(), 0));
  EXPECT_EQ(batch[1].position, position_in(index.value(), 1));

  EXPECT_TRUE(l.tags(ReadScope::kCommitted).empty());
  EXPECT_EQ(l.tags(ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{7, 7}));
  EXPECT_EQ(l.stream.committed_position(), Position(0));

  l.write();
  l.ack(index);  // commits: the buffered records become committed, not buffered twice
  EXPECT_EQ(l.stream.committed_position(), position_in(index.value(), 1));
  EXPECT_EQ(l.stream.buffered(), 2u);
  EXPECT_EQ(l.tags(ReadScope::kCommitted), (std::vector<std::int64_t>{7, 7}));
  EXPECT_FALSE(l.stream.take_own_truncated());
}

// A new leader's own records come after its term's first entry (and anything earlier leaders
// left uncommitted): they are readable only once all of that is committed.
TEST(RaftLogStreamTest, OwnRecordsWaitUntilEverythingBeforeThemIsCommitted) {
  LeaderWithStream l;
  raft::LogIndex term_start = l.node->log().last_index();
  auto batch = batch_of(1, 8);
  ASSERT_TRUE(l.stream.append(batch).ok());
  EXPECT_TRUE(l.tags(ReadScope::kCommittedAndOwn).empty());
  l.write();
  l.ack(term_start);
  EXPECT_EQ(l.tags(ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{8}));
  EXPECT_TRUE(l.tags(ReadScope::kCommitted).empty());
}

// Once this replica stops leading, its own records are not readable any more; forgetting them
// keeps what is committed.
TEST(RaftLogStreamTest, OwnRecordsAreReadOnlyWhileLeading) {
  LeaderWithStream l;
  l.ack(l.node->log().last_index());
  auto committed = batch_of(1, 1);
  ASSERT_TRUE(l.stream.append(committed).ok());
  l.write();
  l.ack(l.node->log().last_index());
  auto own = batch_of(1, 2);
  ASSERT_TRUE(l.stream.append(own).ok());
  EXPECT_EQ(l.tags(ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{1, 2}));
  // A newer term's heartbeat makes node 1 a follower.
  l.node->step(l.from(3, raft::MessageType::kHeartbeat, l.node->term().next()));
  l.write();
  ASSERT_EQ(l.node->role(), raft::Role::kFollower);
  EXPECT_EQ(l.tags(ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{1}));
  l.stream.forget_own();
  EXPECT_EQ(l.stream.buffered(), 1u);
  EXPECT_FALSE(l.stream.take_own_truncated());
}

// A newer leader committed a different entry at the index this replica had appended (and its
// engine may have acted on): the own records are dropped, the committed ones take their place,
// and the stream says so once.
TEST(RaftLogStreamTest, AnotherLeadersEntryAtAnOwnIndexDropsTheOwnRecords) {
  LeaderWithStream l;
  raft::LogIndex term_start = l.node->log().last_index();
  raft::Term old_term = l.node->term();
  l.ack(term_start);
  auto own = batch_of(2, 3);
  ASSERT_TRUE(l.stream.append(own).ok());
  l.write();
  EXPECT_EQ(l.tags(ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{3, 3}));

  raft::LogIndex index = l.node->log().last_index();
  std::vector<Record> theirs = batch_of(1, 4);
  theirs[0].position = position_in(index.value(), 0);
  theirs[0].partition_id = PartitionId(1);
  raft::Message append = l.from(2, raft::MessageType::kAppend, old_term.next());
  append.index = term_start;
  append.log_term = old_term;
  append.commit = index;
  append.entries.push_back(
      raft::Entry{old_term.next(), index, raft::EntryType::kNormal, engine::encode_batch(theirs)});
  l.node->step(append);
  l.write();
  ASSERT_EQ(l.node->role(), raft::Role::kFollower);
  EXPECT_EQ(l.stream.committed_position(), position_in(index.value(), 0));
  EXPECT_EQ(l.tags(ReadScope::kCommitted), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(l.stream.buffered(), 1u);
  EXPECT_TRUE(l.stream.take_own_truncated());
  EXPECT_FALSE(l.stream.take_own_truncated());
}

}  // namespace
}  // namespace tern::broker
