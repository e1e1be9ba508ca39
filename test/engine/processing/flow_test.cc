// Flow elements: exclusive and parallel gateways, embedded sub-processes, terminate end events,
// script, manual, undefined and user tasks, and input/output mappings with Zeebe's scoping.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

std::string flow(const std::string& id, const std::string& from, const std::string& to,
                 const std::string& condition = "") {
  if (condition.empty()) {
    return "<bpmn:sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to
           + "\" />\n";
  }
  return "<bpmn:sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to
         + "\"><bpmn:conditionExpression>" + condition
         + "</bpmn:conditionExpression></bpmn:sequenceFlow>\n";
}

std::string service(const std::string& id, const std::string& type,
                    const std::string& extras = "") {
  return "<bpmn:serviceTask id=\"" + id + "\"><bpmn:extensionElements><zeebe:taskDefinition type=\""
         + type + "\" />" + extras + "</bpmn:extensionElements></bpmn:serviceTask>\n";
}

std::string exclusive_model() {
  return models::definitions(
      "x", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "gw")
               + "<bpmn:exclusiveGateway id=\"gw\" default=\"fDefault\" />"
               + flow("fBig", "gw", "big", "=amount &gt; 100")
               + flow("fSmall", "gw", "small", "=amount &lt;= 100 and amount &gt; 0")
               + flow("fDefault", "gw", "other") + service("big", "big") + service("small", "small")
               + service("other", "other"));
}

TEST(FlowTest, ExclusiveGatewayTakesTheFirstTrueCondition) {
  EngineHarness h;
  h.deploy_process(exclusive_model());
  Position mark = h.mark();
  h.create_instance("x", Json{{"amount", 150}});
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_ACTIVATING x", "ELEMENT_ACTIVATED x", "ELEMENT_ACTIVATING start",
                  "ELEMENT_ACTIVATED start", "ELEMENT_COMPLETING start", "ELEMENT_COMPLETED start",
                  "SEQUENCE_FLOW_TAKEN f0", "ELEMENT_ACTIVATING gw", "ELEMENT_ACTIVATED gw",
                  "ELEMENT_COMPLETING gw", "ELEMENT_COMPLETED gw", "SEQUENCE_FLOW_TAKEN fBig",
                  "ELEMENT_ACTIVATING big", "ELEMENT_ACTIVATED big"));
  mark = h.mark();
  h.create_instance("x", Json{{"amount", 5}});
  EXPECT_THAT(h.lifecycle_since(mark), Contains("SEQUENCE_FLOW_TAKEN fSmall"));
}

TEST(FlowTest, ExclusiveGatewayFallsBackToTheDefaultFlow) {
  EngineHarness h;
  h.deploy_process(exclusive_model());
  Position mark = h.mark();
  h.create_instance("x", Json{{"amount", -1}});
  EXPECT_THAT(h.lifecycle_since(mark), Contains("SEQUENCE_FLOW_TAKEN fDefault"));
}

TEST(FlowTest, ExclusiveGatewayWithoutMatchRaisesAnIncidentResolvedByFixingVariables) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "x", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "gw")
               + "<bpmn:exclusiveGateway id=\"gw\" />" + flow("fA", "gw", "a", "=go = 1")
               + flow("fB", "gw", "b", "=go = 2") + service("a", "a") + service("b", "b")));
  Position mark = h.mark();
  Key instance = h.create_instance("x", Json{{"go", 3}});
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "CONDITION_ERROR");
  EXPECT_EQ(incident.value["elementId"], "gw");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected at least one condition to evaluate to true, or to have a default flow");
  EXPECT_THAT(h.lifecycle_since(mark), Not(Contains("ELEMENT_ACTIVATED gw")));

  h.set_variables(instance, Json{{"go", 1}}, false);
  mark = h.mark();
  auto resolved = h.resolve(incident.key);
  EXPECT_EQ(resolved.record.intent, Intent::kResolved);
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_ACTIVATED gw", "ELEMENT_COMPLETING gw", "ELEMENT_COMPLETED gw",
                          "SEQUENCE_FLOW_TAKEN fA", "ELEMENT_ACTIVATING a", "ELEMENT_ACTIVATED a"));
}

TEST(FlowTest, ParallelGatewayForksAndJoins) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "par", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork")
                 + "<bpmn:parallelGateway id=\"fork\" />" + flow("fa", "fork", "a")
                 + flow("fb", "fork", "b") + service("a", "a") + service("b", "b")
                 + flow("fa2", "a", "join") + flow("fb2", "b", "join")
                 + "<bpmn:parallelGateway id=\"join\" />" + flow("fend", "join", "end")
                 + "<bpmn:endEvent id=\"end\" />"));
  Key instance = h.create_instance("par");
  Key a = h.activate_one("a");
  Key b = h.activate_one("b");
  Position mark = h.mark();
  h.complete_job(a);
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_COMPLETING a", "ELEMENT_COMPLETED a", "SEQUENCE_FLOW_TAKEN fa2"))
      << "the join waits for the other branch";
  mark = h.mark();
  h.complete_job(b);
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING b", "ELEMENT_COMPLETED b", "SEQUENCE_FLOW_TAKEN fb2",
                  "ELEMENT_ACTIVATING join", "ELEMENT_ACTIVATED join", "ELEMENT_COMPLETING join",
                  "ELEMENT_COMPLETED join", "SEQUENCE_FLOW_TAKEN fend", "ELEMENT_ACTIVATING end",
                  "ELEMENT_ACTIVATED end", "ELEMENT_COMPLETING end", "ELEMENT_COMPLETED end",
                  "ELEMENT_COMPLETING par", "ELEMENT_COMPLETED par"));
  EXPECT_EQ(h.find(ValueType::kProcessInstance, Intent::kElementCompleted, mark).key.value() > 0,
            true);
  (void)instance;
}

TEST(FlowTest, EmbeddedSubProcessRunsItsChildrenAndCompletes) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "sub", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "sp")
                 + "<bpmn:subProcess id=\"sp\"><bpmn:startEvent id=\"innerStart\" />"
                 + flow("fi", "innerStart", "inner") + service("inner", "inner")
                 + "</bpmn:subProcess>" + flow("f1", "sp", "end")
                 + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("sub");
  auto batch = h.activate_jobs("inner");
  ASSERT_EQ(batch.record.value["jobs"].size(), 1u);
  Position mark = h.mark();
  h.complete_job(Key(batch.record.value["jobKeys"][0].get<std::int64_t>()));
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING inner", "ELEMENT_COMPLETED inner", "ELEMENT_COMPLETING sp",
                  "ELEMENT_COMPLETED sp", "SEQUENCE_FLOW_TAKEN f1", "ELEMENT_ACTIVATING end",
                  "ELEMENT_ACTIVATED end", "ELEMENT_COMPLETING end", "ELEMENT_COMPLETED end",
                  "ELEMENT_COMPLETING sub", "ELEMENT_COMPLETED sub"));
}

TEST(FlowTest, TerminateEndEventTerminatesTheOtherBranches) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "term", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork")
                  + "<bpmn:parallelGateway id=\"fork\" />" + flow("fa", "fork", "a")
                  + flow("fb", "fork", "b") + service("a", "a") + service("b", "b")
                  + flow("fa2", "a", "kill")
                  + "<bpmn:endEvent id=\"kill\"><bpmn:terminateEventDefinition />"
                    "</bpmn:endEvent>"));
  h.create_instance("term");
  Key a = h.activate_one("a");
  Position mark = h.mark();
  h.complete_job(a);
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING a", "ELEMENT_COMPLETED a", "SEQUENCE_FLOW_TAKEN fa2",
                  "ELEMENT_ACTIVATING kill", "ELEMENT_ACTIVATED kill", "ELEMENT_COMPLETING kill",
                  "ELEMENT_COMPLETED kill", "ELEMENT_TERMINATING b", "ELEMENT_TERMINATED b",
                  "ELEMENT_COMPLETING term", "ELEMENT_COMPLETED term"));
  EXPECT_TRUE(h.activate_jobs("b").record.value["jobKeys"].empty());
}

TEST(FlowTest, AScopeThatEndsWhileAJoinWaitsLeavesNoTokenCountsBehind) {
  // The join's count for fa2 is kept on the process instance; the terminate end event ends the
  // instance before the join fires, so finishing the instance must clear it.
  EngineHarness h;
  h.deploy_process(models::definitions(
      "wait", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork")
                  + "<bpmn:parallelGateway id=\"fork\" />" + flow("fa", "fork", "a")
                  + flow("fb", "fork", "b") + flow("fc", "fork", "c") + service("a", "a")
                  + service("b", "b") + service("c", "c") + flow("fa2", "a", "join")
                  + flow("fc2", "c", "join") + flow("fb2", "b", "kill")
                  + "<bpmn:parallelGateway id=\"join\" />" + flow("fend", "join", "end")
                  + "<bpmn:endEvent id=\"end\" />"
                  + "<bpmn:endEvent id=\"kill\"><bpmn:terminateEventDefinition />"
                    "</bpmn:endEvent>"));
  Key instance = h.create_instance("wait");
  Key a = h.activate_one("a");
  Key b = h.activate_one("b");
  h.complete_job(a);
  EngineState state(h.engine().db().transaction(), PartitionId(1));
  ASSERT_EQ(state.join_tokens(instance).size(), 1u) << "the join holds the token of fa2";
  Position mark = h.mark();
  h.complete_job(b);
  EXPECT_THAT(h.lifecycle_since(mark), Contains("ELEMENT_COMPLETED wait"));
  EXPECT_TRUE(state.join_tokens(instance).empty());
  EXPECT_FALSE(state.element_instance(instance).has_value());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(FlowTest, ScriptManualUndefinedAndUserTasks) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "tasks", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "script")
                   + "<bpmn:scriptTask id=\"script\"><bpmn:extensionElements>"
                     "<zeebe:script expression=\"=x * 2\" resultVariable=\"doubled\" />"
                     "</bpmn:extensionElements></bpmn:scriptTask>"
                   + flow("f1", "script", "manual") + "<bpmn:manualTask id=\"manual\" />"
                   + flow("f2", "manual", "plain") + "<bpmn:task id=\"plain\" />"
                   + flow("f3", "plain", "human")
                   + "<bpmn:userTask id=\"human\"><bpmn:extensionElements>"
                     "<zeebe:assignmentDefinition assignee=\"anna\" /></bpmn:extensionElements>"
                     "</bpmn:userTask>"));
  Position mark = h.mark();
  Key instance = h.create_instance("tasks", Json{{"x", 21}});
  auto doubled = h.find(ValueType::kVariable, Intent::kCreated, Position(mark.value() + 3));
  EXPECT_EQ(doubled.value["name"], "doubled");
  EXPECT_EQ(doubled.value["value"], "42");
  EXPECT_EQ(doubled.value["scopeKey"], instance.value());
  EXPECT_THAT(h.lifecycle_since(mark), Contains("ELEMENT_COMPLETED manual"));
  EXPECT_THAT(h.lifecycle_since(mark), Contains("ELEMENT_COMPLETED plain"));
  auto batch = h.activate_jobs("io.camunda.zeebe:userTask");
  ASSERT_EQ(batch.record.value["jobs"].size(), 1u);
  EXPECT_EQ(batch.record.value["jobs"][0]["customHeaders"]["io.camunda.zeebe:assignee"], "anna");
}

TEST(FlowTest, InputAndOutputMappingsFollowZeebesScoping) {
  EngineHarness h;
  h.deploy_process(models::one_task("io", "work", R"(<zeebe:ioMapping>
          <zeebe:input source="=order.total" target="amount" />
          <zeebe:output source="=status" target="orderStatus" />
        </zeebe:ioMapping>)"));
  Key instance = h.create_instance("io", Json{{"order", Json{{"total", 99}}}});
  auto batch = h.activate_jobs("work");
  const Json& job = batch.record.value["jobs"][0];
  EXPECT_EQ(job["variables"]["amount"], 99);
  Key task(job["elementInstanceKey"].get<std::int64_t>());
  auto input = h.find(ValueType::kVariable, Intent::kCreated, Position(3));
  Position mark = h.mark();
  h.complete_job(Key(batch.record.value["jobKeys"][0].get<std::int64_t>()),
                 Json{{"status", "paid"}, {"scratch", 1}});
  auto variables = h.find_all(ValueType::kVariable, Intent::kCreated, mark);
  ASSERT_EQ(variables.size(), 3u);
  EXPECT_EQ(variables[0].value["scopeKey"], task.value()) << "job variables stay local";
  EXPECT_EQ(variables[1].value["scopeKey"], task.value());
  EXPECT_EQ(variables[2].value["name"], "orderStatus");
  EXPECT_EQ(variables[2].value["scopeKey"], instance.value()) << "outputs reach the root";
  (void)input;
}

TEST(FlowTest, JobTypeExpressionWithoutValueRaisesAnIncidentResolvedAfterTheFix) {
  EngineHarness h;
  h.deploy_process(
      models::definitions("expr", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "t")
                                      + "<bpmn:serviceTask id=\"t\"><bpmn:extensionElements>"
                                        "<zeebe:taskDefinition type=\"=kind\" />"
                                        "</bpmn:extensionElements></bpmn:serviceTask>"));
  Position mark = h.mark();
  Key instance = h.create_instance("expr");
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "EXTRACT_VALUE_ERROR");
  EXPECT_EQ(incident.value["elementId"], "t");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected result of the expression 'kind' to be a non-empty 'STRING', but was 'NULL'");

  mark = h.mark();
  h.resolve(incident.key);
  EXPECT_THAT(
      h.stream_since(mark),
      ElementsAre("COMMAND INCIDENT RESOLVE", "EVENT INCIDENT RESOLVED", "EVENT INCIDENT CREATED"))
      << "resolving without a fix runs the step again, which fails again";

  auto again = h.find(ValueType::kIncident, Intent::kCreated, mark);
  h.set_variables(instance, Json{{"kind", "mail"}}, false);
  mark = h.mark();
  h.resolve(again.key);
  EXPECT_THAT(h.lifecycle_since(mark), ElementsAre("ELEMENT_ACTIVATED t"));
  EXPECT_EQ(h.find(ValueType::kJob, Intent::kCreated, mark).value["type"], "mail");
}

TEST(FlowTest, JobTypeAndRetriesMayBeExpressions) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "expr",
      "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "t")
          + "<bpmn:serviceTask id=\"t\"><bpmn:extensionElements>"
            "<zeebe:taskDefinition type=\"=kind + &quot;-worker&quot;\" retries=\"=tries\" />"
            "</bpmn:extensionElements></bpmn:serviceTask>"));
  Position mark = h.mark();
  h.create_instance("expr", Json{{"kind", "email"}, {"tries", 7}});
  auto job = h.find(ValueType::kJob, Intent::kCreated, mark);
  EXPECT_EQ(job.value["type"], "email-worker");
  EXPECT_EQ(job.value["retries"], 7);
}

}  // namespace
}  // namespace tern::engine::test

namespace tern::engine::test {
namespace {

TEST(FlowScopeTest, JobVariablesUpdateTheNearestScopeThatDefinesThem) {
  EngineHarness h;
  h.deploy_process(models::definitions("nest", R"(<bpmn:startEvent id="start" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sp" />
      <bpmn:subProcess id="sp">
        <bpmn:extensionElements><zeebe:ioMapping>
          <zeebe:input source="=0" target="counter" /></zeebe:ioMapping></bpmn:extensionElements>
        <bpmn:startEvent id="s2" />
        <bpmn:sequenceFlow id="f1" sourceRef="s2" targetRef="inner" />
        <bpmn:serviceTask id="inner"><bpmn:extensionElements>
          <zeebe:taskDefinition type="inner" /></bpmn:extensionElements></bpmn:serviceTask>
      </bpmn:subProcess>)"));
  Key instance = h.create_instance("nest", Json{{"counter", 100}});
  auto batch = h.activate_jobs("inner");
  ASSERT_EQ(batch.record.value["jobs"].size(), 1u);
  EXPECT_EQ(batch.record.value["jobs"][0]["variables"]["counter"], 0) << "the local wins";
  Position mark = h.mark();
  h.complete_job(Key(batch.record.value["jobKeys"][0].get<std::int64_t>()),
                 Json{{"counter", 1}, {"fresh", 2}});
  auto updated = h.find(ValueType::kVariable, Intent::kUpdated, mark);
  EXPECT_EQ(updated.value["name"], "counter");
  EXPECT_NE(updated.value["scopeKey"], instance.value()) << "the sub-process's local is updated";
  auto created = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(created.value["name"], "fresh");
  EXPECT_EQ(created.value["scopeKey"], instance.value());
}

TEST(FlowScopeTest, OnlyTheLeaderWritesDueDateCommands) {
  EngineHarness h;
  h.deploy_process(models::one_task("p", "work"));
  h.create_instance("p");
  h.activate_one("work");
  h.clock().advance_ms(120'000);
  h.engine().become_follower();
  EXPECT_EQ(h.engine().check_due_dates(), 0u);
  h.engine().become_leader();
  EXPECT_EQ(h.engine().check_due_dates(), 1u);
}

}  // namespace
}  // namespace tern::engine::test
