#pragma once

// Messages between the replicas of one Raft group. A tagged struct (one shape for every type, as
// the fields overlap heavily); the broker's transport carries them as bytes (raft/codec.h) and
// multiplexes partitions, so no group id appears here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/strong_id.h"
#include "raft/core/configuration.h"
#include "raft/core/types.h"

namespace tern::raft {

enum class MessageType : std::uint8_t {
  kAppend = 0,             // index/log_term = previous entry, entries, commit (§5.3)
  kAppendResponse = 1,     // index = last matching index; or reject with a conflict hint
  kHeartbeat = 2,          // commit = min(leader commit, follower match)
  kHeartbeatResponse = 3,  //
  kVote = 4,               // index/log_term = candidate's last entry (§5.4.1); force = transfer
  kVoteResponse = 5,       // reject = vote denied
  kPreVote = 6,            // as kVote, for term + 1, without anyone changing term (§9.6)
  kPreVoteResponse = 7,    //
  kSnapshot = 8,           // one chunk of a snapshot (§7)
  kSnapshotResponse = 9,   // snapshot_offset = next byte the follower expects
  kTimeoutNow = 10,        // leadership transfer: campaign now (§3.10)
};
inline constexpr std::uint8_t kMaxMessageType = 10;

const char* message_type_name(MessageType type);

struct SnapshotMeta {
  LogIndex index;  // last index the snapshot covers
  Term term;       // term of that entry
  Configuration configuration;

  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // the state machine's bytes, opaque to Raft
};

// One chunk of a snapshot in flight. Each chunk carries its own checksum; the last one also the
// checksum of the whole snapshot, so a follower never installs bytes that changed on the way.
struct SnapshotChunk {
  SnapshotMeta meta;
  std::uint64_t offset = 0;
  std::uint64_t total_bytes = 0;
  std::string data;
  std::uint32_t chunk_crc = 0;
  std::uint32_t snapshot_crc = 0;  // checked when `last`
  bool last = false;

  bool operator==(const SnapshotChunk&) const = default;
};

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from;
  NodeId to;
  Term term;

  LogIndex index;  // prev index (append), last index (vote), match or rejected index (responses)
  Term log_term;   // prev term (append), last term (vote)
  LogIndex commit;
  std::vector<Entry> entries;

  bool reject = false;
  LogIndex reject_hint;  // follower's guess of the last index that may match (fast back-off)
  Term hint_term;        // term of the follower's entry at reject_hint
  bool force = false;    // vote requests of a leadership transfer or forced reconfiguration

  std::optional<SnapshotChunk> snapshot;
  std::uint64_t snapshot_offset = 0;

  bool operator==(const Message&) const = default;
};

}  // namespace tern::raft
