// `=` attributes are FEEL expressions compiled at deployment; static values stay text.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bpmn_test_util.h"
#include "engine/feel/feel.h"

namespace tern::engine::bpmn {
namespace {

using testing::has_problem;
using testing::parse_error;
using testing::parse_ok;
using testing::process_xml;

TEST(BpmnExpressions, ExpressionsAreCompiledOnceAndStaticValuesAreNot) {
  auto defs = parse_ok(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="static-type" retries="= 1 + 2"/>
      </bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  const FlowElement* task = defs.processes.at(0)->find("task");
  ASSERT_NE(task, nullptr);
  ASSERT_TRUE(task->job);
  EXPECT_FALSE(task->job->type.is_expression);
  EXPECT_EQ(task->job->type.compiled, nullptr);
  ASSERT_TRUE(task->job->retries.is_expression);
  ASSERT_NE(task->job->retries.compiled, nullptr);
  EXPECT_EQ(task->job->retries.compiled->source(), "1 + 2");
  // The compiled expression is usable by the runtime as is.
  feel::MapResolver no_variables;
  auto value = task->job->retries.compiled->evaluate(no_variables);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(feel::to_json(*value), 3);
}

TEST(BpmnExpressions, IdenticalExpressionsShareOneCompilation) {
  auto defs = parse_ok(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="a">
      <bpmn:extensionElements><zeebe:taskDefinition type="= kind"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="b">
      <bpmn:extensionElements><zeebe:taskDefinition type="=kind"/></bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  const ProcessModel& model = *defs.processes.at(0);
  ASSERT_TRUE(model.find("a")->job->type.compiled);
  EXPECT_EQ(model.find("a")->job->type.compiled, model.find("b")->job->type.compiled);
}

TEST(BpmnExpressions, ConditionIsCompiled) {
  auto defs = parse_ok(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="in" sourceRef="start" targetRef="xor"/>
    <bpmn:exclusiveGateway id="xor" default="b"/>
    <bpmn:sequenceFlow id="a" sourceRef="xor" targetRef="end">
      <bpmn:conditionExpression>= x &gt; 1</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="b" sourceRef="xor" targetRef="end"/>
    <bpmn:endEvent id="end"/>)"));
  const FlowElement* flow = defs.processes.at(0)->find("a");
  ASSERT_NE(flow, nullptr);
  ASSERT_TRUE(flow->condition.has_value());
  ASSERT_NE(flow->condition->compiled, nullptr);
  feel::MapResolver variables(nlohmann::json{{"x", 5}});
  auto result = flow->condition->compiled->evaluate_condition(variables);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(*result);
}

TEST(BpmnExpressions, InvalidExpressionNamesElementAttributeAndCause) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="= if then"/>
        <zeebe:ioMapping><zeebe:output source="= a +" target="b"/></zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="flow" sourceRef="start" targetRef="task">
      <bpmn:conditionExpression>= (1 + </bpmn:conditionExpression>
    </bpmn:sequenceFlow>)"));
  EXPECT_EQ(error.code, BpmnErrorCode::kInvalidModel);
  EXPECT_TRUE(has_problem(error, "task", "the expression of 'type' is invalid"));
  EXPECT_TRUE(has_problem(error, "task", "'output source' is invalid"));
  EXPECT_TRUE(has_problem(error, "flow", "'conditionExpression' is invalid"));
  // FEEL's own explanation is part of the message.
  EXPECT_TRUE(has_problem(error, "task", "if then"));
}

TEST(BpmnExpressions, CompilationCanBeSwitchedOffForStructureOnlyParsing) {
  auto result = parse_bpmn(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type="= if then"/></bpmn:extensionElements>
    </bpmn:serviceTask>)"),
                           ParseOptions{"t.bpmn", false});
  ASSERT_TRUE(result.ok());
  const FlowElement* task = result->processes.at(0)->find("task");
  ASSERT_NE(task, nullptr);
  EXPECT_TRUE(task->job->type.is_expression);
  EXPECT_EQ(task->job->type.compiled, nullptr);
}

}  // namespace
}  // namespace tern::engine::bpmn
