#include "raft/journal/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "journal_test_support.h"
#include "support/temp_dir.h"

namespace tern::raft::journal {
namespace {

namespace fs = std::filesystem;

using test_support::append_range;
using test_support::make_entry;
using test_support::open_ok;

std::vector<Entry> read_all(const Journal& journal) {
  auto entries = journal.entries(journal.first_index(), journal.last_index().next(), 1ull << 30);
  EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error().message);
  return entries.ok() ? *entries : std::vector<Entry>{};
}

fs::path only_segment(const fs::path& dir) {
  fs::path found;
  for (const auto& item : fs::directory_iterator(dir)) {
    if (item.path().filename().string().rfind("segment-", 0) == 0) found = item.path();
  }
  return found;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(Journal, AppendFlushReopenRoundTrip) {
  test::TempDir dir;
  {
    auto journal = open_ok(dir.path());
    ASSERT_TRUE(journal->bootstrap(Configuration{{NodeId(1), NodeId(2)}, {}, {}, {}, 0}).ok());
    for (std::uint64_t batch = 0; batch < 10; ++batch) {
      append_range(*journal, batch * 10 + 1, batch * 10 + 10, 1 + batch / 5);
    }
    journal->set_hard_state(HardState{Term(2), NodeId(2), LogIndex(42)});
    ASSERT_TRUE(journal->flush().ok());  // one group commit for all ten batches
    EXPECT_EQ(journal->flushed_index(), LogIndex(100));
  }
  auto journal = open_ok(dir.path());
  EXPECT_EQ(journal->last_index(), LogIndex(100));
  EXPECT_EQ(journal->hard_state(), (HardState{Term(2), NodeId(2), LogIndex(42)}));
  EXPECT_EQ(journal->snapshot_meta().configuration.voters.size(), 2u);
  auto entries = read_all(*journal);
  ASSERT_EQ(entries.size(), 100u);
  EXPECT_EQ(entries[56], make_entry(57, 2));
  EXPECT_EQ(*journal->term(LogIndex(100)), Term(2));
}

TEST(Journal, SegmentsRollAndSparseIndexServesRanges) {
  test::TempDir dir;
  JournalOptions options;
  options.segment_size_bytes = 512;
  options.index_interval = 4;
  {
    auto journal = open_ok(dir.path(), options);
    append_range(*journal, 1, 200, 3);
    ASSERT_TRUE(journal->flush().ok());
    EXPECT_GT(journal->segment_count(), 10u);
  }
  auto journal = open_ok(dir.path(), options);
  for (std::uint64_t low : {1, 7, 63, 150, 199}) {
    auto entries = journal->entries(LogIndex(low), LogIndex(low + 2), 1 << 20);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0], make_entry(low, 3));
    EXPECT_EQ((*entries)[1], make_entry(low + 1, 3));
  }
  auto limited = journal->entries(LogIndex(1), LogIndex(200), 70);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 2u);  // the byte bound cuts the batch
}

TEST(Journal, ReadsSpanTheDiskAndTheInMemoryTail) {
  test::TempDir dir;
  JournalOptions options;
  options.segment_size_bytes = 512;
  options.tail_cache_bytes = 1000;  // about 30 entries stay in memory
  auto journal = open_ok(dir.path(), options);
  append_range(*journal, 1, 100, 1);
  append_range(*journal, 95, 110, 2);  // a truncation inside the cached tail
  auto all = journal->entries(LogIndex(1), LogIndex(111), 1 << 20);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 110u);
  for (std::uint64_t i = 1; i <= 110; ++i) {
    EXPECT_EQ((*all)[i - 1], make_entry(i, i < 95 ? 1 : 2)) << i;
  }
}

TEST(Journal, ConflictTruncatesTheSuffix) {
  test::TempDir dir;
  JournalOptions options;
  options.segment_size_bytes = 300;
  {
    auto journal = open_ok(dir.path(), options);
    append_range(*journal, 1, 30, 1);
    ASSERT_TRUE(journal->flush().ok());
    append_range(*journal, 12, 14, 2);  // a new leader's entries replace 12..30
    EXPECT_EQ(journal->last_index(), LogIndex(14));
    EXPECT_EQ(journal->flushed_index(), LogIndex(11));
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = open_ok(dir.path(), options);
  ASSERT_EQ(journal->last_index(), LogIndex(14));
  EXPECT_EQ(*journal->term(LogIndex(11)), Term(1));
  EXPECT_EQ(*journal->term(LogIndex(12)), Term(2));
  EXPECT_EQ(read_all(*journal).back(), make_entry(14, 2));
}

TEST(Journal, CompactionDeletesWholeSegmentsBelowTheSnapshot) {
  test::TempDir dir;
  JournalOptions options;
  options.segment_size_bytes = 400;
  {
    auto journal = open_ok(dir.path(), options);
    append_range(*journal, 1, 100, 1);
    ASSERT_TRUE(journal->flush().ok());
    std::size_t before = journal->segment_count();
    ASSERT_TRUE(journal->create_snapshot(LogIndex(60), Configuration{}, "state@60").ok());
    EXPECT_LT(journal->segment_count(), before);
    EXPECT_EQ(journal->first_index(), LogIndex(61));
    auto compacted = journal->entries(LogIndex(50), LogIndex(52), 1 << 20);
    ASSERT_FALSE(compacted.ok());
    EXPECT_EQ(compacted.error().code, StorageErrorCode::kCompacted);
  }
  auto journal = open_ok(dir.path(), options);
  EXPECT_EQ(journal->snapshot_meta().index, LogIndex(60));
  EXPECT_EQ(journal->snapshot()->data, "state@60");
  EXPECT_EQ(journal->last_index(), LogIndex(100));
  auto entries = journal->entries(LogIndex(61), LogIndex(101), 1 << 20);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->front(), make_entry(61, 1));
}

TEST(Journal, InstalledSnapshotReplacesTheLog) {
  test::TempDir dir;
  {
    auto journal = open_ok(dir.path());
    append_range(*journal, 1, 20, 1);
    ASSERT_TRUE(journal->flush().ok());
    Snapshot snapshot{
        SnapshotMeta{LogIndex(500), Term(7), Configuration{{NodeId(3)}, {}, {}, {}, 0}},
        "remote state"};
    ASSERT_TRUE(journal->install_snapshot(snapshot).ok());
    append_range(*journal, 501, 505, 7);
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = open_ok(dir.path());
  EXPECT_EQ(journal->first_index(), LogIndex(501));
  EXPECT_EQ(journal->last_index(), LogIndex(505));
  EXPECT_EQ(*journal->term(LogIndex(500)), Term(7));
  EXPECT_EQ(journal->snapshot()->data, "remote state");
}

// Builds a journal with 10 flushed entries and an 11th written but never flushed.
std::uint64_t build_with_unflushed_tail(const fs::path& dir) {
  auto journal = open_ok(dir);
  append_range(*journal, 1, 10, 1);
  EXPECT_TRUE(journal->flush().ok());
  std::uint64_t flushed_size = fs::file_size(only_segment(dir));
  append_range(*journal, 11, 11, 1);
  return flushed_size;
}

TEST(Journal, TornTailAtEveryByteOffsetRecoversThePrefix) {
  test::TempDir base;
  std::uint64_t flushed_size = build_with_unflushed_tail(base.path() / "origin");
  std::string full = read_file(only_segment(base.path() / "origin"));
  ASSERT_GT(full.size(), flushed_size);
  for (std::uint64_t cut = flushed_size; cut < full.size(); ++cut) {
    fs::path dir = base.path() / ("cut-" + std::to_string(cut));
    fs::copy(base.path() / "origin", dir);
    write_file(only_segment(dir), full.substr(0, cut));
    auto journal = open_ok(dir);
    ASSERT_NE(journal, nullptr) << "cut at " << cut;
    EXPECT_EQ(journal->last_index(), LogIndex(10)) << "cut at " << cut;
    EXPECT_EQ(read_all(*journal).size(), 10u);
    // The log continues where the prefix ends.
    append_range(*journal, 11, 12, 2);
    ASSERT_TRUE(journal->flush().ok());
    journal.reset();
    EXPECT_EQ(open_ok(dir)->last_index(), LogIndex(12)) << "cut at " << cut;
  }
}

TEST(Journal, CorruptTailAtEveryByteOffsetRecoversThePrefix) {
  test::TempDir base;
  std::uint64_t flushed_size = build_with_unflushed_tail(base.path() / "origin");
  std::string full = read_file(only_segment(base.path() / "origin"));
  for (std::uint64_t at = flushed_size; at < full.size(); ++at) {
    fs::path dir = base.path() / ("flip-" + std::to_string(at));
    fs::copy(base.path() / "origin", dir);
    std::string damaged = full;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    write_file(only_segment(dir), damaged);
    auto journal = open_ok(dir);
    ASSERT_NE(journal, nullptr) << "flip at " << at;
    EXPECT_EQ(journal->last_index(), LogIndex(10)) << "flip at " << at;
  }
}

TEST(Journal, BitFlipInsideFlushedDataIsReported) {
  test::TempDir base;
  std::uint64_t flushed_size = build_with_unflushed_tail(base.path() / "origin");
  std::string full = read_file(only_segment(base.path() / "origin"));
  // Every bit of every flushed record (after the 16-byte header) is checked.
  for (std::uint64_t at = 16; at < flushed_size; at += 3) {
    fs::path dir = base.path() / ("bit-" + std::to_string(at));
    fs::copy(base.path() / "origin", dir);
    std::string damaged = full;
    damaged[at] = static_cast<char>(damaged[at] ^ (1 << (at % 8)));
    write_file(only_segment(dir), damaged);
    auto journal = Journal::open(dir);
    ASSERT_FALSE(journal.ok()) << "flip at " << at << " went unnoticed";
    EXPECT_EQ(journal.error().code, JournalErrorCode::kCorrupt);
    EXPECT_NE(journal.error().message.find("inside flushed data"), std::string::npos)
        << journal.error().message;
  }
}

TEST(Journal, MissingFlushedEntriesAreReported) {
  test::TempDir base;
  std::uint64_t flushed_size = build_with_unflushed_tail(base.path());
  std::string full = read_file(only_segment(base.path()));
  write_file(only_segment(base.path()), full.substr(0, flushed_size - 5));
  auto journal = Journal::open(base.path());
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, JournalErrorCode::kCorrupt);
}

TEST(Journal, TornStateSlotFallsBackToThePreviousOne) {
  test::TempDir dir;
  {
    auto journal = open_ok(dir.path());
    append_range(*journal, 1, 5, 1);
    journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(3)});
    ASSERT_TRUE(journal->flush().ok());
    append_range(*journal, 6, 8, 1);
    journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(7)});
    ASSERT_TRUE(journal->flush().ok());
  }
  // Damage the newest slot (sequence 2 lives in slot 0).
  std::string state = read_file(dir.path() / "state");
  state[3] = static_cast<char>(state[3] ^ 0xff);
  write_file(dir.path() / "state", state);
  auto journal = open_ok(dir.path());
  EXPECT_EQ(journal->hard_state().commit, LogIndex(3));
  EXPECT_EQ(journal->flushed_index(), LogIndex(5));
  EXPECT_EQ(journal->last_index(), LogIndex(8));  // entries past the marker still pass checks
}

TEST(Journal, RejectsAppendsThatLeaveAGap) {
  test::TempDir dir;
  auto journal = open_ok(dir.path());
  append_range(*journal, 1, 3, 1);
  auto gap = journal->append({make_entry(7, 1)});
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, JournalErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tern::raft::journal
