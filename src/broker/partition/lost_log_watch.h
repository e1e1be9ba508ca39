#pragma once

// LostLogWatch: what every Raft group of a broker (data partitions and the cluster topology's
// group) does with a message before stepping it, so that a follower whose disk was wiped is
// brought back instead of blocking its group.
//
// * A heartbeat commits up to the leader's idea of this follower's match. A follower that lost
//   its disk has less than that; committing beyond its own log would break the log's invariant,
//   so the commit is clamped to what it holds (for a follower with its log intact this changes
//   nothing: its log holds at least its acknowledged match).
// * On a leader, one rejection of an index the follower acknowledged before can be a late answer
//   to an old probe; a follower that keeps refusing such indexes has lost its log. The leader's
//   view of it can never recover (the core ignores such rejections as stale), so leadership must
//   go to the most caught-up other voter, whose fresh view replicates the follower from scratch
//   (a snapshot when the log is compacted). observe() names that voter; the group hands over.
//
// Thread: the group's strand, like the node it reads.

#include <map>
#include <optional>

#include "common/strong_id.h"
#include "raft/core/raft_node.h"

namespace tern::broker {

struct LostLog {
  NodeId follower;
  raft::LogIndex rejected_index;
  NodeId successor;  // the voter to hand leadership to
};

class LostLogWatch {
 public:
  static constexpr int kRejectionsToHandOver = 3;

  // Call with each message before node.step(message); may clamp the message's commit.
  std::optional<LostLog> observe(raft::Message& message, const raft::RaftNode& node, NodeId self) {
    if (message.type == raft::MessageType::kHeartbeat && message.commit > node.log().last_index())
      message.commit = node.log().last_index();
    if (message.type != raft::MessageType::kAppendResponse) return std::nullopt;
    if (!message.reject) {
      rejections_.erase(message.from);
      return std::nullopt;
    }
    if (node.role() != raft::Role::kLeader || node.transfer_target()) return std::nullopt;
    const raft::Progress* progress = node.progress(message.from);
    if (progress == nullptr || message.index > progress->match) return std::nullopt;
    if (++rejections_[message.from] < kRejectionsToHandOver) return std::nullopt;
    rejections_.erase(message.from);
    std::optional<NodeId> successor;
    raft::LogIndex best{0};
    for (NodeId peer : node.configuration().voters) {
      if (peer == self || peer == message.from) continue;
      const raft::Progress* other = node.progress(peer);
      if (other != nullptr && other->match >= best) {
        best = other->match;
        successor = peer;
      }
    }
    if (!successor) return std::nullopt;
    return LostLog{message.from, message.index, *successor};
  }

 private:
  std::map<NodeId, int> rejections_;  // refusals of acknowledged indexes, by follower
};

}  // namespace tern::broker
