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

std::vector<engine::LoggedRecord> RaftLogStream::read_committed(
    Position from, std::size_t max_records, engine::ValueSelection values) const {
  std::vector<engine::LoggedRecord> out;
  for (const auto& buffered : committed_records_) {
    if (out.size() >= max_records) break;
    if (buffered.metadata.position < from) continue;
    engine::LoggedRecord& logged = out.emplace_back();
    logged.record = buffered.metadata;
    if (!values.wants(logged.record)) continue;
    auto decoded = engine::decode_logged_value(buffered.value, logged.record);
    if (!decoded) {
      // Every value was checked well-formed when its entry was committed (add_committed): one
      // that does not decode now means the check and the reader disagree, a programming error.
      spdlog::critical("partition {}: committed record at position {} has a corrupt value: {}",
                       partition_.value(), logged.record.position.value(), decoded.error().message);
      TERN_CHECK(false, "a committed record's value decodes");
    }
    logged.has_value = true;
  }
  return out;
}

bool RaftLogStream::add_committed(const raft::Entry& entry, std::string& error) {
  auto data = std::make_shared<const std::string>(entry.data);
  auto fail = [&](const std::string& why) {
    error =
        "entry " + std::to_string(entry.index.value()) + " does not hold a record batch: " + why;
    return false;
  };
  engine::binary::Reader in(*data);
  std::uint64_t count = 0;
  if (!in.varint(count)) return fail("record batch truncated while reading its count");
  std::size_t offset = in.offset();
  std::int64_t base = static_cast<std::int64_t>(entry.index.value()) * kPositionsPerEntry;
  // Decoded in full before any is buffered: a corrupt entry adds nothing.
  std::vector<BufferedRecord> records;
  for (std::uint64_t i = 0; i < count; ++i) {
    BufferedRecord& record = records.emplace_back();
    auto value = engine::decode_record_metadata(*data, offset, record.metadata);
    if (!value) return fail(value.error().message);
    if (record.metadata.position != Position(base + static_cast<std::int64_t>(i))) {
      error = "entry " + std::to_string(entry.index.value()) + " holds a record at position "
              + std::to_string(record.metadata.position.value()) + ", expected "
              + std::to_string(base + static_cast<std::int64_t>(i));
      return false;
    }
    // One allocation-free walk: a value that would not decode is refused here, so that the
    // partition fails cleanly now instead of the whole broker when the engine reads it.
    if (!engine::msgpack::well_formed(*value)) {
      error = "entry " + std::to_string(entry.index.value()) + " holds a record at position "
              + std::to_string(record.metadata.position.value())
              + " whose value is not well-formed MessagePack";
      return false;
    }
    record.entry = data;
    record.value = *value;
  }
  for (auto& record : records) {
    committed_ = record.metadata.position;
    committed_records_.push_back(std::move(record));
  }
  return true;
}

void RaftLogStream::clear_consumed(Position consumed) {
  while (!committed_records_.empty() && committed_records_.front().metadata.position <= consumed)
    committed_records_.pop_front();
}

void RaftLogStream::reset(Position committed) {
  committed_records_.clear();
  committed_ = committed;
}

}  // namespace tern::broker
