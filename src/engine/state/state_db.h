#pragma once

// The partition's RocksDB database and its transactions. One database per partition; kinds of
// state are key prefixes (db_key.h). Memory is bounded by configuration: small memtables per
// partition and one block cache shared by every partition of a broker.
//
// Thread: owned by the partition's strand. The Transaction (transaction.h) collects the writes of
// the commands processed and events replayed since the last write to RocksDB; reads inside it see
// its own writes. Those writes reach RocksDB atomically, with the positions they cover, when the
// window is full or when something needs RocksDB to hold all of the state.

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
#include "engine/state/transaction.h"

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
  // Write-back: the pending writes are kept across polls and written to RocksDB once they hold
  // this many bytes (keys, values and bookkeeping; Transaction::pending_bytes), so that a key
  // created and deleted inside the window never reaches RocksDB (no insert, no tombstone). This
  // bounds the window's memory; 0 writes at the end of every unit of work.
  std::size_t max_pending_write_bytes = 4 << 20;
};

std::shared_ptr<rocksdb::Cache> make_shared_block_cache(std::size_t capacity_bytes);

class StateDb {
 public:
  static Result<std::unique_ptr<StateDb>, StateError> open(const std::filesystem::path& dir,
                                                           const StateDbOptions& options);
  ~StateDb();
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  Transaction& transaction() { return transaction_; }
  const Transaction& transaction() const { return transaction_; }
  // Writes every pending change to RocksDB now, atomically.
  Result<void, StateError> commit();
  // A unit of work ended (a command processed or an event applied, with its positions): writes
  // the pending changes to RocksDB only when the window reached its bound (the bytes above, or
  // more cached keys than the transaction's cache keeps, whose reads are then dropped instead).
  Result<void, StateError> commit_when_full();
  // Drops every pending change: state is again what RocksDB holds.
  void rollback() { transaction_.clear(); }

  // A RocksDB checkpoint in `dir` (which must not exist) plus MANIFEST.json naming each file
  // with its size and checksum, and `metadata` (positions) for the restorer. Writes the pending
  // changes first.
  Result<void, StateError> snapshot(const std::filesystem::path& dir,
                                    const std::string& metadata_json);
  // Verifies a snapshot's manifest, copies it to `target_dir` and returns its metadata.
  static Result<std::string, StateError> restore(const std::filesystem::path& snapshot_dir,
                                                 const std::filesystem::path& target_dir);

  // A hash of every key and value except positions (StateKind::kMeta), read from RocksDB after
  // writing the pending changes: equal digests mean equal state.
  std::string digest();
  // Writes the pending changes and the memtables to SST files (benchmarks measure state size on
  // disk after it).
  Result<void, StateError> flush();
  // Approximate bytes of live state (memtables + SST files + pending writes).
  std::uint64_t approximate_size_bytes() const;
  // Writes of pending changes to RocksDB so far (tests: when the window was written).
  std::uint64_t write_count() const { return write_count_; }
  // A RocksDB integer property such as "rocksdb.num-deletes-active-mem-table"; 0 when unknown.
  std::uint64_t int_property(const std::string& name) const;

 private:
  StateDb(std::unique_ptr<rocksdb::DB> db, StateDbOptions options);

  std::unique_ptr<rocksdb::DB> db_;
  StateDbOptions options_;
  Transaction transaction_;
  std::uint64_t write_count_ = 0;
};

}  // namespace tern::engine
