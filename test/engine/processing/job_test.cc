// Jobs: activation in batches, completion, failure with retries and back-off, incidents when
// retries run out, time-outs driven by the leader's clock, retries and timeout updates, thrown
// errors, and the wake-ups that tell long-polling workers about new jobs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test {
namespace {

using ::testing::ElementsAre;

class JobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.deploy_process(models::one_task("p", "work", R"(<zeebe:taskHeaders>
          <zeebe:header key="k1" value="v1" /></zeebe:taskHeaders>)"));
    instance = h.create_instance("p", Json{{"a", 1}, {"b", 2}});
  }

  EngineHarness h;
  Key instance;
};

TEST_F(JobTest, ActivationHandsOutJobsWithVariablesHeadersAndDeadline) {
  Position mark = h.mark();
  auto response = h.activate_jobs("work", 5, 30'000, {"a"});
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB_BATCH ACTIVATE", "EVENT JOB_BATCH ACTIVATED"));
  const Json& batch = response.record.value;
  ASSERT_EQ(batch["jobKeys"].size(), 1u);
  const Json& job = batch["jobs"][0];
  EXPECT_EQ(job["variables"], (Json{{"a", 1}}));
  EXPECT_EQ(job["customHeaders"], (Json{{"k1", "v1"}}));
  EXPECT_EQ(job["worker"], "test-worker");
  EXPECT_EQ(job["deadline"], h.clock().now_ms() + 30'000);
  EXPECT_TRUE(h.activate_jobs("work").record.value["jobKeys"].empty())
      << "an activated job is not handed out twice";
}

TEST_F(JobTest, BatchValidationRejectsWithInvalidArgument) {
  EXPECT_EQ(h.activate_jobs("", 1).record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_EQ(h.activate_jobs("work", 0).record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_EQ(h.activate_jobs("work", 1, 0).record.rejection_type, RejectionType::kInvalidArgument);
}

TEST_F(JobTest, WakeUpIsSentWhenAJobBecomesActivatable) {
  EXPECT_THAT(h.wakeups(), ElementsAre("work"));
}

TEST_F(JobTest, FailWithRetriesMakesTheJobActivatableAgain) {
  Key job = h.activate_one("work");
  auto failed = h.fail_job(job, 2, "boom");
  EXPECT_EQ(failed.record.intent, Intent::kFailed);
  EXPECT_EQ(failed.record.value["retries"], 2);
  EXPECT_EQ(h.activate_one("work"), job);
}

TEST_F(JobTest, FailWithBackoffRecursOnlyAfterTheBackoff) {
  Key job = h.activate_one("work");
  h.fail_job(job, 1, "later", 10'000);
  EXPECT_TRUE(h.activate_jobs("work").record.value["jobKeys"].empty());
  EXPECT_EQ(h.engine().check_due_dates(), 0u) << "not due yet";
  h.clock().advance_ms(10'000);
  Position mark = h.mark();
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
  h.process();
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB RECUR_AFTER_BACKOFF", "EVENT JOB RECURRED_AFTER_BACKOFF"));
  EXPECT_EQ(h.activate_one("work"), job);
}

TEST_F(JobTest, FailWithoutRetriesRaisesAnIncidentResolvedAfterRetriesUpdate) {
  Key job = h.activate_one("work");
  Position mark = h.mark();
  h.fail_job(job, 0, "no way");
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB FAIL", "EVENT JOB FAILED", "EVENT INCIDENT CREATED"));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "JOB_NO_RETRIES");
  EXPECT_EQ(incident.value["errorMessage"], "no way");
  EXPECT_EQ(incident.value["jobKey"], job.value());
  EXPECT_EQ(incident.value["elementId"], "task");

  auto early = h.resolve(incident.key);
  EXPECT_EQ(early.record.rejection_type, RejectionType::kInvalidState);
  EXPECT_THAT(early.record.rejection_reason, ::testing::HasSubstr("no retries left"));

  auto updated = h.command(ValueType::kJob, Intent::kUpdateRetries, Json{{"retries", 3}}, job);
  EXPECT_EQ(updated.record.intent, Intent::kRetriesUpdated);
  EXPECT_TRUE(h.activate_jobs("work").record.value["jobKeys"].empty())
      << "still failed until the incident is resolved";
  auto resolved = h.resolve(incident.key);
  EXPECT_EQ(resolved.record.intent, Intent::kResolved);
  EXPECT_EQ(h.activate_one("work"), job);
  EXPECT_EQ(h.resolve(incident.key).record.rejection_type, RejectionType::kNotFound);
}

TEST_F(JobTest, TimedOutJobsBecomeActivatableThroughLoggedCommands) {
  Key job = h.activate_one("work");
  h.clock().advance_ms(59'999);
  EXPECT_EQ(h.engine().check_due_dates(), 0u);
  h.clock().advance_ms(1);
  Position mark = h.mark();
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
  EXPECT_EQ(h.engine().check_due_dates(), 0u) << "a pending TIME_OUT is not written twice";
  h.process();
  EXPECT_THAT(h.stream_since(mark), ElementsAre("COMMAND JOB TIME_OUT", "EVENT JOB TIMED_OUT"));
  EXPECT_EQ(h.activate_one("work"), job);
}

TEST_F(JobTest, UpdateTimeoutMovesTheDeadline) {
  Key job = h.activate_one("work");
  auto response =
      h.command(ValueType::kJob, Intent::kUpdateTimeout, Json{{"timeout", 120'000}}, job);
  EXPECT_EQ(response.record.intent, Intent::kTimeoutUpdated);
  h.clock().advance_ms(60'000);
  EXPECT_EQ(h.engine().check_due_dates(), 0u);
  h.clock().advance_ms(60'000);
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
}

TEST_F(JobTest, CommandsOnMissingOrWrongStateJobsAreRejected) {
  Key missing(instance.value() + 12345);
  EXPECT_EQ(h.complete_job(missing).record.rejection_type, RejectionType::kNotFound);
  EXPECT_EQ(h.fail_job(missing, 1).record.rejection_type, RejectionType::kNotFound);
  auto response = h.activate_jobs("work");
  Key job(response.record.value["jobKeys"][0].get<std::int64_t>());
  h.fail_job(job, 0);
  auto complete = h.complete_job(job);
  EXPECT_EQ(complete.record.rejection_type, RejectionType::kInvalidState);
  EXPECT_THAT(complete.record.rejection_reason, ::testing::HasSubstr("'FAILED'"));
  auto retries = h.command(ValueType::kJob, Intent::kUpdateRetries, Json{{"retries", 0}}, job);
  EXPECT_EQ(retries.record.rejection_type, RejectionType::kInvalidArgument);
}

TEST_F(JobTest, UncaughtThrownErrorRaisesAnIncident) {
  Key job = h.activate_one("work");
  Position mark = h.mark();
  auto response = h.command(ValueType::kJob, Intent::kThrowError,
                            Json{{"errorCode", "E1"}, {"errorMessage", "bad"}}, job);
  EXPECT_EQ(response.record.intent, Intent::kErrorThrown);
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "UNHANDLED_ERROR_EVENT");
  EXPECT_THAT(incident.value["errorMessage"].get<std::string>(), ::testing::HasSubstr("'E1'"));
}

TEST_F(JobTest, FailVariablesBecomeLocalVariablesOfTheTask) {
  auto batch = h.activate_jobs("work");
  Key job(batch.record.value["jobKeys"][0].get<std::int64_t>());
  std::int64_t task = batch.record.value["jobs"][0]["elementInstanceKey"].get<std::int64_t>();
  Position mark = h.mark();
  auto failed = h.command(
      ValueType::kJob, Intent::kFail,
      Json{{"retries", 0}, {"errorMessage", "down"}, {"variables", Json{{"a", 7}, {"why", "x"}}}},
      job);
  EXPECT_EQ(failed.record.intent, Intent::kFailed);
  EXPECT_EQ(failed.record.value["variables"], (Json{{"a", 7}, {"why", "x"}}));
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB FAIL", "EVENT JOB FAILED", "EVENT VARIABLE CREATED",
                          "EVENT VARIABLE CREATED", "EVENT INCIDENT CREATED"));
  auto created = h.find_all(ValueType::kVariable, Intent::kCreated, mark);
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].value["name"], "a");
  EXPECT_EQ(created[0].value["value"], "7");
  EXPECT_EQ(created[1].value["name"], "why");
  for (const auto& variable : created) {
    EXPECT_EQ(variable.value["scopeKey"], task) << "local to the task, not the instance";
    EXPECT_EQ(variable.value["processInstanceKey"], instance.value());
  }
  // The instance's own `a` is untouched; the retried job sees the task's local value.
  h.command(ValueType::kJob, Intent::kUpdateRetries, Json{{"retries", 1}}, job);
  h.resolve(h.find(ValueType::kIncident, Intent::kCreated, mark).key);
  auto again = h.activate_jobs("work", 1, 60'000, {"a", "why"});
  EXPECT_EQ(again.record.value["jobs"][0]["variables"], (Json{{"a", 7}, {"why", "x"}}));
}

TEST_F(JobTest, FailWithRetriesAndVariablesWritesThemBeforeTheRetry) {
  Key job = h.activate_one("work");
  Position mark = h.mark();
  h.command(ValueType::kJob, Intent::kFail, Json{{"retries", 2}, {"variables", Json{{"b", 5}}}},
            job);
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB FAIL", "EVENT JOB FAILED", "EVENT VARIABLE CREATED"));
  auto batch = h.activate_jobs("work", 1, 60'000, {"b"});
  EXPECT_EQ(batch.record.value["jobs"][0]["variables"], (Json{{"b", 5}}));
}

TEST_F(JobTest, FailWithVariablesThatAreNotAnObjectIsRejected) {
  Key job = h.activate_one("work");
  Position mark = h.mark();
  auto response = h.command(ValueType::kJob, Intent::kFail,
                            Json{{"retries", 1}, {"variables", Json::array({1, 2})}}, job);
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_THAT(response.record.rejection_reason, ::testing::HasSubstr("variables as a JSON object"));
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND JOB FAIL",
                          ::testing::StartsWith("COMMAND_REJECTION JOB FAIL INVALID_ARGUMENT")));
}

TEST_F(JobTest, CompletionVariablesPropagateToTheInstance) {
  Key job = h.activate_one("work");
  Position mark = h.mark();
  h.complete_job(job, Json{{"a", 10}, {"z", true}});
  auto updated = h.find(ValueType::kVariable, Intent::kUpdated, mark);
  EXPECT_EQ(updated.value["name"], "a");
  EXPECT_EQ(updated.value["scopeKey"], instance.value());
  auto created = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(created.value["name"], "z");
  EXPECT_EQ(created.value["scopeKey"], instance.value());
}

}  // namespace
}  // namespace tern::engine::test
