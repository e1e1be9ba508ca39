// RaftLogStream's committed side: entries handed over by the replica are checked (framing,
// metadata, positions derived from the entry index), buffered encoded, and a read decodes only
// the values its ValueSelection asks for.

#include "broker/partition/raft_log_stream.h"

#include <gtest/gtest.h>

#include "engine/records/record_codec.h"

namespace tern::broker {
namespace {

using engine::Intent;
using engine::Json;
using engine::Position;
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

  auto all = stream.read_committed(Position(0), 100, ValueSelection::all());
  ASSERT_EQ(all.size(), 6u);
  for (const auto& logged : all) {
    ASSERT_TRUE(logged.has_value);
    auto offset = logged.record.position.value() % kPositionsPerEntry;
    EXPECT_EQ(logged.record.value,
              (Json{{"index", logged.record.key.value()}, {"offset", offset}}));
  }

  // A leader that processed the command of entry 5 and applied its events: only entry 6's
  // command value is wanted; a follower (kNone for commands) wants every event after entry 5.
  auto leader = stream.read_committed(position_in(5, 1), 100,
                                      ValueSelection{position_in(5, 0), position_in(6, 2)});
  ASSERT_EQ(leader.size(), 5u);
  for (const auto& logged : leader) {
    bool wanted = logged.record.position == position_in(6, 0);
    EXPECT_EQ(logged.has_value, wanted) << logged.record.position;
    EXPECT_EQ(logged.record.value.is_null(), !wanted) << logged.record.position;
    EXPECT_EQ(logged.record.partition_id, PartitionId(1));
  }
  auto follower = stream.read_committed(Position(0), 4,
                                        ValueSelection{ValueSelection::kNone, position_in(5, 2)});
  ASSERT_EQ(follower.size(), 4u);
  EXPECT_FALSE(follower[0].has_value);  // command
  EXPECT_FALSE(follower[1].has_value);  // applied
  EXPECT_FALSE(follower[2].has_value);  // applied
  EXPECT_FALSE(follower[3].has_value);  // command of entry 6
  EXPECT_EQ(follower[3].record.intent, Intent::kComplete);

  stream.clear_consumed(position_in(5, 2));
  EXPECT_EQ(stream.buffered(), 3u);
  EXPECT_EQ(stream.read_committed(Position(0), 100, ValueSelection::all()).front().record.position,
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
  EXPECT_EQ(stream.read_committed(Position(0), 100, ValueSelection::all()).size(), 3u);

  // Each damaged form is refused: truncated, the never-used type byte, trailing bytes.
  for (std::string damaged :
       {std::string("\x92\x01"), std::string("\xc1"), std::string("\xc0\xc0")}) {
    batch[1].packed_value = damaged;
    corrupt.data = engine::encode_batch(batch);
    EXPECT_FALSE(stream.add_committed(corrupt, error)) << damaged.size();
  }
}

}  // namespace
}  // namespace tern::broker
