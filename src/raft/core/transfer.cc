// Leadership transfer (dissertation §3.10): the leader stops taking proposals, brings the target
// up to date, then tells it to campaign at once; the target's vote requests bypass the lease.

#include "raft/core/raft_node.h"

namespace tern::raft {

Result<void, ProposeError> RaftNode::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) {
    return unexpected(ProposeError{ProposeErrorCode::kNotLeader, "this replica is not the leader"});
  }
  if (target == options_.id) return {};
  if (!configuration().is_voter(target) || progress_.count(target) == 0) {
    return unexpected(ProposeError{ProposeErrorCode::kInvalidRequest,
                                   "node " + std::to_string(target.value()) + " is not a voter"});
  }
  transferee_ = target;
  election_elapsed_ = 0;  // the transfer gets one election timeout to finish
  if (progress_[target].match == log_.last_index()) {
    maybe_finish_transfer(target);
  } else {
    send_append(target, true);
  }
  return {};
}

void RaftNode::maybe_finish_transfer(NodeId peer) {
  if (role_ != Role::kLeader || !transferee_ || *transferee_ != peer) return;
  auto it = progress_.find(peer);
  if (it == progress_.end() || it->second.match != log_.last_index()) return;
  Message message;
  message.type = MessageType::kTimeoutNow;
  message.to = peer;
  send(std::move(message));
}

void RaftNode::maybe_return_to_preferred() {
  if (!options_.return_leadership_to_preferred || options_.priority_order.empty()) return;
  if (role_ != Role::kLeader || transferee_) return;
  NodeId preferred = options_.priority_order.front();
  if (preferred == options_.id || !configuration().is_voter(preferred)) return;
  auto it = progress_.find(preferred);
  if (it == progress_.end() || !it->second.recent_active || it->second.match != log_.last_index()) {
    return;
  }
  (void)transfer_leadership(preferred);  // cannot fail: leader, voter, progress present
}

void RaftNode::handle_timeout_now(const Message& /*message*/) {
  if (!promotable()) return;
  campaign(CampaignKind::kTransfer);
}

}  // namespace tern::raft
