// RaftNode: construction, message dispatch by role, ticks, and the Ready/advance protocol.
// Election, replication, snapshots, membership and transfer live in their own files.

#include "raft/core/raft_node.h"

#include <algorithm>
#include <utility>

#include "common/check.h"

namespace tern::raft {

const char* role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

const char* message_type_name(MessageType type) {
  static constexpr const char* kNames[] = {
      "append",   "append-response",   "heartbeat",  "heartbeat-response",
      "vote",     "vote-response",     "pre-vote",   "pre-vote-response",
      "snapshot", "snapshot-response", "timeout-now"};
  auto at = static_cast<std::size_t>(type);
  return at <= kMaxMessageType ? kNames[at] : "unknown";
}

RaftNode::RaftNode(RaftOptions options, const LogStorage& storage)
    : options_(std::move(options)),
      storage_(storage),
      log_(storage),
      random_state_(options_.random_seed ^ 0x9e3779b97f4a7c15ull) {
  TERN_CHECK(options_.heartbeat_ticks > 0 && options_.election_ticks > options_.heartbeat_ticks,
             "election timeout must exceed the heartbeat interval");
  TERN_CHECK(options_.max_inflight_appends > 0, "the append window must hold at least one");
  HardState state = storage_.hard_state();
  term_ = state.term;
  vote_ = state.vote;
  persisted_hard_state_ = state;
  rebuild_configurations();
  become_follower(term_, std::nullopt);
}

const Configuration& RaftNode::configuration() const {
  if (forced_) return *forced_;
  return configurations_.empty() ? base_configuration_ : configurations_.rbegin()->second;
}

bool RaftNode::configuration_committed() const {
  if (forced_) return false;
  return configurations_.empty() || configurations_.rbegin()->first <= log_.committed();
}

Configuration RaftNode::configuration_at(LogIndex index) const {
  auto it = configurations_.upper_bound(index);
  if (it == configurations_.begin()) return base_configuration_;
  return std::prev(it)->second;
}

const Progress* RaftNode::progress(NodeId peer) const {
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

void RaftNode::reset(Term term) {
  if (term != term_) {
    term_ = term;
    vote_.reset();
  }
  leader_.reset();
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  transferee_.reset();
  votes_.clear();
  progress_.clear();
}

void RaftNode::become_follower(Term term, std::optional<NodeId> leader) {
  reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void RaftNode::become_pre_candidate() {
  // §9.6: a pre-candidate changes neither its term nor its vote.
  role_ = Role::kPreCandidate;
  votes_.clear();
  leader_.reset();
}

void RaftNode::become_candidate() {
  reset(term_.next());
  vote_ = options_.id;
  role_ = Role::kCandidate;
}

void RaftNode::become_leader() {
  reset(term_);
  role_ = Role::kLeader;
  leader_ = options_.id;
  for (NodeId peer : configuration().members()) {
    if (peer == options_.id) continue;
    Progress& pr = progress_[peer];
    pr.next = log_.last_index().next();
  }
  if (forced_) {
    // The forced configuration enters the log only now, as an entry of a term this node won, so
    // election safety and log matching hold for it like for any other entry.
    Configuration forced = *forced_;
    append_entries(
        {Entry{term_, LogIndex(0), EntryType::kConfiguration, encode_configuration(forced)}});
    forced_.reset();
  }
  // §5.4.2 / §8: an entry of the new term lets the leader commit everything before it.
  append_entries({Entry{term_, LogIndex(0), EntryType::kNoop, {}}});
  broadcast_append();
}

bool RaftNode::promotable() const {
  return configuration().is_voter(options_.id) && !log_.unstable_snapshot().has_value();
}

bool RaftNode::in_lease() const {
  // §6 / §4.2.3: while a follower hears from a leader, it disregards vote requests, so a removed or
  // partitioned server cannot depose a healthy leader.
  return options_.check_quorum && leader_.has_value()
         && election_elapsed_ < options_.election_ticks;
}

void RaftNode::send(Message message) {
  message.from = options_.id;
  if (message.type != MessageType::kPreVote && message.type != MessageType::kPreVoteResponse) {
    message.term = term_;
  }
  switch (message.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
    case MessageType::kTimeoutNow:
    case MessageType::kPreVote:
    case MessageType::kPreVoteResponse:
      messages_.push_back(std::move(message));
      break;
    default:
      // Votes and acknowledgements promise durable state (§5.1, Figure 2).
      messages_after_persist_.push_back(std::move(message));
      break;
  }
}

void RaftNode::tick_at(std::uint64_t clock_tick) {
  clock_tick_ = clock_tick;
  tick();
}

void RaftNode::tick() {
  if (role_ == Role::kLeader) {
    tick_leader();
    return;
  }
  ++election_elapsed_;
  if (promotable() && election_elapsed_ >= randomized_timeout_) {
    election_elapsed_ = 0;
    if (forced_) {
      campaign(CampaignKind::kTransfer);  // the operator's order overrides leases
    } else {
      campaign(options_.pre_vote ? CampaignKind::kPreElection : CampaignKind::kElection);
    }
  }
}

void RaftNode::tick_leader() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= options_.election_ticks) {
    election_elapsed_ = 0;
    if (options_.check_quorum) {
      bool active = has_quorum(configuration(), [this](NodeId peer) {
        if (peer == options_.id) return true;
        auto it = progress_.find(peer);
        return it != progress_.end() && it->second.recent_active;
      });
      for (auto& [peer, pr] : progress_)
        pr.recent_active = false;
      if (!active) {
        become_follower(term_, std::nullopt);
        return;
      }
    }
    transferee_.reset();  // a transfer that did not finish within an election timeout is abandoned
  }
  const auto period = static_cast<std::uint64_t>(std::max(options_.heartbeat_ticks, 1));
  const bool aligned_tick = clock_tick_ && *clock_tick_ % period == 0;
  if (heartbeat_elapsed_ >= options_.heartbeat_ticks || aligned_tick) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
    maybe_return_to_preferred();
  }
}

void RaftNode::step(Message message) {
  // Misrouted, looped-back and fenced senders' messages change nothing.
  if (message.to != options_.id || message.from == options_.id
      || configuration().is_fenced(message.from)) {
    return;
  }
  bool is_vote_request =
      message.type == MessageType::kVote || message.type == MessageType::kPreVote;
  if (message.term > term_) {
    if (is_vote_request && !message.force && in_lease()) return;
    if (message.type == MessageType::kPreVote) {
      // A pre-vote never changes anyone's term.
    } else if (message.type == MessageType::kPreVoteResponse && !message.reject) {
      // Granted pre-votes carry the term we will campaign in.
    } else {
      bool from_leader = message.type == MessageType::kAppend
                         || message.type == MessageType::kHeartbeat
                         || message.type == MessageType::kSnapshot;
      become_follower(message.term,
                      from_leader ? std::optional<NodeId>(message.from) : std::nullopt);
    }
  } else if (message.term < term_) {
    if ((message.type == MessageType::kAppend || message.type == MessageType::kHeartbeat)
        && (options_.check_quorum || options_.pre_vote)) {
      // A stale leader learns our term and steps down; otherwise, with pre-vote, it could never
      // be deposed (nobody else raises the term).
      Message response;
      response.type = MessageType::kAppendResponse;
      response.to = message.from;
      send(std::move(response));
    } else if (message.type == MessageType::kPreVote) {
      Message response;
      response.type = MessageType::kPreVoteResponse;
      response.to = message.from;
      response.term = term_;
      response.reject = true;
      send(std::move(response));
    }
    return;
  }

  if (is_vote_request) {
    handle_vote_request(message);
    return;
  }
  switch (role_) {
    case Role::kFollower:
      step_follower(message);
      break;
    case Role::kPreCandidate:
    case Role::kCandidate:
      step_candidate(message);
      break;
    case Role::kLeader:
      step_leader(message);
      break;
  }
}

void RaftNode::step_follower(Message& message) {
  switch (message.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = message.from;
      handle_append(message);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = message.from;
      handle_heartbeat(message);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = message.from;
      handle_snapshot_chunk(message);
      break;
    case MessageType::kTimeoutNow:
      handle_timeout_now(message);
      break;
    default:
      break;  // responses addressed to an earlier role of ours
  }
}

void RaftNode::step_candidate(Message& message) {
  switch (message.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // §5.2: a leader of our term exists; return to follower.
      become_follower(term_, message.from);
      step_follower(message);
      break;
    case MessageType::kVoteResponse:
      if (role_ == Role::kCandidate) handle_vote_response(message);
      break;
    case MessageType::kPreVoteResponse:
      if (role_ == Role::kPreCandidate) handle_vote_response(message);
      break;
    default:
      break;
  }
}

void RaftNode::step_leader(Message& message) {
  switch (message.type) {
    case MessageType::kAppendResponse:
      handle_append_response(message);
      break;
    case MessageType::kHeartbeatResponse:
      handle_heartbeat_response(message);
      break;
    case MessageType::kSnapshotResponse:
      handle_snapshot_response(message);
      break;
    default:
      break;
  }
}

bool RaftNode::has_ready() const {
  if (handed_.outstanding) return false;
  return HardState{term_, vote_, log_.committed()} != persisted_hard_state_
         || !log_.unstable_entries().empty() || log_.unstable_snapshot().has_value()
         || log_.has_next_committed() || !messages_.empty() || !messages_after_persist_.empty();
}

Ready RaftNode::ready() {
  TERN_CHECK(!handed_.outstanding, "ready() called again before advance()");
  Ready ready;
  HardState state{term_, vote_, log_.committed()};
  if (state != persisted_hard_state_) ready.hard_state = state;
  ready.entries = log_.unstable_entries();
  if (log_.unstable_snapshot()) ready.snapshot = *log_.unstable_snapshot();
  ready.committed_entries = log_.next_committed(options_.max_apply_bytes);
  ready.messages = std::move(messages_);
  ready.messages_after_persist = std::move(messages_after_persist_);
  messages_.clear();
  messages_after_persist_.clear();

  handed_ = Handed{};
  handed_.outstanding = true;
  handed_.hard_state = ready.hard_state;
  if (ready.snapshot)
    handed_.snapshot = std::make_pair(ready.snapshot->meta.index, ready.snapshot->meta.term);
  if (!ready.entries.empty()) {
    handed_.last_entry = std::make_pair(ready.entries.back().index, ready.entries.back().term);
  }
  handed_.applied_to =
      ready.committed_entries.empty() ? log_.applied() : ready.committed_entries.back().index;
  return ready;
}

std::vector<Message> RaftNode::take_messages() {
  std::vector<Message> out = std::move(messages_);
  messages_.clear();
  return out;
}

std::vector<Entry> RaftNode::take_committed() {
  LogIndex after = log_.applied();
  if (handed_.outstanding) after = std::max(after, handed_.applied_to);
  std::vector<Entry> entries = log_.committed_after(after, options_.max_apply_bytes);
  if (!entries.empty()) log_.applied_to(entries.back().index);
  return entries;
}

void RaftNode::advance() {
  TERN_CHECK(handed_.outstanding, "advance() without an outstanding ready()");
  std::optional<std::pair<LogIndex, Term>> synced = handed_.last_entry;
  if (!synced && handed_.snapshot) synced = *handed_.snapshot;
  advance_written();
  if (synced) persisted(synced->first, synced->second);
}

void RaftNode::advance_written() {
  TERN_CHECK(handed_.outstanding, "advance() without an outstanding ready()");
  if (handed_.hard_state) persisted_hard_state_ = *handed_.hard_state;
  if (handed_.snapshot) log_.stable_snapshot_to(handed_.snapshot->first);
  if (handed_.last_entry) log_.stable_to(handed_.last_entry->first, handed_.last_entry->second);
  log_.applied_to(handed_.applied_to);
  handed_ = Handed{};
}

void RaftNode::persisted(LogIndex index, Term term) {
  TERN_CHECK(index <= log_.stable_last_index() || !log_.match_term(index, term),
             "persisted() for entries never handed out as written");
  log_.durable_to(index, term);
  // The leader counts itself only for what it has made durable (§5.4.2 with §10.2.1).
  if (role_ == Role::kLeader && maybe_commit()) {
    after_commit_advanced();
    if (role_ == Role::kLeader) broadcast_append();
  }
}

}  // namespace tern::raft
