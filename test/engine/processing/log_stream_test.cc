// The in-memory log: a read hands back every record's metadata and decodes only the values its
// ValueSelection asks for (commands and other records each after their own position).

#include <gtest/gtest.h>

#include "engine/log/in_memory_log_stream.h"

namespace tern::engine {
namespace {

Record make(RecordType type, Intent intent, std::int64_t n) {
  Record record;
  record.record_type = type;
  record.value_type = ValueType::kJob;
  record.intent = intent;
  record.key = Key(100 + n);
  record.source_position = Position(n - 1);
  record.request = RequestRef{1, n};
  record.value = Json{{"n", n}, {"type", "work"}};
  return record;
}

// Positions 1..6: command, event, event, command, rejection, event.
InMemoryLogStream six_records() {
  InMemoryLogStream log;
  std::vector<Record> batch{make(RecordType::kCommand, Intent::kComplete, 1),
                            make(RecordType::kEvent, Intent::kCompleted, 2),
                            make(RecordType::kEvent, Intent::kCompleted, 3),
                            make(RecordType::kCommand, Intent::kComplete, 4),
                            make(RecordType::kCommandRejection, Intent::kComplete, 5),
                            make(RecordType::kEvent, Intent::kCompleted, 6)};
  EXPECT_TRUE(log.append(batch).ok());
  return log;
}

TEST(InMemoryLogStreamTest, ReadsAllValuesWhenAllAreSelected) {
  auto log = six_records();
  auto read = log.read(Position(1), 10, ValueSelection::all(), ReadScope::kCommitted);
  ASSERT_EQ(read.size(), 6u);
  auto expected = log.all();
  for (std::size_t i = 0; i < read.size(); ++i) {
    EXPECT_TRUE(read[i].has_value);
    EXPECT_EQ(read[i].record, expected[i]) << i;
  }
}

TEST(InMemoryLogStreamTest, DecodesOnlySelectedValuesButAlwaysTheMetadata) {
  auto log = six_records();
  // Commands after 1 (so 4), other records after 3 (so 5 and 6).
  auto read =
      log.read(Position(1), 10, ValueSelection{Position(1), Position(3)}, ReadScope::kCommitted);
  ASSERT_EQ(read.size(), 6u);
  auto expected = log.all();
  for (std::size_t i = 0; i < read.size(); ++i) {
    const auto& logged = read[i];
    bool selected = i == 3 || i == 4 || i == 5;
    EXPECT_EQ(logged.has_value, selected) << i;
    if (selected) {
      EXPECT_EQ(logged.record, expected[i]) << i;
      continue;
    }
    EXPECT_TRUE(logged.record.value.is_null()) << i;
    Record metadata = expected[i];
    metadata.value = Json();
    EXPECT_EQ(logged.record, metadata) << i;
  }
}

TEST(InMemoryLogStreamTest, NoCommandValuesForAFollower) {
  auto log = six_records();
  auto read = log.read(Position(2), 3, ValueSelection{ValueSelection::kNone, Position(0)},
                       ReadScope::kCommitted);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].record.position, Position(2));
  EXPECT_TRUE(read[0].has_value);
  EXPECT_TRUE(read[1].has_value);
  EXPECT_FALSE(read[2].has_value);  // the command at 4
  EXPECT_EQ(read[2].record.key, Key(104));
  EXPECT_EQ(read[2].record.intent, Intent::kComplete);
}

TEST(InMemoryLogStreamTest, CompactionKeepsPositionsOfTheRecordsAfterIt) {
  auto log = six_records();
  auto before = log.all();
  log.compact_before(Position(4));
  EXPECT_EQ(log.first_position(), Position(4));
  EXPECT_EQ(log.last_position(), Position(6));
  auto read = log.read(Position(4), 10, ValueSelection::all(), ReadScope::kCommitted);
  ASSERT_EQ(read.size(), 3u);
  for (std::size_t i = 0; i < read.size(); ++i)
    EXPECT_EQ(read[i].record, before[i + 3]) << i;

  // Appending after a compaction continues the positions; truncation counts from them too.
  std::vector<Record> batch{make(RecordType::kCommand, Intent::kComplete, 7),
                            make(RecordType::kEvent, Intent::kCompleted, 8)};
  auto first = log.append(batch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), Position(7));
  EXPECT_EQ(log.last_position(), Position(8));
  log.compact_before(Position(9));  // everything: the log is empty but keeps counting
  EXPECT_EQ(log.last_position(), Position(8));
  EXPECT_TRUE(log.read(Position(9), 10, ValueSelection::all(), ReadScope::kCommitted).empty());
}

TEST(InMemoryLogStreamTest, TruncationAfterACompactionDropsOnlyTheTail) {
  InMemoryLogStream log(CommitMode::kManual);
  std::vector<Record> batch{make(RecordType::kCommand, Intent::kComplete, 1),
                            make(RecordType::kEvent, Intent::kCompleted, 2),
                            make(RecordType::kEvent, Intent::kCompleted, 3)};
  ASSERT_TRUE(log.append(batch).ok());
  log.commit(Position(2));
  log.compact_before(Position(2));
  log.truncate_after(Position(2));
  EXPECT_EQ(log.last_position(), Position(2));
  auto held = log.all();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].position, Position(2));
}

std::vector<std::int64_t> positions(const std::vector<LoggedRecord>& read) {
  std::vector<std::int64_t> out;
  for (const auto& logged : read)
    out.push_back(logged.record.position.value());
  return out;
}

// The positions `scope` lets a reader see from the start of the log (up to 10).
std::vector<std::int64_t> readable(InMemoryLogStream& log, ReadScope scope) {
  return positions(log.read(Position(1), 10, ValueSelection::all(), scope));
}

// A leader reads what it appended before it commits; a follower reads committed records only.
TEST(InMemoryLogStreamTest, OwnRecordsAreReadableBeforeTheyCommit) {
  InMemoryLogStream log(CommitMode::kManual);
  std::vector<Record> batch{make(RecordType::kCommand, Intent::kComplete, 1),
                            make(RecordType::kEvent, Intent::kCompleted, 2)};
  ASSERT_TRUE(log.append(batch).ok());
  log.commit(Position(1));
  EXPECT_EQ(readable(log, ReadScope::kCommitted), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(readable(log, ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{1, 2}));
}

// A new leader holds records of an earlier one that are not committed yet: its own records come
// after them and are readable only once everything before them is committed.
TEST(InMemoryLogStreamTest, OwnRecordsWaitForEarlierLeadersRecordsToCommit) {
  InMemoryLogStream log(CommitMode::kManual);
  std::vector<Record> earlier{make(RecordType::kCommand, Intent::kComplete, 1),
                              make(RecordType::kEvent, Intent::kCompleted, 2)};
  ASSERT_TRUE(log.append(earlier).ok());
  log.commit(Position(1));
  log.start_term();
  std::vector<Record> own{make(RecordType::kCommand, Intent::kComplete, 3)};
  ASSERT_TRUE(log.append(own).ok());
  EXPECT_EQ(readable(log, ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{1}));
  log.commit(Position(2));
  EXPECT_EQ(readable(log, ReadScope::kCommittedAndOwn), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(readable(log, ReadScope::kCommitted), (std::vector<std::int64_t>{1, 2}));
}

TEST(InMemoryLogStreamDeathTest, CompactingUncommittedRecordsIsAProgrammingError) {
  InMemoryLogStream log(CommitMode::kManual);
  std::vector<Record> batch{make(RecordType::kCommand, Intent::kComplete, 1)};
  ASSERT_TRUE(log.append(batch).ok());
  EXPECT_DEATH(log.compact_before(Position(2)), "only committed records are compacted");
}

}  // namespace
}  // namespace tern::engine
