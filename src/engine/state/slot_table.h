#pragma once

// The state transaction's table of slots: one entry per key read or written, found by hashing.
//
// Why not std::unordered_map: finding a key's slot was ~15% of the engine's CPU, most of it the
// map's node chains missing the cache and its prime-modulo bucket arithmetic. This is an
// open-addressing index with power-of-two buckets and linear probing; each bucket holds the
// key's full hash and a pointer to its entry, so a probe compares keys only on an equal hash and
// growth never hashes a key again. Deletion shifts the following buckets of the cluster back
// (no tombstones, so probes stay short however many keys come and go).
//
// Entries live in a deque and keep their address until erased or cleared, whatever the index
// does: the transaction keeps pointers to them (its ordered pending keys, its undo log).

#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace tern::engine {

// A 64-bit hash of short byte strings (state keys are 9-25 bytes): eight bytes at a time, then a
// full avalanche so that the low bits, which pick the bucket, depend on every byte.
inline std::uint64_t slot_hash(std::string_view key) {
  constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;
  std::uint64_t hash = key.size() * kMultiplier;
  const char* data = key.data();
  std::size_t left = key.size();
  while (left >= 8) {
    std::uint64_t word;
    std::memcpy(&word, data, 8);
    hash = std::rotl((hash ^ word) * kMultiplier, 29);
    data += 8;
    left -= 8;
  }
  if (left > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, left);
    hash = std::rotl((hash ^ word) * kMultiplier, 29);
  }
  // The finaliser of SplitMix64.
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

template <typename Value>
class SlotTable {
 public:
  struct Entry {
    std::string key;
    Value value{};
  };

  SlotTable() { buckets_.resize(kMinBuckets); }

  // The entry of `key`, or null.
  Entry* find(std::string_view key) const {
    std::uint64_t hash = slot_hash(key);
    std::size_t mask = buckets_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Bucket& bucket = buckets_[i];
      if (bucket.entry == nullptr) return nullptr;
      if (bucket.hash == hash && bucket.entry->key == key) return bucket.entry;
    }
  }

  // The entry of `key`, made with a value-initialised Value when missing.
  Entry* find_or_insert(std::string_view key) {
    std::uint64_t hash = slot_hash(key);
    std::size_t mask = buckets_.size() - 1;
    std::size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
      const Bucket& bucket = buckets_[i];
      if (bucket.entry == nullptr) break;
      if (bucket.hash == hash && bucket.entry->key == key) return bucket.entry;
    }
    Entry* entry = allocate(key);
    // Grow at three quarters full: linear probing's clusters lengthen quickly beyond that.
    if ((size_ + 1) * 4 > buckets_.size() * 3) {
      grow();
      place(hash, entry);
    } else {
      buckets_[i] = Bucket{hash, entry};
    }
    ++size_;
    return entry;
  }

  // Removes `key`'s entry (its address becomes invalid); false when there was none.
  bool erase(std::string_view key) {
    std::uint64_t hash = slot_hash(key);
    std::size_t mask = buckets_.size() - 1;
    std::size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
      const Bucket& bucket = buckets_[i];
      if (bucket.entry == nullptr) return false;
      if (bucket.hash == hash && bucket.entry->key == key) break;
    }
    Entry* entry = buckets_[i].entry;
    // Backward shift: move each following bucket of the cluster into the hole when the hole lies
    // between its home bucket and where it is (cyclically), so every key stays reachable from
    // its home without passing an empty bucket.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask; buckets_[j].entry != nullptr; j = (j + 1) & mask) {
      std::size_t home = buckets_[j].hash & mask;
      std::size_t distance_to_hole = (hole - home) & mask;
      std::size_t distance_to_j = (j - home) & mask;
      if (distance_to_hole < distance_to_j) {
        buckets_[hole] = buckets_[j];
        hole = j;
      }
    }
    buckets_[hole] = Bucket{};
    entry->key.clear();
    entry->value = Value{};
    free_.push_back(entry);
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }
  std::size_t bucket_count() const { return buckets_.size(); }

  // Drops every entry and returns to the smallest index.
  void clear() {
    buckets_.assign(kMinBuckets, Bucket{});
    entries_.clear();
    free_.clear();
    size_ = 0;
  }

  // Calls `visit(Entry&)` for every entry, in no particular order.
  template <typename Visit>
  void for_each(Visit&& visit) {
    for (const Bucket& bucket : buckets_) {
      if (bucket.entry != nullptr) visit(*bucket.entry);
    }
  }

 private:
  static constexpr std::size_t kMinBuckets = 64;

  struct Bucket {
    std::uint64_t hash = 0;
    Entry* entry = nullptr;
  };

  Entry* allocate(std::string_view key) {
    if (!free_.empty()) {
      Entry* entry = free_.back();
      free_.pop_back();
      entry->key.assign(key);
      return entry;
    }
    entries_.push_back(Entry{std::string(key), Value{}});
    return &entries_.back();
  }

  void place(std::uint64_t hash, Entry* entry) {
    std::size_t mask = buckets_.size() - 1;
    std::size_t i = hash & mask;
    while (buckets_[i].entry != nullptr)
      i = (i + 1) & mask;
    buckets_[i] = Bucket{hash, entry};
  }

  void grow() {
    std::vector<Bucket> old(buckets_.size() * 2);
    old.swap(buckets_);
    for (const Bucket& bucket : old) {
      if (bucket.entry != nullptr) place(bucket.hash, bucket.entry);
    }
  }

  std::vector<Bucket> buckets_;
  std::deque<Entry> entries_;
  std::vector<Entry*> free_;
  std::size_t size_ = 0;
};

}  // namespace tern::engine
