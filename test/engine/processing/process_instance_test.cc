// Given a deployed one-task process, creating an instance and completing its job writes the
// exact record stream Zeebe writes; creation rejections name the problem.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test {
namespace {

using ::testing::ElementsAre;

TEST(ProcessInstanceTest, OneTaskProcessWritesZeebesRecordStream) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  Position mark = h.mark();

  Key instance = h.create_instance("p");

  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND PROCESS_INSTANCE_CREATION CREATE",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT p",
                          "EVENT PROCESS_INSTANCE_CREATION CREATED",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING p",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED p",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT start",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING start",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED start",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING start",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED start",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f1",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task", "EVENT JOB CREATED",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task"));
  auto job = h.find(ValueType::kJob, Intent::kCreated, mark);
  EXPECT_EQ(job.value["type"], "work");
  EXPECT_EQ(job.value["retries"], 3);
  EXPECT_EQ(job.value["processInstanceKey"], instance.value());
  EXPECT_EQ(job.value["elementId"], "task");
  auto activated = h.find(ValueType::kProcessInstance, Intent::kElementActivated, mark);
  EXPECT_EQ(activated.key, instance);
  EXPECT_EQ(activated.value["bpmnElementType"], "PROCESS");
  EXPECT_EQ(activated.value["flowScopeKey"], -1);

  mark = h.mark();
  Key job_key = h.activate_one("work");
  Position after_activate = h.mark();
  h.complete_job(job_key, Json{{"result", 42}});

  EXPECT_THAT(h.stream_since(after_activate),
              ElementsAre("COMMAND JOB COMPLETE", "EVENT JOB COMPLETED", "EVENT VARIABLE CREATED",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT task",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED task",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT p",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING p",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED p"));
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, after_activate);
  EXPECT_EQ(variable.value["name"], "result");
  EXPECT_EQ(variable.value["value"], "42");
  EXPECT_EQ(variable.value["scopeKey"], instance.value());
}

TEST(ProcessInstanceTest, CreationVariablesAreCreatedOnTheInstanceScope) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  Position mark = h.mark();
  Key instance = h.create_instance("p", Json{{"a", 1}, {"b", "x"}});
  auto variables = h.find_all(ValueType::kVariable, Intent::kCreated, mark);
  ASSERT_EQ(variables.size(), 2u);
  EXPECT_EQ(variables[0].value["name"], "a");
  EXPECT_EQ(variables[0].value["scopeKey"], instance.value());
  EXPECT_EQ(variables[1].value["value"], "\"x\"");
}

TEST(ProcessInstanceTest, CreatingAnUnknownProcessIsRejectedNotFound) {
  EngineHarness h;
  auto response = h.create("missing");
  EXPECT_EQ(response.record.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(response.record.rejection_type, RejectionType::kNotFound);
  EXPECT_EQ(response.record.rejection_reason,
            "Expected to find process definition with process ID 'missing', but none found");
}

TEST(ProcessInstanceTest, CreatingWithNonObjectVariablesIsRejectedInvalidArgument) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  auto response = h.create("p", Json::array({1, 2}));
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_THAT(response.record.rejection_reason, ::testing::HasSubstr("JSON object"));
}

TEST(ProcessInstanceTest, CreateByKeyAndVersionPicksThatDefinition) {
  EngineHarness h;
  Key v1 = h.deploy_process(models::one_task("p", "work"));
  Key v2 = h.deploy_process(models::one_task("p", "work2"));
  ASSERT_NE(v1, v2);
  auto by_key = h.command(ValueType::kProcessInstanceCreation, Intent::kCreate,
                          Json{{"processDefinitionKey", v1.value()}});
  EXPECT_EQ(by_key.record.value["version"], 1);
  auto by_version = h.command(ValueType::kProcessInstanceCreation, Intent::kCreate,
                              Json{{"bpmnProcessId", "p"}, {"version", 1}});
  EXPECT_EQ(by_version.record.value["processDefinitionKey"], v1.value());
  auto latest = h.create("p");
  EXPECT_EQ(latest.record.value["version"], 2);
  auto unknown_key = h.command(ValueType::kProcessInstanceCreation, Intent::kCreate,
                               Json{{"processDefinitionKey", v2.value() + 1000}});
  EXPECT_EQ(unknown_key.record.rejection_type, RejectionType::kNotFound);
}

TEST(ProcessInstanceTest, CreateWithResultAnswersWhenTheInstanceCompletes) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  auto request = h.write(ValueType::kProcessInstanceCreation, Intent::kCreateWithAwaitingResult,
                         Json{{"bpmnProcessId", "p"},
                              {"variables", Json{{"a", 1}, {"b", 2}}},
                              {"fetchVariables", Json::array({"a", "c"})}});
  h.process();
  EXPECT_EQ(h.responses().count(request.request_id), 0u) << "no answer before completion";
  Key job = h.activate_one("work");
  h.complete_job(job, Json{{"c", 3}});
  ASSERT_EQ(h.responses().count(request.request_id), 1u);
  const auto& result = h.responses().at(request.request_id).record;
  EXPECT_EQ(result.value_type, ValueType::kProcessInstanceResult);
  EXPECT_EQ(result.value["variables"], (Json{{"a", 1}, {"c", 3}}));
  EXPECT_EQ(result.value["bpmnProcessId"], "p");
}

TEST(ProcessInstanceTest, CreateWithResultIsRejectedWhenTheInstanceIsCancelled) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  auto request = h.write(ValueType::kProcessInstanceCreation, Intent::kCreateWithAwaitingResult,
                         Json{{"bpmnProcessId", "p"}});
  h.process();
  ASSERT_EQ(h.responses().count(request.request_id), 0u);
  Key instance(h.find(ValueType::kProcessInstanceCreation, Intent::kCreated)
                   .value["processInstanceKey"]
                   .get<std::int64_t>());
  auto cancel = h.cancel(instance);
  EXPECT_EQ(cancel.record.intent, Intent::kElementTerminating);
  ASSERT_EQ(h.responses().count(request.request_id), 1u) << "the waiting request is answered";
  const auto& answer = h.responses().at(request.request_id).record;
  EXPECT_EQ(answer.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(answer.value_type, ValueType::kProcessInstanceCreation);
  EXPECT_EQ(answer.intent, Intent::kCreateWithAwaitingResult);
  EXPECT_EQ(answer.rejection_type, RejectionType::kInvalidState);
  EXPECT_THAT(answer.rejection_reason,
              ::testing::HasSubstr("'" + std::to_string(instance.value()) + "'"));
  EXPECT_THAT(answer.rejection_reason, ::testing::HasSubstr("terminated"));
  // Answered once: the awaited request is gone with the instance.
  std::size_t answered = h.responses().size();
  h.process();
  EXPECT_EQ(h.responses().size(), answered);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(ProcessInstanceTest, CancelTerminatesTheTaskAndItsJob) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  Key instance = h.create_instance("p");
  Position mark = h.mark();
  auto response = h.cancel(instance);
  EXPECT_EQ(response.record.intent, Intent::kElementTerminating);
  EXPECT_THAT(
      h.stream_since(mark),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING p",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED p"));
  EXPECT_TRUE(h.activate_jobs("work").record.value["jobKeys"].empty());
  auto again = h.cancel(instance);
  EXPECT_EQ(again.record.rejection_type, RejectionType::kNotFound);
}

TEST(ProcessInstanceTest, SetVariablesLocalAndPropagating) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  Key instance = h.create_instance("p", Json{{"x", 1}});
  auto batch = h.activate_jobs("work");
  Key task(batch.record.value["jobs"][0]["elementInstanceKey"].get<std::int64_t>());
  Position mark = h.mark();

  auto local = h.set_variables(task, Json{{"x", 2}}, true);
  EXPECT_EQ(local.record.intent, Intent::kUpdated);
  auto created = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(created.value["scopeKey"], task.value()) << "local: a new variable on the task";

  mark = h.mark();
  h.set_variables(task, Json{{"y", 5}}, false);
  auto propagated = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(propagated.value["scopeKey"], instance.value()) << "new names go to the root";

  mark = h.mark();
  h.set_variables(instance, Json{{"x", 7}}, false);
  auto updated = h.find(ValueType::kVariable, Intent::kUpdated, mark);
  EXPECT_EQ(updated.value["scopeKey"], instance.value());
  EXPECT_EQ(updated.value["value"], "7");

  auto missing = h.set_variables(Key(instance.value() + 999), Json{{"x", 1}}, false);
  EXPECT_EQ(missing.record.rejection_type, RejectionType::kNotFound);
  auto invalid = h.command(ValueType::kVariableDocument, Intent::kUpdate,
                           Json{{"scopeKey", instance.value()}, {"variables", "nope"}});
  EXPECT_EQ(invalid.record.rejection_type, RejectionType::kInvalidArgument);
}

}  // namespace
}  // namespace tern::engine::test

namespace tern::engine::test {
namespace {

TEST(ProcessInstanceRecordTest, ElementRecordsCarryZeebesValueFields) {
  EngineHarness h;
  Key definition = h.deploy_process(models::one_task("p", "work"));
  Key instance = h.create_instance("p");
  auto records = h.find_all(ValueType::kProcessInstance, Intent::kElementActivating);
  ASSERT_EQ(records.size(), 3u);
  const Record& task = records[2];
  EXPECT_EQ(task.value, (Json{{"bpmnProcessId", "p"},
                              {"version", 1},
                              {"processDefinitionKey", definition.value()},
                              {"processInstanceKey", instance.value()},
                              {"elementId", "task"},
                              {"flowScopeKey", instance.value()},
                              {"bpmnElementType", "SERVICE_TASK"},
                              {"bpmnEventType", "UNSPECIFIED"},
                              {"parentProcessInstanceKey", -1},
                              {"parentElementInstanceKey", -1},
                              {"tenantId", "<default>"}}));
  EXPECT_EQ(records[1].value["bpmnEventType"], "NONE") << "the none start event";
  Json exported = to_json(task);
  EXPECT_EQ(exported["valueType"], "PROCESS_INSTANCE");
  EXPECT_EQ(exported["intent"], "ELEMENT_ACTIVATING");
  EXPECT_EQ(exported["recordType"], "EVENT");
  EXPECT_EQ(exported["partitionId"], 1);
  EXPECT_EQ(exported["key"].get<std::int64_t>() >> 51, 1) << "keys carry partition 1";
  EXPECT_GT(exported["sourceRecordPosition"].get<std::int64_t>(), 0);
}

}  // namespace
}  // namespace tern::engine::test
