// Log replication (§5.3): appends with pipelining and a bounded window per follower, fast
// back-off on conflicts, heartbeats, and the commit rule of §5.4.2.

#include <algorithm>

#include "common/check.h"
#include "raft/core/raft_node.h"

namespace tern::raft {

LogIndex RaftNode::append_entries(std::vector<Entry> entries) {
  LogIndex first = log_.last_index().next();
  LogIndex at = first;
  for (Entry& entry : entries) {
    entry.term = term_;
    entry.index = at;
    at = at.next();
  }
  bool has_configuration = std::any_of(entries.begin(), entries.end(), [](const Entry& e) {
    return e.type == EntryType::kConfiguration;
  });
  std::vector<Entry> copy;
  if (has_configuration) copy = entries;
  LogIndex last = log_.append(std::move(entries));
  if (has_configuration) track_appended_configurations(first, copy);
  return last;
}

Result<LogIndex, ProposeError> RaftNode::propose(std::vector<std::string> payloads) {
  if (role_ != Role::kLeader) {
    return unexpected(ProposeError{ProposeErrorCode::kNotLeader, "this replica is not the leader"});
  }
  if (transferee_) {
    return unexpected(
        ProposeError{ProposeErrorCode::kTransferInProgress, "leadership is being transferred"});
  }
  std::size_t uncommitted = log_.last_index().value() - log_.committed().value();
  if (uncommitted + payloads.size() > options_.max_uncommitted_entries) {
    return unexpected(
        ProposeError{ProposeErrorCode::kBackPressure,
                     "too many uncommitted entries (" + std::to_string(uncommitted) + ")"});
  }
  if (payloads.empty()) return log_.last_index();
  std::vector<Entry> entries;
  entries.reserve(payloads.size());
  for (std::string& payload : payloads) {
    entries.push_back(Entry{Term(0), LogIndex(0), EntryType::kNormal, std::move(payload)});
  }
  LogIndex last = append_entries(std::move(entries));
  broadcast_append();
  return last;
}

bool RaftNode::send_append(NodeId to, bool send_if_empty) {
  auto it = progress_.find(to);
  if (it == progress_.end()) return false;
  Progress& pr = it->second;
  if (pr.is_paused(options_.max_inflight_appends)) return false;
  LogIndex prev = pr.next.prev();
  std::optional<Term> prev_term = log_.term(prev);
  std::vector<Entry> entries;
  if (prev_term && pr.next <= log_.last_index()) {
    auto slice = log_.slice(pr.next, log_.last_index().next(), options_.max_append_bytes);
    if (slice.ok()) {
      entries = std::move(*slice);
    } else {
      prev_term.reset();  // compacted under us
    }
  }
  if (!prev_term) {
    // §7: the entries it needs are gone; send the snapshot instead.
    send_snapshot(to);
    return false;
  }
  if (entries.empty() && !send_if_empty) return false;
  Message message;
  message.type = MessageType::kAppend;
  message.to = to;
  message.index = prev;
  message.log_term = *prev_term;
  message.commit = log_.committed();
  if (!entries.empty()) {
    pr.sent_append(entries.back().index);
  } else if (pr.state == ProgressState::kProbe) {
    pr.probe_sent = true;
  }
  message.entries = std::move(entries);
  send(std::move(message));
  return true;
}

void RaftNode::broadcast_append() {
  for (auto& [peer, pr] : progress_)
    send_append(peer, true);
}

void RaftNode::broadcast_heartbeat() {
  for (auto& [peer, pr] : progress_) {
    Message message;
    message.type = MessageType::kHeartbeat;
    message.to = peer;
    // Never tell a follower to commit past what it is known to hold.
    message.commit = std::min(pr.match, log_.committed());
    send(std::move(message));
  }
}

void RaftNode::handle_append(const Message& message) {
  Message response;
  response.type = MessageType::kAppendResponse;
  response.to = message.from;
  if (message.index < log_.committed()) {
    response.index = log_.committed();
    send(std::move(response));
    return;
  }
  auto outcome =
      log_.maybe_append(message.index, message.log_term, message.commit, message.entries);
  if (outcome) {
    if (outcome->first_appended != LogIndex(0)) {
      std::vector<Entry> appended;
      for (const Entry& e : message.entries) {
        if (e.index >= outcome->first_appended) appended.push_back(e);
      }
      track_appended_configurations(outcome->first_appended, appended);
    }
    response.index = outcome->last_new;
    send(std::move(response));
    return;
  }
  // §5.3 optimisation: tell the leader where our log may match, skipping a whole term at a time.
  LogIndex hint = std::min(message.index, log_.last_index());
  hint = log_.find_conflict_by_term(hint, message.log_term);
  response.reject = true;
  response.index = message.index;
  response.reject_hint = hint;
  response.hint_term = log_.term(hint).value_or(Term(0));
  send(std::move(response));
}

void RaftNode::handle_append_response(const Message& message) {
  auto it = progress_.find(message.from);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (message.reject) {
    LogIndex next_probe = message.reject_hint;
    if (message.hint_term > Term(0)) {
      next_probe = log_.find_conflict_by_term(message.reject_hint, message.hint_term);
    }
    if (pr.maybe_decrease_to(message.index, next_probe)) {
      if (pr.state == ProgressState::kReplicate) pr.become_probe();
      send_append(message.from, true);
    }
    return;
  }
  bool updated = pr.maybe_update(message.index);
  if (!updated && !(pr.state == ProgressState::kProbe && pr.match == message.index)) {
    pr.acknowledge_inflight(message.index);
    return;
  }
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.become_replicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match >= pr.snapshot_index) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.acknowledge_inflight(message.index);
      break;
  }
  NodeId from = message.from;
  if (maybe_commit()) {
    after_commit_advanced();
    if (role_ != Role::kLeader) return;
    broadcast_append();
  }
  // Fill the window.
  while (send_append(from, false)) {
  }
  maybe_promote_learner(from);
  maybe_finish_transfer(from);
}

void RaftNode::handle_heartbeat(const Message& message) {
  log_.commit_to(message.commit);
  Message response;
  response.type = MessageType::kHeartbeatResponse;
  response.to = message.from;
  send(std::move(response));
}

void RaftNode::handle_heartbeat_response(const Message& message) {
  auto it = progress_.find(message.from);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  pr.probe_sent = false;
  if (pr.state == ProgressState::kSnapshot) {
    send_snapshot_chunk(message.from);  // the chunk in flight may have been lost
    return;
  }
  // A full window may consist of lost appends: free one slot so a probe can find out.
  if (pr.state == ProgressState::kReplicate
      && pr.inflight.size() >= options_.max_inflight_appends) {
    pr.inflight.pop_front();
  }
  if (pr.match < log_.last_index()) send_append(message.from, true);
  maybe_finish_transfer(message.from);
}

bool RaftNode::maybe_commit() {
  LogIndex quorum = quorum_match_index(configuration(), [this](NodeId peer) {
    if (peer == options_.id) return log_.durable_index();
    auto it = progress_.find(peer);
    return it == progress_.end() ? LogIndex(0) : it->second.match;
  });
  // §5.4.2: only entries of the current term are committed by counting replicas.
  if (quorum > log_.committed() && log_.term(quorum) == term_) {
    log_.commit_to(quorum);
    return true;
  }
  return false;
}

}  // namespace tern::raft
