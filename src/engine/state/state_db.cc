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

constexpr std::size_t kPrefixBytes = Transaction::kPrefixBytes;

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
  // The pending window with the positions it covers: a restart then replays only what follows.
  if (auto written = commit(); !written) spdlog::error("{}", written.error().message);
  // Without a write-ahead log, unflushed memtables would be lost on close.
  auto status = db_->Flush(rocksdb::FlushOptions());
  if (!status.ok()) spdlog::error("state flush on close failed: {}", status.ToString());
}

Result<void, StateError> StateDb::commit() {
  if (transaction_.empty()) return {};
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = options_.disable_wal;
  auto status = transaction_.commit(write_options);
  if (!status.ok()) {
    transaction_.clear();
    return unexpected(io_error("state commit failed", status));
  }
  ++write_count_;
  return {};
}

Result<void, StateError> StateDb::commit_when_full() {
  // Pending writes are never evicted, so their count is kept well below the cache's bound too.
  if (transaction_.pending_bytes() >= options_.max_pending_write_bytes
      || transaction_.pending_count() > Transaction::kMaxCachedEntries / 2) {
    return commit();
  }
  if (!transaction_.in_savepoint()) transaction_.drop_dead_slots();
  if (transaction_.cached_count() > Transaction::kMaxCachedEntries) transaction_.evict_cached();
  return {};
}

Result<void, StateError> StateDb::snapshot(const std::filesystem::path& dir,
                                           const std::string& metadata_json) {
  if (auto written = commit(); !written) return written;
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

std::string StateDb::digest() {
  if (auto written = commit(); !written) {
    spdlog::critical("{}", written.error().message);
    TERN_CHECK(false, "state cannot be written before its digest");
  }
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
  if (auto written = commit(); !written) return written;
  auto status = db_->Flush(rocksdb::FlushOptions());
  if (!status.ok()) return unexpected(io_error("state flush failed", status));
  return {};
}

std::uint64_t StateDb::approximate_size_bytes() const {
  std::uint64_t sst = 0, mem = 0;
  db_->GetIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
  return sst + mem + transaction_.pending_bytes();
}

std::uint64_t StateDb::int_property(const std::string& name) const {
  std::uint64_t value = 0;
  if (!db_->GetIntProperty(name, &value)) return 0;
  return value;
}

}  // namespace tern::engine
