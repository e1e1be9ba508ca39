// PartitionEngine::answer_without_log: a job activation that finds no activatable job is answered
// from state, with the batch the logged path gives, and writes nothing; one that would find a job
// (or that the processor would reject) goes through the log. Every way a job becomes activatable
// again raises a wake-up, which is what lets a long poll answered this way hear of the job.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test {
namespace {

using ::testing::ElementsAre;

Json activation(const std::string& type, Json max_jobs = 10, Json timeout = 60'000) {
  return Json{{"type", type},
              {"worker", "test-worker"},
              {"timeout", std::move(timeout)},
              {"maxJobsToActivate", std::move(max_jobs)},
              {"fetchVariables", Json::array({"a", "b"})}};
}

Record activation_command_of(Json value) {
  Record command;
  command.record_type = RecordType::kCommand;
  command.value_type = ValueType::kJobBatch;
  command.intent = Intent::kActivate;
  command.partition_id = PartitionId(1);
  command.timestamp_ms = 1'000;
  command.request = RequestRef{3, 99};
  command.value = std::move(value);
  return command;
}

Record activation_command(const std::string& type) {
  return activation_command_of(activation(type));
}

class EmptyActivationTest : public ::testing::Test {
 protected:
  // Answered without the log: also checks that asking wrote nothing and changed no state.
  bool answered(const std::string& type) {
    const Position before = h.mark();
    const std::string digest = h.digest();
    auto response = h.engine().answer_without_log(activation_command(type));
    EXPECT_EQ(h.mark(), before) << "the query appended to the log";
    EXPECT_EQ(h.digest(), digest) << "the query changed state";
    return response.has_value();
  }

  void deploy_and_create(const std::string& type) {
    h.deploy_process(models::one_task("p", type));
    h.create_instance("p");
  }

  EngineHarness h;
};

TEST_F(EmptyActivationTest, NoJobsAnswersTheBatchTheLogWouldHaveGiven) {
  auto shortcut = h.engine().answer_without_log(activation_command("work"));
  ASSERT_TRUE(shortcut.has_value());
  EXPECT_EQ(shortcut->request.stream_id, 3);
  EXPECT_EQ(shortcut->request.request_id, 99);
  EXPECT_EQ(h.mark(), Position(0)) << "nothing was written";

  auto logged = h.command(ValueType::kJobBatch, Intent::kActivate, activation("work"));
  EXPECT_EQ(shortcut->record.record_type, logged.record.record_type);
  EXPECT_EQ(shortcut->record.value_type, logged.record.value_type);
  EXPECT_EQ(shortcut->record.intent, logged.record.intent);
  EXPECT_EQ(shortcut->record.partition_id, logged.record.partition_id);
  EXPECT_EQ(shortcut->record.value, logged.record.value);
  EXPECT_EQ(shortcut->record.value.dump(), logged.record.value.dump());
  EXPECT_TRUE(shortcut->record.value["jobs"].empty());
  EXPECT_EQ(shortcut->record.value["worker"], "test-worker");
}

TEST_F(EmptyActivationTest, JobsOfAnotherTypeAreNotActivatable) {
  deploy_and_create("other");
  EXPECT_TRUE(answered("work"));
  EXPECT_FALSE(answered("other"));
}

TEST_F(EmptyActivationTest, AnActivatableJobGoesThroughTheLog) {
  deploy_and_create("work");
  EXPECT_FALSE(answered("work"));
  EXPECT_EQ(h.activate_jobs("work").record.value["jobKeys"].size(), 1u);
}

TEST_F(EmptyActivationTest, LockedAndFailedJobsWithoutRetriesAreNotActivatable) {
  deploy_and_create("work");
  Key locked = h.activate_one("work");
  EXPECT_TRUE(answered("work")) << "an activated job is locked";
  h.fail_job(locked, 0, "no retries");
  EXPECT_TRUE(answered("work")) << "a job failed without retries waits for its incident";
  h.create_instance("p");
  Key backing_off = h.activate_one("work");
  h.fail_job(backing_off, 2, "later", 10'000);
  EXPECT_TRUE(answered("work")) << "a job in its back-off";
}

TEST_F(EmptyActivationTest, AJobPastItsDeadlineIsLockedUntilItsTimeOutIsProcessed) {
  deploy_and_create("work");
  h.activate_one("work");
  h.clock().advance_ms(120'000);
  EXPECT_TRUE(answered("work")) << "no TIME_OUT written yet";
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
  EXPECT_TRUE(answered("work")) << "TIME_OUT written, not processed yet";
  h.process();
  EXPECT_FALSE(answered("work"));
}

TEST_F(EmptyActivationTest, EveryWayBackToActivatableRaisesAWakeUp) {
  h.deploy_process(models::one_task("p", "work"));
  EXPECT_TRUE(answered("work"));
  h.create_instance("p");
  EXPECT_THAT(h.wakeups(), ElementsAre("work")) << "created";
  EXPECT_FALSE(answered("work"));

  Key job = h.activate_one("work");
  EXPECT_TRUE(answered("work"));
  h.fail_job(job, 2, "again");
  EXPECT_EQ(h.wakeups().size(), 2u) << "failed with retries left";
  EXPECT_FALSE(answered("work"));

  h.activate_one("work");
  h.fail_job(job, 1, "later", 5'000);
  EXPECT_EQ(h.wakeups().size(), 2u) << "a back-off raises nothing before it passed";
  h.clock().advance_ms(5'000);
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
  h.process();
  EXPECT_EQ(h.wakeups().size(), 3u) << "back-off over";
  EXPECT_FALSE(answered("work"));

  h.activate_one("work");
  h.clock().advance_ms(60'000);
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
  h.process();
  EXPECT_EQ(h.wakeups().size(), 4u) << "timed out";
  EXPECT_FALSE(answered("work"));

  h.activate_one("work");
  const Position before_incident = h.mark();
  h.fail_job(job, 0, "stuck");
  EXPECT_TRUE(answered("work"));
  Record incident = h.find(ValueType::kIncident, Intent::kCreated, before_incident);
  auto retries = h.command(ValueType::kJob, Intent::kUpdateRetries, Json{{"retries", 1}}, job);
  EXPECT_EQ(retries.record.intent, Intent::kRetriesUpdated);
  EXPECT_TRUE(answered("work")) << "retries alone do not make it activatable; resolving does";
  EXPECT_EQ(h.resolve(incident.key).record.intent, Intent::kResolved);
  EXPECT_EQ(h.wakeups().size(), 5u) << "incident resolved";
  EXPECT_FALSE(answered("work"));
  EXPECT_THAT(h.wakeups(), ::testing::Each("work"));
}

TEST_F(EmptyActivationTest, UncommittedEffectsCount) {
  // A job created by follow-ups not yet committed is in the processor's state: the activation
  // must go through the log (behind them), not be answered empty.
  ControlledClock clock;
  InMemoryLogStream log(CommitMode::kManual);
  tern::test::TempDir dir;
  auto opened = PartitionEngine::open(dir.path() / "state", PartitionId(1), log, clock);
  ASSERT_TRUE(opened.ok());
  PartitionEngine& engine = **opened;
  struct Wakeups : JobAvailabilityListener {
    std::vector<std::string> types;
    void on_jobs_available(std::string_view type) override { types.emplace_back(type); }
  } wakeups;
  engine.set_job_listener(&wakeups);
  engine.become_leader();
  auto run = [&](ValueType type, Intent intent, Json value) {
    Record command;
    command.record_type = RecordType::kCommand;
    command.value_type = type;
    command.intent = intent;
    command.partition_id = PartitionId(1);
    command.value = std::move(value);
    std::vector<Record> batch{command};
    ASSERT_TRUE(log.append(batch).ok());
    log.commit_all();  // the command; its follow-ups stay uncommitted
    engine.on_committed();
  };
  run(ValueType::kDeployment, Intent::kCreate,
      Json{{"resources", Json::array({Json{{"resourceName", "p.bpmn"},
                                           {"resource", models::one_task("p", "work")}}})}});
  log.commit_all();
  engine.on_committed();
  EXPECT_TRUE(engine.answer_without_log(activation_command("work")).has_value());
  run(ValueType::kProcessInstanceCreation, Intent::kCreate,
      Json{{"bpmnProcessId", "p"}, {"version", -1}, {"variables", Json::object()}});
  // The instance's follow-up commands are processed one committed command at a time; the
  // batch that creates the job is then appended but not committed, and its wake-up waits.
  for (int round = 0; round < 20 && engine.answer_without_log(activation_command("work"));
       ++round) {
    log.commit(Position(log.committed_position().value() + 1));  // the next command only
    engine.on_committed();
  }
  EXPECT_FALSE(engine.answer_without_log(activation_command("work")).has_value());
  EXPECT_TRUE(engine.has_uncommitted_effects()) << "the job's batch is not committed yet";
  EXPECT_TRUE(wakeups.types.empty()) << "the wake-up waits for the commit";
  log.commit_all();
  engine.on_committed();
  EXPECT_FALSE(wakeups.types.empty());
}

TEST_F(EmptyActivationTest, CommandsTheProcessorWouldRejectGoThroughTheLog) {
  auto ask = [&](Json value) {
    return h.engine().answer_without_log(activation_command_of(std::move(value)));
  };
  EXPECT_FALSE(ask(activation("")).has_value());
  EXPECT_FALSE(ask(activation("work", 0)).has_value());
  EXPECT_FALSE(ask(activation("work", 10, 0)).has_value());
  EXPECT_FALSE(ask(activation("work", "ten")).has_value());
  EXPECT_FALSE(ask(activation("work", 1.5)).has_value());
  Json bad_fetch = activation("work");
  bad_fetch["fetchVariables"] = Json::array({1});
  EXPECT_FALSE(ask(bad_fetch).has_value());
  Json bad_worker = activation("work");
  bad_worker["worker"] = 7;
  EXPECT_FALSE(ask(bad_worker).has_value());
  Json no_type = activation("work");
  no_type.erase("type");
  EXPECT_FALSE(ask(no_type).has_value());
  // Without a worker or variables to fetch it is well formed (the processor's defaults).
  Json minimal{{"type", "work"}, {"timeout", 1}, {"maxJobsToActivate", 1}};
  auto answer = ask(minimal);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->record.value["worker"], "");
  EXPECT_EQ(answer->record.value["fetchVariables"], Json::array());
}

TEST_F(EmptyActivationTest, OnlyAJobActivationOfALeaderIsAnswered) {
  Record other = activation_command("work");
  other.value_type = ValueType::kJob;
  other.intent = Intent::kComplete;
  EXPECT_FALSE(h.engine().answer_without_log(other).has_value());
  Record no_request = activation_command("work");
  no_request.request = RequestRef{};
  EXPECT_FALSE(h.engine().answer_without_log(no_request).has_value());
  h.engine().become_follower();
  EXPECT_FALSE(h.engine().answer_without_log(activation_command("work")).has_value());
}

}  // namespace
}  // namespace tern::engine::test
