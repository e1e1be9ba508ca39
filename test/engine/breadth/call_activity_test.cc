// Call activities: the child instance (latest version, static or expression process id), the
// parent key fields, variable propagation both ways with the flags and mappings, completion,
// cancellation of the parent while the child waits, incidents in the child, a missing process
// (CALLED_ELEMENT_ERROR), and errors that cross from the child into the parent.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string call(const std::string& id, const std::string& called, const std::string& extras = "",
                 const std::string& mappings = "") {
  return "<bpmn:callActivity id=\"" + id
         + "\"><bpmn:extensionElements><zeebe:calledElement processId=\"" + called + "\" " + extras
         + " />" + mappings + "</bpmn:extensionElements></bpmn:callActivity>\n";
}

std::string parent_model(const std::string& call_activity, const std::string& extra = "") {
  std::string xml = models::definitions(
      "parent", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "call") + call_activity
                    + flow("f2", "call", "end") + "<bpmn:endEvent id=\"end\" />" + extra);
  std::string errors = "<bpmn:error id=\"err1\" errorCode=\"E1\" />\n";
  return xml.replace(xml.find("</bpmn:definitions>"), 0, errors);
}

std::string child_model() {
  return models::definitions("child",
                             "<bpmn:startEvent id=\"c_start\" />" + flow("c1", "c_start", "c_task")
                                 + service("c_task", "child-work") + flow("c2", "c_task", "c_end")
                                 + "<bpmn:endEvent id=\"c_end\" />");
}

TEST(CallActivityTest, TheChildRunsWithTheParentsVariablesAndItsCompletionCompletesTheCall) {
  EngineHarness h;
  h.deploy_process(child_model());
  h.deploy_process(parent_model(call("call", "child")));
  Position mark = h.mark();
  Key parent = h.create_instance("parent", Json{{"x", 1}});
  auto lifecycle = h.lifecycle_since(mark);
  auto from = std::find(lifecycle.begin(), lifecycle.end(), "ELEMENT_ACTIVATING call");
  ASSERT_NE(from, lifecycle.end());
  EXPECT_THAT(
      std::vector<std::string>(from, lifecycle.end()),
      ElementsAre("ELEMENT_ACTIVATING call", "ELEMENT_ACTIVATED call", "ELEMENT_ACTIVATING child",
                  "ELEMENT_ACTIVATED child", "ELEMENT_ACTIVATING c_start",
                  "ELEMENT_ACTIVATED c_start", "ELEMENT_COMPLETING c_start",
                  "ELEMENT_COMPLETED c_start", "SEQUENCE_FLOW_TAKEN c1",
                  "ELEMENT_ACTIVATING c_task", "ELEMENT_ACTIVATED c_task"));
  auto call_activated = h.find(ValueType::kProcessInstance, Intent::kElementActivated, mark);
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementActivated, mark)) {
    if (record.value["elementId"] == "call") call_activated = record;
  }
  Key child_key = kNoKey;
  for (const auto& record : h.records()) {
    if (record.position <= mark || record.value_type != ValueType::kProcessInstance
        || record.record_type != RecordType::kEvent || record.value["bpmnProcessId"] != "child") {
      continue;
    }
    // Every record of the child names its parent instance and the call activity.
    EXPECT_EQ(record.value["parentProcessInstanceKey"], parent.value()) << describe(record);
    EXPECT_EQ(record.value["parentElementInstanceKey"], call_activated.key.value());
    child_key = Key(record.value["processInstanceKey"].get<std::int64_t>());
  }
  ASSERT_NE(child_key, kNoKey);
  EXPECT_NE(child_key, parent);
  // The child has its own copy of the parent's variables.
  auto copied = h.find(ValueType::kVariable, Intent::kCreated, call_activated.position);
  EXPECT_EQ(copied.value["name"], "x");
  EXPECT_EQ(copied.value["scopeKey"], child_key.value());

  Key job = h.activate_one("child-work");
  auto batch = h.find(ValueType::kJobBatch, Intent::kActivated, mark);
  EXPECT_EQ(batch.value["jobs"][0]["variables"]["x"], 1);
  EXPECT_EQ(batch.value["jobs"][0]["processInstanceKey"], child_key.value());
  mark = h.mark();
  h.complete_job(job, Json{{"y", 2}});
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING c_task", "ELEMENT_COMPLETED c_task", "SEQUENCE_FLOW_TAKEN c2",
                  "ELEMENT_ACTIVATING c_end", "ELEMENT_ACTIVATED c_end", "ELEMENT_COMPLETING c_end",
                  "ELEMENT_COMPLETED c_end", "ELEMENT_COMPLETING child", "ELEMENT_COMPLETED child",
                  "ELEMENT_COMPLETING call", "ELEMENT_COMPLETED call", "SEQUENCE_FLOW_TAKEN f2",
                  "ELEMENT_ACTIVATING end", "ELEMENT_ACTIVATED end", "ELEMENT_COMPLETING end",
                  "ELEMENT_COMPLETED end", "ELEMENT_COMPLETING parent",
                  "ELEMENT_COMPLETED parent"));
  // The child's variables came back to the parent instance (x unchanged: no record for it).
  std::vector<std::string> parent_variables;
  for (const auto& record : h.find_all(ValueType::kVariable, Intent::kCreated, mark)) {
    if (record.value["scopeKey"] == parent.value()) {
      parent_variables.push_back(record.value["name"].get<std::string>() + "="
                                 + record.value["value"].get<std::string>());
    }
  }
  EXPECT_THAT(parent_variables, ElementsAre("y=2"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CallActivityTest, AProcessIdExpressionAndTheFlagsWithMappingsControlWhatCrosses) {
  EngineHarness h;
  h.deploy_process(child_model());
  h.deploy_process(parent_model(
      call("call", "=which",
           "propagateAllParentVariables=\"false\" propagateAllChildVariables=\"false\"",
           "<zeebe:ioMapping><zeebe:input source=\"=secret + 1\" target=\"given\" />"
           "<zeebe:output source=\"=answer\" target=\"result\" /></zeebe:ioMapping>")));
  Key parent = h.create_instance("parent", Json{{"which", "child"}, {"secret", 41}});
  Key job = h.activate_one("child-work");
  auto batch = h.find(ValueType::kJobBatch, Intent::kActivated);
  // Only the call activity's own (mapped) variable went into the child.
  EXPECT_EQ(batch.value["jobs"][0]["variables"], (Json{{"given", 42}}));
  Position mark = h.mark();
  h.complete_job(job, Json{{"answer", "yes"}, {"noise", true}});
  std::vector<std::string> parent_variables;
  for (const auto& record : h.find_all(ValueType::kVariable, Intent::kCreated, mark)) {
    if (record.value["scopeKey"] == parent.value()) {
      parent_variables.push_back(record.value["name"].get<std::string>());
    }
  }
  // Only the output mapping's result reached the parent.
  EXPECT_THAT(parent_variables, ElementsAre("result"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            parent);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CallActivityTest, AMissingProcessRaisesACalledElementIncidentThatResolvesOnceDeployed) {
  EngineHarness h;
  h.deploy_process(parent_model(call("call", "child")));
  Position mark = h.mark();
  h.create_instance("parent");
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "CALLED_ELEMENT_ERROR");
  EXPECT_EQ(incident.value["elementId"], "call");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected process with BPMN process id 'child' to be deployed, but not found.");
  EXPECT_EQ(h.lifecycle_since(mark).back(), "ELEMENT_ACTIVATING call");
  h.deploy_process(child_model());
  mark = h.mark();
  h.resolve(incident.key);
  auto lifecycle = h.lifecycle_since(mark);
  ASSERT_GE(lifecycle.size(), 3u);
  EXPECT_EQ(lifecycle[0], "ELEMENT_ACTIVATED call");
  EXPECT_EQ(lifecycle[1], "ELEMENT_ACTIVATING child");
  EXPECT_EQ(h.find(ValueType::kJob, Intent::kCreated, mark).value["type"], "child-work");
}

TEST(CallActivityTest, CancellingTheParentTerminatesTheWaitingChild) {
  EngineHarness h;
  h.deploy_process(child_model());
  h.deploy_process(parent_model(call("call", "child")));
  Key parent = h.create_instance("parent");
  Position mark = h.mark();
  h.cancel(parent);
  EXPECT_THAT(stream(h, mark), ElementsAre("COMMAND PROCESS_INSTANCE CANCEL",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING parent",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT call",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING call",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT child",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING child",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT c_task",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING c_task",
                                           "EVENT JOB CANCELED child-work",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED c_task",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED child",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED call",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED parent"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CallActivityTest, TheChildCannotBeCancelledOnItsOwnAndItsIncidentsAreItsOwn) {
  EngineHarness h;
  h.deploy_process(child_model());
  h.deploy_process(parent_model(call("call", "child")));
  Key parent = h.create_instance("parent");
  Key job = h.activate_one("child-work");
  Key child(h.find(ValueType::kJobBatch, Intent::kActivated)
                .value["jobs"][0]["processInstanceKey"]
                .get<std::int64_t>());
  auto response = h.cancel(child);
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidState);
  EXPECT_EQ(response.record.rejection_reason,
            "Expected to cancel a process instance with key '" + std::to_string(child.value())
                + "', but it is created by a parent process instance. Cancel the root process "
                  "instance '"
                + std::to_string(parent.value()) + "' instead.");
  Position mark = h.mark();
  h.fail_job(job, 0, "no luck");
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["processInstanceKey"], child.value());
  EXPECT_EQ(incident.value["bpmnProcessId"], "child");
  EXPECT_EQ(incident.value["elementId"], "c_task");
}

TEST(CallActivityTest, AnErrorTheChildDoesNotCatchIsCaughtAtTheCallActivity) {
  EngineHarness h;
  h.deploy_process(child_model());
  h.deploy_process(parent_model(
      call("call", "child"),
      boundary("caught", "call", true, "<bpmn:errorEventDefinition errorRef=\"err1\" />")
          + flow("f3", "caught", "handled") + "<bpmn:endEvent id=\"handled\" />"));
  Key parent = h.create_instance("parent");
  Key job = h.activate_one("child-work");
  Position mark = h.mark();
  h.command(ValueType::kJob, Intent::kThrowError,
            Json{{"errorCode", "E1"}, {"variables", Json{{"why", "child failed"}}}}, job);
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre(
          "ELEMENT_TERMINATING call", "ELEMENT_TERMINATING child", "ELEMENT_TERMINATING c_task",
          "ELEMENT_TERMINATED c_task", "ELEMENT_TERMINATED child", "ELEMENT_TERMINATED call",
          "ELEMENT_ACTIVATING caught", "ELEMENT_ACTIVATED caught", "ELEMENT_COMPLETING caught",
          "ELEMENT_COMPLETED caught", "SEQUENCE_FLOW_TAKEN f3", "ELEMENT_ACTIVATING handled",
          "ELEMENT_ACTIVATED handled", "ELEMENT_COMPLETING handled", "ELEMENT_COMPLETED handled",
          "ELEMENT_COMPLETING parent", "ELEMENT_COMPLETED parent"));
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(variable.value["name"], "why");
  EXPECT_EQ(variable.value["scopeKey"], parent.value());
  EXPECT_THAT(stream_of(h, mark, {ValueType::kIncident}), IsEmpty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(CallActivityTest, AnEscalationFromTheChildReachesANonInterruptingBoundaryOnTheCall) {
  EngineHarness h;
  std::string child = models::definitions(
      "child", "<bpmn:startEvent id=\"c_start\" />" + flow("c1", "c_start", "c_shout")
                   + "<bpmn:intermediateThrowEvent id=\"c_shout\"><bpmn:escalationEventDefinition "
                     "escalationRef=\"esc\" /></bpmn:intermediateThrowEvent>"
                   + flow("c2", "c_shout", "c_task") + service("c_task", "child-work")
                   + flow("c3", "c_task", "c_end") + "<bpmn:endEvent id=\"c_end\" />");
  child.replace(child.find("</bpmn:definitions>"), 0,
                "<bpmn:escalation id=\"esc\" escalationCode=\"LATE\" />\n");
  h.deploy_process(child);
  std::string parent = parent_model(
      call("call", "child"), boundary("late", "call", false, "<bpmn:escalationEventDefinition />")
                                 + flow("f3", "late", "notify") + service("notify", "notify"));
  h.deploy_process(parent);
  Position mark = h.mark();
  Key instance = h.create_instance("parent");
  auto escalated = h.find(ValueType::kEscalation, Intent::kEscalated, mark);
  EXPECT_EQ(escalated.value["throwElementId"], "c_shout");
  EXPECT_EQ(escalated.value["catchElementId"], "late");
  // The child goes on, and the boundary path runs in the parent beside the call activity.
  Key notify = h.activate_one("notify");
  Key work = h.activate_one("child-work");
  h.complete_job(notify);
  mark = h.mark();
  h.complete_job(work);
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).back().key,
            instance);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
