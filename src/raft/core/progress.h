#pragma once

// Progress: the leader's view of one follower's log (§5.3 nextIndex/matchIndex), plus the flow
// control that bounds what is in flight to it.
//
//   kProbe      — the match point is unknown; at most one append is outstanding per heartbeat.
//   kReplicate  — the follower is in step; appends are pipelined optimistically, at most
//                 `max_inflight` unacknowledged at once (the window that throttles slow followers).
//   kSnapshot   — the follower is too far behind; snapshot chunks are streamed, one in flight.
//
// Owned by the leader's RaftNode. Invariant: match < next.

#include <cstddef>
#include <deque>

#include "raft/core/types.h"

namespace tern::raft {

enum class ProgressState : std::uint8_t { kProbe, kReplicate, kSnapshot };

struct Progress {
  LogIndex match;
  LogIndex next{1};
  ProgressState state = ProgressState::kProbe;
  bool probe_sent = false;        // kProbe: an append is out, wait for an answer or a heartbeat
  std::deque<LogIndex> inflight;  // kReplicate: last index of each unacknowledged append
  bool recent_active = false;     // heard from since the last check-quorum round
  LogIndex snapshot_index;        // kSnapshot: the snapshot being sent
  std::uint64_t snapshot_offset = 0;

  void become_probe() {
    if (state == ProgressState::kSnapshot) {
      next = LogIndex(std::max(match.value() + 1, snapshot_index.value() + 1));
    } else {
      next = match.next();
    }
    state = ProgressState::kProbe;
    probe_sent = false;
    inflight.clear();
  }
  void become_replicate() {
    state = ProgressState::kReplicate;
    next = match.next();
    probe_sent = false;
    inflight.clear();
  }
  void become_snapshot(LogIndex index) {
    state = ProgressState::kSnapshot;
    snapshot_index = index;
    snapshot_offset = 0;
    probe_sent = false;
    inflight.clear();
  }

  // A success acknowledging `index`; false when it is stale.
  bool maybe_update(LogIndex index) {
    bool updated = false;
    if (match < index) {
      match = index;
      updated = true;
      probe_sent = false;
    }
    if (next <= index) next = index.next();
    return updated;
  }

  // A rejection of the append whose previous index was `rejected`; `hint` is where the follower
  // suggests to try next. False when the rejection is stale (answers an older append).
  bool maybe_decrease_to(LogIndex rejected, LogIndex hint) {
    if (state == ProgressState::kReplicate) {
      if (rejected <= match) return false;
      next = match.next();
      return true;
    }
    if (next.prev() != rejected) return false;
    next = LogIndex(std::max(std::min(rejected.value(), hint.value() + 1), match.value() + 1));
    probe_sent = false;
    return true;
  }

  bool is_paused(std::size_t max_inflight) const {
    switch (state) {
      case ProgressState::kProbe:
        return probe_sent;
      case ProgressState::kReplicate:
        return inflight.size() >= max_inflight;
      case ProgressState::kSnapshot:
        return true;
    }
    return true;
  }

  void sent_append(LogIndex last_sent) {
    if (state == ProgressState::kReplicate) {
      next = last_sent.next();
      inflight.push_back(last_sent);
    } else if (state == ProgressState::kProbe) {
      probe_sent = true;
    }
  }

  void acknowledge_inflight(LogIndex index) {
    while (!inflight.empty() && inflight.front() <= index)
      inflight.pop_front();
  }
};

}  // namespace tern::raft
