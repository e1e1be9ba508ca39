// The journal's flush in three steps (begin_flush, PendingFlush::sync on another thread,
// finish_flush): the flushed index and the durable hard state move only when a synced flush
// finishes, a flush that never synced leaves the marker where it was, flushes pipeline in begin
// order, and compaction may run while a flush is in flight.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "journal_test_support.h"
#include "raft/journal/journal.h"
#include "support/temp_dir.h"

namespace tern::raft::journal {
namespace {

namespace fs = std::filesystem;

using test_support::append_range;
using test_support::open_ok;

PendingFlush begin(Journal& journal) {
  auto pending = journal.begin_flush();
  EXPECT_TRUE(pending.ok()) << (pending.ok() ? "" : pending.error().message);
  EXPECT_TRUE(pending.ok() && pending->has_value()) << "nothing to flush";
  return std::move(**pending);
}

TEST(JournalFlush, TheMarkerMovesOnlyWhenASyncedFlushFinishes) {
  test::TempDir dir;
  auto journal = open_ok(dir.path());
  append_range(*journal, 1, 10, 1);
  ASSERT_TRUE(journal->flush().ok());
  append_range(*journal, 11, 20, 2);
  journal->set_hard_state(HardState{Term(2), NodeId(1), LogIndex(10)});

  PendingFlush flush = begin(*journal);
  EXPECT_TRUE(journal->flush_in_flight());
  EXPECT_TRUE(flush.blocking());
  EXPECT_EQ(flush.flushed_to(), LogIndex(20));
  // Handed over but not synced: nothing of it counts as durable yet.
  EXPECT_EQ(journal->flushed_index(), LogIndex(10));
  EXPECT_EQ(journal->hard_state().term, Term(0));
  // Reads (the core, exporters) carry on while the sync runs.
  EXPECT_EQ(*journal->term(LogIndex(20)), Term(2));

  std::thread writer([&] { EXPECT_TRUE(flush.sync().ok()); });
  writer.join();
  EXPECT_EQ(journal->flushed_index(), LogIndex(10));  // synced, not finished
  ASSERT_TRUE(journal->finish_flush(std::move(flush)).ok());
  EXPECT_FALSE(journal->flush_in_flight());
  EXPECT_EQ(journal->flushed_index(), LogIndex(20));
  EXPECT_EQ(journal->hard_state(), (HardState{Term(2), NodeId(1), LogIndex(10)}));

  // Everything is durable now: the next flush has nothing to hand over.
  auto nothing = journal->begin_flush();
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  EXPECT_FALSE(journal->flush_in_flight());

  journal.reset();
  auto reopened = open_ok(dir.path());
  EXPECT_EQ(reopened->flushed_index(), LogIndex(20));
  EXPECT_EQ(reopened->hard_state(), (HardState{Term(2), NodeId(1), LogIndex(10)}));
}

// Pipelined syncs: the next flush is begun (and its entries appended) while the first one's sync
// still runs; each covers its own range and the state slots follow in begin order.
TEST(JournalFlush, FlushesPipelineInBeginOrder) {
  test::TempDir dir;
  auto journal = open_ok(dir.path());
  append_range(*journal, 1, 10, 1);
  journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(0)});
  PendingFlush first = begin(*journal);
  EXPECT_EQ(first.flushed_to(), LogIndex(10));
  // An append that extends the log and a new hard state go on while the first sync runs.
  append_range(*journal, 11, 15, 2);
  journal->set_hard_state(HardState{Term(2), NodeId(2), LogIndex(10)});
  PendingFlush second = begin(*journal);
  EXPECT_EQ(journal->flushes_in_flight(), 2);
  EXPECT_EQ(second.flushed_to(), LogIndex(15));
  EXPECT_TRUE(second.blocking());
  // Nothing new after the second: a third has nothing to hand over.
  auto nothing = journal->begin_flush();
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());

  std::thread writer([&] {
    EXPECT_TRUE(first.sync().ok());
    EXPECT_TRUE(second.sync().ok());
  });
  writer.join();
  ASSERT_TRUE(journal->finish_flush(std::move(first)).ok());
  EXPECT_EQ(journal->flushed_index(), LogIndex(10));
  EXPECT_EQ(journal->hard_state(), (HardState{Term(1), NodeId(1), LogIndex(0)}));
  ASSERT_TRUE(journal->finish_flush(std::move(second)).ok());
  EXPECT_EQ(journal->flushed_index(), LogIndex(15));
  EXPECT_FALSE(journal->flush_in_flight());

  journal.reset();
  auto reopened = open_ok(dir.path());
  EXPECT_EQ(reopened->flushed_index(), LogIndex(15));
  EXPECT_EQ(reopened->last_index(), LogIndex(15));
  EXPECT_EQ(reopened->hard_state(), (HardState{Term(2), NodeId(2), LogIndex(10)}));
}

// A crash after the first of two pipelined syncs ended: start-up sees the first one's marker and
// hard state, and the second one's entries (written, maybe on disk) beyond it as an unsynced tail.
TEST(JournalFlush, ACrashBetweenPipelinedSyncsKeepsTheFirst) {
  test::TempDir dir;
  {
    auto journal = open_ok(dir.path());
    append_range(*journal, 1, 6, 1);
    journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(0)});
    PendingFlush first = begin(*journal);
    append_range(*journal, 7, 9, 2);
    journal->set_hard_state(HardState{Term(2), NodeId(3), LogIndex(6)});
    PendingFlush second = begin(*journal);
    ASSERT_TRUE(first.sync().ok());
    ASSERT_TRUE(journal->finish_flush(std::move(first)).ok());
    // The process dies before the second sync ran.
  }
  auto journal = open_ok(dir.path());
  EXPECT_EQ(journal->flushed_index(), LogIndex(6));
  EXPECT_EQ(journal->hard_state(), (HardState{Term(1), NodeId(1), LogIndex(0)}));
  EXPECT_GE(journal->last_index(), LogIndex(6));
}

TEST(JournalFlush, AFlushThatNeverSyncedLeavesTheDurableStateAsItWas) {
  test::TempDir dir;
  {
    auto journal = open_ok(dir.path());
    append_range(*journal, 1, 5, 1);
    journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(5)});
    ASSERT_TRUE(journal->flush().ok());
    append_range(*journal, 6, 9, 3);
    journal->set_hard_state(HardState{Term(3), NodeId(2), LogIndex(5)});
    PendingFlush flush = begin(*journal);
    // The process dies here: the writer never ran the sync (nor wrote the state slot).
  }
  auto journal = open_ok(dir.path());
  EXPECT_EQ(journal->flushed_index(), LogIndex(5));
  EXPECT_EQ(journal->hard_state(), (HardState{Term(1), NodeId(1), LogIndex(5)}));
}

TEST(JournalFlush, OnlyACommitIndexChangeDoesNotWaitForTheDevice) {
  test::TempDir dir;
  auto journal = open_ok(dir.path());
  append_range(*journal, 1, 3, 1);
  journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(0)});
  ASSERT_TRUE(journal->flush().ok());
  journal->set_hard_state(HardState{Term(1), NodeId(1), LogIndex(3)});
  PendingFlush flush = begin(*journal);
  EXPECT_FALSE(flush.blocking());  // the slot is written, not synced (journal.h)
  ASSERT_TRUE(flush.sync().ok());
  ASSERT_TRUE(journal->finish_flush(std::move(flush)).ok());
  EXPECT_EQ(journal->hard_state().commit, LogIndex(3));
  // A vote must be durable before it leaves: that flush waits for the device.
  journal->set_hard_state(HardState{Term(2), NodeId(3), LogIndex(3)});
  PendingFlush vote = begin(*journal);
  EXPECT_TRUE(vote.blocking());
  ASSERT_TRUE(vote.sync().ok());
  ASSERT_TRUE(journal->finish_flush(std::move(vote)).ok());
}

TEST(JournalFlush, CompactionWhileAFlushIsInFlight) {
  test::TempDir dir;
  JournalOptions options;
  options.segment_size_bytes = 400;  // a few entries per segment
  auto journal = open_ok(dir.path(), options);
  append_range(*journal, 1, 60, 1);
  ASSERT_TRUE(journal->flush().ok());
  append_range(*journal, 61, 120, 1);
  PendingFlush flush = begin(*journal);
  std::size_t before = journal->segment_count();
  // A snapshot below the flushed index deletes segments whose descriptors the flush holds.
  ASSERT_TRUE(journal->create_snapshot(LogIndex(50), Configuration{}, "state@50").ok());
  EXPECT_LT(journal->segment_count(), before);
  std::thread writer([&] { EXPECT_TRUE(flush.sync().ok()); });
  writer.join();
  ASSERT_TRUE(journal->finish_flush(std::move(flush)).ok());
  EXPECT_EQ(journal->flushed_index(), LogIndex(120));
  journal.reset();
  auto reopened = open_ok(dir.path(), options);
  EXPECT_EQ(reopened->snapshot_meta().index, LogIndex(50));
  EXPECT_EQ(reopened->flushed_index(), LogIndex(120));
  EXPECT_EQ(reopened->last_index(), LogIndex(120));
}

// Appends that extend the log may go on during a flush; one that rewrites a suffix the flush in
// flight covers (its marker would then claim entries that are gone) may not.
TEST(JournalFlushDeathTest, ATruncatingAppendWhileAFlushIsInFlightAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  test::TempDir dir;
  auto journal = open_ok(dir.path());
  append_range(*journal, 1, 3, 1);
  PendingFlush flush = begin(*journal);
  std::vector<Entry> more{Entry{Term(1), LogIndex(4), EntryType::kNormal, "x"}};
  EXPECT_TRUE(journal->append(more).ok());
  std::vector<Entry> rewrite{Entry{Term(2), LogIndex(3), EntryType::kNormal, "y"}};
  EXPECT_DEATH((void)journal->append(rewrite), "flush is in flight");
}

}  // namespace
}  // namespace tern::raft::journal
