// One test per rule of the Raft paper (and the dissertation's extensions): step a single node,
// assert on exactly what it emits. Section numbers refer to "In Search of an Understandable
// Consensus Algorithm (Extended Version)" and, for §3.10/§4/§9.6, Ongaro's dissertation.

#include <gtest/gtest.h>

#include <algorithm>

#include "raft/core/raft_node.h"

namespace tern::raft {
namespace {

NodeId n(int id) {
  return NodeId(id);
}

Configuration voters(std::vector<int> ids) {
  Configuration config;
  for (int id : ids)
    config.voters.push_back(n(id));
  return config;
}

// One node under test with its storage; drain() plays a driver that persists everything.
struct Harness {
  explicit Harness(Configuration config, int id = 1, RaftOptions options = {}) {
    storage.bootstrap(config);
    options.id = n(id);
    node = std::make_unique<RaftNode>(options, storage);
  }

  struct Output {
    std::vector<Message> before;  // may go before the flush
    std::vector<Message> after;   // only after it
    std::vector<Entry> committed;
    std::vector<Message> all() const {
      auto out = before;
      out.insert(out.end(), after.begin(), after.end());
      return out;
    }
  };

  Output drain() {
    Output out;
    while (node->has_ready()) {
      Ready ready = node->ready();
      if (ready.snapshot) storage.apply_snapshot(*ready.snapshot);
      storage.append(ready.entries);
      if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
      out.before.insert(out.before.end(), ready.messages.begin(), ready.messages.end());
      out.after.insert(out.after.end(), ready.messages_after_persist.begin(),
                       ready.messages_after_persist.end());
      out.committed.insert(out.committed.end(), ready.committed_entries.begin(),
                           ready.committed_entries.end());
      node->advance();
    }
    return out;
  }

  void tick(int times) {
    for (int i = 0; i < times; ++i)
      node->tick();
  }

  Message reply(MessageType type, int from, Term term) {
    Message m;
    m.type = type;
    m.from = n(from);
    m.to = node->id();
    m.term = term;
    return m;
  }

  // Elects this node leader: pre-vote, vote, all granted by the given peers.
  void elect(std::vector<int> granting) {
    tick(40);
    for (int peer : granting) {
      node->step(reply(MessageType::kPreVoteResponse, peer, node->term().next()));
    }
    drain();
    for (int peer : granting)
      node->step(reply(MessageType::kVoteResponse, peer, node->term()));
    ASSERT_EQ(node->role(), Role::kLeader);
  }

  // Elects this node leader of {1, 2, 3} and lets both followers acknowledge its log.
  void lead_with_followers_caught_up() {
    elect({2});
    drain();
    ack(2);
    ack(3);
    drain();
  }

  // Acknowledges everything the leader has to `peer`.
  void ack(int peer) {
    Message m = reply(MessageType::kAppendResponse, peer, node->term());
    m.index = node->log().last_index();
    node->step(m);
  }

  MemoryStorage storage;
  std::unique_ptr<RaftNode> node;
};

std::vector<Message> of_type(const std::vector<Message>& messages, MessageType type) {
  std::vector<Message> out;
  std::copy_if(messages.begin(), messages.end(), std::back_inserter(out),
               [type](const Message& m) { return m.type == type; });
  return out;
}

Entry entry(std::uint64_t term, std::uint64_t index, std::string data = "x") {
  return Entry{Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

Message append(int from, std::uint64_t term, std::uint64_t prev_index, std::uint64_t prev_term,
               std::vector<Entry> entries, std::uint64_t commit = 0) {
  Message m;
  m.type = MessageType::kAppend;
  m.from = n(from);
  m.to = n(1);
  m.term = Term(term);
  m.index = LogIndex(prev_index);
  m.log_term = Term(prev_term);
  m.entries = std::move(entries);
  m.commit = LogIndex(commit);
  return m;
}

Message vote_request(int from, std::uint64_t term, std::uint64_t last_index,
                     std::uint64_t last_term, MessageType type = MessageType::kVote) {
  Message m;
  m.type = type;
  m.from = n(from);
  m.to = n(1);
  m.term = Term(term);
  m.index = LogIndex(last_index);
  m.log_term = Term(last_term);
  return m;
}

TEST(RaftRules, ElectionTimeoutStartsPreVoteWithoutRaisingTerm_9_6) {
  Harness h(voters({1, 2, 3}));
  h.tick(20);  // the randomized timeout lies in [10, 20)
  auto out = h.drain();
  auto pre_votes = of_type(out.before, MessageType::kPreVote);
  ASSERT_EQ(pre_votes.size(), 2u);
  EXPECT_EQ(pre_votes[0].term, Term(1));
  EXPECT_EQ(h.node->term(), Term(0));
  EXPECT_EQ(h.node->role(), Role::kPreCandidate);
  EXPECT_TRUE(of_type(out.all(), MessageType::kVote).empty());
}

TEST(RaftRules, PreVoteQuorumStartsElectionAndVotesWaitForDurability_5_2) {
  Harness h(voters({1, 2, 3}));
  h.tick(20);
  h.drain();
  h.node->step(h.reply(MessageType::kPreVoteResponse, 2, Term(1)));
  EXPECT_EQ(h.node->role(), Role::kCandidate);
  EXPECT_EQ(h.node->term(), Term(1));
  ASSERT_TRUE(h.node->has_ready());
  Ready ready = h.node->ready();
  ASSERT_TRUE(ready.hard_state.has_value());
  EXPECT_EQ(ready.hard_state->vote, n(1));
  EXPECT_TRUE(of_type(ready.messages, MessageType::kVote).empty());
  EXPECT_EQ(of_type(ready.messages_after_persist, MessageType::kVote).size(), 2u);
  h.node->advance();
}

TEST(RaftRules, MajorityMakesLeaderWhichAppendsNoop_5_2_8) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  auto out = h.drain();
  auto appends = of_type(out.before, MessageType::kAppend);
  ASSERT_EQ(appends.size(), 2u);
  ASSERT_EQ(appends[0].entries.size(), 1u);
  EXPECT_EQ(appends[0].entries[0].type, EntryType::kNoop);
  EXPECT_EQ(appends[0].entries[0].term, h.node->term());
}

TEST(RaftRules, OneVotePerTerm_5_2) {
  Harness h(voters({1, 2, 3}));
  h.node->step(vote_request(2, 1, 0, 0));
  h.node->step(vote_request(3, 1, 0, 0));
  auto responses = of_type(h.drain().after, MessageType::kVoteResponse);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_FALSE(responses[0].reject);
  EXPECT_TRUE(responses[1].reject);
  EXPECT_EQ(h.storage.hard_state().vote, n(2));
}

TEST(RaftRules, VoteDeniedToLessUpToDateLog_5_4_1) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 2, 0, 0, {entry(1, 1), entry(2, 2)}));
  h.drain();
  h.tick(10);  // the leader's lease runs out
  h.drain();
  h.node->step(vote_request(3, 3, 5, 1));  // longer log but an older last term
  auto responses = of_type(h.drain().after, MessageType::kVoteResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].reject);
  h.node->step(vote_request(3, 4, 2, 2));  // same last term, same length: up to date
  responses = of_type(h.drain().after, MessageType::kVoteResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].reject);
}

TEST(RaftRules, HigherTermTurnsLeaderIntoFollower_5_1) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  h.node->step(append(3, 9, 0, 0, {}));
  EXPECT_EQ(h.node->role(), Role::kFollower);
  EXPECT_EQ(h.node->term(), Term(9));
  EXPECT_EQ(h.node->leader(), n(3));
}

TEST(RaftRules, StaleLeaderLearnsNewerTerm_5_1) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 5, 0, 0, {}));
  h.drain();
  h.node->step(append(3, 4, 0, 0, {}));
  auto responses = of_type(h.drain().after, MessageType::kAppendResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].to, n(3));
  EXPECT_EQ(responses[0].term, Term(5));
}

TEST(RaftRules, MismatchedPreviousEntryIsRejectedWithHint_5_3) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 2, 0, 0, {entry(1, 1), entry(1, 2), entry(1, 3)}));
  h.drain();
  // The leader believes index 6 of term 3 precedes; we hold only up to 3, all of term 1.
  h.node->step(append(2, 3, 6, 3, {entry(3, 7)}));
  auto responses = of_type(h.drain().after, MessageType::kAppendResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].reject);
  EXPECT_EQ(responses[0].index, LogIndex(6));
  EXPECT_EQ(responses[0].reject_hint, LogIndex(3));
  EXPECT_EQ(responses[0].hint_term, Term(1));
  EXPECT_EQ(h.node->log().last_index(), LogIndex(3));
}

TEST(RaftRules, ConflictingSuffixIsReplaced_5_3) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 1, 0, 0, {entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")}));
  h.drain();
  h.node->step(append(3, 2, 1, 1, {entry(2, 2, "B")}));
  auto out = h.drain();
  EXPECT_EQ(h.node->log().last_index(), LogIndex(2));
  auto stored = h.storage.entries(LogIndex(1), LogIndex(3), 1 << 20);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[1].data, "B");
  auto responses = of_type(out.after, MessageType::kAppendResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].index, LogIndex(2));
}

TEST(RaftRules, FollowerCommitsUpToLeaderCommitAndItsLastNewEntry_5_3) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 1, 0, 0, {entry(1, 1), entry(1, 2)}, 5));
  auto out = h.drain();
  EXPECT_EQ(h.node->log().committed(), LogIndex(2));
  EXPECT_EQ(out.committed.size(), 2u);
}

TEST(RaftRules, OnlyCurrentTermEntriesCommitByCounting_5_4_2) {
  Harness h(voters({1, 2, 3}));
  // An entry of term 1 from an earlier leader, uncommitted.
  h.node->step(append(2, 1, 0, 0, {entry(1, 1)}));
  h.drain();
  h.elect({3});
  h.drain();
  // Peer 3 acknowledges only the old entry: a majority holds it, yet it must not commit.
  Message ack = h.reply(MessageType::kAppendResponse, 3, h.node->term());
  ack.index = LogIndex(1);
  h.node->step(ack);
  h.drain();
  EXPECT_EQ(h.node->log().committed(), LogIndex(0));
  // Once the no-op of the current term is held by a majority, both commit.
  h.ack(3);
  auto out = h.drain();
  EXPECT_EQ(h.node->log().committed(), LogIndex(2));
  EXPECT_EQ(out.committed.size(), 2u);
}

TEST(RaftRules, LeaderReplicatesBeforeItsFlushButCountsItselfOnlyOnceDurable_10_2_1) {
  Harness h(voters({1, 2, 3}));
  h.lead_with_followers_caught_up();
  ASSERT_TRUE(h.node->propose({"a"}).ok());
  // The driver took the Ready holding "a" and is syncing it (no advance() yet).
  Ready syncing = h.node->ready();
  ASSERT_EQ(syncing.entries.size(), 1u);
  LogIndex a = syncing.entries.back().index;
  ASSERT_TRUE(h.node->propose({"b"}).ok());
  EXPECT_FALSE(h.node->has_ready());
  // "b" goes to the followers while "a" is still being synced here.
  auto early = of_type(h.node->take_messages(), MessageType::kAppend);
  ASSERT_FALSE(early.empty());
  EXPECT_EQ(early.back().entries.back().data, "b");
  EXPECT_TRUE(h.node->take_messages().empty());
  // One follower holds "a": with this node's copy not durable, that is no quorum of three.
  Message ack = h.reply(MessageType::kAppendResponse, 2, h.node->term());
  ack.index = a;
  h.node->step(ack);
  EXPECT_LT(h.node->log().committed(), a);
  // The sync completes: now this node counts, and "a" commits.
  h.storage.append(syncing.entries);
  h.node->advance();
  EXPECT_EQ(h.node->log().committed(), a);
}

// A commit that arrives while a Ready is being synced need not wait for that sync: the entries
// are durable on a quorum (§5.4), and a driver that applies a Ready's committed entries when it
// takes the Ready hands them on through take_committed(), in order, exactly once.
TEST(RaftRules, CommitsDuringAFlushAreTakenWithoutWaitingForIt_5_4) {
  Harness h(voters({1, 2, 3}));
  h.lead_with_followers_caught_up();
  ASSERT_TRUE(h.node->propose({"a"}).ok());
  h.ack(2);  // commits "a" (this node's copy is durable once the Ready below is)
  Ready first = h.node->ready();
  h.storage.append(first.entries);
  if (first.hard_state) h.storage.set_hard_state(*first.hard_state);
  h.node->advance();
  // "a" is committed; the next Ready hands it out and its sync (of "b") is in flight.
  ASSERT_TRUE(h.node->propose({"b", "c"}).ok());
  Ready syncing = h.node->ready();
  ASSERT_EQ(syncing.committed_entries.size(), 1u);
  EXPECT_EQ(syncing.committed_entries[0].data, "a");
  ASSERT_EQ(syncing.entries.size(), 2u);
  LogIndex c = syncing.entries.back().index;
  EXPECT_TRUE(h.node->take_committed().empty());  // nothing beyond the Ready's own
  // Both followers hold "b" and "c": a quorum without this node's copy.
  h.ack(2);
  h.ack(3);
  ASSERT_EQ(h.node->log().committed(), c);
  EXPECT_FALSE(h.node->has_ready());  // the Ready is still outstanding
  std::vector<Entry> taken = h.node->take_committed();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].data, "b");
  EXPECT_EQ(taken[1].data, "c");
  EXPECT_EQ(h.node->log().applied(), c);
  EXPECT_TRUE(h.node->take_committed().empty());
  // The sync completes: nothing is handed out twice.
  h.storage.append(syncing.entries);
  if (syncing.hard_state) h.storage.set_hard_state(*syncing.hard_state);
  h.node->advance();
  EXPECT_EQ(h.node->log().applied(), c);
  EXPECT_TRUE(h.drain().committed.empty());
}

// A follower takes what the leader's commit index covers while its own sync is in flight.
TEST(RaftRules, FollowerTakesCommittedEntriesDuringItsFlush_5_3) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 1, 0, 0, {entry(1, 1, "a"), entry(1, 2, "b")}));
  Ready syncing = h.node->ready();
  ASSERT_EQ(syncing.entries.size(), 2u);
  EXPECT_TRUE(syncing.committed_entries.empty());
  // The leader's next append says both are committed; they are readable from the unstable tail.
  h.node->step(append(2, 1, 2, 1, {}, 2));
  EXPECT_EQ(h.node->log().committed(), LogIndex(2));
  std::vector<Entry> taken = h.node->take_committed();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].data, "a");
  EXPECT_EQ(taken[1].data, "b");
  h.storage.append(syncing.entries);
  if (syncing.hard_state) h.storage.set_hard_state(*syncing.hard_state);
  h.node->advance();
  Harness::Output rest = h.drain();
  EXPECT_TRUE(rest.committed.empty());
  // Its acknowledgement still waits for the durable copy (it leaves with the next Ready).
  auto acks = of_type(rest.after, MessageType::kAppendResponse);
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back().index, LogIndex(2));
}

TEST(RaftRules, ReplicationPipelinesUpToTheWindow) {
  RaftOptions options;
  options.max_inflight_appends = 3;
  Harness h(voters({1, 2}), 1, options);
  h.elect({2});
  h.drain();
  h.ack(2);  // peer 2 now in step: replicate state
  h.drain();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(h.node->propose({"p" + std::to_string(i)}).ok());
  auto appends = of_type(h.drain().before, MessageType::kAppend);
  // Three appends in flight, none acknowledged; the rest waits (flow control).
  ASSERT_EQ(appends.size(), 3u);
  EXPECT_EQ(appends[1].index, appends[0].entries.back().index);  // pipelined, not waiting
  Message ack = h.reply(MessageType::kAppendResponse, 2, h.node->term());
  ack.index = appends[2].entries.back().index;
  h.node->step(ack);
  auto after_ack = of_type(h.drain().before, MessageType::kAppend);
  ASSERT_FALSE(after_ack.empty());
  std::size_t batched = 0;
  for (const auto& m : after_ack)
    batched += m.entries.size();
  EXPECT_EQ(batched, 7u);  // the waiting entries go out batched once the window opens
  EXPECT_EQ(after_ack.size(), 1u);
}

TEST(RaftRules, BackPressureRefusesProposalsBeyondTheBound) {
  RaftOptions options;
  options.max_uncommitted_entries = 4;
  Harness h(voters({1, 2, 3}), 1, options);
  h.elect({2});
  ASSERT_TRUE(h.node->propose({"a", "b", "c"}).ok());
  auto refused = h.node->propose({"d"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ProposeErrorCode::kBackPressure);
}

TEST(RaftRules, LeaderWithoutQuorumStepsDown_CheckQuorum) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  h.tick(10);  // first check: peer 2 answered during the election round? no: nobody did
  h.tick(10);
  EXPECT_EQ(h.node->role(), Role::kFollower);
}

TEST(RaftRules, LeaderHearingQuorumStays_CheckQuorum) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  for (int i = 0; i < 5; ++i) {
    h.tick(9);
    h.node->step(h.reply(MessageType::kHeartbeatResponse, 2, h.node->term()));
    h.tick(1);
  }
  EXPECT_EQ(h.node->role(), Role::kLeader);
}

TEST(RaftRules, FollowerInLeaseIgnoresDisruptiveVote_4_2_3) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 1, 0, 0, {}));
  h.drain();
  h.node->step(vote_request(3, 5, 10, 4));
  EXPECT_TRUE(h.drain().all().empty());
  EXPECT_EQ(h.node->term(), Term(1));
  Message forced = vote_request(3, 5, 10, 4);
  forced.force = true;  // a leadership transfer is allowed through
  h.node->step(forced);
  auto responses = of_type(h.drain().after, MessageType::kVoteResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].reject);
}

TEST(RaftRules, TransferSendsTimeoutNowOnceTargetCaughtUp_3_10) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  ASSERT_TRUE(h.node->transfer_leadership(n(3)).ok());
  EXPECT_TRUE(of_type(h.drain().before, MessageType::kTimeoutNow).empty());
  auto refused = h.node->propose({"x"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ProposeErrorCode::kTransferInProgress);
  h.ack(3);
  auto timeout_now = of_type(h.drain().before, MessageType::kTimeoutNow);
  ASSERT_EQ(timeout_now.size(), 1u);
  EXPECT_EQ(timeout_now[0].to, n(3));
}

TEST(RaftRules, TimeoutNowStartsForcedElectionAtOnce_3_10) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 1, 0, 0, {}));
  h.drain();
  Message timeout_now = h.reply(MessageType::kTimeoutNow, 2, Term(1));
  h.node->step(timeout_now);
  EXPECT_EQ(h.node->role(), Role::kCandidate);
  auto votes = of_type(h.drain().after, MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_TRUE(votes[0].force);
}

TEST(RaftRules, CompactedFollowerGetsChunkedSnapshot_7) {
  RaftOptions options;
  options.snapshot_chunk_bytes = 4;
  Harness h(voters({1, 2}), 1, options);
  h.elect({2});
  h.drain();
  ASSERT_TRUE(h.node->propose({"a", "b"}).ok());
  h.drain();
  h.storage.create_snapshot(LogIndex(3), h.node->configuration(), "0123456789");
  // Peer 2 never acknowledged anything and the entries it needs are gone: the snapshot flows.
  h.node->step(h.reply(MessageType::kHeartbeatResponse, 2, h.node->term()));
  std::string received;
  for (int i = 0; i < 10; ++i) {
    auto chunks = of_type(h.drain().before, MessageType::kSnapshot);
    if (chunks.empty()) break;
    const SnapshotChunk& chunk = *chunks.back().snapshot;
    EXPECT_LE(chunk.data.size(), 4u);
    EXPECT_EQ(chunk.offset, received.size());
    received += chunk.data;
    if (chunk.last) break;
    Message ack = h.reply(MessageType::kSnapshotResponse, 2, h.node->term());
    ack.index = chunk.meta.index;
    ack.snapshot_offset = received.size();
    h.node->step(ack);
  }
  EXPECT_EQ(received, "0123456789");
}

TEST(RaftRules, FollowerInstallsSnapshotOnlyWhenChecksumsMatch_7) {
  Harness leader_side(voters({1, 2}), 2);
  Harness h(voters({1, 2}));
  SnapshotChunk chunk;
  chunk.meta = SnapshotMeta{LogIndex(5), Term(1), voters({1, 2})};
  chunk.total_bytes = 3;
  chunk.data = "abc";
  chunk.chunk_crc = 12345;  // wrong
  chunk.last = true;
  Message m = append(2, 1, 0, 0, {});
  m.type = MessageType::kSnapshot;
  m.snapshot = chunk;
  h.node->step(m);
  auto out = h.drain();
  auto refused = of_type(out.after, MessageType::kSnapshotResponse);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_TRUE(refused[0].reject);
  EXPECT_EQ(h.node->log().committed(), LogIndex(0));
}

TEST(RaftRules, ConfigChangeWaitsForPreviousOneAndCurrentTermCommit_4_1) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  auto early = h.node->propose_config_change({ConfigChangeType::kAddLearner, n(4), {}});
  ASSERT_FALSE(early.ok());  // nothing of this term committed yet (single-server change fix)
  EXPECT_EQ(early.error().code, ProposeErrorCode::kConfigChangePending);
  h.ack(2);
  h.drain();
  ASSERT_TRUE(h.node->propose_config_change({ConfigChangeType::kAddLearner, n(4), {}}).ok());
  EXPECT_TRUE(h.node->configuration().is_learner(n(4)));  // in force once appended
  auto second = h.node->propose_config_change({ConfigChangeType::kAddLearner, n(5), {}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ProposeErrorCode::kConfigChangePending);
}

TEST(RaftRules, LearnerNeverCountsAndIsPromotedWhenCaughtUp_4_2_1) {
  Harness h(voters({1, 2}));
  h.elect({2});
  h.drain();
  h.ack(2);
  h.drain();
  ASSERT_TRUE(h.node->propose_config_change({ConfigChangeType::kAddLearner, n(3), {}}).ok());
  h.drain();
  LogIndex config_index = h.node->log().last_index();
  h.ack(3);  // the learner alone acknowledging does not commit anything
  h.drain();
  EXPECT_LT(h.node->log().committed(), config_index);
  h.ack(2);
  h.drain();
  EXPECT_EQ(h.node->log().committed(), config_index);
  h.ack(3);  // caught up: the leader promotes it
  h.drain();
  EXPECT_TRUE(h.node->configuration().is_voter(n(3)));
}

TEST(RaftRules, JointConsensusNeedsBothMajoritiesAndLeavesAutomatically_4_3) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  h.ack(2);
  h.drain();
  ASSERT_TRUE(h.node->propose_config_change({ConfigChangeType::kAddLearner, n(4), {}}).ok());
  h.ack(2);
  h.drain();
  ASSERT_TRUE(
      h.node->propose_config_change({ConfigChangeType::kReplaceVoters, {}, {n(1), n(4)}}).ok());
  h.drain();
  EXPECT_TRUE(h.node->configuration().joint());
  LogIndex joint_index = h.node->log().last_index();
  h.ack(2);  // a majority of the old set {1,2,3} but not of the new {1,4}
  h.drain();
  EXPECT_LT(h.node->log().committed(), joint_index);
  h.ack(4);
  h.drain();
  EXPECT_GE(h.node->log().committed(), joint_index);
  EXPECT_FALSE(h.node->configuration().joint());  // C_new appended by the leader itself
  EXPECT_EQ(h.node->configuration().voters, (std::vector<NodeId>{n(1), n(4)}));
}

TEST(RaftRules, ForcedReconfigurationFencesTheLostAndNeedsEverySurvivor) {
  Harness h(voters({1, 2, 3, 4}));
  h.node->step(append(2, 3, 0, 0, {entry(3, 1)}, 1));
  h.drain();
  ASSERT_TRUE(h.node->force_configuration({n(1), n(3)}).ok());
  EXPECT_EQ(h.node->configuration().epoch, 1u);
  EXPECT_TRUE(h.node->configuration().is_fenced(n(2)));
  EXPECT_TRUE(h.node->configuration().is_fenced(n(4)));
  auto votes = of_type(h.drain().after, MessageType::kVote);
  ASSERT_EQ(votes.size(), 1u);  // only survivor 3 is asked
  EXPECT_EQ(votes[0].to, n(3));
  // The fenced leader's messages are ignored from now on.
  h.node->step(append(2, 50, 1, 3, {entry(50, 2)}));
  EXPECT_EQ(h.node->term(), Term(4));
  EXPECT_TRUE(h.drain().all().empty());
  h.node->step(h.reply(MessageType::kVoteResponse, 3, Term(4)));
  ASSERT_EQ(h.node->role(), Role::kLeader);
  auto appends = of_type(h.drain().before, MessageType::kAppend);
  ASSERT_EQ(appends.size(), 1u);
  ASSERT_EQ(appends[0].entries.size(), 2u);
  EXPECT_EQ(appends[0].entries[0].type, EntryType::kConfiguration);
  EXPECT_EQ(appends[0].entries[1].type, EntryType::kNoop);
}

TEST(RaftRules, AFencedNodeComesBackOnlyAsANewLearner) {
  Configuration forced;
  forced.voters = {n(1), n(3)};
  forced.fenced = {n(2), n(4)};
  forced.epoch = 1;
  EXPECT_FALSE(apply_config_change(forced, {ConfigChangeType::kPromoteLearner, n(2), {}}).ok());
  EXPECT_FALSE(
      apply_config_change(forced, {ConfigChangeType::kReplaceVoters, {}, {n(1), n(2)}}).ok());
  auto back = apply_config_change(forced, {ConfigChangeType::kAddLearner, n(2), {}});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->is_learner(n(2)));
  EXPECT_FALSE(back->is_fenced(n(2)));
  EXPECT_TRUE(back->is_fenced(n(4)));  // the others stay fenced
  EXPECT_FALSE(back->is_voter(n(2)));  // it votes only once promoted
}

TEST(RaftRules, PreferredReplicaTimesOutBeforeLowerPriorities) {
  RaftOptions low;
  low.priority_order = {n(3), n(2), n(1)};  // node 1 ranks third
  Harness h(voters({1, 2, 3}), 1, low);
  h.tick(19);  // a preferred replica would have campaigned by now
  EXPECT_TRUE(h.drain().all().empty());
  RaftOptions high;
  high.priority_order = {n(1), n(2), n(3)};
  Harness preferred(voters({1, 2, 3}), 1, high);
  preferred.tick(20);
  EXPECT_FALSE(of_type(preferred.drain().before, MessageType::kPreVote).empty());
}

TEST(RaftRules, AnAppendedConfigurationCountsAsCommittedOnlyOnceItCommits) {
  Harness h(voters({1, 2}));
  EXPECT_TRUE(h.node->configuration_committed());  // the bootstrap configuration
  h.elect({2});
  h.drain();
  h.ack(2);
  h.drain();
  ASSERT_TRUE(h.node->propose_config_change({ConfigChangeType::kAddLearner, n(3), {}}).ok());
  EXPECT_TRUE(h.node->configuration().is_learner(n(3)));  // in force once appended
  EXPECT_FALSE(h.node->configuration_committed());
  h.drain();
  EXPECT_FALSE(h.node->configuration_committed());
  h.ack(2);  // (the learner never answers, so it is not promoted meanwhile)
  h.drain();
  EXPECT_TRUE(h.node->configuration_committed());
}

TEST(RaftRules, ANewPriorityOrderAppliesFromTheNextElectionTimeout) {
  RaftOptions low;
  low.priority_order = {n(3), n(2), n(1)};  // node 1 ranks third
  Harness h(voters({1, 2, 3}), 1, low);
  h.node->set_priority_order({n(1), n(2), n(3)});  // now preferred
  // The timeout drawn at start still holds node 1 back; after a heartbeat resets it, the new
  // rank counts: the preferred replica campaigns within 2E - 1 ticks of the leader's last word,
  // which the third rank (at least 2E) never does.
  h.tick(40);
  h.drain();
  h.node->step(h.reply(MessageType::kHeartbeat, 2, Term(h.node->term().value() + 1)));
  h.drain();
  h.tick(19);
  EXPECT_FALSE(of_type(h.drain().before, MessageType::kPreVote).empty());
}

TEST(RaftRules, LeaderSkipsAWholeConflictingTermOnRejection_5_3) {
  Harness h(voters({1, 2}));
  // Our log: 1..5 of term 1; elected in term 2 (no-op at 6).
  h.node->step(
      append(2, 1, 0, 0, {entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4), entry(1, 5)}));
  h.drain();
  h.elect({2});
  h.drain();
  // Peer 2 rejects prev index 5, hinting its log matches at most up to index 2 (term 1).
  Message reject = h.reply(MessageType::kAppendResponse, 2, h.node->term());
  reject.reject = true;
  reject.index = LogIndex(5);
  reject.reject_hint = LogIndex(2);
  reject.hint_term = Term(1);
  h.node->step(reject);
  auto appends = of_type(h.drain().before, MessageType::kAppend);
  ASSERT_EQ(appends.size(), 1u);
  EXPECT_EQ(appends[0].index, LogIndex(2));  // straight to the hint, not one index back
  EXPECT_EQ(appends[0].entries.front().index, LogIndex(3));
}

TEST(RaftRules, HeartbeatNeverCommitsPastWhatTheFollowerHolds_5_3) {
  Harness h(voters({1, 2, 3}));
  h.elect({2});
  h.drain();
  ASSERT_TRUE(h.node->propose({"a", "b"}).ok());
  h.drain();
  h.ack(2);
  h.drain();
  ASSERT_EQ(h.node->log().committed(), LogIndex(3));
  h.tick(2);
  auto heartbeats = of_type(h.drain().before, MessageType::kHeartbeat);
  ASSERT_EQ(heartbeats.size(), 2u);
  for (const auto& hb : heartbeats) {
    EXPECT_EQ(hb.commit, hb.to == n(2) ? LogIndex(3) : LogIndex(0));
  }
}

// Not a rule of the paper: heartbeats on a shared clock. A leader ticked with tick_at()
// heartbeats on the clock ticks divisible by heartbeat_ticks, whenever it became leader, so the
// groups one broker leads heartbeat together; a skipped clock tick still leaves no longer gap
// than heartbeat_ticks.
TEST(RaftRules, AlignedHeartbeatsFollowTheSharedClock) {
  RaftOptions options;
  options.check_quorum = false;  // nobody answers here; the leader must not step down
  Harness h(voters({1, 2, 3}), 1, options);
  h.elect({2});
  h.drain();
  std::vector<std::uint64_t> beats;
  for (std::uint64_t clock = 101; clock <= 110; ++clock) {
    h.node->tick_at(clock);
    if (!of_type(h.drain().before, MessageType::kHeartbeat).empty()) beats.push_back(clock);
  }
  EXPECT_EQ(beats, (std::vector<std::uint64_t>{102, 104, 106, 108, 110}));
  // The clock jumps past an aligned tick (the node was late): the heartbeat comes anyway.
  beats.clear();
  for (std::uint64_t clock : {111u, 113u, 115u, 116u}) {
    h.node->tick_at(clock);
    if (!of_type(h.drain().before, MessageType::kHeartbeat).empty()) beats.push_back(clock);
  }
  EXPECT_EQ(beats, (std::vector<std::uint64_t>{113, 116}));
}

TEST(RaftRules, RemovedLeaderStepsDownOnceRemovalCommits_4_2_2) {
  Harness h(voters({1, 2, 3, 4}));
  h.elect({2, 3});
  h.drain();
  h.ack(2);
  h.ack(3);
  h.drain();
  ASSERT_TRUE(h.node->propose_config_change({ConfigChangeType::kRemoveNode, n(1), {}}).ok());
  h.drain();
  EXPECT_EQ(h.node->role(), Role::kLeader);  // still manages the group until the change commits
  h.ack(2);
  h.drain();
  EXPECT_EQ(h.node->role(), Role::kLeader);  // 2 of the new {2,3,4}: not yet a majority
  h.ack(3);
  h.drain();
  EXPECT_EQ(h.node->role(), Role::kFollower);
  EXPECT_FALSE(h.node->configuration().is_voter(n(1)));
}

TEST(RaftRules, StaleTermPreVoteIsRefusedWithOurTerm_9_6) {
  Harness h(voters({1, 2, 3}));
  h.node->step(append(2, 5, 0, 0, {}));
  h.drain();
  h.node->step(vote_request(3, 3, 0, 0, MessageType::kPreVote));
  auto responses = of_type(h.drain().before, MessageType::kPreVoteResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].reject);
  EXPECT_EQ(responses[0].term, Term(5));
}

TEST(RaftRules, LeadershipReturnsToThePreferredReplicaOnceCaughtUp_3_10) {
  RaftOptions options;
  options.priority_order = {n(2), n(1), n(3)};
  options.return_leadership_to_preferred = true;
  Harness h(voters({1, 2, 3}), 1, options);
  h.elect({3});
  h.drain();
  h.ack(3);
  h.node->step(h.reply(MessageType::kHeartbeatResponse, 2, h.node->term()));
  h.tick(2);
  EXPECT_FALSE(h.node->transfer_target().has_value());  // preferred replica not caught up yet
  h.drain();
  h.ack(2);
  h.drain();
  h.tick(2);
  EXPECT_EQ(h.node->transfer_target(), n(2));
  auto timeout_now = of_type(h.drain().before, MessageType::kTimeoutNow);
  ASSERT_EQ(timeout_now.size(), 1u);
  EXPECT_EQ(timeout_now[0].to, n(2));
}

}  // namespace
}  // namespace tern::raft
