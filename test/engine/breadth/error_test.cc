// Errors: thrown by a job (ThrowError) or an error end event, caught by error boundary events and
// error event sub-processes by code or catch-all, searched outward through sub-process scopes;
// uncaught errors raise UNHANDLED_ERROR_EVENT incidents; cancellation while a handler runs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A process with error definitions E1 and E2 (and an expression-free catch-all needs none).
std::string error_defs(const std::string& process_id, const std::string& body) {
  std::string xml = models::definitions(process_id, body);
  std::string errors =
      "<bpmn:error id=\"err1\" errorCode=\"E1\" />\n<bpmn:error id=\"err2\" errorCode=\"E2\" />\n"
      "<bpmn:error id=\"errExpr\" errorCode=\"=code\" />\n";
  return xml.replace(xml.find("</bpmn:definitions>"), 0, errors);
}

std::string error_def(const std::string& ref) {
  return ref.empty() ? "<bpmn:errorEventDefinition />"
                     : "<bpmn:errorEventDefinition errorRef=\"" + ref + "\" />";
}

Response throw_error(EngineHarness& h, Key job, const std::string& code,
                     const std::string& message = "", Json variables = Json::object()) {
  return h.command(ValueType::kJob, Intent::kThrowError,
                   Json{{"errorCode", code}, {"errorMessage", message}, {"variables", variables}},
                   job);
}

// start -> task(work) -> end, with error boundary events on the task.
std::string boundary_model(const std::string& boundaries) {
  return error_defs("p", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                             + service("task", "work") + flow("f2", "task", "end")
                             + "<bpmn:endEvent id=\"end\" />" + boundaries);
}

TEST(ErrorTest, ErrorBoundaryCatchesAThrownErrorByCodeWithItsVariables) {
  EngineHarness h;
  h.deploy_process(boundary_model(boundary("caught", "task", true, error_def("err1"))
                                  + flow("f3", "caught", "handle") + service("handle", "handle")));
  Key instance = h.create_instance("p");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  auto response = throw_error(h, job, "E1", "card declined", Json{{"reason", "declined"}});
  EXPECT_EQ(response.record.intent, Intent::kErrorThrown);
  EXPECT_EQ(response.record.value["variables"]["reason"], "declined");
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND JOB THROW_ERROR", "EVENT JOB ERROR_THROWN work",
                  "EVENT PROCESS_EVENT TRIGGERING caught",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_EVENT TRIGGERED caught", "EVENT VARIABLE CREATED reason",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT caught",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING caught",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED caught",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING caught",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED caught",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handle", "EVENT JOB CREATED handle",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handle"));
  // The error's variables are visible to the handler (they land on the process instance).
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(variable.value["scopeKey"], instance.value());
  EXPECT_EQ(variable.value["value"], "\"declined\"");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kIncident}), IsEmpty());
  h.complete_job(h.activate_one("handle"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            instance);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, AnExactCodeWinsOverACatchAllWhichCatchesEveryOtherCode) {
  EngineHarness h;
  h.deploy_process(boundary_model(
      boundary("any", "task", true, error_def("")) + flow("f3", "any", "end_any")
      + "<bpmn:endEvent id=\"end_any\" />" + boundary("one", "task", true, error_def("err1"))
      + flow("f4", "one", "end_one") + "<bpmn:endEvent id=\"end_one\" />"));
  h.create_instance("p");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  throw_error(h, job, "E1");
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kProcessEvent}),
      ElementsAre("EVENT PROCESS_EVENT TRIGGERING one", "EVENT PROCESS_EVENT TRIGGERED one"));

  h.create_instance("p");
  job = h.activate_one("work");
  mark = h.mark();
  throw_error(h, job, "SOMETHING_ELSE");
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kProcessEvent}),
      ElementsAre("EVENT PROCESS_EVENT TRIGGERING any", "EVENT PROCESS_EVENT TRIGGERED any"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kIncident}), IsEmpty());
}

TEST(ErrorTest, AnUncaughtErrorRaisesAnIncidentNamingTheAvailableCatchEvents) {
  EngineHarness h;
  h.deploy_process(boundary_model(boundary("other", "task", true, error_def("err2"))
                                  + flow("f3", "other", "end_other")
                                  + "<bpmn:endEvent id=\"end_other\" />"));
  h.create_instance("p");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  throw_error(h, job, "E1", "boom");
  EXPECT_THAT(stream(h, mark), ElementsAre("COMMAND JOB THROW_ERROR", "EVENT JOB ERROR_THROWN work",
                                           "EVENT INCIDENT CREATED UNHANDLED_ERROR_EVENT"));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected to throw an error event with the code 'E1' with message 'boom', but it was "
            "not caught. Available error events are [other]");
  EXPECT_EQ(incident.value["jobKey"], job.value());
  EXPECT_EQ(incident.value["elementId"], "task");
}

// A sub-process holding the task; the error boundary sits on the sub-process.
std::string sub_process_model(const std::string& inner_end, const std::string& boundaries) {
  return error_defs("p", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "sub")
                             + "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s_start\" />"
                             + flow("s1", "s_start", "task") + service("task", "work")
                             + flow("s2", "task", "s_end") + inner_end + "</bpmn:subProcess>"
                             + flow("f2", "sub", "end") + "<bpmn:endEvent id=\"end\" />"
                             + boundaries);
}

TEST(ErrorTest, TheCatchIsSearchedOutwardThroughTheSubProcessScope) {
  EngineHarness h;
  h.deploy_process(sub_process_model("<bpmn:endEvent id=\"s_end\" />",
                                     boundary("caught", "sub", true, error_def("err1"))
                                         + flow("f3", "caught", "after")
                                         + "<bpmn:endEvent id=\"after\" />"));
  Key instance = h.create_instance("p");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  throw_error(h, job, "E1");
  EXPECT_THAT(stream(h, mark), ElementsAre("COMMAND JOB THROW_ERROR", "EVENT JOB ERROR_THROWN work",
                                           "EVENT PROCESS_EVENT TRIGGERING caught",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT sub",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING sub",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task",
                                           "EVENT JOB CANCELED work",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED sub",
                                           "EVENT PROCESS_EVENT TRIGGERED caught",
                                           "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT caught",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING caught",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED caught",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING caught",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED caught",
                                           "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
                                           "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT after",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING after",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED after",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING after",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED after",
                                           "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT p",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING p",
                                           "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.find(ValueType::kProcessInstance, Intent::kElementCompleted, mark).key.value() > 0,
            true);
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            instance);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, AnErrorEndEventIsCaughtByTheBoundaryEventOfItsSubProcess) {
  EngineHarness h;
  h.deploy_process(
      sub_process_model("<bpmn:endEvent id=\"s_end\">" + error_def("errExpr") + "</bpmn:endEvent>",
                        boundary("caught", "sub", true, error_def("err2"))
                            + flow("f3", "caught", "after") + "<bpmn:endEvent id=\"after\" />"));
  h.create_instance("p", Json{{"code", "E2"}});
  Key job = h.activate_one("work");
  Position mark = h.mark();
  h.complete_job(job);
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING task", "ELEMENT_COMPLETED task", "SEQUENCE_FLOW_TAKEN s2",
                  "ELEMENT_ACTIVATING s_end", "ELEMENT_ACTIVATED s_end", "ELEMENT_TERMINATING sub",
                  "ELEMENT_TERMINATING s_end", "ELEMENT_TERMINATED s_end", "ELEMENT_TERMINATED sub",
                  "ELEMENT_ACTIVATING caught", "ELEMENT_ACTIVATED caught",
                  "ELEMENT_COMPLETING caught", "ELEMENT_COMPLETED caught", "SEQUENCE_FLOW_TAKEN f3",
                  "ELEMENT_ACTIVATING after", "ELEMENT_ACTIVATED after", "ELEMENT_COMPLETING after",
                  "ELEMENT_COMPLETED after", "ELEMENT_COMPLETING p", "ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, AnUncaughtErrorEndEventStaysActivatingWithAnIncident) {
  EngineHarness h;
  h.deploy_process(sub_process_model(
      "<bpmn:endEvent id=\"s_end\">" + error_def("errExpr") + "</bpmn:endEvent>", ""));
  Key instance = h.create_instance("p", Json{{"code", "E9"}});
  h.complete_job(h.activate_one("work"));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated);
  EXPECT_EQ(incident.value["errorType"], "UNHANDLED_ERROR_EVENT");
  EXPECT_EQ(incident.value["elementId"], "s_end");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected to throw an error event with the code 'E9' with message '', but it was not "
            "caught. No error events are available in the scope.");
  auto lifecycle = h.lifecycle_since(Position(0));
  EXPECT_EQ(lifecycle.back(), "ELEMENT_ACTIVATING s_end");
  // Cancelling the instance resolves the incident with the element.
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kIncident}),
              ElementsAre("EVENT INCIDENT RESOLVED UNHANDLED_ERROR_EVENT"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, AnErrorCodeExpressionThatIsNotAStringRaisesAnExtractValueIncident) {
  EngineHarness h;
  h.deploy_process(
      sub_process_model("<bpmn:endEvent id=\"s_end\">" + error_def("errExpr") + "</bpmn:endEvent>",
                        boundary("caught", "sub", true, error_def(""))
                            + flow("f3", "caught", "after") + "<bpmn:endEvent id=\"after\" />"));
  h.create_instance("p", Json{{"code", 42}});
  h.complete_job(h.activate_one("work"));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated);
  EXPECT_EQ(incident.value["errorType"], "EXTRACT_VALUE_ERROR");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected result of the expression 'code' to be 'STRING', but was 'NUMBER'");
  // Fixing the variable and resolving throws the error, which the catch-all takes.
  h.set_variables(Key(incident.value["processInstanceKey"].get<std::int64_t>()),
                  Json{{"code", "E7"}}, false);
  Position mark = h.mark();
  h.resolve(incident.key);
  EXPECT_THAT(
      stream_of(h, mark, {ValueType::kProcessEvent}),
      ElementsAre("EVENT PROCESS_EVENT TRIGGERING caught", "EVENT PROCESS_EVENT TRIGGERED caught"));
}

// start -> fork -> task(work) and task2(other); an error event sub-process at process level.
std::string event_sub_process_model(const std::string& start_definition, bool interrupting) {
  return error_defs("p", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "fork")
                             + "<bpmn:parallelGateway id=\"fork\" />" + flow("f2", "fork", "task")
                             + flow("f3", "fork", "task2") + service("task", "work")
                             + service("task2", "other") + flow("f4", "task", "join")
                             + flow("f5", "task2", "join") + "<bpmn:parallelGateway id=\"join\" />"
                             + flow("f6", "join", "end") + "<bpmn:endEvent id=\"end\" />"
                             + "<bpmn:subProcess id=\"handler\" triggeredByEvent=\"true\">"
                             + "<bpmn:startEvent id=\"h_start\" isInterrupting=\""
                             + (interrupting ? "true" : "false") + "\">" + start_definition
                             + "</bpmn:startEvent>" + flow("h1", "h_start", "recover")
                             + service("recover", "recover") + flow("h2", "recover", "h_end")
                             + "<bpmn:endEvent id=\"h_end\" /></bpmn:subProcess>");
}

TEST(ErrorTest, AnErrorEventSubProcessInterruptsTheScopeAndThenCompletesIt) {
  EngineHarness h;
  h.deploy_process(event_sub_process_model(error_def("err1"), true));
  Key instance = h.create_instance("p");
  Key job = h.activate_one("work");
  Position mark = h.mark();
  throw_error(h, job, "E1", "", Json{{"cause", "x"}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND JOB THROW_ERROR", "EVENT JOB ERROR_THROWN work",
                  "EVENT PROCESS_EVENT TRIGGERING h_start",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task2",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task2", "EVENT JOB CANCELED other",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task2",
                  "EVENT PROCESS_EVENT TRIGGERED h_start", "EVENT VARIABLE CREATED cause",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING handler",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED handler",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING h_start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED h_start",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN h1",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT recover",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING recover", "EVENT JOB CREATED recover",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED recover"));
  auto handler = h.find(ValueType::kProcessInstance, Intent::kElementActivated, mark);
  EXPECT_EQ(handler.value["bpmnElementType"], "EVENT_SUB_PROCESS");
  EXPECT_EQ(handler.value["flowScopeKey"], instance.value());
  mark = h.mark();
  h.complete_job(h.activate_one("recover"));
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING recover", "ELEMENT_COMPLETED recover",
                  "SEQUENCE_FLOW_TAKEN h2", "ELEMENT_ACTIVATING h_end", "ELEMENT_ACTIVATED h_end",
                  "ELEMENT_COMPLETING h_end", "ELEMENT_COMPLETED h_end",
                  "ELEMENT_COMPLETING handler", "ELEMENT_COMPLETED handler", "ELEMENT_COMPLETING p",
                  "ELEMENT_COMPLETED p"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, CancellingTheInstanceWhileTheErrorHandlerRunsTerminatesIt) {
  EngineHarness h;
  h.deploy_process(event_sub_process_model(error_def(""), true));
  Key instance = h.create_instance("p");
  throw_error(h, h.activate_one("work"), "ANY");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_TERMINATING p", "ELEMENT_TERMINATING handler",
                          "ELEMENT_TERMINATING recover", "ELEMENT_TERMINATED recover",
                          "ELEMENT_TERMINATED handler", "ELEMENT_TERMINATED p"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kJob}), ElementsAre("EVENT JOB CANCELED recover"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ErrorTest, ErrorsInsideTheHandlerAreNotCaughtByItsOwnScopeAgain) {
  // A second error while the interrupting handler runs finds no other catch event: incident.
  EngineHarness h;
  h.deploy_process(event_sub_process_model(error_def(""), true));
  h.create_instance("p");
  throw_error(h, h.activate_one("work"), "FIRST");
  Position mark = h.mark();
  throw_error(h, h.activate_one("recover"), "SECOND");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kIncident, ValueType::kProcessEvent}),
              ElementsAre("EVENT INCIDENT CREATED UNHANDLED_ERROR_EVENT"));
}

}  // namespace
}  // namespace tern::engine::test::breadth
