#pragma once

// The partition's RocksDB database and its transactions. One database per partition; kinds of
// state are key prefixes (db_key.h). Memory is bounded by configuration: small memtables per
// partition and one block cache shared by every partition of a broker.
//
// Thread: owned by the partition's strand. A Transaction collects the writes of one processed
// command (or one replayed batch) and is committed atomically; reads inside it see its own writes.

#include <rocksdb/db.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/state/slot_table.h"

namespace tern::engine {

enum class StateErrorCode { kIo, kCorrupt, kInvalidArgument };

struct StateError {
  StateErrorCode code;
  std::string message;
};

struct StateDbOptions {
  std::size_t write_buffer_size_bytes = 4 << 20;
  int max_write_buffer_number = 2;
  // Shared between partitions; when null a private 8 MiB cache is made.
  std::shared_ptr<rocksdb::Cache> block_cache;
  // Skip the write-ahead log: state is rebuilt from the replicated log after a crash.
  bool disable_wal = true;
  // Check every Transaction::put_absent claim against RocksDB (a read per call; for tests).
  bool verify_absent_writes = false;
};

std::shared_ptr<rocksdb::Cache> make_shared_block_cache(std::size_t capacity_bytes);

// The writes of the commands being processed, over a read cache of committed state.
//
// Why not RocksDB's WriteBatchWithIndex: processing one command reads the same few keys (the
// element instance, its flow scope, the job, the positions) many times, and every read through
// the indexed batch went to the memtable's skip list. Here every key read or written has one
// slot in a hash table (slot_table.h) holding both what RocksDB holds (once known; absent keys
// included) and the pending write, so a read is one hash lookup; an ordered index of the keys with
// pending writes serves scans and the commit.
//
// What RocksDB holds is also what saves writes: a pending delete of a key RocksDB is known not
// to hold (created by this transaction, or read as absent) is no write at all, not a tombstone.
// Callers that know a key is new without reading it say so with put_absent().
//
// Invariants: a slot's `committed` is exactly RocksDB's value whenever `committed_known`;
// `pending_keys_` names exactly the slots with a pending write; a slot with a pending write is
// never evicted. The cache is bounded by kMaxCachedEntries (cleared after a commit when full).
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
  // put() of a key the caller knows RocksDB does not hold (a key generated after the last
  // commit): deleting it again before the commit then writes nothing. With
  // `verify_absent_writes` (tests) the claim is checked against RocksDB.
  void put_absent(std::string_view key, std::string_view value);
  // The same claim without a write: a later read of `key` needs no RocksDB lookup.
  void note_absent(std::string_view key);
  void erase(std::string_view key);
  // Calls `visit` for every key starting with `prefix`, in key order, until it returns false.
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

  bool empty() const { return pending_keys_.empty(); }
  // Writes the pending changes to `db` atomically; on success they become cached state.
  rocksdb::Status commit(const rocksdb::WriteOptions& options);
  void clear();

  // The pending writes of many commands are committed together (one RocksDB write per poll), so
  // a single command's writes must be undoable on their own: set_savepoint() marks the pending
  // writes, rollback_to_savepoint() restores them as they were at the mark.
  void set_savepoint() {
    undo_.clear();
    savepoint_ = true;
  }
  void rollback_to_savepoint();
  void release_savepoint() {
    undo_.clear();
    savepoint_ = false;
  }

  static constexpr std::size_t kMaxCachedEntries = 1 << 16;

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

  SlotRef slot(std::string_view key) const;
  // Reads RocksDB's value into the slot unless already known.
  void load(SlotRef slot) const;
  // Records the slot's pending state for rollback, before it changes.
  void remember(SlotRef slot);
  void set_pending(SlotRef slot, std::optional<std::string_view> value);
  void drop_pending(SlotRef slot);

  rocksdb::DB* db_;
  bool verify_absent_writes_;
  mutable Slots slots_;
  // The keys (owned by their slots) with a pending write, in key order.
  std::map<std::string_view, SlotRef> pending_keys_;
  std::vector<Undo> undo_;
  bool savepoint_ = false;
  // The iterator scans of prefixes of at least the extractor's length share until the next
  // commit (created on the first such scan).
  mutable std::unique_ptr<rocksdb::Iterator> prefix_iterator_;
  mutable bool prefix_iterator_busy_ = false;
};

class StateDb {
 public:
  static Result<std::unique_ptr<StateDb>, StateError> open(const std::filesystem::path& dir,
                                                           const StateDbOptions& options);
  ~StateDb();
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  Transaction& transaction() { return transaction_; }
  const Transaction& transaction() const { return transaction_; }
  // Writes the pending transaction atomically and starts a new one.
  Result<void, StateError> commit();
  void rollback() { transaction_.clear(); }

  // A RocksDB checkpoint in `dir` (which must not exist) plus MANIFEST.json naming each file
  // with its size and checksum, and `metadata` (positions) for the restorer.
  Result<void, StateError> snapshot(const std::filesystem::path& dir,
                                    const std::string& metadata_json) const;
  // Verifies a snapshot's manifest, copies it to `target_dir` and returns its metadata.
  static Result<std::string, StateError> restore(const std::filesystem::path& snapshot_dir,
                                                 const std::filesystem::path& target_dir);

  // A hash of every committed key and value except positions (StateKind::kMeta): equal digests
  // mean equal state.
  std::string digest() const;
  // Writes memtables to SST files (benchmarks measure state size on disk after it).
  Result<void, StateError> flush();
  // Approximate bytes of live state (memtables + SST files).
  std::uint64_t approximate_size_bytes() const;

 private:
  StateDb(std::unique_ptr<rocksdb::DB> db, StateDbOptions options);

  std::unique_ptr<rocksdb::DB> db_;
  StateDbOptions options_;
  Transaction transaction_;
};

}  // namespace tern::engine
