// The Ready contract of a driver that pipelines its syncs (RaftNode::advance_written and
// persisted): a Ready is written and acknowledged at once, the next one may be written while its
// sync runs, and each sync's end is reported in order. What must still hold: a leader counts
// itself only for synced entries (§5.4.2 with §10.2.1), a follower's acknowledgement and a vote
// leave only with the sync of the Ready that holds what they promise (§5.1, Figure 2), also
// across term changes, and a late sync never makes a rewritten suffix count as durable (§5.3).

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "raft/core/raft_node.h"

namespace tern::raft {
namespace {

Configuration three_voters() {
  Configuration config;
  for (int id : {1, 2, 3})
    config.voters.emplace_back(id);
  return config;
}

Entry entry(std::uint64_t term, std::uint64_t index, std::string data = "x") {
  return Entry{Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

std::vector<Message> of_type(const std::vector<Message>& messages, MessageType type) {
  std::vector<Message> out;
  std::copy_if(messages.begin(), messages.end(), std::back_inserter(out),
               [type](const Message& m) { return m.type == type; });
  return out;
}

// Node 1 of {1, 2, 3} with a driver that writes Readies to memory at once and holds their syncs
// until the test ends them, oldest first.
struct PipelinedDriver {
  PipelinedDriver() {
    storage.bootstrap(three_voters());
    RaftOptions options;
    options.id = NodeId(1);
    node = std::make_unique<RaftNode>(options, storage);
  }

  // Writes every Ready there is; returns the messages that may leave at once.
  std::vector<Message> write() {
    std::vector<Message> now;
    while (node->has_ready()) {
      Ready ready = node->ready();
      if (ready.snapshot) storage.apply_snapshot(*ready.snapshot);
      storage.append(ready.entries);
      if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
      now.insert(now.end(), ready.messages.begin(), ready.messages.end());
      node->advance_written();
      syncing.push_back(std::move(ready));
    }
    auto more = node->take_messages();
    now.insert(now.end(), more.begin(), more.end());
    return now;
  }

  // The oldest sync ends; returns the messages it releases.
  std::vector<Message> sync_one() {
    EXPECT_FALSE(syncing.empty());
    Ready synced = std::move(syncing.front());
    syncing.pop_front();
    if (!synced.entries.empty()) {
      node->persisted(synced.entries.back().index, synced.entries.back().term);
    }
    return synced.messages_after_persist;
  }

  void sync_all() {
    while (!syncing.empty())
      sync_one();
  }

  Message from(int peer, MessageType type, Term term) const {
    Message m;
    m.type = type;
    m.from = NodeId(peer);
    m.to = NodeId(1);
    m.term = term;
    return m;
  }

  void elect() {
    for (int i = 0; i < 40 && node->role() == Role::kFollower; ++i)
      node->tick();
    write();
    node->step(from(2, MessageType::kPreVoteResponse, node->term().next()));
    write();
    sync_all();
    node->step(from(2, MessageType::kVoteResponse, node->term()));
    ASSERT_EQ(node->role(), Role::kLeader);
    write();
    sync_all();
  }

  void ack(int peer, LogIndex index) {
    Message m = from(peer, MessageType::kAppendResponse, node->term());
    m.index = index;
    node->step(m);
  }

  Message append(int leader, std::uint64_t term, std::uint64_t prev_index, std::uint64_t prev_term,
                 std::vector<Entry> entries) const {
    Message m = from(leader, MessageType::kAppend, Term(term));
    m.index = LogIndex(prev_index);
    m.log_term = Term(prev_term);
    m.entries = std::move(entries);
    return m;
  }

  MemoryStorage storage;
  std::unique_ptr<RaftNode> node;
  std::deque<Ready> syncing;
};

TEST(PipelinedSync, LeaderWritesTheNextReadyDuringASyncButCountsOnlySyncedEntries_5_4_2) {
  PipelinedDriver d;
  d.elect();
  d.ack(2, d.node->log().last_index());
  d.write();
  d.sync_all();
  ASSERT_TRUE(d.node->propose({"a"}).ok());
  d.write();
  LogIndex a = d.node->log().last_index();
  // The next Ready is taken and written while "a"'s sync still runs.
  ASSERT_TRUE(d.node->propose({"b"}).ok());
  ASSERT_TRUE(d.node->has_ready());
  auto sent = of_type(d.write(), MessageType::kAppend);
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().entries.back().data, "b");
  LogIndex b = d.node->log().last_index();
  ASSERT_EQ(d.syncing.size(), 2u);
  // Follower 2 holds both; this node's copies are written but not synced: no quorum of three.
  d.ack(2, b);
  EXPECT_LT(d.node->log().committed(), a);
  EXPECT_LT(d.node->log().durable_index(), a);
  // "a"'s sync ends: "a" commits, "b" does not yet.
  d.sync_one();
  EXPECT_EQ(d.node->log().committed(), a);
  d.sync_one();
  EXPECT_EQ(d.node->log().committed(), b);
}

TEST(PipelinedSync, FollowerAcknowledgesOnlyWithTheSyncOfTheReadyHoldingTheEntries_5_3) {
  PipelinedDriver d;
  auto now = d.write();
  d.node->step(d.append(2, 1, 0, 0, {entry(1, 1), entry(1, 2)}));
  now = d.write();
  EXPECT_TRUE(of_type(now, MessageType::kAppendResponse).empty());
  d.node->step(d.append(2, 1, 2, 1, {entry(1, 3)}));
  now = d.write();
  EXPECT_TRUE(of_type(now, MessageType::kAppendResponse).empty());
  ASSERT_EQ(d.syncing.size(), 2u);
  // The first sync releases the acknowledgement of 1..2 only; 3 waits for its own sync.
  auto first = of_type(d.sync_one(), MessageType::kAppendResponse);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].index, LogIndex(2));
  auto second = of_type(d.sync_one(), MessageType::kAppendResponse);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].index, LogIndex(3));
}

TEST(PipelinedSync, VotesLeaveWithTheSyncOfTheirHardStateAcrossTermChanges_5_1) {
  PipelinedDriver d;
  d.write();
  Message first_request = d.from(2, MessageType::kVote, Term(2));
  d.node->step(first_request);
  EXPECT_TRUE(of_type(d.write(), MessageType::kVoteResponse).empty());
  Message second_request = d.from(3, MessageType::kVote, Term(3));
  d.node->step(second_request);
  EXPECT_TRUE(of_type(d.write(), MessageType::kVoteResponse).empty());
  ASSERT_EQ(d.syncing.size(), 2u);
  // Each vote travels with the Ready whose hard state records it.
  ASSERT_TRUE(d.syncing[0].hard_state.has_value());
  EXPECT_EQ(d.syncing[0].hard_state->term, Term(2));
  EXPECT_EQ(d.syncing[0].hard_state->vote, NodeId(2));
  ASSERT_TRUE(d.syncing[1].hard_state.has_value());
  EXPECT_EQ(d.syncing[1].hard_state->term, Term(3));
  EXPECT_EQ(d.syncing[1].hard_state->vote, NodeId(3));
  auto granted_2 = of_type(d.sync_one(), MessageType::kVoteResponse);
  ASSERT_EQ(granted_2.size(), 1u);
  EXPECT_EQ(granted_2[0].to, NodeId(2));
  EXPECT_EQ(granted_2[0].term, Term(2));
  EXPECT_FALSE(granted_2[0].reject);
  auto granted_3 = of_type(d.sync_one(), MessageType::kVoteResponse);
  ASSERT_EQ(granted_3.size(), 1u);
  EXPECT_EQ(granted_3[0].to, NodeId(3));
  EXPECT_EQ(granted_3[0].term, Term(3));
  EXPECT_FALSE(granted_3[0].reject);
}

TEST(PipelinedSync, ALateSyncOfARewrittenSuffixDoesNotCountAsDurable_5_3) {
  PipelinedDriver d;
  d.write();
  d.node->step(d.append(2, 1, 0, 0, {entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")}));
  d.write();  // sync of 1..3 (term 1) in flight
  // A leader of term 2 replaces 2..3 before that sync ended.
  d.node->step(d.append(3, 2, 1, 1, {entry(2, 2, "B")}));
  d.write();
  ASSERT_EQ(d.syncing.size(), 2u);
  d.sync_one();  // reports (3, term 1): that entry is gone
  EXPECT_LT(d.node->log().durable_index(), LogIndex(2));
  d.sync_one();
  EXPECT_EQ(d.node->log().durable_index(), LogIndex(2));
  EXPECT_EQ(d.node->log().last_index(), LogIndex(2));
}

TEST(PipelinedSync, ANewLeaderCountsItselfOnlyForItsSyncedEntries_5_4_2) {
  PipelinedDriver d;
  d.elect();
  const Term first_term = d.node->term();
  d.ack(2, d.node->log().last_index());
  d.ack(3, d.node->log().last_index());
  d.write();
  d.sync_all();
  // An entry of the first term, written but not synced, when a higher term deposes this leader.
  ASSERT_TRUE(d.node->propose({"a"}).ok());
  d.write();
  LogIndex a = d.node->log().last_index();
  d.node->step(d.from(3, MessageType::kHeartbeat, first_term.next()));
  ASSERT_EQ(d.node->role(), Role::kFollower);
  d.write();
  // Re-elected in a later term while "a"'s sync still runs: its no-op, acknowledged by follower
  // 2 that has everything, does not commit until this node's own syncs end.
  for (int i = 0; i < 40 && d.node->role() == Role::kFollower; ++i)
    d.node->tick();
  d.write();
  d.node->step(d.from(2, MessageType::kPreVoteResponse, d.node->term().next()));
  d.write();
  d.node->step(d.from(2, MessageType::kVoteResponse, d.node->term()));
  ASSERT_EQ(d.node->role(), Role::kLeader);
  d.write();
  LogIndex noop = d.node->log().last_index();
  ASSERT_GT(noop, a);
  d.ack(2, noop);
  EXPECT_LT(d.node->log().committed(), a);
  d.sync_all();
  EXPECT_EQ(d.node->log().committed(), noop);
}

}  // namespace
}  // namespace tern::raft
