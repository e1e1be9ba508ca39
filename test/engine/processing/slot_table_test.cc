// The state transaction's slot table: every key inserted is found at the same address however
// the index grows; keys whose hashes share a home bucket (including a cluster wrapping past the
// last bucket) stay reachable when others of their cluster are erased (backward shift, no
// tombstones); a long random mix of inserts and erases agrees with std::unordered_map.

#include "engine/state/slot_table.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace tern::engine {
namespace {

using Table = SlotTable<int>;

std::string key_of(std::uint64_t n) {
  // Shaped like state keys: a kind byte and a big-endian integer.
  std::string key(1, '\x07');
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((n >> shift) & 0xff));
  return key;
}

// `count` keys whose home bucket in a table of `buckets` buckets is `home`.
std::vector<std::string> keys_with_home(std::size_t buckets, std::size_t home, int count) {
  std::vector<std::string> keys;
  for (std::uint64_t n = 0; static_cast<int>(keys.size()) < count; ++n) {
    std::string key = key_of(n);
    if ((slot_hash(key) & (buckets - 1)) == home) keys.push_back(key);
  }
  return keys;
}

TEST(SlotTableTest, FindsWhatWasInsertedAndNothingElse) {
  Table table;
  EXPECT_EQ(table.find("a"), nullptr);
  Table::Entry* a = table.find_or_insert("a");
  a->value = 1;
  EXPECT_EQ(table.find_or_insert("a"), a);
  EXPECT_EQ(table.find("a"), a);
  EXPECT_EQ(table.find("a")->value, 1);
  EXPECT_EQ(table.find("b"), nullptr);
  EXPECT_EQ(table.find(""), nullptr);
  Table::Entry* empty = table.find_or_insert("");
  EXPECT_NE(empty, a);
  EXPECT_EQ(table.find(""), empty);
  EXPECT_EQ(table.size(), 2u);
}

TEST(SlotTableTest, GrowsKeepingEntriesAtTheirAddress) {
  Table table;
  std::size_t initial_buckets = table.bucket_count();
  constexpr int kKeys = 20'000;
  std::vector<Table::Entry*> entries;
  for (int i = 0; i < kKeys; ++i) {
    Table::Entry* entry = table.find_or_insert(key_of(static_cast<std::uint64_t>(i) * 977));
    entry->value = i;
    entries.push_back(entry);
  }
  EXPECT_EQ(table.size(), static_cast<std::size_t>(kKeys));
  EXPECT_GT(table.bucket_count(), initial_buckets);
  EXPECT_TRUE(std::has_single_bit(table.bucket_count()));
  // At most three quarters full.
  EXPECT_LE(table.size() * 4, table.bucket_count() * 3);
  for (int i = 0; i < kKeys; ++i) {
    Table::Entry* found = table.find(key_of(static_cast<std::uint64_t>(i) * 977));
    ASSERT_EQ(found, entries[static_cast<std::size_t>(i)]) << i;
    ASSERT_EQ(found->value, i);
  }
  EXPECT_EQ(table.find(key_of(1)), nullptr);
}

TEST(SlotTableTest, ErasingFromACollidingClusterKeepsTheRestReachable) {
  Table table;
  std::size_t buckets = table.bucket_count();
  // A cluster at the last bucket wraps to the first ones; a second cluster starts there too.
  auto wrapping = keys_with_home(buckets, buckets - 1, 4);
  auto at_start = keys_with_home(buckets, 0, 3);
  for (const auto& key : wrapping)
    table.find_or_insert(key)->value = 1;
  for (const auto& key : at_start)
    table.find_or_insert(key)->value = 2;
  ASSERT_EQ(table.bucket_count(), buckets) << "the test needs the smallest table";

  // Erase from the middle of the wrapping cluster, then its head, then one of the other cluster.
  EXPECT_TRUE(table.erase(wrapping[1]));
  EXPECT_TRUE(table.erase(wrapping[0]));
  EXPECT_TRUE(table.erase(at_start[0]));
  EXPECT_FALSE(table.erase(wrapping[0]));
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.find(wrapping[0]), nullptr);
  EXPECT_EQ(table.find(wrapping[1]), nullptr);
  EXPECT_EQ(table.find(at_start[0]), nullptr);
  for (const auto& key : {wrapping[2], wrapping[3]}) {
    ASSERT_NE(table.find(key), nullptr);
    EXPECT_EQ(table.find(key)->value, 1);
  }
  for (const auto& key : {at_start[1], at_start[2]}) {
    ASSERT_NE(table.find(key), nullptr);
    EXPECT_EQ(table.find(key)->value, 2);
  }
  // An erased key comes back with a fresh value.
  EXPECT_EQ(table.find_or_insert(wrapping[1])->value, 0);
  EXPECT_EQ(table.size(), 5u);
}

TEST(SlotTableTest, ARandomMixOfInsertsAndErasesAgreesWithAReferenceMap) {
  Table table;
  std::unordered_map<std::string, int> reference;
  std::mt19937_64 random(42);
  // Few distinct keys, so that erased keys are inserted again and clusters churn.
  std::uniform_int_distribution<std::uint64_t> pick(0, 3'000);
  for (int step = 0; step < 200'000; ++step) {
    std::string key = key_of(pick(random));
    if (random() % 3 == 0) {
      ASSERT_EQ(table.erase(key), reference.erase(key) == 1) << step;
    } else {
      table.find_or_insert(key)->value = step;
      reference[key] = step;
    }
    ASSERT_EQ(table.size(), reference.size()) << step;
  }
  for (std::uint64_t n = 0; n <= 3'000; ++n) {
    std::string key = key_of(n);
    auto expected = reference.find(key);
    Table::Entry* found = table.find(key);
    if (expected == reference.end()) {
      ASSERT_EQ(found, nullptr) << n;
    } else {
      ASSERT_NE(found, nullptr) << n;
      ASSERT_EQ(found->value, expected->second) << n;
    }
  }
  std::size_t visited = 0;
  table.for_each([&](Table::Entry& entry) {
    ++visited;
    EXPECT_EQ(reference.at(entry.key), entry.value);
  });
  EXPECT_EQ(visited, reference.size());
}

TEST(SlotTableTest, ClearForgetsEverything) {
  Table table;
  for (std::uint64_t n = 0; n < 1'000; ++n)
    table.find_or_insert(key_of(n))->value = 1;
  table.clear();
  EXPECT_EQ(table.size(), 0u);
  for (std::uint64_t n = 0; n < 1'000; ++n)
    ASSERT_EQ(table.find(key_of(n)), nullptr);
  EXPECT_EQ(table.find_or_insert(key_of(5))->value, 0);
}

}  // namespace
}  // namespace tern::engine
