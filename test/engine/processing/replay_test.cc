// Replay and recovery: replaying the log rebuilds identical state (equal digests); a restart or a
// leader change processes each command exactly once; a snapshot restores state that continues
// where it left off; responses wait for their follow-ups to be committed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "engine/harness/engine_harness.h"
#include "support/temp_dir.h"

namespace tern::engine::test {
namespace {

// A busy history: deployments, instances in every state, incidents, variables, a timed-out job.
void run_workload(EngineHarness& h) {
  h.deploy_process(models::one_task("p", "work"));
  h.deploy_process(models::one_task("q", "other", R"(<zeebe:ioMapping>
          <zeebe:input source="=a" target="local" /></zeebe:ioMapping>)"));
  for (int i = 0; i < 5; ++i)
    h.create_instance("p", Json{{"i", i}});
  Key q = h.create_instance("q", Json{{"a", "x"}});
  h.set_variables(q, Json{{"b", 2}}, false);
  auto batch = h.activate_jobs("work", 4);
  const auto& keys = batch.record.value["jobKeys"];
  h.complete_job(Key(keys[0].get<std::int64_t>()), Json{{"done", true}});
  h.fail_job(Key(keys[1].get<std::int64_t>()), 0, "broken");
  h.fail_job(Key(keys[2].get<std::int64_t>()), 2, "retry", 5'000);
  h.clock().advance_ms(120'000);
  h.engine().check_due_dates();
  h.process();
  h.cancel(Key(batch.record.value["jobs"][3]["processInstanceKey"].get<std::int64_t>()));
}

// Positions of commands that more than one batch answered (a command processed twice).
std::vector<std::int64_t> reprocessed(const std::vector<Record>& records) {
  std::map<std::int64_t, std::set<std::int64_t>> batches;  // source -> first positions
  std::int64_t last_source = -2;
  std::int64_t batch_start = 0;
  for (const auto& record : records) {
    if (record.source_position.value() < 0) {
      last_source = -2;
      continue;
    }
    if (record.source_position.value() != last_source) batch_start = record.position.value();
    last_source = record.source_position.value();
    batches[last_source].insert(batch_start);
  }
  std::vector<std::int64_t> out;
  for (const auto& [source, starts] : batches) {
    if (starts.size() > 1) out.push_back(source);
  }
  return out;
}

TEST(ReplayTest, ReplayingTheWholeLogRebuildsIdenticalState) {
  EngineHarness h;
  run_workload(h);
  std::string leader = h.digest();
  EXPECT_EQ(h.replayed_digest(), leader);
}

// Commands handled in one poll share one RocksDB write; a command whose processing fails midway
// must lose only its own writes (variables, the key counter), not those of its neighbours.
TEST(ReplayTest, AFailedCommandInABatchUndoesOnlyItsOwnWrites) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  auto before = h.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
                        Json{{"bpmnProcessId", "p"}, {"variables", Json{{"x", 1}}}});
  // A number where the names to fetch belong: the creation writes its variables and takes a key,
  // then fails when the CREATED event is applied.
  auto failing = h.write(
      ValueType::kProcessInstanceCreation, Intent::kCreateWithAwaitingResult,
      Json{{"bpmnProcessId", "p"}, {"variables", Json{{"lost", true}}}, {"fetchVariables", 5}});
  auto after = h.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
                       Json{{"bpmnProcessId", "p"}, {"variables", Json{{"z", 3}}}});
  h.process();
  ASSERT_EQ(h.responses().count(failing.request_id), 1u);
  const auto& rejection = h.responses().at(failing.request_id).record;
  EXPECT_EQ(rejection.rejection_type, RejectionType::kProcessingError);
  EXPECT_EQ(h.responses().at(before.request_id).record.intent, Intent::kCreated);
  EXPECT_EQ(h.responses().at(after.request_id).record.intent, Intent::kCreated);
  auto first = h.responses().at(before.request_id).record.value["processInstanceKey"];
  auto second = h.responses().at(after.request_id).record.value["processInstanceKey"];
  // The first creation took two keys (its instance and its variable); the failed one's are given
  // back.
  EXPECT_EQ(second.get<std::int64_t>(), first.get<std::int64_t>() + 2);
  auto batch = h.activate_jobs("work", 10, 60'000, {"x", "z", "lost"});
  ASSERT_EQ(batch.record.value["jobs"].size(), 2u);
  EXPECT_EQ(batch.record.value["jobs"][0]["variables"], (Json{{"x", 1}}));
  EXPECT_EQ(batch.record.value["jobs"][1]["variables"], (Json{{"z", 3}}));
  // Replay applies only the events in the log, so equal digests mean no stray writes survived.
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ReplayTest, DigestDiffersWhenStateDiffers) {
  EngineHarness a;
  EngineHarness b;
  a.deploy_process(models::one_task("p", "work"));
  b.deploy_process(models::one_task("p", "work"));
  EXPECT_EQ(a.digest(), b.digest());
  a.create_instance("p");
  EXPECT_NE(a.digest(), b.digest());
}

TEST(ReplayTest, RestartDoesNotReprocessAndProcessesPendingCommandsOnce) {
  EngineHarness h;
  run_workload(h);
  Position before = h.mark();
  h.restart();
  h.process();
  EXPECT_EQ(h.mark(), before) << "nothing is processed twice after a restart";

  auto request =
      h.write(ValueType::kProcessInstanceCreation, Intent::kCreate, Json{{"bpmnProcessId", "p"}});
  h.restart();
  h.process();
  h.restart();
  h.process();
  EXPECT_EQ(h.responses().count(request.request_id), 1u);
  EXPECT_EQ(h.find_all(ValueType::kProcessInstanceCreation, Intent::kCreated, before).size(), 1u);
  EXPECT_THAT(reprocessed(h.records()), ::testing::IsEmpty());
  EXPECT_EQ(h.replayed_digest(), h.digest());
}

TEST(ReplayTest, NewLeaderContinuesWithoutReprocessing) {
  EngineHarness h;
  run_workload(h);
  // A follower on the same log replays everything, then a command arrives and leadership moves.
  tern::test::TempDir dir;
  auto follower = PartitionEngine::open(dir.path() / "state", PartitionId(1), h.log(), h.clock());
  ASSERT_TRUE(follower.ok());
  (*follower)->on_committed();
  EXPECT_EQ((*follower)->state_digest(), h.digest());

  h.write(ValueType::kProcessInstanceCreation, Intent::kCreate, Json{{"bpmnProcessId", "p"}});
  h.engine().become_follower();
  (*follower)->become_leader();
  (*follower)->on_committed();
  h.process();  // the old leader, now following, replays what the new one wrote
  EXPECT_EQ((*follower)->state_digest(), h.digest());
  EXPECT_THAT(reprocessed(h.records()), ::testing::IsEmpty());
  auto created = h.find_all(ValueType::kProcessInstanceCreation, Intent::kCreated);
  EXPECT_EQ(created.size(), 7u);
}

// The old leader wrote a command (a client's, or a follow-up of its own) and lost leadership
// before processing it; the follower had already read past it while following. As the new leader
// it must still process it: an acknowledged instance whose follow-ups stop there would hang.
TEST(ReplayTest, NewLeaderProcessesCommandsItReadAsFollower) {
  EngineHarness h;
  run_workload(h);
  tern::test::TempDir dir;
  auto follower = PartitionEngine::open(dir.path() / "state", PartitionId(1), h.log(), h.clock());
  ASSERT_TRUE(follower.ok());
  (*follower)->on_committed();

  Position before = h.mark();
  h.write(ValueType::kProcessInstanceCreation, Intent::kCreate, Json{{"bpmnProcessId", "p"}});
  (*follower)->on_committed();  // reads the command as a follower: not its to process yet
  h.engine().become_follower();
  (*follower)->become_leader();
  (*follower)->on_committed();
  EXPECT_EQ(h.find_all(ValueType::kProcessInstanceCreation, Intent::kCreated, before).size(), 1u);
  h.process();
  EXPECT_EQ((*follower)->state_digest(), h.digest());
  EXPECT_THAT(reprocessed(h.records()), ::testing::IsEmpty());
}

TEST(ReplayTest, SnapshotRestoresStateThatCatchesUpWithTheLog) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  h.create_instance("p");
  tern::test::TempDir snapshots;
  auto metadata = h.engine().snapshot(snapshots.path() / "snap");
  ASSERT_TRUE(metadata.ok()) << metadata.error().message;
  EXPECT_EQ(metadata->last_applied_position, h.mark());
  run_workload(h);

  tern::test::TempDir restored;
  auto restore = PartitionEngine::restore(snapshots.path() / "snap", restored.path() / "state");
  ASSERT_TRUE(restore.ok()) << restore.error().message;
  auto engine =
      PartitionEngine::open(restored.path() / "state", PartitionId(1), h.log(), h.clock());
  ASSERT_TRUE(engine.ok());
  (*engine)->on_committed();
  EXPECT_EQ((*engine)->state_digest(), h.digest());
}

TEST(ReplayTest, CorruptSnapshotIsRefused) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  tern::test::TempDir snapshots;
  ASSERT_TRUE(h.engine().snapshot(snapshots.path() / "snap").ok());
  for (const auto& entry : std::filesystem::directory_iterator(snapshots.path() / "snap")) {
    if (entry.path().extension() == ".sst") {
      std::ofstream(entry.path(), std::ios::app) << "garbage";
    }
  }
  tern::test::TempDir restored;
  auto restore = PartitionEngine::restore(snapshots.path() / "snap", restored.path() / "state");
  ASSERT_FALSE(restore.ok());
  EXPECT_THAT(restore.error().message, ::testing::HasSubstr("checksum"));
}

TEST(ReplayTest, ResponsesWaitUntilFollowUpsAreCommitted) {
  ControlledClock clock;
  InMemoryLogStream log(CommitMode::kManual);
  tern::test::TempDir dir;
  auto engine = PartitionEngine::open(dir.path() / "state", PartitionId(1), log, clock);
  ASSERT_TRUE(engine.ok());
  struct Sink : ResponseSink {
    std::vector<Response> seen;
    void on_response(const Response& response) override { seen.push_back(response); }
  } sink;
  (*engine)->set_response_sink(&sink);
  (*engine)->become_leader();
  Record command;
  command.record_type = RecordType::kCommand;
  command.value_type = ValueType::kDeployment;
  command.intent = Intent::kCreate;
  command.request = RequestRef{1, 7};
  command.value = Json{
      {"resources",
       Json::array({Json{{"resourceName", "p.bpmn"}, {"resource", models::one_task("p", "w")}}})}};
  std::vector<Record> batch{command};
  ASSERT_TRUE(log.append(batch).ok());
  log.commit_all();
  (*engine)->on_committed();
  EXPECT_TRUE(sink.seen.empty()) << "the follow-ups are appended but not committed";
  EXPECT_TRUE((*engine)->has_uncommitted_effects());
  log.commit_all();
  (*engine)->on_committed();
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].request.request_id, 7);
  EXPECT_EQ(sink.seen[0].record.intent, Intent::kCreated);
}

}  // namespace
}  // namespace tern::engine::test
