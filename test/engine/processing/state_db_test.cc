// The state transaction: point reads (get and the copy-free view) see pending writes, the cache
// and committed state; scans merge committed and pending keys in order, for prefixes shorter and
// longer than the prefix extractor's (whose bloom filter may skip the memtable), and never leak
// keys of a neighbouring prefix. A key known to be absent from RocksDB (read as absent, or
// written as new) and deleted again before the commit writes nothing; a new key's claim is
// checked when asked to.

#include "engine/state/state_db.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "engine/records/keys.h"
#include "engine/state/db_key.h"
#include "engine/state/engine_state.h"
#include "support/temp_dir.h"

namespace tern::engine {
namespace {

class StateDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = StateDb::open(dir_.path() / "state", StateDbOptions{});
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(opened.value());
  }

  Transaction& txn() { return db_->transaction(); }

  void commit() { ASSERT_TRUE(db_->commit()); }

  std::vector<std::string> scan(std::string_view prefix) {
    std::vector<std::string> out;
    txn().scan(prefix, [&](std::string_view key, std::string_view value) {
      out.push_back(std::to_string(read_key_i64(key, key.size() - 8)) + "=" + std::string(value));
      return true;
    });
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<StateDb> db_;
};

std::string child(std::int64_t scope, std::int64_t key) {
  return DbKey(StateKind::kElementChild).i64(scope).i64(key).bytes();
}

TEST_F(StateDbTest, ViewAndGetSeePendingCachedAndCommittedValues) {
  std::string key = DbKey(StateKind::kElementInstance).i64(7).bytes();
  EXPECT_FALSE(txn().view(key));
  txn().put(key, "pending");
  EXPECT_EQ(txn().view(key), "pending");
  commit();
  EXPECT_EQ(txn().view(key), "pending");
  EXPECT_EQ(txn().get(key), "pending");
  txn().erase(key);
  EXPECT_FALSE(txn().view(key));
  EXPECT_FALSE(txn().get(key));
  db_->rollback();
  EXPECT_EQ(txn().get(key), "pending");

  // A database opened again reads from RocksDB, not from the cache.
  db_.reset();
  auto reopened = StateDb::open(dir_.path() / "state", StateDbOptions{});
  ASSERT_TRUE(reopened);
  db_ = std::move(reopened.value());
  EXPECT_EQ(txn().view(key), "pending");
  EXPECT_FALSE(txn().view(DbKey(StateKind::kElementInstance).i64(8).bytes()));
}

TEST_F(StateDbTest, ScansMergeCommittedAndPendingKeysWithinTheirPrefix) {
  for (std::int64_t scope : {1, 2, 3}) {
    for (std::int64_t key : {10, 20, 30})
      txn().put(child(scope, key), "c");
  }
  commit();
  ASSERT_TRUE(db_->flush());  // some keys in an SST file, later ones in the memtable
  txn().put(child(2, 25), "p");
  txn().erase(child(2, 10));
  txn().put(child(2, 30), "u");

  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(2)),
            (std::vector<std::string>{"20=c", "25=p", "30=u"}));
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(4)), std::vector<std::string>{});
  // A prefix shorter than the extractor's spans every scope, in key order.
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild)).size(), 9u);
  commit();
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(2)),
            (std::vector<std::string>{"20=c", "25=p", "30=u"}));
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(3)),
            (std::vector<std::string>{"10=c", "20=c", "30=c"}));

  // A prefix longer than the extractor's (a scope and a string) sees only its own keys.
  txn().put(DbKey(StateKind::kVariable).i64(2).str("a").bytes() + "12345678", "x");
  txn().put(DbKey(StateKind::kVariable).i64(2).str("b").bytes() + "12345678", "y");
  commit();
  std::vector<std::string> values;
  txn().scan(DbKey(StateKind::kVariable).i64(2).str("b"),
             [&](std::string_view, std::string_view value) {
               values.emplace_back(value);
               return true;
             });
  EXPECT_EQ(values, std::vector<std::string>{"y"});
}

TEST_F(StateDbTest, ADeleteOfAKeyRocksDbLacksWritesNothing) {
  std::string read_first = DbKey(StateKind::kVariable).i64(1).str("a").bytes();
  std::string written_new = DbKey(StateKind::kElementInstance).i64(2).bytes();
  std::string unknown = DbKey(StateKind::kElementInstance).i64(3).bytes();

  // Read as absent, then created and deleted: nothing to write.
  EXPECT_FALSE(txn().view(read_first));
  txn().put(read_first, "1");
  txn().erase(read_first);
  // Written as new, then deleted: nothing either.
  txn().put_absent(written_new, "x");
  EXPECT_EQ(txn().view(written_new), "x");
  txn().erase(written_new);
  EXPECT_FALSE(txn().view(written_new));
  EXPECT_TRUE(txn().empty());

  // A key whose committed state is not known needs its delete.
  txn().put(unknown, "y");
  txn().erase(unknown);
  EXPECT_FALSE(txn().empty());
  commit();

  // Once committed, a key's delete is a real one.
  txn().put_absent(written_new, "x");
  commit();
  txn().erase(written_new);
  EXPECT_FALSE(txn().empty());
  commit();
  EXPECT_FALSE(txn().view(written_new));
}

TEST_F(StateDbTest, RollbackRestoresWritesAroundAnElidedDelete) {
  std::string key = DbKey(StateKind::kElementInstance).i64(5).bytes();
  txn().put_absent(key, "before");
  txn().set_savepoint();
  txn().erase(key);  // elided: no pending write left
  EXPECT_TRUE(txn().empty());
  txn().rollback_to_savepoint();
  EXPECT_EQ(txn().view(key), "before");
  txn().set_savepoint();
  txn().put(key, "after");
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  EXPECT_EQ(txn().view(key), "before");
  commit();
  EXPECT_EQ(txn().view(key), "before");
}

// The slot table grows many times between the savepoint and the rollback: the undo log and the
// ordered pending keys hold slots by address, which must survive it.
TEST_F(StateDbTest, RollbackAcrossSlotTableGrowthRestoresEveryWrite) {
  txn().put(child(1, 1), "kept");
  txn().put(child(1, 2), "old");
  commit();
  txn().put(child(1, 2), "pending");
  txn().set_savepoint();
  constexpr int kKeys = 5'000;
  for (int i = 0; i < kKeys; ++i)
    txn().put_absent(child(2, 100 + i), "new");
  txn().erase(child(1, 1));
  txn().put(child(1, 2), "overwritten");
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(2)).size(), static_cast<std::size_t>(kKeys));
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  EXPECT_TRUE(scan(DbKey(StateKind::kElementChild).i64(2)).empty());
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(1)),
            (std::vector<std::string>{"1=kept", "2=pending"}));
  for (int i = 0; i < kKeys; i += 997)
    EXPECT_FALSE(txn().view(child(2, 100 + i))) << i;
  commit();
  EXPECT_EQ(txn().view(child(1, 2)), "pending");
  EXPECT_EQ(txn().view(child(1, 1)), "kept");
  EXPECT_EQ(txn().committed_view(child(1, 2)), "pending");
}

TEST_F(StateDbTest, ScansSeeNoKeyWhoseWriteWasElided) {
  txn().put(child(1, 10), "c");
  commit();
  txn().put_absent(child(1, 20), "new");
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(1)),
            (std::vector<std::string>{"10=c", "20=new"}));
  txn().erase(child(1, 20));
  EXPECT_EQ(scan(DbKey(StateKind::kElementChild).i64(1)), std::vector<std::string>{"10=c"});
}

TEST_F(StateDbTest, AKeyIsNewOnlyUntilTheKeyCounterCoveringItIsCommitted) {
  EngineState state(txn(), PartitionId(1));
  Key first = encode_key(PartitionId(1), 1);
  EXPECT_TRUE(state.is_new_key(first));
  state.observe_key(first);
  EXPECT_TRUE(state.is_new_key(first));  // generated, but not committed yet
  commit();
  EXPECT_FALSE(state.is_new_key(first));
  EXPECT_TRUE(state.is_new_key(encode_key(PartitionId(1), 2)));
  // Another partition's keys are never claimed as new.
  EXPECT_FALSE(state.is_new_key(encode_key(PartitionId(2), 100)));
}

// A pinned key (the positions, the key counter) is the same slot as its key looked up the usual
// way, through writes, rollbacks, commits, evictions of the cache and the drop of dead slots.
// A new scope's entries are read from the pending writes alone: pending puts in key order, no
// pending delete, nothing of a neighbouring prefix; a key claimed new reads as absent until
// written, and its delete writes nothing.
TEST_F(StateDbTest, APendingOnlyScanSeesThePendingWritesOfItsPrefix) {
  DbKey prefix = DbKey(StateKind::kVariable).i64(7);
  txn().put(DbKey(StateKind::kVariable).i64(7).i64(2), "b");
  txn().put(DbKey(StateKind::kVariable).i64(7).i64(1), "a");
  txn().put(DbKey(StateKind::kVariable).i64(7).i64(3), "c");
  txn().put(DbKey(StateKind::kVariable).i64(8).i64(1), "other scope");
  txn().put(DbKey(StateKind::kVariable).i64(6).i64(1), "other scope");
  txn().erase(DbKey(StateKind::kVariable).i64(7).i64(3));
  std::vector<std::string> seen;
  txn().scan_pending(prefix, [&](std::string_view key, std::string_view value) {
    seen.push_back(std::to_string(read_key_i64(key, key.size() - 8)) + "=" + std::string(value));
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"1=a", "2=b"}));

  std::string fresh = DbKey(StateKind::kVariable).i64(7).i64(4).bytes();
  EXPECT_FALSE(txn().view_new(fresh));
  txn().put(fresh, "d");
  ASSERT_TRUE(txn().view_new(fresh));
  EXPECT_EQ(*txn().view_new(fresh), "d");
  std::size_t pending = txn().pending_count();
  txn().erase(fresh);
  EXPECT_EQ(txn().pending_count(), pending - 1) << "a new key's delete is no write";
}

TEST_F(StateDbTest, APinnedKeyIsTheSameEntryAsItsKey) {
  std::string key = DbKey(StateKind::kMeta).str("pinned").bytes();
  EXPECT_FALSE(txn().view_pinned(0, key));
  txn().put_pinned(0, key, "1");
  EXPECT_EQ(txn().view(key), "1");
  EXPECT_FALSE(txn().committed_view_pinned(0, key));
  txn().put(key, "2");
  EXPECT_EQ(txn().view_pinned(0, key), "2");
  txn().set_savepoint();
  txn().put_pinned(0, key, "3");
  txn().rollback_to_savepoint();
  txn().release_savepoint();
  EXPECT_EQ(txn().view_pinned(0, key), "2");
  commit();
  EXPECT_EQ(txn().committed_view_pinned(0, key), "2");
  // The cache lets go of every slot when it is full; the pin finds the key again.
  txn().put_pinned(0, key, "4");
  for (int i = 0; i < static_cast<int>(Transaction::kMaxCachedEntries) + 10; ++i)
    (void)txn().view(child(5, i));
  txn().evict_cached();
  EXPECT_EQ(txn().view_pinned(0, key), "4");
  EXPECT_EQ(txn().committed_view_pinned(0, key), "2");
  // A commit with an oversized cache drops every slot too.
  for (int i = 0; i < static_cast<int>(Transaction::kMaxCachedEntries) + 10; ++i)
    (void)txn().view(child(6, i));
  commit();
  EXPECT_EQ(txn().view_pinned(0, key), "4");
  // A pinned key created and deleted inside the window loses its slot like any other.
  std::string other = DbKey(StateKind::kMeta).str("short-lived").bytes();
  txn().put_absent(other, "x");
  EXPECT_EQ(txn().view_pinned(1, other), "x");
  txn().erase(other);
  txn().drop_dead_slots();
  EXPECT_FALSE(txn().view_pinned(1, other));
  txn().put_pinned(1, other, "y");
  EXPECT_EQ(txn().view(other), "y");
  commit();
  db_.reset();
  auto reopened = StateDb::open(dir_.path() / "state", StateDbOptions{});
  ASSERT_TRUE(reopened);
  db_ = std::move(reopened.value());
  EXPECT_EQ(txn().view_pinned(0, key), "4");
  EXPECT_EQ(txn().view_pinned(1, other), "y");
}

// The key encoding is what RocksDB holds: integers big-endian with the sign bit flipped, strings
// with a terminating zero, in order of the parts, whether the key fits the inline buffer or not.
TEST(DbKeyTest, EncodesIntegersAndStringsInOrderInlineAndBeyond) {
  DbKey key = DbKey(StateKind::kVariable).i64(0x0102030405060708).str("ab").i64(-1);
  std::string expected{static_cast<char>(StateKind::kVariable)};
  expected += std::string("\x81\x02\x03\x04\x05\x06\x07\x08", 8);
  expected += std::string("ab\0", 3);
  expected += std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
  EXPECT_EQ(key.bytes(), expected);
  EXPECT_EQ(key.size(), expected.size());
  // Order of integers is the order of their encodings, negatives first.
  std::vector<std::int64_t> values{
      std::numeric_limits<std::int64_t>::min(), -300, -1, 0, 1, 255, 256,
      std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 1; i < values.size(); ++i) {
    EXPECT_LT(DbKey(StateKind::kJob).i64(values[i - 1]).view(),
              DbKey(StateKind::kJob).i64(values[i]).view());
    EXPECT_EQ(read_key_i64(DbKey(StateKind::kJob).i64(values[i]), 1), values[i]);
  }
  // Past the inline buffer, one part at a time and all at once, and copies of both.
  std::string name(100, 'n');
  DbKey grown = DbKey(StateKind::kVariable).i64(5);
  for (int i = 0; i < 6; ++i)
    grown.str("abcdef").i64(i);
  DbKey at_once = DbKey(StateKind::kVariable).i64(5).str(name);
  std::string grown_expected = DbKey(StateKind::kVariable).i64(5).bytes();
  for (int i = 0; i < 6; ++i)
    grown_expected += std::string("abcdef\0", 7) + DbKey(StateKind::kMeta).i64(i).bytes().substr(1);
  EXPECT_EQ(grown.bytes(), grown_expected);
  EXPECT_EQ(at_once.bytes(),
            DbKey(StateKind::kVariable).i64(5).bytes() + name + std::string(1, '\0'));
  DbKey copy = grown;
  DbKey small_copy = key;
  copy = at_once;
  EXPECT_EQ(copy.bytes(), at_once.bytes());
  EXPECT_EQ(small_copy.bytes(), expected);
  small_copy = grown;
  EXPECT_EQ(small_copy.bytes(), grown_expected);
  small_copy = key;
  EXPECT_EQ(small_copy.view(), std::string_view(expected));
}

// Reopens the state with `verify_absent_writes`, which checks every write claimed new (and every
// prefix scanned as new) against RocksDB.
class StateDbDeathTest : public StateDbTest {
 protected:
  void reopen_verifying_absent_writes() {
    db_.reset();
    StateDbOptions options;
    options.verify_absent_writes = true;
    auto reopened = StateDb::open(dir_.path() / "state", options);
    ASSERT_TRUE(reopened);
    db_ = std::move(reopened.value());
  }
};

TEST_F(StateDbDeathTest, APinUsedForTwoKeysAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  txn().put_pinned(0, DbKey(StateKind::kMeta).str("a").bytes(), "1");
  EXPECT_DEATH(txn().view_pinned(0, DbKey(StateKind::kMeta).str("b").bytes()),
               "a pin always names the same key");
}

TEST_F(StateDbDeathTest, AKeyClaimedNewThatRocksDbHoldsAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string key = DbKey(StateKind::kJob).i64(9).bytes();
  txn().put(key, "old");
  commit();
  reopen_verifying_absent_writes();
  EXPECT_DEATH(txn().put_absent(key, "new"), "new is not in committed state");
}

TEST_F(StateDbDeathTest, APrefixScannedAsNewThatRocksDbHoldsAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  txn().put(DbKey(StateKind::kVariable).i64(9).str("x"), "old");
  commit();
  reopen_verifying_absent_writes();
  EXPECT_DEATH(txn().scan_pending(DbKey(StateKind::kVariable).i64(9),
                                  [](std::string_view, std::string_view) { return true; }),
               "a prefix scanned as new holds no committed state");
  EXPECT_DEATH(txn().view_new(DbKey(StateKind::kVariable).i64(9).str("x")),
               "new is not in committed state");
}

}  // namespace
}  // namespace tern::engine
