#include "engine/log/in_memory_log_stream.h"

#include <algorithm>

#include "common/check.h"
#include "engine/records/record_codec.h"

namespace tern::engine {

Result<Position, LogError> InMemoryLogStream::append(std::vector<Record>& batch) {
  if (batch.empty()) {
    return unexpected(LogError{LogErrorCode::kTooLarge, "an empty batch cannot be appended"});
  }
  Position first = last_position().next();
  for (auto& record : batch) {
    record.position = last_position().next();
    // Encoded into a buffer kept between appends (it has grown to fit a record long ago), then
    // stored with one allocation of the exact size.
    scratch_.clear();
    encode_record(record, scratch_);
    entries_.emplace_back(scratch_);
  }
  if (mode_ == CommitMode::kOnAppend) committed_ = last_position();
  return first;
}

Position InMemoryLogStream::readable_position(ReadScope scope) const {
  // Own records once everything before the first of them is committed, as RaftLogStream.
  if (scope == ReadScope::kCommittedAndOwn && committed_.next() >= own_first_) {
    return last_position();
  }
  return committed_;
}

std::vector<LoggedRecord> InMemoryLogStream::read(Position from, std::size_t max_records,
                                                  ValueSelection values, ReadScope scope) const {
  std::vector<LoggedRecord> out;
  const Position end = readable_position(scope);
  std::int64_t start = std::max<std::int64_t>(from.value(), 1);
  TERN_CHECK(start >= first_.value(), "in-memory log read below its compacted start");
  // One allocation up front: growing a vector of records by doubling asks for ever larger
  // blocks, each of which makes the allocator consolidate its free lists.
  if (start <= end.value()) {
    out.reserve(
        std::min<std::size_t>(max_records, static_cast<std::size_t>(end.value() - start + 1)));
  }
  for (std::int64_t p = start; p <= end.value() && out.size() < max_records; ++p) {
    const std::string& bytes = entries_[static_cast<std::size_t>(p - first_.value())];
    LoggedRecord& logged = out.emplace_back();
    std::size_t offset = 0;
    auto packed = decode_record_metadata(bytes, offset, logged.record);
    TERN_CHECK(packed.ok(), "in-memory log holds a record it cannot decode");
    if (!values.wants(logged.record)) continue;
    auto decoded = decode_logged_value(*packed, logged.record);
    TERN_CHECK(decoded.ok(), "in-memory log holds a record value it cannot decode");
    logged.has_value = true;
  }
  return out;
}

void InMemoryLogStream::commit(Position position) {
  TERN_CHECK(position <= last_position(), "cannot commit past the end of the log");
  committed_ = std::max(committed_, position);
}

void InMemoryLogStream::truncate_after(Position position) {
  TERN_CHECK(position >= committed_, "committed records are never truncated");
  entries_.resize(static_cast<std::size_t>(position.value() - first_.value() + 1));
  own_first_ = std::min(own_first_, last_position().next());
}

void InMemoryLogStream::compact_before(Position first_kept) {
  TERN_CHECK(first_kept <= committed_.next(), "only committed records are compacted");
  while (first_ < first_kept) {
    entries_.pop_front();
    first_ = first_.next();
  }
}

std::vector<Record> InMemoryLogStream::all() const {
  std::vector<Record> out;
  for (const auto& bytes : entries_) {
    auto record = decode_record(bytes);
    TERN_CHECK(record.ok(), "in-memory log holds a record it cannot decode");
    out.push_back(std::move(record.value()));
  }
  return out;
}

}  // namespace tern::engine
