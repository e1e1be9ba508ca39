// Journal: opening, crash recovery and reads. Writes are in journal_write.cc.

#include "raft/journal/journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "common/check.h"
#include "raft/journal/format.h"

namespace tern::raft::journal {
namespace {

JournalError io_error(std::string message) {
  return JournalError{JournalErrorCode::kIo, std::move(message)};
}
JournalError corrupt(std::string message) {
  return JournalError{JournalErrorCode::kCorrupt, std::move(message)};
}

// "segment-00000000000000000042.log" -> 42
std::optional<std::uint64_t> segment_first_from_name(const std::string& name) {
  constexpr std::string_view kPrefix = "segment-";
  constexpr std::string_view kSuffix = ".log";
  if (name.size() != kPrefix.size() + 20 + kSuffix.size()) return std::nullopt;
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  if (name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return value;
}

}  // namespace

Journal::Journal(std::filesystem::path dir, JournalOptions options)
    : dir_(std::move(dir)), options_(options) {}

Journal::~Journal() = default;

JournalResult<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& dir,
                                                      JournalOptions options) {
  if (options.index_interval == 0 || options.segment_size_bytes < kSegmentHeaderBytes) {
    return unexpected(JournalError{JournalErrorCode::kInvalidArgument,
                                   "index interval and segment size must be positive"});
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unexpected(io_error("cannot create " + dir.string() + ": " + ec.message()));
  std::unique_ptr<Journal> journal(new Journal(dir, options));
  auto recovered = journal->recover();
  if (!recovered.ok()) {
    spdlog::error("journal {} cannot be opened: {}", dir.string(), recovered.error().message);
    return unexpected(recovered.error());
  }
  spdlog::info("journal {} opened: snapshot {}, entries up to {}, flushed up to {}, {} segments",
               dir.string(), journal->snapshot_meta_.index.value(), journal->last_index().value(),
               journal->flushed_index_.value(), journal->segments_.size());
  return journal;
}

JournalResult<void> Journal::recover() {
  if (auto r = load_state(); !r.ok()) return r;
  if (auto r = load_snapshot(); !r.ok()) return r;
  if (auto r = scan_segments(); !r.ok()) return r;
  pending_hard_state_ = hard_state_;
  return {};
}

JournalResult<void> Journal::load_state() {
  std::filesystem::path path = dir_ / "state";
  if (!std::filesystem::exists(path)) return {};
  auto file = File::open(path, OpenMode::kExisting);
  if (!file.ok()) return unexpected(io_error(file.error()));
  auto bytes = file->read_all();
  if (!bytes.ok()) return unexpected(io_error(bytes.error()));
  std::optional<StateSlot> best;
  for (std::uint64_t slot = 0; slot < 2; ++slot) {
    std::uint64_t at = slot * kStateSlotBytes;
    if (bytes->size() <= at) continue;
    auto decoded = decode_state_slot(std::string_view(*bytes).substr(at));
    if (decoded && (!best || decoded->sequence > best->sequence)) best = decoded;
  }
  // Both slots bad cannot come from one torn write (writes alternate), so it is corruption.
  if (!best && !bytes->empty())
    return unexpected(corrupt("state file " + path.string() + ": no slot passes its checksum"));
  if (best) {
    hard_state_ = best->hard_state;
    flushed_index_ = best->flushed;
    state_sequence_ = best->sequence;
  }
  return {};
}

JournalResult<void> Journal::load_snapshot() {
  std::filesystem::path path = dir_ / "snapshot";
  if (!std::filesystem::exists(path)) return {};
  auto file = File::open(path, OpenMode::kExisting);
  if (!file.ok()) return unexpected(io_error(file.error()));
  auto bytes = file->read_all();
  if (!bytes.ok()) return unexpected(io_error(bytes.error()));
  std::string error;
  auto snapshot = decode_snapshot_file(*bytes, error);
  if (!snapshot) return unexpected(corrupt(path.string() + ": " + error));
  snapshot_meta_ = snapshot->meta;
  snapshot_data_ = std::move(snapshot->data);
  return {};
}

JournalResult<void> Journal::scan_segments() {
  std::vector<std::pair<std::uint64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    if (auto first = segment_first_from_name(item.path().filename().string())) {
      found.emplace_back(*first, item.path());
    }
  }
  if (ec) return unexpected(io_error("cannot list " + dir_.string() + ": " + ec.message()));
  std::sort(found.begin(), found.end());

  LogIndex expected;  // next index the log must continue with
  bool cut = false;   // a torn tail was found: every later segment goes
  for (auto& [first_value, path] : found) {
    if (cut) {
      std::filesystem::remove(path, ec);
      continue;
    }
    LogIndex first(first_value);
    auto file = File::open(path, OpenMode::kExisting);
    if (!file.ok()) return unexpected(io_error(file.error()));
    auto bytes = file->read_all();
    if (!bytes.ok()) return unexpected(io_error(bytes.error()));
    bool continues = segments_.empty() || first == expected;
    auto header = decode_segment_header(*bytes);
    if (!header || *header != first || !continues) {
      if (first <= flushed_index_ && first > snapshot_meta_.index) {
        return unexpected(corrupt("segment " + path.string()
                                  + ": bad header or gap below the flushed index "
                                  + std::to_string(flushed_index_.value())));
      }
      cut = true;
      std::filesystem::remove(path, ec);
      continue;
    }
    Segment segment;
    segment.first = first;
    segment.last = first.prev();
    std::uint64_t pos = kSegmentHeaderBytes;
    std::uint32_t since_point = options_.index_interval;
    std::string_view view(*bytes);
    if (segments_.empty()) terms_base_ = first;
    while (pos < view.size()) {
      DecodedFrame frame = decode_record(view.substr(pos));
      LogIndex want = segment.last.next();
      if (frame.status == FrameStatus::kOk && frame.entry.index != want) {
        frame.status = FrameStatus::kBadPayload;
      }
      if (frame.status != FrameStatus::kOk) {
        if (want <= flushed_index_) {
          return unexpected(corrupt("segment " + path.string() + " offset " + std::to_string(pos)
                                    + ": " + frame_status_name(frame.status) + " at index "
                                    + std::to_string(want.value())
                                    + ", inside flushed data (flushed up to "
                                    + std::to_string(flushed_index_.value()) + ")"));
        }
        // A torn tail after the last flush: cut the log here and carry on.
        spdlog::warn(
            "journal {}: {} at index {} (offset {}) after the flushed index {}; "
            "cutting the torn tail there",
            path.string(), frame_status_name(frame.status), want.value(), pos,
            flushed_index_.value());
        if (auto r = file->truncate(pos); !r.ok()) return unexpected(io_error(r.error()));
        if (auto r = sync_file(*file); !r.ok()) return r;
        view = view.substr(0, pos);
        cut = true;
        break;
      }
      if (since_point >= options_.index_interval) {
        segment.sparse.emplace_back(want, pos);
        since_point = 0;
      }
      ++since_point;
      terms_.push_back(frame.entry.term);
      segment.last = want;
      pos += frame.bytes;
    }
    segment.size = view.size();
    segment.file = std::make_shared<File>(std::move(*file));
    expected = segment.last.next();
    segments_.emplace(first, std::move(segment));
  }

  // Entries that do not continue the snapshot belong to an abandoned history (a crash while a
  // received snapshot replaced the log): drop them.
  if (segments_.empty()) terms_base_ = snapshot_meta_.index.next();
  LogIndex s = snapshot_meta_.index;
  if (s > LogIndex(0) && !segments_.empty()) {
    bool starts_after = terms_base_ == s.next();
    bool holds = s >= terms_base_ && s.value() < terms_base_.value() + terms_.size()
                 && terms_[s.value() - terms_base_.value()] == snapshot_meta_.term;
    if (!starts_after && !holds) {
      if (auto r = remove_all_segments(); !r.ok()) return r;
    }
  }
  if (last_index() < flushed_index_) {
    return unexpected(corrupt("journal " + dir_.string() + " ends at index "
                              + std::to_string(last_index().value()) + " but was flushed up to "
                              + std::to_string(flushed_index_.value())));
  }
  return {};
}

LogIndex Journal::last_index() const {
  LogIndex stored(terms_base_.value() + terms_.size() - 1);
  return std::max(stored, snapshot_meta_.index);
}

StorageResult<Term> Journal::term(LogIndex index) const {
  if (index < snapshot_meta_.index) {
    return unexpected(StorageError{StorageErrorCode::kCompacted, "term below the snapshot"});
  }
  if (index == snapshot_meta_.index) return snapshot_meta_.term;
  if (index > last_index()) {
    return unexpected(StorageError{StorageErrorCode::kUnavailable, "term beyond the last index"});
  }
  return terms_[index.value() - terms_base_.value()];
}

const Journal::Segment* Journal::segment_for(LogIndex index) const {
  auto it = segments_.upper_bound(index);
  if (it == segments_.begin()) return nullptr;
  --it;
  return index <= it->second.last ? &it->second : nullptr;
}

std::uint64_t Journal::offset_of(const Segment& segment, LogIndex index) const {
  auto point = std::upper_bound(
      segment.sparse.begin(), segment.sparse.end(), index,
      [](LogIndex value, const std::pair<LogIndex, std::uint64_t>& p) { return value < p.first; });
  TERN_CHECK(point != segment.sparse.begin(), "sparse index must cover the segment's first entry");
  --point;
  std::uint64_t offset = point->second;
  char header[kFrameHeaderBytes];
  for (LogIndex at = point->first; at < index; at = at.next()) {
    auto read = segment.file->read_at(offset, header, sizeof header);
    TERN_CHECK(read.ok(), "journal segment became unreadable");
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(header[i])) << (8 * i);
    }
    offset += kFrameHeaderBytes + length;
  }
  return offset;
}

StorageResult<std::vector<Entry>> Journal::entries(LogIndex low, LogIndex high,
                                                   std::size_t max_bytes) const {
  if (low < first_index()) {
    return unexpected(StorageError{StorageErrorCode::kCompacted, "entries below the snapshot"});
  }
  if (high > last_index().next() || low > high) {
    return unexpected(StorageError{StorageErrorCode::kUnavailable, "entries beyond the log"});
  }
  std::vector<Entry> out;
  std::size_t bytes = 0;
  LogIndex at = low;
  // Recent entries come from the in-memory tail: followers in step never touch the disk.
  LogIndex cached_from = cache_.empty() ? last_index().next() : cache_.front().index;
  while (at < high) {
    if (at >= cached_from) {
      for (; at < high; at = at.next()) {
        const Entry& entry = cache_[at.value() - cached_from.value()];
        bytes += entry_size_bytes(entry);
        if (!out.empty() && bytes > max_bytes) return out;
        out.push_back(entry);
      }
      break;
    }
    const Segment* segment = segment_for(at);
    if (segment == nullptr) {
      return unexpected(StorageError{StorageErrorCode::kIo,
                                     "no segment holds index " + std::to_string(at.value())});
    }
    std::uint64_t offset = offset_of(*segment, at);
    for (; at < high && at <= segment->last && at < cached_from; at = at.next()) {
      char header[kFrameHeaderBytes];
      if (auto r = segment->file->read_at(offset, header, sizeof header); !r.ok()) {
        return unexpected(StorageError{StorageErrorCode::kIo, r.error()});
      }
      std::uint32_t length = 0;
      for (int i = 0; i < 4; ++i) {
        length |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(header[i])) << (8 * i);
      }
      std::string frame(kFrameHeaderBytes + length, '\0');
      if (length > kMaxRecordBytes) {
        return unexpected(StorageError{StorageErrorCode::kCorrupt, "impossible record length"});
      }
      if (auto r = segment->file->read_at(offset, frame.data(), frame.size()); !r.ok()) {
        return unexpected(StorageError{StorageErrorCode::kIo, r.error()});
      }
      DecodedFrame decoded = decode_record(frame);
      if (decoded.status != FrameStatus::kOk || decoded.entry.index != at) {
        return unexpected(StorageError{StorageErrorCode::kCorrupt,
                                       segment->file->path().string() + ": "
                                           + frame_status_name(decoded.status) + " reading index "
                                           + std::to_string(at.value())});
      }
      bytes += entry_size_bytes(decoded.entry);
      if (!out.empty() && bytes > max_bytes) return out;
      out.push_back(std::move(decoded.entry));
      offset += frame.size();
    }
  }
  return out;
}

StorageResult<Snapshot> Journal::snapshot() const {
  return Snapshot{snapshot_meta_, snapshot_data_};
}

}  // namespace tern::raft::journal
