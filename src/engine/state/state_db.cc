#include "engine/state/state_db.h"

#include <rocksdb/cache.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/check.h"
#include "engine/state/db_key.h"

namespace tern::engine {

namespace {

// The prefix extractor's length: a kind byte and one 8-byte integer (db_key.h).
constexpr std::size_t kPrefixBytes = 9;

constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void fnv(std::uint64_t& hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= kFnvPrime;
  }
}

void fnv_size(std::uint64_t& hash, std::size_t size) {
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  fnv(hash, std::string_view(buf, 8));
}

std::string hex(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

Result<std::string, StateError> file_checksum(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(StateError{StateErrorCode::kIo, "cannot read " + path.string()});
  std::uint64_t hash = kFnvOffset;
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof(buf));
    fnv(hash, std::string_view(buf, static_cast<std::size_t>(in.gcount())));
  }
  return hex(hash);
}

StateError io_error(const std::string& what, const rocksdb::Status& status) {
  return StateError{StateErrorCode::kIo, what + ": " + status.ToString()};
}

}  // namespace

std::shared_ptr<rocksdb::Cache> make_shared_block_cache(std::size_t capacity_bytes) {
  return rocksdb::NewLRUCache(capacity_bytes);
}

Transaction::Transaction(rocksdb::DB* db, bool verify_absent_writes)
    : db_(db), verify_absent_writes_(verify_absent_writes) {}

Transaction::SlotRef Transaction::slot(std::string_view key) const {
  return slots_.find_or_insert(key);
}

void Transaction::load(SlotRef slot) const {
  if (slot->value.committed_known) return;
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(slot->key), &value);
  if (!status.ok() && !status.IsNotFound()) {
    spdlog::critical("state read failed: {}", status.ToString());
    std::abort();
  }
  if (status.ok()) slot->value.committed = std::move(value);
  slot->value.committed_known = true;
}

std::optional<std::string> Transaction::get(std::string_view key) const {
  auto found = view(key);
  if (!found) return std::nullopt;
  return std::string(*found);
}

std::optional<std::string_view> Transaction::view(std::string_view key) const {
  SlotRef found = slot(key);
  const Slot& s = found->value;
  const std::optional<std::string>* value = &s.pending;
  if (!s.has_pending) {
    load(found);
    value = &s.committed;
  }
  if (!*value) return std::nullopt;
  return std::string_view(**value);
}

std::optional<std::string_view> Transaction::committed_view(std::string_view key) const {
  SlotRef found = slot(key);
  load(found);
  if (!found->value.committed) return std::nullopt;
  return std::string_view(*found->value.committed);
}

void Transaction::remember(SlotRef slot) {
  if (!savepoint_) return;
  // The caller overwrites the pending value next, so it can be moved out.
  undo_.push_back(Undo{slot, slot->value.has_pending,
                       slot->value.has_pending ? std::move(slot->value.pending) : std::nullopt});
}

void Transaction::set_pending(SlotRef slot, std::optional<std::string_view> value) {
  remember(slot);
  Slot& s = slot->value;
  // A delete of a key RocksDB does not hold changes nothing: no tombstone.
  if (!value && s.committed_known && !s.committed) {
    drop_pending(slot);
    return;
  }
  if (!s.has_pending) {
    pending_keys_.emplace(std::string_view(slot->key), slot);
    s.has_pending = true;
  }
  if (value) {
    s.pending.emplace(*value);
  } else {
    s.pending.reset();
  }
}

void Transaction::drop_pending(SlotRef slot) {
  if (!slot->value.has_pending) return;
  pending_keys_.erase(std::string_view(slot->key));
  slot->value.has_pending = false;
  slot->value.pending.reset();
}

void Transaction::put(std::string_view key, std::string_view value) {
  set_pending(slot(key), value);
}

void Transaction::note_absent(std::string_view key) {
  SlotRef found = slot(key);
  Slot& s = found->value;
  if (!s.committed_known && verify_absent_writes_) load(found);
  if (s.committed_known) {
    TERN_CHECK(!s.committed, "a key written as new is not in committed state");
  } else {
    s.committed_known = true;
  }
}

void Transaction::put_absent(std::string_view key, std::string_view value) {
  note_absent(key);
  put(key, value);
}

void Transaction::erase(std::string_view key) {
  set_pending(slot(key), std::nullopt);
}

void Transaction::rollback_to_savepoint() {
  // Newest first, so that a key written twice after the mark ends at its oldest remembered state.
  for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) {
    SlotRef slot = undo->slot;
    if (undo->had_pending) {
      if (!slot->value.has_pending) {
        pending_keys_.emplace(std::string_view(slot->key), slot);
        slot->value.has_pending = true;
      }
      slot->value.pending = std::move(undo->pending);
    } else {
      drop_pending(slot);
    }
  }
  undo_.clear();
}

void Transaction::clear() {
  for (auto [key, slot] : pending_keys_) {
    slot->value.has_pending = false;
    slot->value.pending.reset();
  }
  pending_keys_.clear();
  release_savepoint();
}

rocksdb::Status Transaction::commit(const rocksdb::WriteOptions& options) {
  rocksdb::WriteBatch batch;
  std::vector<SlotRef> written;
  written.reserve(pending_keys_.size());
  for (auto [key, slot] : pending_keys_) {
    const auto& value = slot->value.pending;
    auto status = value ? batch.Put(slot->key, *value) : batch.Delete(slot->key);
    if (!status.ok()) return status;
    written.push_back(slot);
  }
  // An iterator made before the write would not see it.
  prefix_iterator_.reset();
  auto status = db_->Write(options, &batch);
  if (!status.ok()) return status;
  pending_keys_.clear();
  release_savepoint();
  if (slots_.size() > kMaxCachedEntries) {
    slots_.clear();
    return status;
  }
  for (SlotRef slot : written) {
    Slot& s = slot->value;
    s.committed = std::move(s.pending);
    s.committed_known = true;
    s.has_pending = false;
    s.pending.reset();
  }
  return status;
}

void Transaction::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  // A prefix at least as long as the prefix extractor's (a kind and one key, the usual "everything
  // of this element instance") lets the memtable's prefix bloom filter answer a scan of a prefix
  // never written without seeking its skip list, and stops the iterator where that prefix ends
  // (not walking the tombstones of deleted keys beyond it). Such scans share one iterator until
  // the next commit: committed state changes only there, and a prefix-same-as-start iterator
  // takes its prefix from each seek. Shorter prefixes need total order and an upper bound.
  std::unique_ptr<rocksdb::Iterator> own;
  rocksdb::Iterator* it = nullptr;
  std::string upper;
  rocksdb::Slice upper_slice;
  // A scan from inside another scan's visitor gets an iterator of its own.
  bool shared = prefix.size() >= kPrefixBytes && !prefix_iterator_busy_;
  if (shared) {
    if (!prefix_iterator_) {
      rocksdb::ReadOptions read_options;
      read_options.prefix_same_as_start = true;
      prefix_iterator_.reset(db_->NewIterator(read_options));
    }
    it = prefix_iterator_.get();
    prefix_iterator_busy_ = true;
  } else {
    upper.assign(prefix);
    while (!upper.empty() && static_cast<std::uint8_t>(upper.back()) == 0xff)
      upper.pop_back();
    if (!upper.empty())
      upper.back() = static_cast<char>(static_cast<std::uint8_t>(upper.back()) + 1);
    upper_slice = rocksdb::Slice(upper);
    rocksdb::ReadOptions read_options;
    if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
    read_options.total_order_seek = true;
    own.reset(db_->NewIterator(read_options));
    it = own.get();
  }
  struct Release {
    bool& busy;
    bool shared;
    ~Release() {
      if (shared) busy = false;
    }
  } release{prefix_iterator_busy_, shared};
  auto in_prefix = [&](std::string_view key) { return key.starts_with(prefix); };
  // Merge the committed keys with the pending writes, which win on equal keys.
  auto pending = pending_keys_.lower_bound(prefix);
  it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  while (true) {
    bool db_valid = it->Valid() && in_prefix(std::string_view(it->key().data(), it->key().size()));
    bool pending_valid = pending != pending_keys_.end() && in_prefix(pending->first);
    if (!db_valid && !pending_valid) break;
    int order = 0;
    if (!db_valid) {
      order = 1;
    } else if (!pending_valid) {
      order = -1;
    } else {
      order = std::string_view(it->key().data(), it->key().size()).compare(pending->first);
    }
    if (order < 0) {
      auto key = it->key();
      auto value = it->value();
      if (!visit(std::string_view(key.data(), key.size()),
                 std::string_view(value.data(), value.size()))) {
        return;
      }
      it->Next();
      continue;
    }
    if (order == 0) it->Next();
    const auto& value = pending->second->value.pending;
    if (value && !visit(pending->first, *value)) return;
    ++pending;
  }
  if (!it->status().ok()) {
    spdlog::critical("state scan failed: {}", it->status().ToString());
    std::abort();
  }
}

Result<std::unique_ptr<StateDb>, StateError> StateDb::open(const std::filesystem::path& dir,
                                                           const StateDbOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.write_buffer_size = options.write_buffer_size_bytes;
  db_options.max_write_buffer_number = options.max_write_buffer_number;
  db_options.max_open_files = 64;
  db_options.max_background_jobs = 1;
  db_options.keep_log_file_num = 2;
  // Most scans are of one kind and one key (an element instance's children, variables, timers,
  // subscriptions) and most of them find nothing: a prefix bloom filter in the memtable answers
  // those without a skip-list seek.
  db_options.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kPrefixBytes));
  db_options.memtable_prefix_bloom_size_ratio = 0.1;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache =
      options.block_cache ? options.block_cache : make_shared_block_cache(8 << 20);
  table_options.cache_index_and_filter_blocks = true;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options, dir.string(), &raw);
  if (!status.ok()) return unexpected(io_error("cannot open state in " + dir.string(), status));
  return std::unique_ptr<StateDb>(new StateDb(std::unique_ptr<rocksdb::DB>(raw), options));
}

StateDb::StateDb(std::unique_ptr<rocksdb::DB> db, StateDbOptions options)
    : db_(std::move(db)),
      options_(std::move(options)),
      transaction_(db_.get(), options_.verify_absent_writes) {}

StateDb::~StateDb() {
  // Without a write-ahead log, unflushed memtables would be lost on close.
  auto status = db_->Flush(rocksdb::FlushOptions());
  if (!status.ok()) spdlog::error("state flush on close failed: {}", status.ToString());
}

Result<void, StateError> StateDb::commit() {
  if (transaction_.empty()) return {};
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = options_.disable_wal;
  auto status = transaction_.commit(write_options);
  transaction_.clear();
  if (!status.ok()) return unexpected(io_error("state commit failed", status));
  return {};
}

Result<void, StateError> StateDb::snapshot(const std::filesystem::path& dir,
                                           const std::string& metadata_json) const {
  rocksdb::Checkpoint* raw = nullptr;
  auto status = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!status.ok()) return unexpected(io_error("cannot start a checkpoint", status));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // A huge log_size_for_flush forces a flush, so the checkpoint holds no WAL dependency.
  status = checkpoint->CreateCheckpoint(dir.string(), 0);
  if (!status.ok())
    return unexpected(io_error("checkpoint to " + dir.string() + " failed", status));
  nlohmann::json manifest;
  manifest["metadata"] = nlohmann::json::parse(metadata_json);
  manifest["files"] = nlohmann::json::array();
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto checksum = file_checksum(path);
    if (!checksum) return unexpected(checksum.error());
    manifest["files"].push_back({{"name", path.filename().string()},
                                 {"size", std::filesystem::file_size(path)},
                                 {"checksum", checksum.value()}});
  }
  std::ofstream out(dir / "MANIFEST.json");
  out << manifest.dump(2);
  if (!out) return unexpected(StateError{StateErrorCode::kIo, "cannot write snapshot manifest"});
  return {};
}

Result<std::string, StateError> StateDb::restore(const std::filesystem::path& snapshot_dir,
                                                 const std::filesystem::path& target_dir) {
  std::ifstream in(snapshot_dir / "MANIFEST.json");
  if (!in) {
    return unexpected(StateError{StateErrorCode::kCorrupt,
                                 "snapshot " + snapshot_dir.string() + " has no MANIFEST.json"});
  }
  auto manifest = nlohmann::json::parse(in, nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("files") || !manifest.contains("metadata")) {
    return unexpected(StateError{StateErrorCode::kCorrupt, "snapshot manifest is not valid"});
  }
  std::error_code ec;
  std::filesystem::create_directories(target_dir, ec);
  if (ec)
    return unexpected(StateError{StateErrorCode::kIo, "cannot create " + target_dir.string()});
  for (const auto& file : manifest["files"]) {
    auto name = file["name"].get<std::string>();
    auto source = snapshot_dir / name;
    auto checksum = file_checksum(source);
    if (!checksum) return unexpected(checksum.error());
    if (checksum.value() != file["checksum"].get<std::string>()) {
      return unexpected(StateError{StateErrorCode::kCorrupt,
                                   "snapshot file " + name + " does not match its checksum"});
    }
    std::filesystem::copy_file(source, target_dir / name,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return unexpected(StateError{StateErrorCode::kIo, "cannot copy snapshot file " + name});
  }
  return manifest["metadata"].dump();
}

std::string StateDb::digest() const {
  std::uint64_t hash = kFnvOffset;
  rocksdb::ReadOptions read_options;
  read_options.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = it->key();
    if (static_cast<std::uint8_t>(key[0]) == static_cast<std::uint8_t>(StateKind::kMeta)) continue;
    fnv_size(hash, key.size());
    fnv(hash, std::string_view(key.data(), key.size()));
    fnv_size(hash, it->value().size());
    fnv(hash, std::string_view(it->value().data(), it->value().size()));
  }
  return hex(hash);
}

Result<void, StateError> StateDb::flush() {
  auto status = db_->Flush(rocksdb::FlushOptions());
  if (!status.ok()) return unexpected(io_error("state flush failed", status));
  return {};
}

std::uint64_t StateDb::approximate_size_bytes() const {
  std::uint64_t sst = 0, mem = 0;
  db_->GetIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
  return sst + mem;
}

}  // namespace tern::engine
