#pragma once

// The state transaction: the pending writes of the commands processed (or events replayed) since
// the last write to RocksDB, over a read cache of what RocksDB holds.
//
// Thread: owned by the partition's strand, like the StateDb that holds it.

#include <rocksdb/db.h>

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/state/slot_table.h"

namespace tern::engine {

// Why not RocksDB's WriteBatchWithIndex: processing one command reads the same few keys (the
// element instance, its flow scope, the job, the positions) many times, and every read through
// the indexed batch went to the memtable's skip list. Here every key read or written has one
// slot in a hash table (slot_table.h) holding both what RocksDB holds (once known; absent keys
// included) and the pending write, so a read is one hash lookup; an ordered index of the keys with
// pending writes serves scans and the write to RocksDB.
//
// Write-back: the pending writes outlive a poll. They reach RocksDB (commit()) only when the
// window holds enough (StateDbOptions::max_pending_write_bytes) or when something needs RocksDB
// to hold every change (StateDb: snapshot, digest, close, role changes). The state in RocksDB is
// not durable by itself (no write-ahead log; the replicated log is the truth), and the positions
// are pending writes like any other, so whatever RocksDB holds is always the state after exactly
// the positions it holds.
//
// What RocksDB holds is also what saves writes: a pending delete of a key RocksDB is known not
// to hold (created inside the window, or read as absent) is no write at all, not a tombstone.
// Callers that know a key is new without reading it say so with put_absent().
//
// Invariants: a slot's `committed` is exactly RocksDB's value whenever `committed_known`;
// `pending_keys_` names exactly the slots with a pending write; a slot with a pending write is
// never evicted; `pending_bytes_` is the sum of pending_cost() over the pending slots; every
// index floor is at or below the lowest key of its prefix (see scan_index()).
class Transaction {
 public:
  explicit Transaction(rocksdb::DB* db, bool verify_absent_writes = false);

  std::optional<std::string> get(std::string_view key) const;
  // The same without a copy: the view is valid only until the next call on this transaction, so
  // decode it at once.
  std::optional<std::string_view> view(std::string_view key) const;
  // What RocksDB holds for `key`, ignoring pending writes.
  std::optional<std::string_view> committed_view(std::string_view key) const;
  void put(std::string_view key, std::string_view value);

  // The same for keys read or written for every record (the positions, the key counter: about
  // half of all slot lookups): their slots are kept in a small array by the caller's fixed index
  // `pin` (< kPins, always with the same key), so that they are found without building and
  // hashing the key.
  std::optional<std::string_view> view_pinned(std::size_t pin, std::string_view key) const;
  std::optional<std::string_view> committed_view_pinned(std::size_t pin,
                                                        std::string_view key) const;
  void put_pinned(std::size_t pin, std::string_view key, std::string_view value);
  // put() of a key the caller knows RocksDB does not hold (a key generated after the last
  // write to RocksDB): deleting it again before the next write then writes nothing. With
  // `verify_absent_writes` (tests) the claim is checked against RocksDB.
  void put_absent(std::string_view key, std::string_view value);
  // The same claim without a write: a later read of `key` needs no RocksDB lookup.
  void note_absent(std::string_view key);
  void erase(std::string_view key);
  // Calls `visit` for every key starting with `prefix`, in key order, until it returns false.
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  // scan() of an index whose front is mostly deleted entries (job deadlines, activatable jobs of
  // a type): it seeks from the index's floor, a key at or below its lowest live key, instead of
  // from the prefix, so that it does not walk the tombstones before it; an index known to be
  // empty is not read at all. The scan moves the floor up to the first key it finds; every put of
  // a key under the prefix moves it down. Prefixes scanned this way must not nest (none is a
  // proper prefix of another).
  void scan_index(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  // scan() and view() for keys the caller knows RocksDB holds none of under `prefix` (entries
  // keyed by a key generated after the last write to RocksDB, as put_absent()): only the pending
  // writes are read, with no RocksDB seek or lookup. With `verify_absent_writes` (tests) the
  // claim is checked against RocksDB. The visitor must not write.
  void scan_pending(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  std::optional<std::string_view> view_new(std::string_view key) const;
  // Forgets every floor (the next scan of each index starts from its prefix).
  void clear_floors() const;

  bool empty() const { return pending_keys_.empty(); }
  std::size_t pending_count() const { return pending_keys_.size(); }
  // What the pending writes hold: keys, values and their bookkeeping (an estimate of memory).
  std::size_t pending_bytes() const { return pending_bytes_; }
  // Keys with a slot (pending writes and cached reads).
  std::size_t cached_count() const { return slots_.size(); }
  // Writes the pending changes to `db` atomically; on success they become cached state.
  rocksdb::Status commit(const rocksdb::WriteOptions& options);
  // Drops every pending change (back to what RocksDB holds).
  void clear();
  // Drops the cached reads, keeping the pending writes: the cache's bound between writes.
  void evict_cached();

  // A window holds the writes of many commands, so a single command's writes must be undoable
  // on their own: set_savepoint() marks the pending writes, rollback_to_savepoint() restores them
  // as they were at the mark.
  void set_savepoint() {
    undo_.clear();
    savepoint_ = true;
  }
  void rollback_to_savepoint();
  void release_savepoint() {
    undo_.clear();
    savepoint_ = false;
    drop_dead_slots();
  }
  bool in_savepoint() const { return savepoint_; }
  // Erases the slots of keys created and deleted again inside the window (no pending write, and
  // RocksDB known not to hold them), as a unit of work ends: only outside a command, where no
  // undo entry names a slot.
  void drop_dead_slots();

  static constexpr std::size_t kMaxCachedEntries = 1 << 16;
  // The length of RocksDB's fixed prefix extractor (StateDb::open): a kind byte and one 8-byte
  // integer (db_key.h).
  static constexpr std::size_t kPrefixBytes = 9;
  // Bookkeeping of one pending write beyond its key and value (its slot, its bucket, its entry
  // in the ordered index), for pending_bytes().
  static constexpr std::size_t kPendingEntryOverhead = 192;
  // Index floors kept at most (one per job type scanned, plus the due-date indexes).
  static constexpr std::size_t kMaxFloors = 1024;
  static constexpr std::size_t kPins = 4;

 private:
  struct Slot {
    bool committed_known = false;
    bool has_pending = false;
    std::optional<std::string> committed;  // RocksDB's value when committed_known
    std::optional<std::string> pending;    // the pending write when has_pending (nullopt: delete)
  };
  using Slots = SlotTable<Slot>;
  // A slot by address: entries keep their address while the table grows (slot_table.h).
  using SlotRef = Slots::Entry*;

  // What a write after the savepoint replaced: the slot's previous pending state.
  struct Undo {
    SlotRef slot;
    bool had_pending;
    std::optional<std::string> pending;
  };

  // An index's floor: no key of its prefix below `key` exists; with `empty`, none at all.
  struct Floor {
    std::string key;
    bool empty = false;
  };

  SlotRef slot(std::string_view key) const;
  SlotRef pinned_slot(std::size_t pin, std::string_view key) const;
  // Forgets the pinned slots (the table let go of its entries).
  void clear_slots();
  std::optional<std::string_view> view_of(SlotRef slot) const;
  std::optional<std::string_view> committed_view_of(SlotRef slot) const;
  // Reads RocksDB's value into the slot unless already known.
  void load(SlotRef slot) const;
  // Marks the slot's key as absent from RocksDB (checked with verify_absent_writes_).
  void claim_absent(SlotRef slot) const;
  // Records the slot's pending state for rollback, before it changes.
  void remember(SlotRef slot);
  void set_pending(SlotRef slot, std::optional<std::string_view> value);
  void drop_pending(SlotRef slot);
  static std::size_t pending_cost(const Slots::Entry& entry);
  // A key written: the floor of its index, if any, moves down to it.
  void lower_floor(std::string_view key);
  void scan_from(std::string_view prefix, std::string_view start,
                 const std::function<bool(std::string_view, std::string_view)>& visit) const;

  rocksdb::DB* db_;
  bool verify_absent_writes_;
  mutable Slots slots_;
  // The pinned slots by index (null until first used, and after the table lets them go).
  mutable std::array<SlotRef, kPins> pins_{};
  // The keys (owned by their slots) with a pending write, in key order.
  std::map<std::string_view, SlotRef> pending_keys_;
  std::size_t pending_bytes_ = 0;
  std::vector<Undo> undo_;
  bool savepoint_ = false;
  // Slots whose pending delete was dropped because RocksDB lacks the key (created and deleted
  // inside the window): most of the keys a window touches end this way, and keeping their slots
  // made the table several times larger than its live keys (finding a slot missed the cache).
  // Erased at the end of the command; a later read of such a key asks RocksDB again.
  std::vector<SlotRef> dead_;
  // The iterator scans of prefixes of at least the extractor's length share until the next
  // write to RocksDB (created on the first such scan).
  mutable std::unique_ptr<rocksdb::Iterator> prefix_iterator_;
  mutable bool prefix_iterator_busy_ = false;
  // Index floors by prefix, and the leading bytes (kinds) of those prefixes, so that a put of
  // another kind does not look them up.
  mutable std::map<std::string, Floor, std::less<>> floors_;
  mutable std::bitset<256> floor_kinds_;
  // Moves on every change of a floor other than a scan's own, so that a scan whose visitor wrote
  // does not raise a floor past what it wrote.
  mutable std::uint64_t floor_epoch_ = 0;
};

}  // namespace tern::engine
