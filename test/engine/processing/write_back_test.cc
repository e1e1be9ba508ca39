// Write-back across polls (StateDb::commit_when_full): a key created and deleted inside one window
// of pending writes never reaches RocksDB; a key deleted in a later window is deleted there; a
// rollback inside a long window undoes exactly the last command; a snapshot, a digest, a close or
// a role change writes the whole window; the bound is checked between the records of one poll.
// The engine's records and state do not depend on the bound. Index floors (scan_index) give the
// same results as full scans, after rollbacks and when lower keys come back, and let a scan seek
// past the deletes in front of an index.

#include <gtest/gtest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/harness/engine_harness.h"
#include "engine/state/db_key.h"
#include "engine/state/state_db.h"
#include "support/temp_dir.h"

namespace tern::engine {
namespace {

std::string child(std::int64_t scope, std::int64_t key) {
  return DbKey(StateKind::kElementChild).i64(scope).i64(key).bytes();
}

std::string deadline(std::int64_t due, std::int64_t job) {
  return DbKey(StateKind::kJobDeadline).i64(due).i64(job).bytes();
}

class WriteBackTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    auto opened = StateDb::open(dir_.path() / "state", options_);
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(opened.value());
  }
  void reopen() {
    db_.reset();
    open();
  }

  Transaction& txn() { return db_->transaction(); }

  // One command's writes, as the stream processor makes them: under a savepoint, then the end of
  // a unit of work.
  template <typename Writes>
  void command(Writes writes) {
    txn().set_savepoint();
    writes();
    txn().release_savepoint();
    ASSERT_TRUE(db_->commit_when_full());
  }

  std::vector<std::string> keys(std::string_view prefix, bool index = false) {
    std::vector<std::string> out;
    auto visit = [&](std::string_view key, std::string_view value) {
      out.push_back(std::string(key) + "=" + std::string(value));
      return true;
    };
    if (index) {
      txn().scan_index(prefix, visit);
    } else {
      txn().scan(prefix, visit);
    }
    return out;
  }

  StateDbOptions options_;
  tern::test::TempDir dir_;
  std::unique_ptr<StateDb> db_;
};

TEST_F(WriteBackTest, AKeyCreatedAndDeletedInsideAWindowNeverReachesRocksDb) {
  for (int i = 0; i < 200; ++i)
    command([&] { txn().put_absent(child(1, i), "new"); });
  // Many polls later, still one window: nothing was written.
  EXPECT_EQ(db_->write_count(), 0u);
  for (int i = 0; i < 200; ++i) {
    if (i % 10 != 0) command([&] { txn().erase(child(1, i)); });
  }
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)).size(), 20u);
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(db_->write_count(), 1u);
  // The twenty survivors are the only entries RocksDB received: no insert, no tombstone of the
  // others.
  EXPECT_EQ(db_->int_property("rocksdb.num-entries-active-mem-table"), 20u);
  EXPECT_EQ(db_->int_property("rocksdb.num-deletes-active-mem-table"), 0u);
  reopen();
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)).size(), 20u);
  EXPECT_EQ(txn().view(child(1, 10)), "new");
  EXPECT_FALSE(txn().view(child(1, 11)));
}

TEST_F(WriteBackTest, AKeyDeletedInALaterWindowIsDeletedInRocksDb) {
  command([&] { txn().put_absent(child(1, 1), "a"); });
  command([&] { txn().put_absent(child(1, 2), "b"); });
  ASSERT_TRUE(db_->commit());
  command([&] { txn().erase(child(1, 1)); });
  EXPECT_EQ(db_->write_count(), 1u);  // the delete waits in the window
  EXPECT_FALSE(txn().view(child(1, 1)));
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)),
            std::vector<std::string>{child(1, 2) + "=b"});
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(db_->int_property("rocksdb.num-deletes-active-mem-table"), 1u);
  // Not resurrected by a reopen (RocksDB's own view, with no cache in front).
  reopen();
  EXPECT_FALSE(txn().view(child(1, 1)));
  EXPECT_EQ(txn().view(child(1, 2)), "b");
}

TEST_F(WriteBackTest, ARollbackInsideAWindowUndoesOnlyTheLastCommand) {
  command([&] { txn().put(child(1, 1), "written"); });
  ASSERT_TRUE(db_->commit());
  command([&] {
    txn().put_absent(child(1, 2), "first");
    txn().put(child(1, 3), "first");
  });
  command([&] { txn().put(child(1, 3), "second"); });
  // The failing command touches a key of every kind: written to RocksDB, pending from an earlier
  // command, and new.
  txn().set_savepoint();
  txn().erase(child(1, 1));
  txn().erase(child(1, 2));
  txn().put(child(1, 3), "third");
  txn().put_absent(child(1, 4), "new");
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  ASSERT_TRUE(db_->commit_when_full());
  std::vector<std::string> expected{child(1, 1) + "=written", child(1, 2) + "=first",
                                    child(1, 3) + "=second"};
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)), expected);
  reopen();  // the close writes the window
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)), expected);
}

TEST_F(WriteBackTest, ASnapshotInTheMiddleOfAWindowHoldsEveryPendingWrite) {
  command([&] { txn().put(child(1, 1), "kept"); });
  command([&] { txn().put(child(1, 2), "gone"); });
  ASSERT_TRUE(db_->commit());
  command([&] { txn().erase(child(1, 2)); });
  command([&] { txn().put_absent(child(1, 3), "pending"); });
  command([&] { txn().put_absent(child(1, 4), "short-lived"); });
  command([&] { txn().erase(child(1, 4)); });
  EXPECT_FALSE(txn().empty());
  tern::test::TempDir snapshots;
  ASSERT_TRUE(db_->snapshot(snapshots.path() / "snap", "{}"));
  EXPECT_TRUE(txn().empty());
  // The window goes on after the snapshot; the snapshot does not see what follows.
  command([&] { txn().put_absent(child(1, 5), "after"); });

  ASSERT_TRUE(StateDb::restore(snapshots.path() / "snap", snapshots.path() / "restored"));
  auto restored = StateDb::open(snapshots.path() / "restored", StateDbOptions{});
  ASSERT_TRUE(restored) << restored.error().message;
  std::vector<std::string> seen;
  (*restored)->transaction().scan(DbKey(StateKind::kElementChild).i64(1),
                                  [&](std::string_view key, std::string_view value) {
                                    seen.push_back(std::string(key) + "=" + std::string(value));
                                    return true;
                                  });
  EXPECT_EQ(seen, (std::vector<std::string>{child(1, 1) + "=kept", child(1, 3) + "=pending"}));
}

TEST_F(WriteBackTest, TheWindowIsWrittenWhenItReachesItsBound) {
  options_.max_pending_write_bytes = 4'000;
  reopen();
  int commands = 0;
  while (db_->write_count() == 0) {
    command([&] { txn().put(child(2, commands), std::string(100, 'v')); });
    ++commands;
    ASSERT_LT(commands, 1'000);
  }
  // Each write counts its key, value and bookkeeping: ~13 of them fill 4,000 bytes.
  EXPECT_GT(commands, 5);
  EXPECT_LT(commands, 40);
  EXPECT_TRUE(txn().empty());
  EXPECT_EQ(txn().pending_bytes(), 0u);
  reopen();
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(2)).size(),
            static_cast<std::size_t>(commands));
}

// The bound counts what the window holds now: a value overwritten (inside a command, where the
// old value is kept for a rollback) or deleted stops counting.
TEST_F(WriteBackTest, PendingBytesCountEveryPendingWriteOnceAtItsCurrentSize) {
  constexpr std::size_t kOverhead = Transaction::kPendingEntryOverhead;
  std::string a = child(1, 1), b = child(1, 2), c = child(1, 3);
  txn().set_savepoint();
  txn().put(a, std::string(1'000, 'x'));
  txn().put(a, "small");
  txn().put(a, std::string(500, 'y'));
  txn().put(a, "s");
  txn().put_absent(b, std::string(300, 'z'));
  txn().erase(b);  // new and deleted again: nothing pending
  txn().erase(c);  // unknown to RocksDB's cache: a pending delete
  EXPECT_EQ(txn().pending_bytes(), (a.size() + 1 + kOverhead) + (c.size() + kOverhead));
  txn().release_savepoint();
  txn().set_savepoint();
  txn().put(a, std::string(2'000, 'w'));
  txn().put(c, "back");
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  EXPECT_EQ(txn().pending_bytes(), (a.size() + 1 + kOverhead) + (c.size() + kOverhead));
  EXPECT_EQ(txn().view(a), "s");
  EXPECT_FALSE(txn().view(c));
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(txn().pending_bytes(), 0u);
}

// Most keys a window touches are created and deleted inside it; their slots are dropped as the
// command that deleted them ends, so the table holds the live keys, not every key ever touched.
// Dropping one loses nothing: it is absent, and a later write of the same key starts afresh.
TEST_F(WriteBackTest, SlotsOfKeysCreatedAndDeletedInsideTheWindowAreDropped) {
  command([&] { txn().put(child(1, 100), "kept"); });
  for (int i = 0; i < 3'000; ++i)
    command([&] { txn().put_absent(child(1, i), "short-lived"); });
  EXPECT_EQ(txn().cached_count(), 3'000u);
  for (int i = 0; i < 3'000; ++i) {
    if (i != 100) command([&] { txn().erase(child(1, i)); });
  }
  // What is left: the key written over (kept, pending) and nothing of the others.
  EXPECT_EQ(txn().cached_count(), 1u);
  EXPECT_EQ(txn().pending_count(), 1u);
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)),
            std::vector<std::string>{child(1, 100) + "=short-lived"});
  EXPECT_FALSE(txn().view(child(1, 5)));

  // Erased and written again inside one command: alive at its end.
  command([&] {
    txn().put_absent(child(2, 1), "a");
    txn().erase(child(2, 1));
    txn().put(child(2, 1), "b");
  });
  // Erased, dropped, then written and erased again in later commands: still absent.
  command([&] { txn().put_absent(child(2, 2), "a"); });
  command([&] { txn().erase(child(2, 2)); });
  command([&] { txn().put(child(2, 2), "again"); });
  EXPECT_EQ(txn().view(child(2, 2)), "again");
  command([&] { txn().erase(child(2, 2)); });
  // A delete rolled back keeps its key (and its slot).
  command([&] { txn().put_absent(child(2, 3), "survivor"); });
  txn().set_savepoint();
  txn().erase(child(2, 3));
  txn().put_absent(child(2, 4), "rolled back");
  txn().erase(child(2, 4));
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  ASSERT_TRUE(db_->commit_when_full());
  std::vector<std::string> expected{child(2, 1) + "=b", child(2, 3) + "=survivor"};
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(2)), expected);
  EXPECT_FALSE(txn().view(child(2, 2)));
  EXPECT_FALSE(txn().view(child(2, 4)));
  ASSERT_TRUE(db_->commit());
  reopen();
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(2)), expected);
  EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)),
            std::vector<std::string>{child(1, 100) + "=short-lived"});
}

TEST_F(WriteBackTest, CachedReadsAreDroppedButPendingWritesKept) {
  command([&] { txn().put(child(1, 1), "pending"); });
  command([&] { txn().erase(child(1, 2)); });
  std::size_t reads = Transaction::kMaxCachedEntries + 100;
  for (std::size_t i = 0; i < reads; ++i)
    EXPECT_FALSE(txn().view(child(3, static_cast<std::int64_t>(i))));
  EXPECT_GT(txn().cached_count(), Transaction::kMaxCachedEntries);
  ASSERT_TRUE(db_->commit_when_full());
  EXPECT_EQ(db_->write_count(), 0u);
  EXPECT_EQ(txn().cached_count(), 2u);
  EXPECT_EQ(txn().pending_count(), 2u);
  EXPECT_EQ(txn().view(child(1, 1)), "pending");
  reopen();
  EXPECT_EQ(txn().view(child(1, 1)), "pending");
}

TEST_F(WriteBackTest, AnIndexScanSeeksPastTheDeletesBeforeItsFloor) {
  constexpr int kJobs = 2'000;
  for (int i = 0; i < kJobs; ++i)
    txn().put(deadline(1'000 + i, i), "");
  ASSERT_TRUE(db_->commit());
  for (int i = 0; i + 1 < kJobs; ++i)
    txn().erase(deadline(1'000 + i, i));
  ASSERT_TRUE(db_->commit());
  DbKey prefix(StateKind::kJobDeadline);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(keys(prefix, true),
            std::vector<std::string>{deadline(1'000 + kJobs - 1, kJobs - 1) + "="});
  // The first scan walks every delete in front of the live entry ...
  EXPECT_GE(rocksdb::get_perf_context()->internal_delete_skipped_count,
            static_cast<std::uint64_t>(kJobs - 1));
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(keys(prefix, true), keys(prefix));
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(keys(prefix, true).size(), 1u);
  // ... the next ones seek to it.
  EXPECT_EQ(rocksdb::get_perf_context()->internal_delete_skipped_count, 0u);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
}

TEST_F(WriteBackTest, AnIndexScanSeesALowerKeyAddedAfterItsFloorRose) {
  DbKey prefix(StateKind::kJobDeadline);
  txn().put(deadline(50, 1), "");
  txn().put(deadline(60, 2), "");
  ASSERT_TRUE(db_->commit());
  txn().erase(deadline(50, 1));
  EXPECT_EQ(keys(prefix, true), (std::vector<std::string>{deadline(60, 2) + "="}));  // floor: 60
  // A failed job comes back with an earlier key, pending and then written.
  txn().put(deadline(10, 1), "");
  EXPECT_EQ(keys(prefix, true), keys(prefix));
  EXPECT_EQ(keys(prefix, true).front(), deadline(10, 1) + "=");
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(keys(prefix, true), keys(prefix));
  EXPECT_EQ(keys(prefix, true).size(), 2u);
  // A key between the floor's old and new place, after the floor rose again.
  txn().erase(deadline(10, 1));
  EXPECT_EQ(keys(prefix, true), (std::vector<std::string>{deadline(60, 2) + "="}));
  txn().put(deadline(55, 3), "");
  EXPECT_EQ(keys(prefix, true),
            (std::vector<std::string>{deadline(55, 3) + "=", deadline(60, 2) + "="}));
}

TEST_F(WriteBackTest, ARollbackForgetsFloorsRaisedInsideTheCommand) {
  DbKey prefix(StateKind::kJobDeadline);
  txn().put(deadline(10, 1), "");
  txn().put(deadline(20, 2), "");
  ASSERT_TRUE(db_->commit());
  txn().set_savepoint();
  txn().erase(deadline(10, 1));
  EXPECT_EQ(keys(prefix, true), (std::vector<std::string>{deadline(20, 2) + "="}));  // floor: 20
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  EXPECT_EQ(keys(prefix, true),
            (std::vector<std::string>{deadline(10, 1) + "=", deadline(20, 2) + "="}));

  // The same when the whole window is dropped.
  txn().erase(deadline(10, 1));
  txn().erase(deadline(20, 2));
  EXPECT_TRUE(keys(prefix, true).empty());  // floor: the index is empty
  db_->rollback();
  EXPECT_EQ(keys(prefix, true).size(), 2u);
}

TEST_F(WriteBackTest, AnEmptyIndexIsReadAgainOnceAKeyIsAdded) {
  DbKey prefix = DbKey(StateKind::kActivatableJob).str("work");
  DbKey other = DbKey(StateKind::kActivatableJob).str("workers");
  EXPECT_TRUE(keys(prefix, true).empty());
  EXPECT_TRUE(keys(other, true).empty());
  std::string job = DbKey(StateKind::kActivatableJob).str("work").i64(7).bytes();
  std::string other_job = DbKey(StateKind::kActivatableJob).str("workers").i64(3).bytes();
  txn().put(other_job, "");
  EXPECT_TRUE(keys(prefix, true).empty());
  EXPECT_EQ(keys(other, true), std::vector<std::string>{other_job + "="});
  txn().put_absent(job, "");
  EXPECT_EQ(keys(prefix, true), std::vector<std::string>{job + "="});
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(keys(prefix, true), std::vector<std::string>{job + "="});
}

// Seeded random commands against a model (a map of what the state must be): point reads, scans and
// index scans agree with it whatever mix of windows, bounds, rollbacks, evictions and reopens
// came before.
TEST_F(WriteBackTest, RandomCommandsAgreeWithAModel) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    options_.max_pending_write_bytes = seed == 1 ? 0 : (seed == 2 ? 3'000 : 1 << 20);
    reopen();
    std::mt19937 random(seed);
    std::map<std::string, std::string> model;
    // Start from an empty state for every seed.
    for (auto prefix :
         {DbKey(StateKind::kJobDeadline).bytes(), DbKey(StateKind::kJobBackoff).bytes(),
          DbKey(StateKind::kElementChild).i64(1).bytes()}) {
      for (const auto& entry : keys(prefix))
        txn().erase(entry.substr(0, entry.rfind('=')));
    }
    ASSERT_TRUE(db_->commit());
    std::int64_t next_new = 1'000;
    auto random_key = [&](int kind) {
      std::int64_t a = static_cast<std::int64_t>(random() % 40);
      std::int64_t b = static_cast<std::int64_t>(random() % 4);
      if (kind == 0) return deadline(a, b);
      if (kind == 1) return DbKey(StateKind::kJobBackoff).i64(a).i64(b).bytes();
      return child(1, a * 4 + b);
    };
    for (int step = 0; step < 600; ++step) {
      std::map<std::string, std::string> before = model;
      bool fail = random() % 8 == 0;
      txn().set_savepoint();
      int writes = 1 + static_cast<int>(random() % 4);
      for (int w = 0; w < writes; ++w) {
        int kind = static_cast<int>(random() % 3);
        switch (random() % 4) {
          case 0:
          case 1: {
            std::string key = random_key(kind);
            std::string value = std::to_string(step);
            txn().put(key, value);
            model[key] = value;
            break;
          }
          case 2: {
            std::string key = random_key(kind);
            txn().erase(key);
            model.erase(key);
            break;
          }
          case 3: {
            // A key never used before, claimed new only while RocksDB cannot hold it.
            std::string key = deadline(next_new % 50, 100 + next_new);
            ++next_new;
            txn().put_absent(key, "new");
            model[key] = "new";
            break;
          }
        }
        // Scans inside the command raise floors that a rollback must forget.
        if (random() % 3 == 0) (void)keys(DbKey(StateKind::kJobDeadline), true);
      }
      if (fail) {
        txn().rollback_to_savepoint();
        model = before;
      }
      txn().release_savepoint();
      ASSERT_TRUE(db_->commit_when_full());
      switch (random() % 40) {
        case 0:
          reopen();
          break;
        case 1:
          ASSERT_TRUE(db_->commit());
          break;
        case 2:
          txn().evict_cached();
          break;
        default:
          break;
      }
      for (auto prefix :
           {DbKey(StateKind::kJobDeadline).bytes(), DbKey(StateKind::kJobBackoff).bytes()}) {
        std::vector<std::string> expected;
        for (const auto& [key, value] : model) {
          if (key.starts_with(prefix)) expected.push_back(key + "=" + value);
        }
        ASSERT_EQ(keys(prefix, true), expected) << "step " << step;
        ASSERT_EQ(keys(prefix), expected) << "step " << step;
      }
      std::string probe = random_key(2);
      auto found = model.find(probe);
      ASSERT_EQ(txn().get(probe),
                found == model.end() ? std::nullopt : std::optional<std::string>(found->second))
          << "step " << step;
    }
    reopen();
    std::vector<std::string> expected;
    for (const auto& [key, value] : model) {
      if (key.starts_with(DbKey(StateKind::kElementChild).i64(1).bytes()))
        expected.push_back(key + "=" + value);
    }
    EXPECT_EQ(keys(DbKey(StateKind::kElementChild).i64(1)), expected);
  }
}

// --- the engine on top of it

// A workload with many commands in one poll, job activations, completions, failures with a
// back-off, time-outs, an incident and a cancellation: the records it writes and the state it
// leaves, as (JSON lines of the records, digest, digest of a replay of the log).
struct Outcome {
  std::vector<std::string> records;
  std::string digest;
  std::string replayed;
};

Outcome run_workload(test::EngineHarness& h) {
  h.deploy_process(test::models::one_task("p", "work"));
  for (int i = 0; i < 40; ++i) {
    h.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
            Json{{"bpmnProcessId", "p"}, {"variables", Json{{"i", i}}}});
  }
  h.process();
  auto batch = h.activate_jobs("work", 30, 1'000);
  const auto& keys = batch.record.value["jobKeys"];
  for (int i = 0; i < 10; ++i)
    h.complete_job(Key(keys[i].get<std::int64_t>()), Json{{"done", i}});
  for (int i = 10; i < 14; ++i)
    h.fail_job(Key(keys[i].get<std::int64_t>()), 2, "retry", 500);
  h.fail_job(Key(keys[14].get<std::int64_t>()), 0, "broken");
  h.clock().advance_ms(600);
  h.engine().check_due_dates();  // the back-offs
  h.process();
  h.clock().advance_ms(2'000);
  h.engine().check_due_dates();  // the time-outs
  h.process();
  while (true) {
    auto more = h.activate_jobs("work", 7, 60'000);
    const auto& more_keys = more.record.value["jobKeys"];
    if (more_keys.empty()) break;
    for (const auto& key : more_keys)
      h.complete_job(Key(key.get<std::int64_t>()));
  }
  Outcome out;
  for (const auto& record : h.records())
    out.records.push_back(to_json(record).dump());
  out.digest = h.digest();
  out.replayed = h.replayed_digest();
  return out;
}

TEST(WriteBackEngineTest, RecordsAndStateDoNotDependOnTheBound) {
  StateDbOptions every_unit;
  every_unit.max_pending_write_bytes = 0;
  StateDbOptions small;
  small.max_pending_write_bytes = 2'000;
  test::EngineHarness a(PartitionId(1), every_unit);
  test::EngineHarness b(PartitionId(1), small);
  test::EngineHarness c;  // the default bound: the whole workload in one window
  Outcome first = run_workload(a);
  Outcome second = run_workload(b);
  Outcome third = run_workload(c);
  EXPECT_GT(first.records.size(), 500u);
  EXPECT_EQ(second.records, first.records);
  EXPECT_EQ(third.records, first.records);
  EXPECT_EQ(second.digest, first.digest);
  EXPECT_EQ(third.digest, first.digest);
  EXPECT_EQ(first.replayed, first.digest);
  EXPECT_EQ(second.replayed, first.digest);
  EXPECT_EQ(third.replayed, first.digest);
}

TEST(WriteBackEngineTest, TheBoundIsCheckedBetweenTheRecordsOfOnePoll) {
  StateDbOptions small;
  small.max_pending_write_bytes = 3'000;
  test::EngineHarness h(PartitionId(1), small);
  h.deploy_process(test::models::one_task("p", "work"));
  for (int i = 0; i < 50; ++i) {
    h.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
            Json{{"bpmnProcessId", "p"}, {"variables", Json{{"i", i}}}});
  }
  std::uint64_t writes = h.engine().db().write_count();
  std::size_t handled = h.engine().processor().poll();
  EXPECT_EQ(handled, 50u);
  // One poll, several writes: the window filled up between its commands.
  EXPECT_GE(h.engine().db().write_count(), writes + 3);
  h.process();
  // A restart in the middle of a window (the close writes it) continues where it left off.
  h.restart();
  EXPECT_EQ(h.activate_jobs("work", 100).record.value["jobKeys"].size(), 50u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(WriteBackEngineTest, ARoleChangeAndTheDigestWriteTheWindow) {
  test::EngineHarness h;
  h.deploy_process(test::models::one_task("p", "work"));
  h.create_instance("p");
  std::uint64_t writes = h.engine().db().write_count();
  EXPECT_FALSE(h.engine().db().transaction().empty());
  h.engine().become_follower();
  EXPECT_TRUE(h.engine().db().transaction().empty());
  EXPECT_GT(h.engine().db().write_count(), writes);
  h.engine().become_leader();
  h.create_instance("p");
  EXPECT_FALSE(h.engine().db().transaction().empty());
  std::string digest = h.digest();
  EXPECT_TRUE(h.engine().db().transaction().empty());
  EXPECT_EQ(digest, h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine
