#include "broker/partition/raft_log_stream.h"

#include <spdlog/spdlog.h>

#include "common/check.h"
#include "engine/records/binary_io.h"
#include "engine/records/msgpack.h"
#include "engine/records/record_codec.h"

namespace tern::broker {

using engine::LogError;
using engine::LogErrorCode;
using engine::Position;

Result<Position, LogError> RaftLogStream::append(std::vector<engine::Record>& batch) {
  if (batch.empty()) return unexpected(LogError{LogErrorCode::kTooLarge, "empty batch"});
  if (node_ == nullptr || node_->role() != raft::Role::kLeader) {
    return unexpected(LogError{LogErrorCode::kNotLeader, "this replica is not the leader"});
  }
  if (static_cast<std::int64_t>(batch.size()) >= kPositionsPerEntry) {
    return unexpected(LogError{LogErrorCode::kTooLarge,
                               "a batch holds at most " + std::to_string(kPositionsPerEntry - 1)
                                   + " records, got " + std::to_string(batch.size())});
  }
  // The entry's index is known before proposing: the leader appends at its last index + 1.
  raft::LogIndex index = node_->log().last_index().next();
  std::int64_t base = static_cast<std::int64_t>(index.value()) * kPositionsPerEntry;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].position = Position(base + static_cast<std::int64_t>(i));
    batch[i].partition_id = partition_;
  }
  // Buffered as the engine will read it (the same decoding a committed entry gets, done now
  // instead of at commit): the leader's engine acts on it before it commits.
  auto data = std::make_shared<const std::string>(engine::encode_batch(batch));
  std::vector<BufferedRecord> parsed;
  std::string error;
  if (!parse(index, data, parsed, error)) {
    // What would fail the partition once committed is refused before it is proposed.
    return unexpected(LogError{LogErrorCode::kInvalid, error});
  }
  auto proposed = node_->propose({*data});
  if (!proposed) {
    LogErrorCode code = proposed.error().code == raft::ProposeErrorCode::kBackPressure
                            ? LogErrorCode::kBackPressure
                            : LogErrorCode::kNotLeader;
    return unexpected(LogError{code, proposed.error().message});
  }
  TERN_CHECK(*proposed == index, "a leader appends a single proposal at last index + 1");
  if (node_->term() != own_term_) {
    // Own records of an earlier term (this replica led before): their fate is the log's now.
    drop_own();
    own_term_ = node_->term();
  }
  if (!own_first_) own_first_ = index;
  own_.push_back(OwnEntry{index, parsed.back().metadata.position});
  for (auto& record : parsed)
    records_.push_back(std::move(record));
  return batch.front().position;
}

Position RaftLogStream::readable_position(engine::ReadScope scope) const {
  if (scope != engine::ReadScope::kCommittedAndOwn || own_.empty() || node_ == nullptr
      || node_->role() != raft::Role::kLeader || node_->term() != own_term_) {
    return committed_;
  }
  // Everything before this leader's first entry of the term is committed: from there on the log
  // holds only this leader's entries, in the order it appended them.
  if (committed_index_.next() < *own_first_) return committed_;
  return own_.back().last;
}

std::vector<engine::LoggedRecord> RaftLogStream::read(Position from, std::size_t max_records,
                                                      engine::ValueSelection values,
                                                      engine::ReadScope scope) const {
  std::vector<engine::LoggedRecord> out;
  const Position end = readable_position(scope);
  for (const auto& buffered : records_) {
    if (out.size() >= max_records || buffered.metadata.position > end) break;
    if (buffered.metadata.position < from) continue;
    engine::LoggedRecord& logged = out.emplace_back();
    logged.record = buffered.metadata;
    if (!values.wants(logged.record)) continue;
    auto decoded = engine::decode_logged_value(buffered.value, logged.record);
    if (!decoded) {
      // Every value was checked well-formed when its entry was committed or appended (parse):
      // one that does not decode now means the check and the reader disagree, a programming
      // error.
      spdlog::critical("partition {}: record at position {} has a corrupt value: {}",
                       partition_.value(), logged.record.position.value(), decoded.error().message);
      TERN_CHECK(false, "a buffered record's value decodes");
    }
    logged.has_value = true;
  }
  return out;
}

bool RaftLogStream::parse(raft::LogIndex index, const std::shared_ptr<const std::string>& data,
                          std::vector<BufferedRecord>& records, std::string& error) const {
  auto fail = [&](const std::string& why) {
    error = "entry " + std::to_string(index.value()) + " does not hold a record batch: " + why;
    return false;
  };
  engine::binary::Reader in(*data);
  std::uint64_t count = 0;
  if (!in.varint(count)) return fail("record batch truncated while reading its count");
  std::size_t offset = in.offset();
  std::int64_t base = static_cast<std::int64_t>(index.value()) * kPositionsPerEntry;
  for (std::uint64_t i = 0; i < count; ++i) {
    BufferedRecord& record = records.emplace_back();
    auto value = engine::decode_record_metadata(*data, offset, record.metadata);
    if (!value) return fail(value.error().message);
    if (record.metadata.position != Position(base + static_cast<std::int64_t>(i))) {
      error = "entry " + std::to_string(index.value()) + " holds a record at position "
              + std::to_string(record.metadata.position.value()) + ", expected "
              + std::to_string(base + static_cast<std::int64_t>(i));
      return false;
    }
    // One allocation-free walk: a value that would not decode is refused here, so that the
    // partition fails cleanly now instead of the whole broker when the engine reads it.
    if (!engine::msgpack::well_formed(*value)) {
      error = "entry " + std::to_string(index.value()) + " holds a record at position "
              + std::to_string(record.metadata.position.value())
              + " whose value is not well-formed MessagePack";
      return false;
    }
    record.entry = data;
    record.value = *value;
  }
  return true;
}

bool RaftLogStream::add_committed(const raft::Entry& entry, std::string& error) {
  if (!own_.empty() && entry.index >= own_.front().index) {
    if (entry.index == own_.front().index && entry.term == own_term_) {
      // This leader's own entry (an index and a term name one entry): buffered when appended.
      committed_ = own_.front().last;
      committed_index_ = entry.index;
      own_.pop_front();
      return true;
    }
    // Another leader's entry where this replica wrote its own: they were truncated, and the
    // engine may have acted on them if they were readable.
    own_truncated_ = own_truncated_ || committed_index_.next() >= *own_first_;
    drop_own();
  }
  if (entry.type != raft::EntryType::kNormal) {
    committed_index_ = entry.index;
    return true;
  }
  // Decoded in full before any is buffered: a corrupt entry adds nothing.
  std::vector<BufferedRecord> records;
  if (!parse(entry.index, std::make_shared<const std::string>(entry.data), records, error)) {
    return false;
  }
  if (!records.empty() && !own_.empty()) {
    // Records must stay in log order, in front of own records appended after this entry. Only
    // the replica's own batches carry records while it leads, so this is not expected; dropping
    // the own records keeps the order (they come back when they commit). They were not
    // readable unless everything before the first of them had committed.
    own_truncated_ = own_truncated_ || committed_index_.next() >= *own_first_;
    drop_own();
  }
  committed_index_ = entry.index;
  for (auto& record : records) {
    committed_ = record.metadata.position;
    records_.push_back(std::move(record));
  }
  return true;
}

void RaftLogStream::drop_own() {
  while (!records_.empty() && records_.back().metadata.position > committed_)
    records_.pop_back();
  own_.clear();
  own_first_.reset();
}

void RaftLogStream::forget_own() {
  drop_own();
}

void RaftLogStream::clear_consumed(Position consumed) {
  consumed = std::min(consumed, committed_);
  while (!records_.empty() && records_.front().metadata.position <= consumed)
    records_.pop_front();
}

void RaftLogStream::reset(Position committed) {
  records_.clear();
  own_.clear();
  own_first_.reset();
  own_truncated_ = false;
  committed_ = committed;
}

}  // namespace tern::broker
