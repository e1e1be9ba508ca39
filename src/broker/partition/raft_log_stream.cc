#include "broker/partition/raft_log_stream.h"

#include "common/check.h"
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
  auto proposed = node_->propose({engine::encode_batch(batch)});
  if (!proposed) {
    LogErrorCode code = proposed.error().code == raft::ProposeErrorCode::kBackPressure
                            ? LogErrorCode::kBackPressure
                            : LogErrorCode::kNotLeader;
    return unexpected(LogError{code, proposed.error().message});
  }
  TERN_CHECK(*proposed == index, "a leader appends a single proposal at last index + 1");
  return batch.front().position;
}

std::vector<engine::Record> RaftLogStream::read_committed(Position from,
                                                          std::size_t max_records) const {
  std::vector<engine::Record> out;
  for (const auto& record : committed_records_) {
    if (out.size() >= max_records) break;
    if (record.position >= from) out.push_back(record);
  }
  return out;
}

bool RaftLogStream::add_committed(const raft::Entry& entry, std::string& error) {
  auto records = engine::decode_batch(entry.data);
  if (!records) {
    error = "entry " + std::to_string(entry.index.value())
            + " does not hold a record batch: " + records.error().message;
    return false;
  }
  std::int64_t base = static_cast<std::int64_t>(entry.index.value()) * kPositionsPerEntry;
  for (std::size_t i = 0; i < records->size(); ++i) {
    auto& record = (*records)[i];
    if (record.position != Position(base + static_cast<std::int64_t>(i))) {
      error = "entry " + std::to_string(entry.index.value()) + " holds a record at position "
              + std::to_string(record.position.value()) + ", expected "
              + std::to_string(base + static_cast<std::int64_t>(i));
      return false;
    }
    committed_ = record.position;
    committed_records_.push_back(std::move(record));
  }
  return true;
}

void RaftLogStream::clear_consumed(Position consumed) {
  while (!committed_records_.empty() && committed_records_.front().position <= consumed)
    committed_records_.pop_front();
}

void RaftLogStream::reset(Position committed) {
  committed_records_.clear();
  committed_ = committed;
}

}  // namespace tern::broker
