// Compensation: subscriptions created when a compensable activity completes and deleted when
// the instance ends; intermediate throw and end events with and without activityRef, which
// invoke the handlers of completed activities only and wait for them; handlers as jobs that see
// the instance's variables; compensation inside and of embedded sub-processes; multi-instance
// activities; cancellation while a handler runs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A service task `id` (job type `id`) with a compensation boundary event `id`_comp associated
// with the handler `undo_<id>` (a service task marked isForCompensation, job type `undo_<id>`).
std::string compensable(const std::string& id, const std::string& inner = "") {
  return service(id, id, inner)
         + boundary(id + "_comp", id, true, "<bpmn:compensateEventDefinition />")
         + "<bpmn:serviceTask id=\"undo_" + id
         + "\" isForCompensation=\"true\"><bpmn:extensionElements><zeebe:taskDefinition "
           "type=\"undo_"
         + id + "\" /></bpmn:extensionElements></bpmn:serviceTask>\n"
         + "<bpmn:association id=\"assoc_" + id + "\" sourceRef=\"" + id
         + "_comp\" targetRef=\"undo_" + id + "\" />\n";
}

std::string compensate(const std::string& activity_ref = "") {
  return activity_ref.empty()
             ? "<bpmn:compensateEventDefinition />"
             : "<bpmn:compensateEventDefinition activityRef=\"" + activity_ref + "\" />";
}

std::string throw_event(const std::string& id, const std::string& activity_ref = "") {
  return "<bpmn:intermediateThrowEvent id=\"" + id + "\">" + compensate(activity_ref)
         + "</bpmn:intermediateThrowEvent>\n";
}

std::string process(const std::string& body) {
  return models::definitions("p", body);
}

// The records from the first one rendered as `first` on.
std::vector<std::string> from(const std::vector<std::string>& lines, const std::string& first) {
  auto it = std::find(lines.begin(), lines.end(), first);
  EXPECT_NE(it, lines.end()) << "no record '" << first << "'";
  return std::vector<std::string>(it, lines.end());
}

TEST(CompensationTest, ASubscriptionIsCreatedWhenTheActivityCompletesAndDeletedWithTheInstance) {
  EngineHarness h;
  h.deploy_process(process("<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "a")
                           + compensable("a") + flow("f2", "a", "end")
                           + "<bpmn:endEvent id=\"end\" />"));
  Key instance = h.create_instance("p");
  // Nothing while the activity is active.
  EXPECT_THAT(stream_of(h, Position(0), {ValueType::kCompensationSubscription}), IsEmpty());
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  EXPECT_THAT(from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING a"),
              ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_COMPLETING a",
                          "EVENT COMPENSATION_SUBSCRIPTION CREATED a",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED a",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT p",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING p",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED a",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED p"));
  auto created = h.find(ValueType::kCompensationSubscription, Intent::kCreated, mark);
  auto activity = h.find(ValueType::kProcessInstance, Intent::kElementCompleting, mark);
  EXPECT_EQ(created.value["processInstanceKey"], instance.value());
  EXPECT_EQ(created.value["compensableActivityId"], "a");
  EXPECT_EQ(created.value["compensableActivityScopeId"], "p");
  EXPECT_EQ(created.value["compensableActivityInstanceKey"], activity.key.value());
  EXPECT_EQ(created.value["compensableActivityScopeKey"], instance.value());
  EXPECT_EQ(created.value["compensationHandlerId"], "undo_a");
  EXPECT_EQ(created.value["compensationHandlerInstanceKey"], -1);
  EXPECT_EQ(created.value["throwEventId"], "");
  EXPECT_EQ(created.value["throwEventInstanceKey"], -1);
  auto deleted = h.find(ValueType::kCompensationSubscription, Intent::kDeleted, mark);
  EXPECT_EQ(deleted.key, created.key);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

// start -> fork -> a -> c -> throw -> end1, fork -> b -> end2; a, b and c are compensable.
std::string parallel_model(const std::string& activity_ref) {
  return process("<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork")
                 + "<bpmn:parallelGateway id=\"fork\" />" + flow("f1", "fork", "a")
                 + compensable("a") + flow("f2", "a", "c") + compensable("c")
                 + flow("f3", "c", "throw") + throw_event("throw", activity_ref)
                 + flow("f4", "throw", "end1") + "<bpmn:endEvent id=\"end1\" />"
                 + flow("f5", "fork", "b") + compensable("b") + flow("f6", "b", "end2")
                 + "<bpmn:endEvent id=\"end2\" />");
}

TEST(CompensationTest, AThrowEventCompensatesEveryCompletedActivityOfItsScopeAndWaits) {
  EngineHarness h;
  h.deploy_process(parallel_model(""));
  h.create_instance("p");
  h.complete_job(h.activate_one("a"));
  Position mark = h.mark();
  h.complete_job(h.activate_one("c"));
  // b is still active: it has no subscription and its handler is not invoked.
  EXPECT_THAT(
      from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED throw"),
      ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED throw",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING a_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED a_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING a_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED a_comp",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT undo_a",
                  "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING c_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED c_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING c_comp",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED c_comp",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT undo_c",
                  "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED c",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING undo_a", "EVENT JOB CREATED undo_a",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED undo_a",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING undo_c", "EVENT JOB CREATED undo_c",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED undo_c"));
  auto undo_a = h.find_all(ValueType::kProcessInstance, Intent::kElementActivating, mark);
  auto triggered = h.find(ValueType::kCompensationSubscription, Intent::kTriggered, mark);
  auto throw_activated = h.find_all(ValueType::kProcessInstance, Intent::kElementActivated, mark);
  Key throw_key = kNoKey, undo_a_key = kNoKey;
  for (const auto& record : throw_activated) {
    if (record.value["elementId"] == "throw") throw_key = record.key;
    if (record.value["elementId"] == "undo_a") undo_a_key = record.key;
  }
  EXPECT_EQ(triggered.value["throwEventId"], "throw");
  EXPECT_EQ(triggered.value["throwEventInstanceKey"], throw_key.value());
  EXPECT_EQ(triggered.value["compensationHandlerInstanceKey"], undo_a_key.value());
  for (const auto& record : undo_a) {
    if (record.value["elementId"] == "undo_a") {
      EXPECT_EQ(record.value["bpmnEventType"], "COMPENSATION");
      EXPECT_EQ(record.value["flowScopeKey"], triggered.value["processInstanceKey"]);
    }
    if (record.value["elementId"] == "a_comp") {
      EXPECT_EQ(record.value["bpmnElementType"], "BOUNDARY_EVENT");
      EXPECT_EQ(record.value["bpmnEventType"], "COMPENSATION");
    }
  }

  // The throw event waits for both handlers.
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_a"),
              ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_a",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED undo_a",
                          "EVENT COMPENSATION_SUBSCRIPTION COMPLETED a"));
  mark = h.mark();
  h.complete_job(h.activate_one("undo_c"));
  EXPECT_THAT(from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_c"),
              ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_c",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED undo_c",
                          "EVENT COMPENSATION_SUBSCRIPTION COMPLETED c",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT throw",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING throw",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED throw",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f4",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end1",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end1",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end1",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end1",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end1"));
  // b completes later: its subscription lives until the instance completes.
  mark = h.mark();
  h.complete_job(h.activate_one("b"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION CREATED b",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED b"));
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_COMPLETED p");
  EXPECT_THAT(h.find_all(ValueType::kJob, Intent::kCreated, Position(0)).size(), 5u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, AThrowEventWithActivityRefCompensatesOnlyThatActivity) {
  EngineHarness h;
  h.deploy_process(parallel_model("a"));
  h.create_instance("p");
  h.complete_job(h.activate_one("a"));
  h.complete_job(h.activate_one("b"));
  Position mark = h.mark();
  h.complete_job(h.activate_one("c"));
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kCompensationSubscription, ValueType::kJob}),
      ElementsAre("COMMAND JOB COMPLETE", "EVENT JOB COMPLETED c",
                  "EVENT COMPENSATION_SUBSCRIPTION CREATED c",
                  "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a", "EVENT JOB CREATED undo_a"));
  EXPECT_THAT(h.activate_jobs("undo_b").record.value["jobKeys"], IsEmpty());
  EXPECT_THAT(h.activate_jobs("undo_c").record.value["jobKeys"], IsEmpty());
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  // b and c stay uncompensated; their subscriptions end with the instance.
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION COMPLETED a",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED b",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED c"));
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_COMPLETED p");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, ACompensationEndEventWaitsForTheHandlerThenEndsTheInstance) {
  EngineHarness h;
  h.deploy_process(process("<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "a")
                           + compensable("a") + flow("f2", "a", "end")
                           + "<bpmn:endEvent id=\"end\">" + compensate() + "</bpmn:endEvent>"));
  h.create_instance("p");
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_COMPLETING a", "ELEMENT_COMPLETED a", "SEQUENCE_FLOW_TAKEN f2",
                          "ELEMENT_ACTIVATING end", "ELEMENT_ACTIVATED end",
                          "ELEMENT_ACTIVATING a_comp", "ELEMENT_ACTIVATED a_comp",
                          "ELEMENT_COMPLETING a_comp", "ELEMENT_COMPLETED a_comp",
                          "ELEMENT_ACTIVATING undo_a", "ELEMENT_ACTIVATED undo_a"));
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_a"),
              ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_COMPLETING undo_a",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED undo_a",
                          "EVENT COMPENSATION_SUBSCRIPTION COMPLETED a",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT p",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING p",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, NothingToCompensateCompletesTheThrowEventAtOnce) {
  EngineHarness h;
  h.deploy_process(process("<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "throw")
                           + throw_event("throw") + flow("f2", "throw", "a") + compensable("a")
                           + flow("f3", "a", "end") + "<bpmn:endEvent id=\"end\" />"));
  Position mark = h.mark();
  h.create_instance("p");
  EXPECT_THAT(from(h.lifecycle_since(mark), "ELEMENT_ACTIVATING throw"),
              ElementsAre("ELEMENT_ACTIVATING throw", "ELEMENT_ACTIVATED throw",
                          "ELEMENT_COMPLETING throw", "ELEMENT_COMPLETED throw",
                          "SEQUENCE_FLOW_TAKEN f2", "ELEMENT_ACTIVATING a", "ELEMENT_ACTIVATED a"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}), IsEmpty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, AHandlerJobSeesTheVariablesOfTheInstanceAndTheCompensatedActivity) {
  EngineHarness h;
  h.deploy_process(process("<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "a")
                           + compensable("a") + flow("f2", "a", "throw") + throw_event("throw")
                           + flow("f3", "throw", "end") + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("p", Json{{"orderId", 7}});
  h.complete_job(h.activate_one("a"), Json{{"booking", "B-1"}});
  auto batch = h.activate_jobs("undo_a");
  ASSERT_EQ(batch.record.value["jobs"].size(), 1u);
  EXPECT_EQ(batch.record.value["jobs"][0]["variables"], (Json{{"booking", "B-1"}, {"orderId", 7}}));
  // The handler's result is visible to the rest of the instance.
  Key job(batch.record.value["jobKeys"][0].get<std::int64_t>());
  Position mark = h.mark();
  h.complete_job(job, Json{{"cancelled", true}});
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(variable.value["name"], "cancelled");
  EXPECT_EQ(variable.value["scopeKey"], variable.value["processInstanceKey"]);
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_COMPLETED p");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

// start -> x -> sub( s_start -> a -> <inner> -> s_end ) -> <outer> -> end; x and a compensable.
std::string sub_process_model(const std::string& inner, const std::string& outer) {
  std::string sub = "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s_start\" />"
                    + flow("s1", "s_start", "a") + compensable("a");
  if (inner.empty()) {
    sub += flow("s2", "a", "s_end");
  } else {
    sub += flow("s2", "a", "inner") + inner + flow("s3", "inner", "s_end");
  }
  sub += "<bpmn:endEvent id=\"s_end\" /></bpmn:subProcess>";
  std::string body = "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "x")
                     + compensable("x") + flow("f2", "x", "sub") + sub;
  if (outer.empty()) {
    body += flow("f3", "sub", "end");
  } else {
    body += flow("f3", "sub", "outer") + outer + flow("f4", "outer", "end");
  }
  return process(body + "<bpmn:endEvent id=\"end\" />");
}

TEST(CompensationTest, AThrowEventInsideASubProcessCompensatesOnlyTheSubProcessActivities) {
  EngineHarness h;
  h.deploy_process(sub_process_model(throw_event("inner"), ""));
  h.create_instance("p");
  h.complete_job(h.activate_one("x"));
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kCompensationSubscription, ValueType::kJob}),
      ElementsAre("COMMAND JOB COMPLETE", "EVENT JOB COMPLETED a",
                  "EVENT COMPENSATION_SUBSCRIPTION CREATED a",
                  "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a", "EVENT JOB CREATED undo_a"));
  // The handler runs in the sub-process, beside the waiting throw event.
  auto sub = h.find(ValueType::kProcessInstance, Intent::kElementActivated);
  for (const auto& record : h.find_all(ValueType::kProcessInstance, Intent::kElementActivated)) {
    if (record.value["elementId"] == "sub") sub = record;
  }
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementActivated, mark)) {
    if (record.value["elementId"] == "undo_a") {
      EXPECT_EQ(record.value["flowScopeKey"], sub.key.value());
    }
  }
  EXPECT_THAT(h.activate_jobs("undo_x").record.value["jobKeys"], IsEmpty());
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(
      from(h.lifecycle_since(mark), "ELEMENT_COMPLETING undo_a"),
      ElementsAre("ELEMENT_COMPLETING undo_a", "ELEMENT_COMPLETED undo_a",
                  "ELEMENT_COMPLETING inner", "ELEMENT_COMPLETED inner", "SEQUENCE_FLOW_TAKEN s3",
                  "ELEMENT_ACTIVATING s_end", "ELEMENT_ACTIVATED s_end", "ELEMENT_COMPLETING s_end",
                  "ELEMENT_COMPLETED s_end", "ELEMENT_COMPLETING sub", "ELEMENT_COMPLETED sub",
                  "SEQUENCE_FLOW_TAKEN f3", "ELEMENT_ACTIVATING end", "ELEMENT_ACTIVATED end",
                  "ELEMENT_COMPLETING end", "ELEMENT_COMPLETED end", "ELEMENT_COMPLETING p",
                  "ELEMENT_COMPLETED p"));
  // x was never compensated: its subscription ends with the instance.
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION COMPLETED a",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED x"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, AThrowEventAfterACompletedSubProcessCompensatesTheActivitiesInside) {
  EngineHarness h;
  h.deploy_process(sub_process_model("", throw_event("outer")));
  h.create_instance("p");
  h.complete_job(h.activate_one("x"));
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  // The completed sub-process gets a subscription of its own, without a handler; the throw
  // event compensates x and, through the sub-process, a.
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION CREATED a",
                          "EVENT COMPENSATION_SUBSCRIPTION CREATED sub",
                          "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED x",
                          "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED sub",
                          "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a"));
  auto created = h.find_all(ValueType::kCompensationSubscription, Intent::kCreated, mark);
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[1].value["compensationHandlerId"], "");
  EXPECT_EQ(created[0].value["compensableActivityScopeKey"],
            created[1].value["compensableActivityInstanceKey"]);
  EXPECT_EQ(created[0].value["compensableActivityScopeId"], "sub");
  auto triggered = h.find_all(ValueType::kCompensationSubscription, Intent::kTriggered, mark);
  EXPECT_EQ(triggered[1].value["compensationHandlerInstanceKey"], -1);
  // Both handlers run in the throw event's scope, the process.
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementActivating, mark)) {
    if (record.value["elementId"] == "undo_a" || record.value["elementId"] == "undo_x") {
      EXPECT_EQ(record.value["flowScopeKey"], record.value["processInstanceKey"]);
    }
  }
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION COMPLETED a",
                          "EVENT COMPENSATION_SUBSCRIPTION COMPLETED sub"));
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_COMPLETED undo_a");
  mark = h.mark();
  h.complete_job(h.activate_one("undo_x"));
  EXPECT_THAT(
      from(h.lifecycle_since(mark), "ELEMENT_COMPLETED undo_x"),
      ElementsAre("ELEMENT_COMPLETED undo_x", "ELEMENT_COMPLETING outer", "ELEMENT_COMPLETED outer",
                  "SEQUENCE_FLOW_TAKEN f4", "ELEMENT_ACTIVATING end", "ELEMENT_ACTIVATED end",
                  "ELEMENT_COMPLETING end", "ELEMENT_COMPLETED end", "ELEMENT_COMPLETING p",
                  "ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, AMultiInstanceActivityIsCompensatedOnce) {
  EngineHarness h;
  h.deploy_process(process(
      "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "a")
      + compensable("a",
                    "<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>"
                    "<zeebe:loopCharacteristics inputCollection=\"=[1,2,3]\" inputElement=\"i\" />"
                    "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>")
      + flow("f2", "a", "throw") + throw_event("throw") + flow("f3", "throw", "end")
      + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("p");
  Position mark = h.mark();
  for (int i = 0; i < 3; ++i)
    h.complete_job(h.activate_one("a"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION CREATED a",
                          "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a"));
  auto created = h.find(ValueType::kCompensationSubscription, Intent::kCreated, mark);
  auto body = h.find(ValueType::kProcessInstance, Intent::kElementCompleting, mark);
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementCompleting, mark)) {
    if (record.value["bpmnElementType"] == "MULTI_INSTANCE_BODY") body = record;
  }
  EXPECT_EQ(created.value["compensableActivityInstanceKey"], body.key.value());
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(h.activate_jobs("undo_a").record.value["jobKeys"], IsEmpty());
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_COMPLETED p");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, CancellingTheInstanceWhileAHandlerRunsTerminatesItAndDeletesTheRest) {
  EngineHarness h;
  h.deploy_process(parallel_model(""));
  Key instance = h.create_instance("p");
  h.complete_job(h.activate_one("a"));
  h.complete_job(h.activate_one("c"));
  h.complete_job(h.activate_one("undo_a"));
  Position mark = h.mark();
  h.cancel(instance);
  auto lines = stream(h, mark);
  // undo_c is still running, b is active and unsubscribed.
  EXPECT_THAT(
      std::vector<std::string>(lines.begin() + 1, lines.end()),
      ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_TERMINATING p",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT b",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT throw",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT undo_c",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING b", "EVENT JOB CANCELED b",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED b",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING throw",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED throw",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING undo_c", "EVENT JOB CANCELED undo_c",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED undo_c",
                  "EVENT COMPENSATION_SUBSCRIPTION DELETED c",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED p"));
  EXPECT_THAT(h.activate_jobs("undo_c").record.value["jobKeys"], IsEmpty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, TerminatingASubProcessDeletesTheSubscriptionsInsideIt) {
  EngineHarness h;
  // a completes inside sub, which then waits at its task `inner` when the instance is cancelled.
  h.deploy_process(sub_process_model(service("inner", "inner"), ""));
  Key instance = h.create_instance("p");
  h.complete_job(h.activate_one("x"));
  h.complete_job(h.activate_one("a"));
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(from(stream(h, mark), "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED inner"),
              ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_TERMINATED inner",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED a",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED sub",
                          "EVENT COMPENSATION_SUBSCRIPTION DELETED x",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CompensationTest, AThrowEventInAnErrorEventSubProcessCompensatesTheEnclosingScope) {
  // The saga shape: a completes, the instance fails with an error, and the error event
  // sub-process compensates what was done.
  EngineHarness h;
  std::string xml =
      process("<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "a") + compensable("a")
              + flow("f2", "a", "fail") + "<bpmn:endEvent id=\"fail\"><bpmn:errorEventDefinition "
              + "errorRef=\"err\" /></bpmn:endEvent>"
              + "<bpmn:subProcess id=\"on_error\" triggeredByEvent=\"true\">"
              + "<bpmn:startEvent id=\"caught\"><bpmn:errorEventDefinition /></bpmn:startEvent>"
              + flow("e1", "caught", "undo") + throw_event("undo") + flow("e2", "undo", "e_end")
              + "<bpmn:endEvent id=\"e_end\" /></bpmn:subProcess>");
  xml.replace(xml.find("</bpmn:definitions>"), 0, "<bpmn:error id=\"err\" errorCode=\"FAIL\" />");
  h.deploy_process(xml);
  h.create_instance("p");
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kCompensationSubscription}),
              ElementsAre("EVENT COMPENSATION_SUBSCRIPTION CREATED a",
                          "EVENT COMPENSATION_SUBSCRIPTION TRIGGERED a"));
  auto triggered = h.find(ValueType::kCompensationSubscription, Intent::kTriggered, mark);
  EXPECT_EQ(triggered.value["throwEventId"], "undo");
  mark = h.mark();
  h.complete_job(h.activate_one("undo_a"));
  EXPECT_THAT(
      from(h.lifecycle_since(mark), "ELEMENT_COMPLETED undo_a"),
      ElementsAre("ELEMENT_COMPLETED undo_a", "ELEMENT_COMPLETING undo", "ELEMENT_COMPLETED undo",
                  "SEQUENCE_FLOW_TAKEN e2", "ELEMENT_ACTIVATING e_end", "ELEMENT_ACTIVATED e_end",
                  "ELEMENT_COMPLETING e_end", "ELEMENT_COMPLETED e_end",
                  "ELEMENT_COMPLETING on_error", "ELEMENT_COMPLETED on_error",
                  "ELEMENT_COMPLETING p", "ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
