// Timers: intermediate timer catch events (duration, date, expression), timer boundary events
// (interrupting, non-interrupting, cycles), timer start events, cancellation while waiting, and
// the rule that only the leader's clock fires timers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string timer_catch_model(const std::string& kind, const std::string& value) {
  return models::definitions("t", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "wait")
                                      + timer_catch("wait", kind, value) + flow("f2", "wait", "end")
                                      + "<bpmn:endEvent id=\"end\" />");
}

TEST(TimerTest, IntermediateTimerCatchWaitsForItsDurationOnTheLeaderClock) {
  EngineHarness h;
  h.deploy_process(timer_catch_model("timeDuration", "PT10S"));
  Position mark = h.mark();
  std::int64_t created_at = h.clock().now_ms();
  Key instance = h.create_instance("t");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CREATED wait"));
  auto timer = h.find(ValueType::kTimer, Intent::kCreated, mark);
  EXPECT_EQ(timer.value["dueDate"], created_at + 10'000);
  EXPECT_EQ(timer.value["processInstanceKey"], instance.value());
  EXPECT_EQ(timer.value["repetitions"], 1);
  auto activated = h.find_all(ValueType::kProcessInstance, Intent::kElementActivated, mark);
  EXPECT_EQ(activated.back().value["elementId"], "wait");
  EXPECT_EQ(timer.value["elementInstanceKey"], activated.back().key.value());

  h.clock().advance_ms(9'999);
  EXPECT_EQ(fire_due(h), 0u);
  h.clock().advance_ms(1);
  mark = h.mark();
  EXPECT_EQ(fire_due(h), 1u);
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND TIMER TRIGGER wait", "EVENT TIMER TRIGGERED wait",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT wait",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING wait",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED wait",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT t",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING t",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED t"));
  // Fired once: nothing is due any more.
  h.clock().advance_ms(60'000);
  EXPECT_EQ(fire_due(h), 0u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(TimerTest, TimeDateAndExpressionsAreEvaluatedAtActivation) {
  EngineHarness h;
  h.clock().set_ms(1'700'000'000'000);  // 2023-11-14T22:13:20Z
  h.deploy_process(timer_catch_model("timeDate", "2023-11-14T22:15:00Z"));
  Position mark = h.mark();
  h.create_instance("t");
  EXPECT_EQ(h.find(ValueType::kTimer, Intent::kCreated, mark).value["dueDate"], 1'700'000'100'000);

  EngineHarness e;
  e.deploy_process(timer_catch_model("timeDuration", "=waitFor"));
  mark = e.mark();
  std::int64_t now = e.clock().now_ms();
  e.create_instance("t", Json{{"waitFor", "PT1M30S"}});
  EXPECT_EQ(e.find(ValueType::kTimer, Intent::kCreated, mark).value["dueDate"], now + 90'000);
}

TEST(TimerTest, ATimerExpressionThatFailsRaisesAnIncidentAndResolvingItRetries) {
  EngineHarness h;
  h.deploy_process(timer_catch_model("timeDuration", "=waitFor"));
  Position mark = h.mark();
  h.create_instance("t", Json{{"waitFor", "ten seconds"}});
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "EXTRACT_VALUE_ERROR");
  EXPECT_EQ(incident.value["elementId"], "wait");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), IsEmpty());
  Key scope(incident.value["elementInstanceKey"].get<std::int64_t>());
  h.set_variables(scope, Json{{"waitFor", "PT5S"}}, false);
  mark = h.mark();
  h.resolve(incident.key);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CREATED wait"));
  h.clock().advance_ms(5'000);
  mark = h.mark();
  fire_due(h);
  EXPECT_FALSE(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).empty());
}

TEST(TimerTest, CancellingTheInstanceWhileWaitingCancelsTheTimer) {
  EngineHarness h;
  h.deploy_process(timer_catch_model("timeDuration", "PT10S"));
  Key instance = h.create_instance("t");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING t",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT wait",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING wait", "EVENT TIMER CANCELED wait",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED wait",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED t"));
  h.clock().advance_ms(10'000);
  EXPECT_EQ(fire_due(h), 0u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(TimerTest, AFollowerNeverFiresTimersFromItsOwnClock) {
  EngineHarness h;
  h.deploy_process(timer_catch_model("timeDuration", "PT10S"));
  h.create_instance("t");
  h.engine().become_follower();
  h.clock().advance_ms(60'000);
  EXPECT_EQ(h.engine().check_due_dates(), 0u);
  h.engine().become_leader();
  EXPECT_EQ(fire_due(h), 1u);
}

std::string boundary_model(bool interrupting, const std::string& definition) {
  return models::definitions("b", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                                      + service("task", "work") + flow("f2", "task", "end")
                                      + "<bpmn:endEvent id=\"end\" />"
                                      + boundary("timeout", "task", interrupting, definition)
                                      + flow("f3", "timeout", "escalate")
                                      + service("escalate", "escalate"));
}

TEST(TimerTest, InterruptingBoundaryTimerTerminatesTheTaskAndTakesTheBoundaryPath) {
  EngineHarness h;
  h.deploy_process(boundary_model(true, timer("timeDuration", "PT1M")));
  Position mark = h.mark();
  h.create_instance("b");
  // The boundary timer is opened while the task activates, before ELEMENT_ACTIVATED.
  auto lines = stream(h, mark);
  auto at = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) - lines.begin();
  };
  EXPECT_LT(at("EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task"),
            at("EVENT TIMER CREATED timeout"));
  EXPECT_LT(at("EVENT TIMER CREATED timeout"), at("EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task"));
  h.clock().advance_ms(60'000);
  mark = h.mark();
  fire_due(h);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre(
          "COMMAND TIMER TRIGGER timeout", "EVENT TIMER TRIGGERED timeout",
          "EVENT PROCESS_EVENT TRIGGERING timeout",
          "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task", "EVENT PROCESS_EVENT TRIGGERED timeout",
          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT timeout",
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING timeout",
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED timeout",
          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING timeout",
          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED timeout",
          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT escalate",
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING escalate", "EVENT JOB CREATED escalate",
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED escalate"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(TimerTest, CompletingTheTaskFirstCancelsItsBoundaryTimer) {
  EngineHarness h;
  h.deploy_process(boundary_model(true, timer("timeDuration", "PT1M")));
  h.create_instance("b");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  h.complete_job(job);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CANCELED timeout"));
  auto lines = stream(h, mark);
  auto completing =
      std::find(lines.begin(), lines.end(), "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task");
  ASSERT_NE(completing, lines.end());
  EXPECT_EQ(*(completing + 1), "EVENT TIMER CANCELED timeout");
  h.clock().advance_ms(120'000);
  EXPECT_EQ(fire_due(h), 0u);
}

TEST(TimerTest, NonInterruptingBoundaryCycleFiresRepeatedlyWhileTheTaskRuns) {
  EngineHarness h;
  h.deploy_process(boundary_model(false, timer("timeCycle", "R2/PT1M")));
  std::int64_t start = h.clock().now_ms();
  h.create_instance("b");
  Position mark = h.mark();
  h.clock().advance_ms(60'000);
  fire_due(h);
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND TIMER TRIGGER timeout", "EVENT TIMER TRIGGERED timeout",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT timeout",
                          "EVENT TIMER CREATED timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED timeout",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT escalate",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING escalate",
                          "EVENT JOB CREATED escalate",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED escalate"));
  auto next = h.find(ValueType::kTimer, Intent::kCreated, mark);
  EXPECT_EQ(next.value["dueDate"], start + 120'000);
  EXPECT_EQ(next.value["repetitions"], 1);
  h.clock().advance_ms(60'000);
  mark = h.mark();
  EXPECT_EQ(fire_due(h), 1u);
  // The second of two repetitions: no third timer.
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}),
              ElementsAre("COMMAND TIMER TRIGGER timeout", "EVENT TIMER TRIGGERED timeout"));
  EXPECT_EQ(h.find_all(ValueType::kJob, Intent::kCreated).size(), 3u);  // work + 2 escalations
  // The task still runs and completes normally.
  Key job = h.activate_one("work");
  mark = h.mark();
  h.complete_job(job);
  EXPECT_THAT(h.lifecycle_since(mark), ::testing::Contains("ELEMENT_COMPLETED task"));
}

TEST(TimerTest, CancellingWhileABoundaryTimerWaitsCancelsTimerAndJob) {
  EngineHarness h;
  h.deploy_process(boundary_model(false, timer("timeCycle", "R/PT1M")));
  Key instance = h.create_instance("b");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING b",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT TIMER CANCELED timeout",
                  "EVENT JOB CANCELED work", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED b"));
}

std::string timer_start_model(const std::string& cycle, const std::string& job_type) {
  return models::definitions("s", "<bpmn:startEvent id=\"tick\">" + timer("timeCycle", cycle)
                                      + "</bpmn:startEvent>" + flow("f1", "tick", "task")
                                      + service("task", job_type) + flow("f2", "task", "end")
                                      + "<bpmn:endEvent id=\"end\" />");
}

TEST(TimerTest, TimerStartEventCreatesInstancesOnItsCycle) {
  EngineHarness h;
  std::int64_t start = h.clock().now_ms();
  Position mark = h.mark();
  Key definition = h.deploy_process(timer_start_model("R2/PT1H", "hourly"));
  auto timer_record = h.find(ValueType::kTimer, Intent::kCreated, mark);
  EXPECT_EQ(timer_record.value["processInstanceKey"], -1);
  EXPECT_EQ(timer_record.value["elementInstanceKey"], -1);
  EXPECT_EQ(timer_record.value["processDefinitionKey"], definition.value());
  EXPECT_EQ(timer_record.value["dueDate"], start + 3'600'000);
  EXPECT_EQ(timer_record.value["repetitions"], 2);

  h.clock().advance_ms(3'600'000);
  mark = h.mark();
  fire_due(h);
  auto lines = stream(h, mark);
  EXPECT_THAT(std::vector<std::string>(lines.begin(), lines.begin() + 9),
              ElementsAre("COMMAND TIMER TRIGGER tick", "EVENT TIMER TRIGGERED tick",
                          "EVENT PROCESS_EVENT TRIGGERING tick",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT s", "EVENT TIMER CREATED tick",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING s",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED s",
                          "EVENT PROCESS_EVENT TRIGGERED tick",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT tick"));
  EXPECT_THAT(h.lifecycle_since(mark), ::testing::Contains("ELEMENT_ACTIVATED task"));
  h.clock().advance_ms(3'600'000);
  mark = h.mark();
  fire_due(h);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}),
              ElementsAre("COMMAND TIMER TRIGGER tick", "EVENT TIMER TRIGGERED tick"));
  EXPECT_EQ(h.find_all(ValueType::kJob, Intent::kCreated).size(), 2u);
  h.clock().advance_ms(10 * 3'600'000);
  EXPECT_EQ(fire_due(h), 0u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(TimerTest, ANewVersionReplacesTheTimerStartEventsOfThePreviousOne) {
  EngineHarness h;
  h.deploy_process(timer_start_model("R/PT1H", "v1"));
  Position mark = h.mark();
  h.deploy_process(timer_start_model("R/PT2H", "v2"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}),
              ElementsAre("EVENT TIMER CANCELED tick", "EVENT TIMER CREATED tick"));
  h.clock().advance_ms(2 * 3'600'000);
  fire_due(h);
  EXPECT_TRUE(h.activate_jobs("v1").record.value["jobKeys"].empty());
  EXPECT_EQ(h.activate_jobs("v2").record.value["jobKeys"].size(), 1u);
}

TEST(TimerTest, CronCycleStartEvent) {
  EngineHarness h;
  h.clock().set_ms(1'700'000'000'000);  // 2023-11-14T22:13:20Z
  Position mark = h.mark();
  h.deploy_process(timer_start_model("0 0 * * * *", "cron"));
  // The next full hour: 23:00:00Z.
  EXPECT_EQ(h.find(ValueType::kTimer, Intent::kCreated, mark).value["dueDate"], 1'700'002'800'000);
}

// The runtime now executes every element the parser accepts (the runtime's own check is unit
// tested in test/engine/bpmn/executable_test.cc); a deployment naming an element Zeebe does not
// execute either is rejected naming the element and why.
TEST(TimerTest, DeploymentRejectsElementsThatAreNotExecutedNamingThem) {
  EngineHarness h;
  auto response = h.deploy(
      "compensate.bpmn",
      models::definitions("x", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "end")
                                   + "<bpmn:endEvent id=\"end\" /><bpmn:subProcess id=\"undo\" "
                                     "triggeredByEvent=\"true\"><bpmn:startEvent id=\"gw\">"
                                     "<bpmn:compensateEventDefinition /></bpmn:startEvent>"
                                   + flow("u1", "gw", "u_end")
                                   + "<bpmn:endEvent id=\"u_end\" /></bpmn:subProcess>"));
  EXPECT_EQ(response.record.record_type, RecordType::kCommandRejection);
  EXPECT_THAT(
      response.record.rejection_reason,
      ::testing::HasSubstr("Element 'gw': the start event of an event sub-process must be"));
}

}  // namespace
}  // namespace tern::engine::test::breadth
