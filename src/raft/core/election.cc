// Leader election (§5.2, §5.4.1), pre-vote (§9.6) and priority-biased randomized timeouts.

#include <algorithm>

#include "raft/core/raft_node.h"

namespace tern::raft {

std::uint64_t RaftNode::next_random() {
  // splitmix64: tiny, seeded, identical on every platform (std distributions are not).
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void RaftNode::set_priority_order(std::vector<NodeId> order) {
  options_.priority_order = std::move(order);
}

void RaftNode::reset_randomized_timeout() {
  // §5.2: randomized timeouts in [E, 2E) make split votes rare. Priority election: each rank below
  // the preferred leader waits another half timeout, so the preferred replica normally wins.
  int election = options_.election_ticks;
  const auto& order = options_.priority_order;
  auto rank = static_cast<int>(std::find(order.begin(), order.end(), options_.id) - order.begin());
  if (order.empty()) rank = 0;
  randomized_timeout_ = election
                        + static_cast<int>(next_random() % static_cast<std::uint64_t>(election))
                        + rank * (election / 2);
}

VoteResult RaftNode::tally() const {
  if (!forced_) return tally_votes(configuration(), votes_);
  // A forced configuration does not intersect the old quorums, so its first election must be
  // unanimous: every survivor then voted for this node in this term, hence no leader of the old
  // configuration can share the term (the lost replicas alone are not an old quorum).
  bool pending = false;
  for (NodeId voter : forced_->voters) {
    auto it = votes_.find(voter);
    if (it == votes_.end()) {
      pending = true;
    } else if (!it->second) {
      return VoteResult::kLost;
    }
  }
  return pending ? VoteResult::kPending : VoteResult::kWon;
}

void RaftNode::campaign(CampaignKind kind) {
  bool pre = kind == CampaignKind::kPreElection;
  if (pre) {
    become_pre_candidate();
  } else {
    become_candidate();
  }
  const Configuration& config = configuration();
  votes_[options_.id] = true;
  if (tally() == VoteResult::kWon) {
    if (pre) {
      campaign(CampaignKind::kElection);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId peer : config.members()) {
    if (peer == options_.id || !config.is_voter(peer)) continue;
    Message request;
    request.type = pre ? MessageType::kPreVote : MessageType::kVote;
    request.to = peer;
    request.term = pre ? term_.next() : term_;
    request.index = log_.last_index();
    request.log_term = log_.last_term();
    request.force = kind == CampaignKind::kTransfer;
    send(std::move(request));
  }
}

void RaftNode::handle_vote_request(const Message& message) {
  bool pre = message.type == MessageType::kPreVote;
  // §5.2: one vote per term, first come first served; a repeated request gets the same answer.
  // A pre-vote for a future term promises nothing, so it may be granted regardless.
  bool can_vote =
      (vote_ && *vote_ == message.from) || (!vote_ && !leader_) || (pre && message.term > term_);
  Message response;
  response.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  response.to = message.from;
  // §5.4.1: only a candidate whose log is at least as up to date as ours gets the vote.
  if (can_vote && log_.is_up_to_date(message.index, message.log_term)) {
    response.term = message.term;
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = message.from;
    }
  } else {
    response.term = term_;
    response.reject = true;
  }
  send(std::move(response));
}

void RaftNode::handle_vote_response(const Message& message) {
  votes_.emplace(message.from, !message.reject);
  switch (tally()) {
    case VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        campaign(CampaignKind::kElection);
      } else {
        become_leader();
      }
      break;
    case VoteResult::kLost:
      // A refused forced election abandons the forced configuration (a survivor holds a better
      // log or a newer configuration); the operator may retry. Keeping it would let this node
      // disrupt every later election with its lease-bypassing campaigns.
      forced_.reset();
      become_follower(term_, std::nullopt);
      break;
    case VoteResult::kPending:
      break;
  }
}

}  // namespace tern::raft
