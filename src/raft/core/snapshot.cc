// Snapshot transfer (§7): a follower whose needed entries were compacted away receives the state
// machine's snapshot in checksummed chunks, one in flight at a time, and installs it whole.

#include "common/check.h"
#include "raft/core/crc32c.h"
#include "raft/core/raft_node.h"

namespace tern::raft {

void RaftNode::send_snapshot(NodeId to) {
  auto it = progress_.find(to);
  if (it == progress_.end()) return;
  auto snapshot = storage_.snapshot();
  TERN_CHECK(snapshot.ok(), "log storage failed to read its snapshot");
  TERN_CHECK(snapshot->meta.index > LogIndex(0), "entries were compacted without a snapshot");
  it->second.become_snapshot(snapshot->meta.index);
  send_snapshot_chunk(to);
}

void RaftNode::send_snapshot_chunk(NodeId to) {
  auto it = progress_.find(to);
  if (it == progress_.end() || it->second.state != ProgressState::kSnapshot) return;
  Progress& pr = it->second;
  auto snapshot = storage_.snapshot();
  TERN_CHECK(snapshot.ok(), "log storage failed to read its snapshot");
  if (snapshot->meta.index != pr.snapshot_index) {
    pr.become_snapshot(snapshot->meta.index);  // a newer snapshot replaced it; start over
  }
  const std::string& data = snapshot->data;
  std::uint64_t offset = std::min<std::uint64_t>(pr.snapshot_offset, data.size());
  SnapshotChunk chunk;
  chunk.meta = snapshot->meta;
  chunk.offset = offset;
  chunk.total_bytes = data.size();
  chunk.data = data.substr(offset, options_.snapshot_chunk_bytes);
  chunk.chunk_crc = crc32c(chunk.data);
  chunk.last = offset + chunk.data.size() >= data.size();
  if (chunk.last) chunk.snapshot_crc = crc32c(data);
  Message message;
  message.type = MessageType::kSnapshot;
  message.to = to;
  message.snapshot = std::move(chunk);
  send(std::move(message));
}

void RaftNode::handle_snapshot_chunk(const Message& message) {
  if (!message.snapshot) return;
  const SnapshotChunk& chunk = *message.snapshot;
  auto reply = [&](std::uint64_t expected_offset, bool reject) {
    Message response;
    response.type = MessageType::kSnapshotResponse;
    response.to = message.from;
    response.index = chunk.meta.index;
    response.snapshot_offset = expected_offset;
    response.reject = reject;
    send(std::move(response));
  };
  auto acknowledge = [&](LogIndex index) {
    Message response;
    response.type = MessageType::kAppendResponse;
    response.to = message.from;
    response.index = index;
    send(std::move(response));
  };
  if (chunk.meta.index <= log_.committed()) {
    receiving_.reset();
    acknowledge(log_.committed());
    return;
  }
  bool same =
      receiving_ && receiving_->meta == chunk.meta && receiving_->total_bytes == chunk.total_bytes;
  std::uint64_t expected = same ? receiving_->data.size() : 0;
  if (crc32c(chunk.data) != chunk.chunk_crc) {
    reply(expected, true);
    return;
  }
  if (chunk.offset == 0) {
    receiving_ = chunk;
  } else if (!same || chunk.offset != expected) {
    reply(expected, true);
    return;
  } else {
    receiving_->data += chunk.data;
  }
  if (!chunk.last) {
    reply(receiving_->data.size(), false);
    return;
  }
  if (receiving_->data.size() != chunk.total_bytes
      || crc32c(receiving_->data) != chunk.snapshot_crc) {
    receiving_.reset();
    reply(0, true);
    return;
  }
  Snapshot snapshot{receiving_->meta, std::move(receiving_->data)};
  receiving_.reset();
  if (log_.match_term(snapshot.meta.index, snapshot.meta.term)) {
    // We already hold the entry the snapshot ends at: only the commit index moves (§7).
    log_.commit_to(snapshot.meta.index);
    acknowledge(log_.committed());
    return;
  }
  LogIndex index = snapshot.meta.index;
  base_configuration_ = snapshot.meta.configuration;
  configurations_.clear();
  if (forced_ && base_configuration_.epoch >= forced_->epoch) forced_.reset();
  log_.restore(std::move(snapshot));
  on_configuration_changed();
  acknowledge(index);
}

void RaftNode::handle_snapshot_response(const Message& message) {
  auto it = progress_.find(message.from);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (pr.state != ProgressState::kSnapshot || message.index != pr.snapshot_index) return;
  pr.snapshot_offset = message.snapshot_offset;
  send_snapshot_chunk(message.from);
}

}  // namespace tern::raft
