// Escalations (intermediate throw and end events; boundary events interrupting and not; event
// sub-process starts; uncaught escalations are no incident) and event sub-processes started by
// timers and messages.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string with_top_level(const std::string& process_id, const std::string& body,
                           const std::string& top_level) {
  std::string xml = models::definitions(process_id, body);
  return xml.replace(xml.find("</bpmn:definitions>"), 0, top_level);
}

const std::string kEscalations =
    "<bpmn:escalation id=\"esc1\" escalationCode=\"LATE\" />\n"
    "<bpmn:escalation id=\"esc2\" escalationCode=\"OTHER\" />\n";

std::string escalation_def(const std::string& ref) {
  return ref.empty() ? "<bpmn:escalationEventDefinition />"
                     : "<bpmn:escalationEventDefinition escalationRef=\"" + ref + "\" />";
}

// start -> sub( s_start -> notify(escalation throw) -> task(work) -> s_end ) -> end, with
// boundary events on sub.
std::string throw_model(const std::string& inner_throw, const std::string& boundaries) {
  return with_top_level("p",
                        "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "sub")
                            + "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s_start\" />"
                            + flow("s1", "s_start", "notify") + inner_throw
                            + flow("s2", "notify", "task") + service("task", "work")
                            + flow("s3", "task", "s_end") + "<bpmn:endEvent id=\"s_end\" />"
                            + "</bpmn:subProcess>" + flow("f2", "sub", "end")
                            + "<bpmn:endEvent id=\"end\" />" + boundaries,
                        kEscalations);
}

std::string intermediate_throw(const std::string& ref) {
  return "<bpmn:intermediateThrowEvent id=\"notify\">" + escalation_def(ref)
         + "</bpmn:intermediateThrowEvent>";
}

TEST(EscalationTest, ANonInterruptingBoundaryCatchesAndTheThrowingPathGoesOn) {
  EngineHarness h;
  h.deploy_process(throw_model(intermediate_throw("esc1"),
                               boundary("told", "sub", false, escalation_def("esc1"))
                                   + flow("f3", "told", "inform") + service("inform", "inform")));
  Position mark = h.mark();
  h.create_instance("p");
  auto lines = stream(h, mark);
  auto from =
      std::find(lines.begin(), lines.end(), "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED notify");
  ASSERT_NE(from, lines.end());
  EXPECT_THAT(
      std::vector<std::string>(from, lines.end()),
      ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED notify",
                  "EVENT ESCALATION ESCALATED LATE",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT told",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING notify",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED notify",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN s2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING told",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED told",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING told",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED told",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT inform",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task", "EVENT JOB CREATED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING inform", "EVENT JOB CREATED inform",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED inform"));
  auto escalated = h.find(ValueType::kEscalation, Intent::kEscalated, mark);
  EXPECT_EQ(escalated.value["throwElementId"], "notify");
  EXPECT_EQ(escalated.value["catchElementId"], "told");
  // Both paths run to the end.
  h.complete_job(h.activate_one("work"));
  h.complete_job(h.activate_one("inform"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark)
                .back()
                .value["elementId"],
            "p");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EscalationTest, AnInterruptingBoundaryTerminatesTheScopeOfTheThrowingEvent) {
  EngineHarness h;
  h.deploy_process(
      throw_model(intermediate_throw("esc1"), boundary("told", "sub", true, escalation_def(""))
                                                  + flow("f3", "told", "after")
                                                  + "<bpmn:endEvent id=\"after\" />"));
  Position mark = h.mark();
  h.create_instance("p");
  auto lifecycle = h.lifecycle_since(mark);
  auto from = std::find(lifecycle.begin(), lifecycle.end(), "ELEMENT_ACTIVATED notify");
  ASSERT_NE(from, lifecycle.end());
  EXPECT_THAT(
      std::vector<std::string>(from, lifecycle.end()),
      ElementsAre("ELEMENT_ACTIVATED notify", "ELEMENT_TERMINATING sub",
                  "ELEMENT_TERMINATING notify", "ELEMENT_TERMINATED notify",
                  "ELEMENT_TERMINATED sub", "ELEMENT_ACTIVATING told", "ELEMENT_ACTIVATED told",
                  "ELEMENT_COMPLETING told", "ELEMENT_COMPLETED told", "SEQUENCE_FLOW_TAKEN f3",
                  "ELEMENT_ACTIVATING after", "ELEMENT_ACTIVATED after", "ELEMENT_COMPLETING after",
                  "ELEMENT_COMPLETED after", "ELEMENT_COMPLETING p", "ELEMENT_COMPLETED p"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kEscalation, ValueType::kJob}),
              ElementsAre("EVENT ESCALATION ESCALATED LATE"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EscalationTest, AnUncaughtEscalationIsNoIncidentAndTheInstanceGoesOn) {
  EngineHarness h;
  h.deploy_process(
      throw_model(intermediate_throw("esc1"), boundary("told", "sub", true, escalation_def("esc2"))
                                                  + flow("f3", "told", "after")
                                                  + "<bpmn:endEvent id=\"after\" />"));
  Position mark = h.mark();
  h.create_instance("p");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kEscalation, ValueType::kIncident}),
              ElementsAre("EVENT ESCALATION NOT_ESCALATED LATE"));
  auto not_escalated = h.find(ValueType::kEscalation, Intent::kNotEscalated, mark);
  EXPECT_EQ(not_escalated.value["catchElementId"], "");
  h.complete_job(h.activate_one("work"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark)
                .back()
                .value["elementId"],
            "p");
}

TEST(EscalationTest, AnEscalationEndEventStartsANonInterruptingEventSubProcess) {
  EngineHarness h;
  std::string body =
      "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "fork")
      + "<bpmn:parallelGateway id=\"fork\" />" + flow("f2", "fork", "task")
      + flow("f3", "fork", "shout") + service("task", "work") + flow("f4", "task", "end")
      + "<bpmn:endEvent id=\"end\" />" + "<bpmn:endEvent id=\"shout\">" + escalation_def("esc1")
      + "</bpmn:endEvent>" + "<bpmn:subProcess id=\"handler\" triggeredByEvent=\"true\">"
      + "<bpmn:startEvent id=\"h_start\" isInterrupting=\"false\">" + escalation_def("esc1")
      + "</bpmn:startEvent>" + flow("h1", "h_start", "note") + service("note", "note")
      + flow("h2", "note", "h_end") + "<bpmn:endEvent id=\"h_end\" /></bpmn:subProcess>";
  h.deploy_process(with_top_level("p", body, kEscalations));
  Position mark = h.mark();
  Key instance = h.create_instance("p");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kEscalation, ValueType::kProcessEvent}),
              ElementsAre("EVENT ESCALATION ESCALATED LATE"));
  // The end event completed; the task and the handler run side by side.
  auto completed = h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark);
  EXPECT_EQ(completed.back().value["elementId"], "h_start");
  Key note = h.activate_one("note");
  Key work = h.activate_one("work");
  h.complete_job(note);
  mark = h.mark();
  h.complete_job(work);
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            instance);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

// A task at process level with an event sub-process started by `start_definition`.
std::string timer_or_message_model(const std::string& start_definition, bool interrupting) {
  std::string body =
      "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task") + service("task", "work")
      + flow("f2", "task", "end") + "<bpmn:endEvent id=\"end\" />"
      + "<bpmn:subProcess id=\"handler\" triggeredByEvent=\"true\">"
      + "<bpmn:startEvent id=\"h_start\" isInterrupting=\"" + (interrupting ? "true" : "false")
      + "\">" + start_definition + "</bpmn:startEvent>" + flow("h1", "h_start", "h_end")
      + "<bpmn:endEvent id=\"h_end\" /></bpmn:subProcess>";
  std::string message =
      "<bpmn:message id=\"msg\" name=\"cancelOrder\"><bpmn:extensionElements>"
      "<zeebe:subscription correlationKey=\"=orderId\" />"
      "</bpmn:extensionElements></bpmn:message>\n";
  return with_top_level("p", body, message);
}

TEST(EventSubProcessTest, ANonInterruptingTimerCycleRunsTheHandlerBesideTheTaskEachTime) {
  EngineHarness h;
  h.deploy_process(timer_or_message_model(timer("timeCycle", "R2/PT1M"), false));
  Position mark = h.mark();
  Key instance = h.create_instance("p");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CREATED h_start"));
  EXPECT_EQ(h.find(ValueType::kTimer, Intent::kCreated, mark).value["elementInstanceKey"],
            instance.value());
  for (int round = 0; round < 2; ++round) {
    h.clock().advance_ms(60'000);
    mark = h.mark();
    EXPECT_EQ(fire_due(h), 1u);
    std::vector<std::string> expected = {"COMMAND TIMER TRIGGER h_start",
                                         "EVENT TIMER TRIGGERED h_start",
                                         "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handler"};
    if (round == 0) expected.push_back("EVENT TIMER CREATED h_start");
    for (const char* line : {"EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handler",
                             "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handler",
                             "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT h_start",
                             "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING h_start",
                             "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED h_start",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING h_start",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED h_start",
                             "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN h1",
                             "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT h_end",
                             "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING h_end",
                             "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED h_end",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING h_end",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED h_end",
                             "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT handler",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING handler",
                             "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED handler"}) {
      expected.emplace_back(line);
    }
    EXPECT_EQ(stream(h, mark), expected) << "round " << round;
  }
  h.clock().advance_ms(60'000);
  EXPECT_EQ(fire_due(h), 0u);
  // The task was never disturbed.
  mark = h.mark();
  h.complete_job(h.activate_one("work"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            instance);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EventSubProcessTest, AnInterruptingMessageStartTerminatesTheTaskAndEndsTheInstance) {
  EngineHarness h;
  h.deploy_process(
      timer_or_message_model("<bpmn:messageEventDefinition messageRef=\"msg\" />", true));
  Key instance = h.create_instance("p", Json{{"orderId", "o-1"}});
  Position mark = h.mark();
  h.command(ValueType::kMessage, Intent::kPublish,
            Json{{"name", "cancelOrder"},
                 {"correlationKey", "o-1"},
                 {"timeToLive", 0},
                 {"variables", Json{{"why", "customer"}}}});
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre(
          "ELEMENT_TERMINATING task", "ELEMENT_TERMINATED task", "ELEMENT_ACTIVATING handler",
          "ELEMENT_ACTIVATED handler", "ELEMENT_ACTIVATING h_start", "ELEMENT_ACTIVATED h_start",
          "ELEMENT_COMPLETING h_start", "ELEMENT_COMPLETED h_start", "SEQUENCE_FLOW_TAKEN h1",
          "ELEMENT_ACTIVATING h_end", "ELEMENT_ACTIVATED h_end", "ELEMENT_COMPLETING h_end",
          "ELEMENT_COMPLETED h_end", "ELEMENT_COMPLETING handler", "ELEMENT_COMPLETED handler",
          "ELEMENT_COMPLETING p", "ELEMENT_COMPLETED p"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kProcessEvent, ValueType::kJob}),
              ElementsAre("EVENT PROCESS_EVENT TRIGGERING h_start", "EVENT JOB CANCELED work",
                          "EVENT PROCESS_EVENT TRIGGERED h_start"));
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(variable.value["name"], "why");
  EXPECT_EQ(variable.value["scopeKey"], instance.value());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EventSubProcessTest, CancellingTheInstanceWhileWaitingClosesTheStartSubscriptions) {
  EngineHarness h;
  h.deploy_process(timer_or_message_model(timer("timeDuration", "PT1M"), true));
  Key instance = h.create_instance("p");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CANCELED h_start"));
  h.clock().advance_ms(60'000);
  EXPECT_EQ(fire_due(h), 0u);

  EngineHarness m;
  m.deploy_process(
      timer_or_message_model("<bpmn:messageEventDefinition messageRef=\"msg\" />", false));
  instance = m.create_instance("p", Json{{"orderId", "o-2"}});
  mark = m.mark();
  m.cancel(instance);
  EXPECT_THAT(stream_of(m, mark, {ValueType::kProcessMessageSubscription}),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING cancelOrder",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION DELETE cancelOrder",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETED cancelOrder"));
  EXPECT_EQ(m.digest(), m.replayed_digest());
}

TEST(EventSubProcessTest, AnInterruptingTimerInsideASubProcessEndsOnlyThatSubProcess) {
  EngineHarness h;
  std::string body = "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "sub")
                     + "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s_start\" />"
                     + flow("s1", "s_start", "task") + service("task", "work")
                     + flow("s2", "task", "s_end") + "<bpmn:endEvent id=\"s_end\" />"
                     + "<bpmn:subProcess id=\"timeout\" triggeredByEvent=\"true\">"
                     + "<bpmn:startEvent id=\"t_start\">" + timer("timeDuration", "PT5M")
                     + "</bpmn:startEvent>" + flow("t1", "t_start", "t_end")
                     + "<bpmn:endEvent id=\"t_end\" /></bpmn:subProcess>" + "</bpmn:subProcess>"
                     + flow("f2", "sub", "after") + service("after", "after");
  h.deploy_process(models::definitions("p", body));
  h.create_instance("p");
  h.clock().advance_ms(5 * 60'000);
  Position mark = h.mark();
  EXPECT_EQ(fire_due(h), 1u);
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre(
          "ELEMENT_TERMINATING task", "ELEMENT_TERMINATED task", "ELEMENT_ACTIVATING timeout",
          "ELEMENT_ACTIVATED timeout", "ELEMENT_ACTIVATING t_start", "ELEMENT_ACTIVATED t_start",
          "ELEMENT_COMPLETING t_start", "ELEMENT_COMPLETED t_start", "SEQUENCE_FLOW_TAKEN t1",
          "ELEMENT_ACTIVATING t_end", "ELEMENT_ACTIVATED t_end", "ELEMENT_COMPLETING t_end",
          "ELEMENT_COMPLETED t_end", "ELEMENT_COMPLETING timeout", "ELEMENT_COMPLETED timeout",
          "ELEMENT_COMPLETING sub", "ELEMENT_COMPLETED sub", "SEQUENCE_FLOW_TAKEN f2",
          "ELEMENT_ACTIVATING after", "ELEMENT_ACTIVATED after"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer, ValueType::kJob}),
              ElementsAre("COMMAND TIMER TRIGGER t_start", "EVENT TIMER TRIGGERED t_start",
                          "EVENT JOB CANCELED work", "EVENT JOB CREATED after"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
