// Signals: BROADCAST / BROADCASTED, signal start events, intermediate catch, boundary events
// (interrupting and non-interrupting), intermediate throw and end events, event sub-process starts
// (interrupting and non-interrupting), and cancellation while waiting (the subscription is
// deleted).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string with_signal(const std::string& process_id, const std::string& body,
                        const std::string& name = "alarm") {
  std::string xml = models::definitions(process_id, body);
  std::string signal = "<bpmn:signal id=\"sig\" name=\"" + name + "\" />\n";
  return xml.replace(xml.find("</bpmn:definitions>"), 0, signal);
}

const std::string kSignalDef = "<bpmn:signalEventDefinition signalRef=\"sig\" />";

Response broadcast(EngineHarness& h, const std::string& name, Json variables = Json::object()) {
  return h.command(ValueType::kSignal, Intent::kBroadcast,
                   Json{{"signalName", name}, {"variables", variables}});
}

std::string catch_model() {
  return with_signal("s", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "wait")
                              + "<bpmn:intermediateCatchEvent id=\"wait\">" + kSignalDef
                              + "</bpmn:intermediateCatchEvent>" + flow("f2", "wait", "end")
                              + "<bpmn:endEvent id=\"end\" />");
}

TEST(SignalTest, ABroadcastTriggersAWaitingCatchEventWithItsVariables) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Position mark = h.mark();
  Key instance = h.create_instance("s");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION CREATED"));
  auto subscription = h.find(ValueType::kSignalSubscription, Intent::kCreated, mark);
  EXPECT_EQ(subscription.value["signalName"], "alarm");
  EXPECT_EQ(subscription.value["catchEventId"], "wait");

  mark = h.mark();
  auto response = broadcast(h, "alarm", Json{{"level", 3}});
  EXPECT_EQ(response.record.intent, Intent::kBroadcasted);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND SIGNAL BROADCAST alarm", "EVENT SIGNAL BROADCASTED alarm",
                  "EVENT VARIABLE CREATED level", "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT wait",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING wait",
                  "EVENT SIGNAL_SUBSCRIPTION DELETED",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED wait",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT s",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING s",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED s"));
  EXPECT_EQ(h.find(ValueType::kVariable, Intent::kCreated, mark).value["scopeKey"],
            instance.value());
  // Nothing is buffered: a second broadcast finds no subscription.
  mark = h.mark();
  broadcast(h, "alarm");
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND SIGNAL BROADCAST alarm", "EVENT SIGNAL BROADCASTED alarm"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(SignalTest, ABroadcastWithoutANameIsRejected) {
  EngineHarness h;
  auto response = broadcast(h, "");
  EXPECT_EQ(response.record.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidArgument);
}

TEST(SignalTest, ASignalStartEventCreatesAnInstancePerBroadcast) {
  EngineHarness h;
  h.deploy_process(with_signal("s", "<bpmn:startEvent id=\"start\">" + kSignalDef
                                        + "</bpmn:startEvent>" + flow("f1", "start", "task")
                                        + service("task", "work")));
  Position mark = h.mark();
  broadcast(h, "alarm", Json{{"level", 1}});
  broadcast(h, "alarm", Json{{"level", 2}});
  broadcast(h, "other");
  auto started = h.find_all(ValueType::kProcessEvent, Intent::kTriggering, mark);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].value["targetElementId"], "start");
  auto jobs = h.activate_jobs("work", 10).record.value["jobs"];
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]["variables"]["level"], 1);
  EXPECT_EQ(jobs[1]["variables"]["level"], 2);
  // A new version replaces the start subscription of the old one.
  mark = h.mark();
  h.deploy_process(
      with_signal("s", "<bpmn:startEvent id=\"start2\">" + kSignalDef + "</bpmn:startEvent>"));
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kSignalSubscription}),
      ElementsAre("EVENT SIGNAL_SUBSCRIPTION DELETED", "EVENT SIGNAL_SUBSCRIPTION CREATED"));
}

std::string boundary_model(bool interrupting) {
  return with_signal("b", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                              + service("task", "work") + flow("f2", "task", "end")
                              + "<bpmn:endEvent id=\"end\" />"
                              + boundary("stop", "task", interrupting, kSignalDef)
                              + flow("f3", "stop", "handle") + service("handle", "handle"));
}

TEST(SignalTest, InterruptingBoundarySignalTerminatesTheTask) {
  EngineHarness h;
  h.deploy_process(boundary_model(true));
  h.create_instance("b");
  Position mark = h.mark();
  broadcast(h, "alarm");
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_TERMINATING task", "ELEMENT_TERMINATED task", "ELEMENT_ACTIVATING stop",
                  "ELEMENT_ACTIVATED stop", "ELEMENT_COMPLETING stop", "ELEMENT_COMPLETED stop",
                  "SEQUENCE_FLOW_TAKEN f3", "ELEMENT_ACTIVATING handle",
                  "ELEMENT_ACTIVATED handle"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription, ValueType::kJob}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION DELETED", "EVENT JOB CANCELED work",
                          "EVENT JOB CREATED handle"));
}

TEST(SignalTest, NonInterruptingBoundarySignalKeepsTheTaskAndListening) {
  EngineHarness h;
  h.deploy_process(boundary_model(false));
  h.create_instance("b");
  broadcast(h, "alarm");
  broadcast(h, "alarm");
  auto handles = h.activate_jobs("handle", 10).record.value["jobs"];
  EXPECT_EQ(handles.size(), 2u);
  Position mark = h.mark();
  h.complete_job(h.activate_one("work"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION DELETED"));
}

TEST(SignalTest, ThrowAndEndEventsBroadcastTheSignal) {
  EngineHarness h;
  h.deploy_process(catch_model());
  h.deploy_process(
      with_signal("t", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "throw")
                           + "<bpmn:intermediateThrowEvent id=\"throw\">" + kSignalDef
                           + "</bpmn:intermediateThrowEvent>" + flow("f2", "throw", "end")
                           + "<bpmn:endEvent id=\"end\">" + kSignalDef + "</bpmn:endEvent>"));
  h.create_instance("s");
  h.create_instance("s");
  Position mark = h.mark();
  h.create_instance("t");
  auto broadcasts = h.find_all(ValueType::kSignal, Intent::kBroadcasted, mark);
  EXPECT_EQ(broadcasts.size(), 2u);  // the throw event and the end event
  std::size_t waiting_done = 0;
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark)) {
    if (record.value["elementId"] == "wait") ++waiting_done;
  }
  EXPECT_EQ(waiting_done, 2u);  // both waiting instances, by the first broadcast
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(SignalTest, CancellingWhileWaitingDeletesTheSubscription) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Key instance = h.create_instance("s");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(stream(h, mark), ElementsAre("COMMAND PROCESS_INSTANCE CANCEL",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING s",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT wait",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING wait",
                                           "EVENT SIGNAL_SUBSCRIPTION DELETED",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED wait",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED s"));
  mark = h.mark();
  broadcast(h, "alarm");
  EXPECT_THAT(h.lifecycle_since(mark), IsEmpty());
}

// An event sub-process with a signal start event, beside a task: the subscription belongs to the
// process instance while it is active.
std::string event_subprocess_model(bool interrupting) {
  return with_signal("e", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                              + service("task", "work") + flow("f2", "task", "end")
                              + "<bpmn:endEvent id=\"end\" />"
                              + "<bpmn:subProcess id=\"handler\" triggeredByEvent=\"true\">"
                              + "<bpmn:startEvent id=\"h_start\" isInterrupting=\""
                              + (interrupting ? "true" : "false") + "\">" + kSignalDef
                              + "</bpmn:startEvent>" + flow("h1", "h_start", "handle")
                              + service("handle", "handle") + flow("h2", "handle", "h_end")
                              + "<bpmn:endEvent id=\"h_end\" />" + "</bpmn:subProcess>");
}

TEST(SignalTest, InterruptingEventSubProcessSignalStartTerminatesTheTaskAndRunsTheHandler) {
  EngineHarness h;
  h.deploy_process(event_subprocess_model(true));
  Position mark = h.mark();
  Key instance = h.create_instance("e");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION CREATED"));
  auto subscription = h.find(ValueType::kSignalSubscription, Intent::kCreated, mark);
  EXPECT_EQ(subscription.value["catchEventId"], "h_start");
  EXPECT_EQ(subscription.value["catchEventInstanceKey"], instance.value());

  mark = h.mark();
  broadcast(h, "alarm", Json{{"level", 5}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND SIGNAL BROADCAST alarm", "EVENT SIGNAL BROADCASTED alarm",
                  "EVENT PROCESS_EVENT TRIGGERING h_start",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_EVENT TRIGGERED h_start", "EVENT VARIABLE CREATED level",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handler",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED h_start",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN h1",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handle", "EVENT JOB CREATED handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handle"));
  // Interrupted: the scope catches nothing more (its subscription stays until it ends); a second
  // broadcast triggers nothing.
  mark = h.mark();
  broadcast(h, "alarm");
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND SIGNAL BROADCAST alarm", "EVENT SIGNAL BROADCASTED alarm"));
  auto activated = h.activate_jobs("handle").record.value;
  ASSERT_EQ(activated["jobs"].size(), 1u);
  EXPECT_EQ(activated["jobs"][0]["variables"]["level"], 5);
  mark = h.mark();
  h.complete_job(Key(activated["jobKeys"][0].get<std::int64_t>()));
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING handle", "ELEMENT_COMPLETED handle", "SEQUENCE_FLOW_TAKEN h2",
                  "ELEMENT_ACTIVATING h_end", "ELEMENT_ACTIVATED h_end", "ELEMENT_COMPLETING h_end",
                  "ELEMENT_COMPLETED h_end", "ELEMENT_COMPLETING handler",
                  "ELEMENT_COMPLETED handler", "ELEMENT_COMPLETING e", "ELEMENT_COMPLETED e"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION DELETED"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(SignalTest, NonInterruptingEventSubProcessSignalStartRunsBesideTheTaskEveryTime) {
  EngineHarness h;
  h.deploy_process(event_subprocess_model(false));
  h.create_instance("e");
  Position mark = h.mark();
  broadcast(h, "alarm", Json{{"level", 1}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND SIGNAL BROADCAST alarm", "EVENT SIGNAL BROADCASTED alarm",
                  "EVENT VARIABLE CREATED level",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handler",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED h_start",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN h1",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handle", "EVENT JOB CREATED handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handle"));
  broadcast(h, "alarm", Json{{"level", 2}});
  EXPECT_EQ(h.activate_jobs("handle", 10).record.value["jobs"].size(), 2u);
  // The task still runs and the subscription stays until the instance ends.
  mark = h.mark();
  h.complete_job(h.activate_one("work"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}), IsEmpty());
  mark = h.mark();
  for (const auto& record : h.find_all(ValueType::kJob, Intent::kCreated)) {
    if (record.value["type"] == "handle") h.complete_job(record.key);
  }
  EXPECT_THAT(stream_of(h, mark, {ValueType::kSignalSubscription}),
              ElementsAre("EVENT SIGNAL_SUBSCRIPTION DELETED"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark)
                .back()
                .value["elementId"],
            "e");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(SignalTest, CancellingWhileAnEventSubProcessWaitsDeletesItsSubscription) {
  EngineHarness h;
  h.deploy_process(event_subprocess_model(true));
  Key instance = h.create_instance("e");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING e",
                  "EVENT SIGNAL_SUBSCRIPTION DELETED",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED e"));
  mark = h.mark();
  broadcast(h, "alarm");
  EXPECT_THAT(h.lifecycle_since(mark), IsEmpty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
