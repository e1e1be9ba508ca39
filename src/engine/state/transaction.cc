#include "engine/state/transaction.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/check.h"

namespace tern::engine {

namespace {

std::size_t kind_of(std::string_view key) {
  return static_cast<std::uint8_t>(key.front());
}

}  // namespace

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

Transaction::SlotRef Transaction::pinned_slot(std::size_t pin, std::string_view key) const {
  SlotRef& pinned = pins_[pin];
  if (pinned == nullptr) pinned = slots_.find_or_insert(key);
  TERN_CHECK(std::string_view(pinned->key) == key, "a pin always names the same key");
  return pinned;
}

void Transaction::clear_slots() {
  slots_.clear();
  pins_.fill(nullptr);
}

std::optional<std::string_view> Transaction::view_of(SlotRef slot) const {
  const Slot& s = slot->value;
  const std::optional<std::string>* value = &s.pending;
  if (!s.has_pending) {
    load(slot);
    value = &s.committed;
  }
  if (!*value) return std::nullopt;
  return std::string_view(**value);
}

std::optional<std::string_view> Transaction::committed_view_of(SlotRef slot) const {
  load(slot);
  if (!slot->value.committed) return std::nullopt;
  return std::string_view(*slot->value.committed);
}

std::optional<std::string_view> Transaction::view(std::string_view key) const {
  return view_of(slot(key));
}

std::optional<std::string_view> Transaction::committed_view(std::string_view key) const {
  return committed_view_of(slot(key));
}

std::optional<std::string_view> Transaction::view_pinned(std::size_t pin,
                                                         std::string_view key) const {
  return view_of(pinned_slot(pin, key));
}

std::optional<std::string_view> Transaction::committed_view_pinned(std::size_t pin,
                                                                   std::string_view key) const {
  return committed_view_of(pinned_slot(pin, key));
}

void Transaction::put_pinned(std::size_t pin, std::string_view key, std::string_view value) {
  set_pending(pinned_slot(pin, key), value);
}

std::size_t Transaction::pending_cost(const Slots::Entry& entry) {
  if (!entry.value.has_pending) return 0;
  return entry.key.size() + (entry.value.pending ? entry.value.pending->size() : 0)
         + kPendingEntryOverhead;
}

void Transaction::remember(SlotRef slot) {
  if (!savepoint_) return;
  // The caller overwrites the pending value next, so it can be moved out.
  undo_.push_back(Undo{slot, slot->value.has_pending,
                       slot->value.has_pending ? std::move(slot->value.pending) : std::nullopt});
}

void Transaction::set_pending(SlotRef slot, std::optional<std::string_view> value) {
  Slot& s = slot->value;
  // The old write's cost leaves before remember() moves its value out (a moved-from value would
  // count as empty, and its bytes would stay in pending_bytes_ for good).
  pending_bytes_ -= pending_cost(*slot);
  remember(slot);
  // A delete of a key RocksDB does not hold changes nothing: no tombstone.
  if (!value && s.committed_known && !s.committed) {
    if (s.has_pending) {
      pending_keys_.erase(std::string_view(slot->key));
      s.has_pending = false;
      s.pending.reset();
    }
    dead_.push_back(slot);
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
  pending_bytes_ += pending_cost(*slot);
  if (value && floor_kinds_.test(kind_of(slot->key))) lower_floor(slot->key);
}

void Transaction::drop_pending(SlotRef slot) {
  if (!slot->value.has_pending) return;
  pending_bytes_ -= pending_cost(*slot);
  pending_keys_.erase(std::string_view(slot->key));
  slot->value.has_pending = false;
  slot->value.pending.reset();
}

void Transaction::put(std::string_view key, std::string_view value) {
  set_pending(slot(key), value);
}

void Transaction::claim_absent(SlotRef slot) const {
  Slot& s = slot->value;
  if (!s.committed_known && verify_absent_writes_) load(slot);
  if (s.committed_known) {
    TERN_CHECK(!s.committed, "a key written as new is not in committed state");
  } else {
    s.committed_known = true;
  }
}

void Transaction::note_absent(std::string_view key) {
  claim_absent(slot(key));
}

std::optional<std::string_view> Transaction::view_new(std::string_view key) const {
  SlotRef found = slot(key);
  claim_absent(found);
  return view_of(found);
}

void Transaction::scan_pending(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  if (verify_absent_writes_) {
    rocksdb::ReadOptions read_options;
    read_options.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
    it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
    TERN_CHECK(
        !it->Valid() || !std::string_view(it->key().data(), it->key().size()).starts_with(prefix),
        "a prefix scanned as new holds no committed state");
  }
  for (auto it = pending_keys_.lower_bound(prefix);
       it != pending_keys_.end() && it->first.starts_with(prefix); ++it) {
    const auto& value = it->second->value.pending;
    if (value && !visit(it->first, *value)) return;
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
  // A scan after the mark may have raised a floor past a key the rollback brings back.
  if (!undo_.empty()) clear_floors();
  // Newest first, so that a key written twice after the mark ends at its oldest remembered state.
  for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) {
    SlotRef slot = undo->slot;
    if (undo->had_pending) {
      pending_bytes_ -= pending_cost(*slot);
      if (!slot->value.has_pending) {
        pending_keys_.emplace(std::string_view(slot->key), slot);
        slot->value.has_pending = true;
      }
      slot->value.pending = std::move(undo->pending);
      pending_bytes_ += pending_cost(*slot);
    } else {
      drop_pending(slot);
    }
  }
  undo_.clear();
}

void Transaction::drop_dead_slots() {
  TERN_CHECK(!savepoint_, "slots are erased only where no undo entry can name them");
  for (SlotRef slot : dead_) {
    // A slot listed twice is already erased (its key cleared) the second time; one written
    // again since it was listed is alive.
    const Slot& s = slot->value;
    if (slot->key.empty() || s.has_pending || !s.committed_known || s.committed) continue;
    for (SlotRef& pinned : pins_) {
      if (pinned == slot) pinned = nullptr;
    }
    slots_.erase(slot->key);
  }
  dead_.clear();
}

void Transaction::clear() {
  for (auto [key, slot] : pending_keys_) {
    slot->value.has_pending = false;
    slot->value.pending.reset();
  }
  pending_keys_.clear();
  pending_bytes_ = 0;
  release_savepoint();
  // The deletes dropped may bring back keys below a floor.
  clear_floors();
}

void Transaction::evict_cached() {
  TERN_CHECK(!savepoint_, "the cache is not evicted while a command's writes may be undone");
  std::vector<std::pair<std::string, Slot>> kept;
  kept.reserve(pending_keys_.size());
  for (auto [key, slot] : pending_keys_)
    kept.emplace_back(std::move(slot->key), std::move(slot->value));
  pending_keys_.clear();
  clear_slots();
  dead_.clear();
  for (auto& [key, value] : kept) {
    SlotRef entry = slots_.find_or_insert(key);
    entry->value = std::move(value);
    pending_keys_.emplace(std::string_view(entry->key), entry);
  }
}

rocksdb::Status Transaction::commit(const rocksdb::WriteOptions& options) {
  // Undoing a command's writes after they reached RocksDB would be impossible.
  TERN_CHECK(!savepoint_, "state is written to RocksDB only between commands");
  drop_dead_slots();
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
  pending_bytes_ = 0;
  if (slots_.size() > kMaxCachedEntries) {
    clear_slots();
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
  scan_from(prefix, prefix, visit);
}

void Transaction::scan_index(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  TERN_CHECK(!prefix.empty(), "an index is scanned by a prefix of at least its kind");
  std::string_view start = prefix;
  if (auto it = floors_.find(prefix); it != floors_.end()) {
    if (it->second.empty) return;
    start = it->second.key;
  }
  std::optional<std::string> first;
  std::uint64_t epoch = floor_epoch_;
  scan_from(prefix, start, [&](std::string_view key, std::string_view value) {
    if (!first) first.emplace(key);
    return visit(key, value);
  });
  // A write from inside the visitor may have moved the floor below what this scan saw.
  if (floor_epoch_ != epoch) return;
  Floor floor;
  if (first) {
    floor.key = std::move(*first);
  } else {
    floor.empty = true;
  }
  auto it = floors_.lower_bound(prefix);
  if (it != floors_.end() && it->first == prefix) {
    it->second = std::move(floor);
    return;
  }
  if (floors_.size() >= kMaxFloors) {
    clear_floors();
    it = floors_.end();
  }
  TERN_CHECK(it == floors_.end() || !std::string_view(it->first).starts_with(prefix),
             "an index prefix holds another index's prefix");
  TERN_CHECK(it == floors_.begin() || !prefix.starts_with(std::prev(it)->first),
             "an index prefix lies inside another index's prefix");
  floors_.emplace_hint(it, std::string(prefix), std::move(floor));
  floor_kinds_.set(kind_of(prefix));
}

void Transaction::lower_floor(std::string_view key) {
  // Prefixes do not nest, so the only one that can hold `key` is the greatest at or below it.
  auto it = floors_.upper_bound(key);
  if (it == floors_.begin()) return;
  --it;
  if (!key.starts_with(it->first)) return;
  Floor& floor = it->second;
  if (floor.empty || key < floor.key) {
    floor.empty = false;
    floor.key.assign(key);
    ++floor_epoch_;
  }
}

void Transaction::clear_floors() const {
  floors_.clear();
  floor_kinds_.reset();
  ++floor_epoch_;
}

void Transaction::scan_from(
    std::string_view prefix, std::string_view start,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  // A prefix at least as long as the prefix extractor's (a kind and one key, the usual "everything
  // of this element instance") lets the memtable's prefix bloom filter answer a scan of a prefix
  // never written without seeking its skip list, and stops the iterator where that prefix ends
  // (not walking the tombstones of deleted keys beyond it). Such scans share one iterator until
  // the next write: committed state changes only there, and a prefix-same-as-start iterator
  // takes its prefix from each seek (`start` begins with `prefix`). Shorter prefixes need total
  // order and an upper bound.
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
  auto pending = pending_keys_.lower_bound(start);
  it->Seek(rocksdb::Slice(start.data(), start.size()));
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

}  // namespace tern::engine
