// Multi-instance activities: parallel and sequential bodies over service tasks and sub-processes,
// input/output collections, loopCounter, the completion condition with the numberOf... values,
// an empty collection, an incident when the collection is not a list, cancellation while waiting.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;

std::string loop(bool sequential, const std::string& attributes,
                 const std::string& condition = "") {
  return std::string("<bpmn:multiInstanceLoopCharacteristics isSequential=\"")
         + (sequential ? "true" : "false")
         + "\"><bpmn:extensionElements><zeebe:loopCharacteristics " + attributes
         + " /></bpmn:extensionElements>"
         + (condition.empty()
                ? ""
                : "<bpmn:completionCondition>" + condition + "</bpmn:completionCondition>")
         + "</bpmn:multiInstanceLoopCharacteristics>";
}

std::string mi_task_model(bool sequential, const std::string& condition = "") {
  return models::definitions(
      "mi", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                + service("task", "work",
                          loop(sequential,
                               "inputCollection=\"=items\" inputElement=\"item\" "
                               "outputCollection=\"results\" outputElement=\"=result\"",
                               condition))
                + flow("f2", "task", "end") + "<bpmn:endEvent id=\"end\" />");
}

// Activates every job of "work" and returns them in loopCounter order.
std::vector<Record> work_jobs(EngineHarness& h) {
  auto response = h.activate_jobs("work", 10);
  const auto& batch = response.record.value;
  std::vector<Record> jobs;
  for (std::size_t i = 0; i < batch["jobs"].size(); ++i) {
    Record record;
    record.key = Key(batch["jobKeys"][i].get<std::int64_t>());
    record.value = batch["jobs"][i];
    jobs.push_back(record);
  }
  return jobs;
}

std::string job_item(const Record& job) {
  return job.value["variables"].value("item", std::string());
}

TEST(MultiInstanceTest, ParallelBodyActivatesOneInnerInstancePerItemWithItsLoopVariables) {
  EngineHarness h;
  h.deploy_process(mi_task_model(false));
  Position mark = h.mark();
  Key instance = h.create_instance("mi", Json{{"items", {"a", "b"}}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND PROCESS_INSTANCE_CREATION CREATE", "EVENT VARIABLE CREATED items",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT mi",
                  "EVENT PROCESS_INSTANCE_CREATION CREATED",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING mi",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED mi",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING start",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING start",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED start",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f1",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task",
                  "EVENT VARIABLE CREATED results", "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task", "EVENT VARIABLE CREATED item",
                  "EVENT VARIABLE CREATED result", "EVENT VARIABLE CREATED loopCounter",
                  "EVENT JOB CREATED work", "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task", "EVENT VARIABLE CREATED item",
                  "EVENT VARIABLE CREATED result", "EVENT VARIABLE CREATED loopCounter",
                  "EVENT JOB CREATED work", "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task"));
  // The body and its inner instances are told apart by their element type.
  auto activating = h.find_all(ValueType::kProcessInstance, Intent::kElementActivating, mark);
  ASSERT_EQ(activating.size(), 5u);
  EXPECT_EQ(activating[2].value["bpmnElementType"], "MULTI_INSTANCE_BODY");
  EXPECT_EQ(activating[3].value["bpmnElementType"], "SERVICE_TASK");
  EXPECT_EQ(activating[3].value["flowScopeKey"], activating[2].key.value());
  Record results;
  for (const auto& record : h.find_all(ValueType::kVariable, Intent::kCreated, mark)) {
    if (record.value["name"] == "results") results = record;
  }
  EXPECT_EQ(results.value["value"], "[null,null]");
  EXPECT_EQ(results.value["scopeKey"], activating[2].key.value());

  auto jobs = work_jobs(h);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(job_item(jobs[0]), "a");
  EXPECT_EQ(job_item(jobs[1]), "b");
  // Completing the second item first puts its result at its own position.
  h.complete_job(jobs[1].key, Json{{"result", "B"}});
  mark = h.mark();
  h.complete_job(jobs[0].key, Json{{"result", "A"}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND JOB COMPLETE", "EVENT JOB COMPLETED work",
                  "EVENT VARIABLE UPDATED result", "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task",
                  "EVENT VARIABLE UPDATED results", "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED task",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED task",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT mi",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING mi",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED mi"));
  auto updated = h.find_all(ValueType::kVariable, Intent::kUpdated, mark);
  EXPECT_EQ(updated.back().value["value"], "[\"A\",\"B\"]");
  // The output collection is local to the body: nothing named "results" reaches the process.
  for (const auto& record : h.find_all(ValueType::kVariable, Intent::kCreated)) {
    if (record.value["name"] == "results") {
      EXPECT_NE(record.value["scopeKey"], instance.value());
    }
  }
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MultiInstanceTest, SequentialBodyRunsOneItemAfterTheOther) {
  EngineHarness h;
  h.deploy_process(mi_task_model(true));
  h.create_instance("mi", Json{{"items", {1, 2, 3}}});
  std::vector<std::int64_t> counters;
  for (int i = 0; i < 3; ++i) {
    auto jobs = work_jobs(h);
    ASSERT_EQ(jobs.size(), 1u) << "one inner instance at a time";
    const auto& variables = jobs[0].value["variables"];
    counters.push_back(variables["loopCounter"].get<std::int64_t>());
    EXPECT_EQ(variables["item"], i + 1);
    h.complete_job(jobs[0].key, Json{{"result", (i + 1) * 10}});
  }
  EXPECT_EQ(counters, (std::vector<std::int64_t>{1, 2, 3}));
  auto completed = h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted);
  EXPECT_EQ(completed.back().value["bpmnElementType"], "PROCESS");
  auto results = h.find_all(ValueType::kVariable, Intent::kUpdated);
  EXPECT_EQ(results.back().value["value"], "[10,20,30]");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MultiInstanceTest, CompletionConditionTerminatesTheOtherInstancesAndCompletesTheBody) {
  EngineHarness h;
  h.deploy_process(
      mi_task_model(false, "=numberOfCompletedInstances &gt;= 2 or result = \"stop\""));
  h.create_instance("mi", Json{{"items", {"a", "b", "c"}}});
  auto jobs = work_jobs(h);
  ASSERT_EQ(jobs.size(), 3u);
  h.complete_job(jobs[0].key, Json{{"result", "ok"}});
  Position mark = h.mark();
  h.complete_job(jobs[1].key, Json{{"result", "ok"}});
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND JOB COMPLETE", "EVENT JOB COMPLETED work",
                  "EVENT VARIABLE UPDATED result", "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task",
                  "EVENT VARIABLE UPDATED results", "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED task",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING task",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED task",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT mi",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING mi",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED mi"));
  EXPECT_EQ(h.find_all(ValueType::kVariable, Intent::kUpdated, mark).back().value["value"],
            "[\"ok\",\"ok\",null]");

  // A sequential body stops at the first item meeting the condition.
  EngineHarness s;
  s.deploy_process(mi_task_model(true, "=result = \"stop\""));
  s.create_instance("mi", Json{{"items", {"a", "b", "c"}}});
  s.complete_job(work_jobs(s).at(0).key, Json{{"result", "go"}});
  s.complete_job(work_jobs(s).at(0).key, Json{{"result", "stop"}});
  EXPECT_TRUE(work_jobs(s).empty());
  EXPECT_EQ(s.find_all(ValueType::kProcessInstance, Intent::kElementCompleted)
                .back()
                .value["bpmnElementType"],
            "PROCESS");
  EXPECT_EQ(s.find_all(ValueType::kVariable, Intent::kUpdated).back().value["value"],
            "[\"go\",\"stop\",null]");
}

TEST(MultiInstanceTest, AnEmptyCollectionCompletesTheBodyAtOnce) {
  EngineHarness h;
  h.deploy_process(mi_task_model(false));
  Position mark = h.mark();
  h.create_instance("mi", Json{{"items", Json::array()}});
  auto lines = h.lifecycle_since(mark);
  std::vector<std::string> body;
  for (const auto& line : lines) {
    if (line.ends_with(" task")) body.push_back(line);
  }
  EXPECT_THAT(body, ElementsAre("ELEMENT_ACTIVATING task", "ELEMENT_ACTIVATED task",
                                "ELEMENT_COMPLETING task", "ELEMENT_COMPLETED task"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted)
                .back()
                .value["bpmnElementType"],
            "PROCESS");
  EXPECT_TRUE(h.find_all(ValueType::kJob, Intent::kCreated, mark).empty());
}

TEST(MultiInstanceTest, AnInputCollectionThatIsNotAListRaisesAnIncidentAndResolvingRetries) {
  EngineHarness h;
  h.deploy_process(mi_task_model(false));
  Position mark = h.mark();
  h.create_instance("mi", Json{{"items", "abc"}});
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "EXTRACT_VALUE_ERROR");
  EXPECT_EQ(incident.value["elementId"], "task");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected result of the expression 'items' to be 'ARRAY', but was 'STRING'");
  EXPECT_TRUE(h.find_all(ValueType::kJob, Intent::kCreated, mark).empty());
  Key instance(incident.value["processInstanceKey"].get<std::int64_t>());
  h.set_variables(instance, Json{{"items", {"x"}}}, false);
  h.resolve(incident.key);
  auto jobs = work_jobs(h);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(job_item(jobs[0]), "x");
}

TEST(MultiInstanceTest, CancellingWhileInnerInstancesWaitTerminatesThemAll) {
  EngineHarness h;
  h.deploy_process(mi_task_model(false));
  Key instance = h.create_instance("mi", Json{{"items", {"a", "b"}}});
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING mi",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING task", "EVENT JOB CANCELED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED task",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED mi"));
  EXPECT_TRUE(work_jobs(h).empty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MultiInstanceTest, MultiInstanceSubProcessRunsItsContentPerItem) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "mi", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "sub")
                + "<bpmn:subProcess id=\"sub\">"
                + loop(false, "inputCollection=\"=orders\" inputElement=\"order\"")
                + "<bpmn:startEvent id=\"s_start\" />" + flow("s1", "s_start", "s_task")
                + service("s_task", "ship") + flow("s2", "s_task", "s_end")
                + "<bpmn:endEvent id=\"s_end\" /></bpmn:subProcess>" + flow("f2", "sub", "end")
                + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("mi", Json{{"orders", {"o1", "o2"}}});
  auto response = h.activate_jobs("ship", 10);
  const auto& jobs = response.record.value["jobs"];
  ASSERT_EQ(jobs.size(), 2u);
  std::vector<std::string> orders;
  for (const auto& job : jobs)
    orders.push_back(job["variables"]["order"].get<std::string>());
  EXPECT_EQ(orders, (std::vector<std::string>{"o1", "o2"}));
  for (const auto& key : response.record.value["jobKeys"])
    h.complete_job(Key(key.get<std::int64_t>()));
  auto completed = h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted);
  EXPECT_EQ(completed.back().value["bpmnElementType"], "PROCESS");
  std::size_t subs = 0;
  for (const auto& record : completed) {
    if (record.value["elementId"] == "sub") ++subs;
  }
  EXPECT_EQ(subs, 3u);  // two inner sub-processes and the body
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
