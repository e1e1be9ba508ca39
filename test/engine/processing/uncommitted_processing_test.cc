// A leader processes a command as soon as it has appended it, before it commits
// (ReadScope::kCommittedAndOwn): its follow-ups go out behind it, and its response waits for
// them to commit. On a leader change, a processed command that was truncated never happened
// (the rebuilt state holds nothing of it), and a command that committed while its follow-ups did
// not is processed exactly once by the next leader. A new leader acts on its own records only
// once the earlier leader's records before them are committed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/harness/engine_harness.h"
#include "engine/log/in_memory_log_stream.h"
#include "engine/partition_engine.h"
#include "support/temp_dir.h"

namespace tern::engine::test {
namespace {

// One replica's engine over the shared in-memory log, with its own state folder.
struct Replica : ResponseSink {
  explicit Replica(InMemoryLogStream& log, const ControlledClock& clock) {
    auto opened = PartitionEngine::open(dir.path() / "state", PartitionId(1), log, clock);
    EXPECT_TRUE(opened.ok());
    engine = std::move(*opened);
    engine->set_response_sink(this);
  }
  void on_response(const Response& response) override { seen.push_back(response); }
  void run() {
    while (engine->on_committed()) {
    }
  }

  tern::test::TempDir dir;
  std::unique_ptr<PartitionEngine> engine;
  std::vector<Response> seen;
};

Record command(ValueType type, Intent intent, Json value, std::int64_t request_id) {
  Record record;
  record.record_type = RecordType::kCommand;
  record.value_type = type;
  record.intent = intent;
  record.partition_id = PartitionId(1);
  record.request = RequestRef{1, request_id};
  record.value = std::move(value);
  return record;
}

Record deploy_command(std::int64_t request_id) {
  return command(ValueType::kDeployment, Intent::kCreate,
                 Json{{"resources", Json::array({Json{{"resourceName", "p.bpmn"},
                                                      {"resource", models::one_task("p", "w")}}})}},
                 request_id);
}

Record create_command(std::int64_t request_id) {
  return command(ValueType::kProcessInstanceCreation, Intent::kCreate, Json{{"bpmnProcessId", "p"}},
                 request_id);
}

Position append(InMemoryLogStream& log, Record record) {
  std::vector<Record> batch{std::move(record)};
  auto first = log.append(batch);
  EXPECT_TRUE(first.ok());
  return first.ok() ? *first : Position(0);
}

std::vector<Record> records_after(const InMemoryLogStream& log, Position after, ValueType type,
                                  Intent intent) {
  std::vector<Record> out;
  for (const auto& record : log.all()) {
    if (record.position > after && record.value_type == type && record.intent == intent) {
      out.push_back(record);
    }
  }
  return out;
}

// Runs `replica`, commits everything it wrote, and runs it again (its answers are released).
void run_and_commit(InMemoryLogStream& log, Replica& replica) {
  replica.run();
  log.commit_all();
  replica.run();
}

// A fresh replica replaying the committed log (what a rebuild does) ends in `expected`'s state.
void expect_replay_reaches(InMemoryLogStream& log, ControlledClock& clock, Replica& expected) {
  Replica replayed(log, clock);
  replayed.run();
  EXPECT_EQ(replayed.engine->state_digest(), expected.engine->state_digest());
}

// Deploys "p" through `leader` and commits everything.
void deploy(InMemoryLogStream& log, Replica& leader) {
  append(log, deploy_command(1));
  run_and_commit(log, leader);
  ASSERT_EQ(leader.seen.size(), 1u);
}

// A leader replica on a log whose commits the test makes (CommitMode::kManual).
class UncommittedProcessingTest : public ::testing::Test {
 protected:
  void SetUp() override { leader.engine->become_leader(); }

  ControlledClock clock;
  InMemoryLogStream log{CommitMode::kManual};
  Replica leader{log, clock};
};

TEST_F(UncommittedProcessingTest, LeaderProcessesAnAppendedCommandBeforeItCommits) {
  Position command_at = append(log, deploy_command(7));
  leader.run();
  // Processed with nothing committed: the follow-ups are appended right behind the command.
  EXPECT_EQ(log.committed_position(), Position(0));
  EXPECT_EQ(leader.engine->processor().last_processed_position(), command_at);
  ASSERT_EQ(records_after(log, command_at, ValueType::kDeployment, Intent::kCreated).size(), 1u);
  EXPECT_TRUE(leader.engine->has_uncommitted_effects());
  EXPECT_TRUE(leader.seen.empty()) << "nothing is answered before the follow-ups commit";

  log.commit(command_at);  // the command alone commits: still no answer
  leader.run();
  EXPECT_TRUE(leader.seen.empty());

  log.commit_all();
  leader.run();
  ASSERT_EQ(leader.seen.size(), 1u);
  EXPECT_EQ(leader.seen[0].request.request_id, 7);
  EXPECT_EQ(leader.seen[0].record.intent, Intent::kCreated);
  EXPECT_FALSE(leader.engine->has_uncommitted_effects());
}

// Follow-up commands (the instance's element activations) are the leader's own records too: an
// instance runs to its first wait state without a single commit in between.
TEST_F(UncommittedProcessingTest, FollowUpCommandsAreProcessedWithoutWaitingForCommits) {
  deploy(log, leader);
  Position before = log.last_position();
  append(log, create_command(8));
  leader.run();
  EXPECT_EQ(log.committed_position(), before);
  EXPECT_EQ(records_after(log, before, ValueType::kJob, Intent::kCreated).size(), 1u);
  EXPECT_EQ(leader.seen.size(), 1u) << "only the deployment is answered";
  log.commit_all();
  leader.run();
  ASSERT_EQ(leader.seen.size(), 2u);
  EXPECT_EQ(leader.seen[1].request.request_id, 8);
}

// The leader processed a command that never committed; the next leader truncates it with its
// follow-ups. Rebuilt from the committed log, the deposed leader's state holds nothing of it: it
// equals the state of a replica that only ever followed, and the keys it had handed out are
// handed out again.
TEST_F(UncommittedProcessingTest, ATruncatedProcessedCommandIsGoneAfterTheRebuild) {
  Replica follower(log, clock);
  deploy(log, leader);
  follower.run();
  Position committed = log.committed_position();

  append(log, create_command(9));
  leader.run();
  auto lost = records_after(log, committed, ValueType::kProcessInstanceCreation, Intent::kCreated);
  ASSERT_EQ(lost.size(), 1u);
  Key lost_instance(lost[0].value["processInstanceKey"].get<std::int64_t>());
  EXPECT_TRUE(leader.engine->has_uncommitted_effects());

  // Leadership moves; the new leader's log does not hold the command.
  log.truncate_after(committed);
  leader.engine->become_follower();
  EXPECT_TRUE(leader.engine->has_uncommitted_effects()) << "the host must rebuild this state";
  EXPECT_NE(leader.engine->state_digest(), follower.engine->state_digest());
  EXPECT_TRUE(leader.seen.size() == 1u) << "the lost command was never answered";

  Replica rebuilt(log, clock);  // the rebuild: a fresh state replaying the committed log
  rebuilt.run();
  EXPECT_EQ(rebuilt.engine->state_digest(), follower.engine->state_digest());
  EXPECT_FALSE(rebuilt.engine->has_uncommitted_effects());

  log.start_term();
  follower.engine->become_leader();
  append(log, create_command(10));
  run_and_commit(log, follower);
  ASSERT_EQ(follower.seen.size(), 1u);
  EXPECT_EQ(follower.seen[0].request.request_id, 10);
  EXPECT_EQ(Key(follower.seen[0].record.value["processInstanceKey"].get<std::int64_t>()),
            lost_instance)
      << "the truncated command's key was never taken";
  rebuilt.run();
  EXPECT_EQ(rebuilt.engine->state_digest(), follower.engine->state_digest());
}

// The command committed, its follow-ups did not: the next leader processes it, exactly once.
TEST_F(UncommittedProcessingTest, ACommittedButUnprocessedCommandIsProcessedOnceByTheNextLeader) {
  Replica follower(log, clock);
  deploy(log, leader);
  Position before = log.committed_position();

  Position command_at = append(log, create_command(11));
  leader.run();
  ASSERT_GT(log.last_position(), command_at);
  log.commit(command_at);
  follower.run();  // reads the command as a follower: not its to process
  log.truncate_after(command_at);
  leader.engine->become_follower();
  EXPECT_TRUE(leader.engine->has_uncommitted_effects());

  log.start_term();
  follower.engine->become_leader();
  run_and_commit(log, follower);
  auto created = records_after(log, before, ValueType::kProcessInstanceCreation, Intent::kCreated);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].source_position, command_at);
  EXPECT_EQ(records_after(log, before, ValueType::kJob, Intent::kCreated).size(), 1u);
  ASSERT_EQ(follower.seen.size(), 1u);
  EXPECT_EQ(follower.seen[0].request.request_id, 11);
  expect_replay_reaches(log, clock, follower);
}

// A new leader holds a command of the previous leader that is not committed yet. Its own
// commands come after it in the log and must not be processed before it.
TEST_F(UncommittedProcessingTest, ANewLeadersOwnCommandsWaitForTheEarlierLeadersRecords) {
  deploy(log, leader);
  leader.engine->become_follower();
  Position earlier = append(log, create_command(12));  // the old leader's, never processed

  Replica next(log, clock);
  next.run();
  log.start_term();
  next.engine->become_leader();
  Position own = append(log, create_command(13));
  next.run();
  EXPECT_EQ(log.last_position(), own) << "nothing is processed before the earlier record commits";

  log.commit(own.prev());  // the new leader's first commit covers the earlier record
  next.run();
  auto created = records_after(log, own, ValueType::kProcessInstanceCreation, Intent::kCreated);
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].source_position, earlier);
  EXPECT_EQ(created[1].source_position, own);
}

}  // namespace
}  // namespace tern::engine::test
