// Each element kind parses into the model with its Zeebe extension data.

#include <gtest/gtest.h>

#include "bpmn_test_util.h"
#include "engine/bpmn/model.h"

namespace tern::engine::bpmn {
namespace {

using testing::parse_ok;
using testing::process_xml;

const ProcessModel& only_process(const Definitions& definitions) {
  EXPECT_EQ(definitions.processes.size(), 1u);
  return *definitions.processes.front();
}

const FlowElement& get(const ProcessModel& model, std::string_view id) {
  const FlowElement* element = model.find(id);
  EXPECT_NE(element, nullptr) << id;
  static const FlowElement kMissing;
  return element != nullptr ? *element : kMissing;
}

TEST(BpmnElements, ProcessStartTaskEndFormAGraph) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:extensionElements><zeebe:versionTag value="v1.2"/></bpmn:extensionElements>
    <bpmn:startEvent id="start" name="Go"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task" name="Work">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="worker" retries="5"/>
        <zeebe:taskHeaders>
          <zeebe:header key="b" value="2"/>
          <zeebe:header key="a" value="1"/>
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <bpmn:endEvent id="end"/>)"));
  const ProcessModel& model = only_process(defs);
  EXPECT_EQ(model.bpmn_process_id(), "proc");
  EXPECT_EQ(model.name(), "Test process");
  EXPECT_EQ(model.version_tag(), "v1.2");
  EXPECT_TRUE(model.is_executable());
  EXPECT_EQ(model.process().kind, ElementKind::PROCESS);
  EXPECT_EQ(model.elements()[0].index, 0);

  const FlowElement& start = get(model, "start");
  EXPECT_EQ(start.kind, ElementKind::START_EVENT);
  EXPECT_EQ(start.event_type, EventType::NONE);
  EXPECT_EQ(start.name, "Go");
  EXPECT_EQ(model.none_start_event(), start.index);
  EXPECT_EQ(start.flow_scope, 0);

  const FlowElement& task = get(model, "task");
  EXPECT_EQ(task.kind, ElementKind::SERVICE_TASK);
  EXPECT_EQ(task.event_type, EventType::UNSPECIFIED);
  ASSERT_TRUE(task.job);
  EXPECT_EQ(task.job->type.text, "worker");
  EXPECT_FALSE(task.job->type.is_expression);
  EXPECT_EQ(task.job->retries.text, "5");
  ASSERT_EQ(task.task_headers.size(), 2u);
  EXPECT_EQ(task.task_headers[0].key, "b");  // document order kept
  EXPECT_EQ(task.task_headers[1].value, "1");

  const FlowElement& f1 = get(model, "f1");
  EXPECT_EQ(f1.kind, ElementKind::SEQUENCE_FLOW);
  EXPECT_EQ(f1.source, start.index);
  EXPECT_EQ(f1.target, task.index);
  ASSERT_EQ(start.outgoing.size(), 1u);
  EXPECT_EQ(start.outgoing[0], f1.index);
  ASSERT_EQ(task.incoming.size(), 1u);
  EXPECT_EQ(task.incoming[0], f1.index);
  EXPECT_EQ(get(model, "end").kind, ElementKind::END_EVENT);
  EXPECT_EQ(model.find("nope"), nullptr);
}

TEST(BpmnElements, RetriesDefaultToThreeAndExpressionsAreMarked) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="= &quot;job-&quot; + kind"/>
        <zeebe:ioMapping>
          <zeebe:input source="= order.id" target="orderId"/>
          <zeebe:input source="static text" target="label"/>
          <zeebe:output source="=result" target="order.result"/>
        </zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  const FlowElement& task = get(only_process(defs), "task");
  ASSERT_TRUE(task.job);
  EXPECT_TRUE(task.job->type.is_expression);
  EXPECT_EQ(task.job->type.text, "\"job-\" + kind");  // without '=' and surrounding blanks
  EXPECT_EQ(task.job->retries.text, "3");
  ASSERT_TRUE(task.io_mapping);
  ASSERT_EQ(task.io_mapping->inputs.size(), 2u);
  EXPECT_TRUE(task.io_mapping->inputs[0].source.is_expression);
  EXPECT_EQ(task.io_mapping->inputs[0].source.text, "order.id");
  EXPECT_EQ(task.io_mapping->inputs[0].target, "orderId");
  EXPECT_FALSE(task.io_mapping->inputs[1].source.is_expression);
  EXPECT_EQ(task.io_mapping->inputs[1].source.text, "static text");
  ASSERT_EQ(task.io_mapping->outputs.size(), 1u);
  EXPECT_EQ(task.io_mapping->outputs[0].target, "order.result");
}

TEST(BpmnElements, UserTaskData) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="approve">
      <bpmn:extensionElements>
        <zeebe:userTask/>
        <zeebe:assignmentDefinition assignee="= owner" candidateGroups="sales, ops"
                                    candidateUsers="ann"/>
        <zeebe:formDefinition formId="approval-form"/>
        <zeebe:priorityDefinition priority="80"/>
        <zeebe:taskSchedule dueDate="2030-01-01T00:00:00Z" followUpDate="= later"/>
        <zeebe:taskListeners>
          <zeebe:taskListener eventType="complete" type="audit" retries="2"/>
        </zeebe:taskListeners>
      </bpmn:extensionElements>
    </bpmn:userTask>)"));
  const FlowElement& task = get(only_process(defs), "approve");
  EXPECT_EQ(task.kind, ElementKind::USER_TASK);
  ASSERT_TRUE(task.user_task);
  EXPECT_TRUE(task.user_task->native);
  EXPECT_TRUE(task.user_task->assignee.is_expression);
  EXPECT_EQ(task.user_task->assignee.text, "owner");
  EXPECT_EQ(task.user_task->candidate_groups.text, "sales, ops");
  EXPECT_EQ(task.user_task->candidate_users.text, "ann");
  EXPECT_EQ(task.user_task->form_id.text, "approval-form");
  EXPECT_EQ(task.user_task->priority.text, "80");
  EXPECT_EQ(task.user_task->due_date.text, "2030-01-01T00:00:00Z");
  EXPECT_TRUE(task.user_task->follow_up_date.is_expression);
  ASSERT_EQ(task.task_listeners.size(), 1u);
  EXPECT_EQ(task.task_listeners[0].event, "complete");
  EXPECT_EQ(task.task_listeners[0].type.text, "audit");
  EXPECT_EQ(task.task_listeners[0].retries.text, "2");
  EXPECT_FALSE(task.job);  // a user task needs no task definition
}

TEST(BpmnElements, LegacyUserTaskWithEmbeddedForm) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:extensionElements>
      <zeebe:userTaskForm id="form1">{"components":[]}</zeebe:userTaskForm>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review">
      <bpmn:extensionElements>
        <zeebe:formDefinition formKey="camunda-forms:bpmn:form1"/>
      </bpmn:extensionElements>
    </bpmn:userTask>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& task = get(model, "review");
  ASSERT_TRUE(task.user_task);
  EXPECT_FALSE(task.user_task->native);
  EXPECT_EQ(task.user_task->form_key, "camunda-forms:bpmn:form1");
  ASSERT_EQ(model.embedded_forms().size(), 1u);
  EXPECT_EQ(model.embedded_forms()[0].id, "form1");
  EXPECT_EQ(model.embedded_forms()[0].json, "{\"components\":[]}");
}

TEST(BpmnElements, ScriptBusinessRuleCallActivityAndPlainTasks) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="script">
      <bpmn:extensionElements>
        <zeebe:script expression="= a + b" resultVariable="sum"/>
      </bpmn:extensionElements>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="scriptJob">
      <bpmn:extensionElements><zeebe:taskDefinition type="script-worker"/></bpmn:extensionElements>
    </bpmn:scriptTask>
    <bpmn:businessRuleTask id="rule">
      <bpmn:extensionElements>
        <zeebe:calledDecision decisionId="dish" resultVariable="dish"/>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:callActivity id="call">
      <bpmn:extensionElements>
        <zeebe:calledElement processId="= child" propagateAllChildVariables="false"/>
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:sendTask id="send">
      <bpmn:extensionElements><zeebe:taskDefinition type="mail"/></bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:manualTask id="manual"/>
    <bpmn:task id="undefined"/>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& script = get(model, "script");
  EXPECT_EQ(script.kind, ElementKind::SCRIPT_TASK);
  ASSERT_TRUE(script.script);
  EXPECT_EQ(script.script->expression.text, "a + b");
  EXPECT_EQ(script.script->result_variable, "sum");
  ASSERT_TRUE(get(model, "scriptJob").job);
  const FlowElement& rule = get(model, "rule");
  EXPECT_EQ(rule.kind, ElementKind::BUSINESS_RULE_TASK);
  ASSERT_TRUE(rule.called_decision);
  EXPECT_EQ(rule.called_decision->decision_id.text, "dish");
  EXPECT_EQ(rule.called_decision->result_variable, "dish");
  const FlowElement& call = get(model, "call");
  EXPECT_EQ(call.kind, ElementKind::CALL_ACTIVITY);
  ASSERT_TRUE(call.called_element);
  EXPECT_TRUE(call.called_element->process_id.is_expression);
  EXPECT_FALSE(call.called_element->propagate_all_child_variables);
  EXPECT_TRUE(call.called_element->propagate_all_parent_variables);
  EXPECT_EQ(call.called_element->binding_type, "latest");
  EXPECT_EQ(get(model, "send").kind, ElementKind::SEND_TASK);
  EXPECT_EQ(get(model, "manual").kind, ElementKind::MANUAL_TASK);
  EXPECT_EQ(get(model, "undefined").kind, ElementKind::TASK);
}

TEST(BpmnElements, GatewaysWithConditionsAndDefaults) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="xor"/>
    <bpmn:exclusiveGateway id="xor" default="fDefault"/>
    <bpmn:sequenceFlow id="fHigh" sourceRef="xor" targetRef="or">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">= amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fDefault" sourceRef="xor" targetRef="and"/>
    <bpmn:inclusiveGateway id="or"/>
    <bpmn:parallelGateway id="and"/>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& xor_gateway = get(model, "xor");
  EXPECT_EQ(xor_gateway.kind, ElementKind::EXCLUSIVE_GATEWAY);
  EXPECT_EQ(xor_gateway.default_flow, get(model, "fDefault").index);
  ASSERT_EQ(xor_gateway.outgoing.size(), 2u);
  const FlowElement& high = get(model, "fHigh");
  ASSERT_TRUE(high.condition.has_value());
  EXPECT_TRUE(high.condition->is_expression);
  EXPECT_EQ(high.condition->text, "amount > 100");
  EXPECT_FALSE(get(model, "fDefault").condition.has_value());
  EXPECT_EQ(get(model, "or").kind, ElementKind::INCLUSIVE_GATEWAY);
  EXPECT_EQ(get(model, "and").kind, ElementKind::PARALLEL_GATEWAY);
}

TEST(BpmnElements, EventBasedGatewayKnowsItsTargets) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <bpmn:eventBasedGateway id="gw"/>
    <bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="paid"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="timeout"/>
    <bpmn:intermediateCatchEvent id="paid">
      <bpmn:messageEventDefinition messageRef="msg"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="timeout">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>)",
                                   R"(<bpmn:message id="msg" name="payment">
    <bpmn:extensionElements><zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements>
  </bpmn:message>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& gateway = get(model, "gw");
  EXPECT_EQ(gateway.kind, ElementKind::EVENT_BASED_GATEWAY);
  ASSERT_EQ(gateway.event_targets.size(), 2u);
  EXPECT_EQ(gateway.event_targets[0], get(model, "paid").index);
  EXPECT_EQ(gateway.event_targets[1], get(model, "timeout").index);
  const FlowElement& paid = get(model, "paid");
  EXPECT_EQ(paid.event_type, EventType::MESSAGE);
  ASSERT_TRUE(paid.message);
  EXPECT_EQ(paid.message->message_id, "msg");
  EXPECT_EQ(paid.message->name.text, "payment");
  EXPECT_TRUE(paid.message->correlation_key.is_expression);
  EXPECT_EQ(paid.message->correlation_key.text, "orderId");
  const FlowElement& timeout = get(model, "timeout");
  ASSERT_TRUE(timeout.timer);
  EXPECT_EQ(timeout.timer->kind, TimerKind::DURATION);
  ASSERT_TRUE(timeout.timer->static_value.has_value());
  EXPECT_EQ(timeout.timer->static_value->duration.millis, 3'600'000);
}

TEST(BpmnElements, SubProcessesAndEventSubProcesses) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="subStart"/>
      <bpmn:sequenceFlow id="sf" sourceRef="subStart" targetRef="subEnd"/>
      <bpmn:endEvent id="subEnd"/>
    </bpmn:subProcess>
    <bpmn:subProcess id="onError" triggeredByEvent="true">
      <bpmn:startEvent id="errorStart">
        <bpmn:errorEventDefinition errorRef="err"/>
      </bpmn:startEvent>
    </bpmn:subProcess>
    <bpmn:subProcess id="onTick" triggeredByEvent="true">
      <bpmn:startEvent id="tickStart" isInterrupting="false">
        <bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT10S</bpmn:timeCycle></bpmn:timerEventDefinition>
      </bpmn:startEvent>
    </bpmn:subProcess>)",
                                   R"(<bpmn:error id="err" errorCode="E42"/>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& sub = get(model, "sub");
  EXPECT_EQ(sub.kind, ElementKind::SUB_PROCESS);
  EXPECT_TRUE(sub.is_scope());
  EXPECT_EQ(sub.none_start_event, get(model, "subStart").index);
  EXPECT_EQ(get(model, "subStart").flow_scope, sub.index);
  EXPECT_EQ(get(model, "sf").flow_scope, sub.index);
  ASSERT_EQ(sub.children.size(), 2u);  // flow nodes only

  const FlowElement& on_error = get(model, "onError");
  EXPECT_EQ(on_error.kind, ElementKind::EVENT_SUB_PROCESS);
  ASSERT_EQ(model.event_sub_processes().size(), 2u);
  EXPECT_EQ(model.event_sub_processes()[0], on_error.index);
  const FlowElement& error_start = get(model, "errorStart");
  EXPECT_EQ(error_start.event_type, EventType::ERROR);
  ASSERT_TRUE(error_start.error);
  EXPECT_EQ(error_start.error->error_code.text, "E42");
  EXPECT_TRUE(error_start.interrupting);
  const FlowElement& tick = get(model, "tickStart");
  EXPECT_FALSE(tick.interrupting);
  ASSERT_TRUE(tick.timer && tick.timer->static_value);
  EXPECT_EQ(tick.timer->static_value->repetitions, 3);
  // Only top-level start events count as the process's start events.
  EXPECT_EQ(model.start_events().size(), 1u);
}

TEST(BpmnElements, MultiInstanceIsABodyAroundTheActivity) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="each"/>
    <bpmn:serviceTask id="each">
      <bpmn:extensionElements><zeebe:taskDefinition type="item"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="= items" inputElement="item"
              outputCollection="results" outputElement="= result"/>
        </bpmn:extensionElements>
        <bpmn:completionCondition>= numberOfCompletedInstances &gt;= 2</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="late" attachedToRef="each" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="late" targetRef="end"/>
    <bpmn:endEvent id="end"/>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& body = get(model, "each");
  EXPECT_EQ(body.kind, ElementKind::MULTI_INSTANCE_BODY);
  EXPECT_EQ(to_string(body.kind), "MULTI_INSTANCE_BODY");
  ASSERT_TRUE(body.loop);
  EXPECT_TRUE(body.loop->is_sequential);
  EXPECT_EQ(body.loop->input_collection.text, "items");
  EXPECT_EQ(body.loop->input_element, "item");
  EXPECT_EQ(body.loop->output_collection, "results");
  EXPECT_EQ(body.loop->output_element.text, "result");
  EXPECT_EQ(body.loop->completion_condition.text, "numberOfCompletedInstances >= 2");
  ASSERT_EQ(body.incoming.size(), 1u);
  ASSERT_NE(body.inner_activity, kNoElement);
  const FlowElement& inner = model.element(body.inner_activity);
  EXPECT_EQ(inner.kind, ElementKind::SERVICE_TASK);
  EXPECT_EQ(inner.id, "each");
  EXPECT_EQ(inner.flow_scope, body.index);
  EXPECT_TRUE(inner.incoming.empty());
  ASSERT_TRUE(inner.job);
  ASSERT_EQ(body.boundary_events.size(), 1u);
  const FlowElement& late = get(model, "late");
  EXPECT_EQ(late.kind, ElementKind::BOUNDARY_EVENT);
  EXPECT_EQ(late.attached_to, body.index);
  EXPECT_FALSE(late.cancel_activity);
}

// The events an element instance waits for (and may hold subscriptions for) are known from the
// model; the engine looks for an instance's subscriptions only when there are some.
TEST(BpmnElements, AwaitedEventsAreComputedOncePerModel) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="late" attachedToRef="task">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="cancelled" attachedToRef="task" cancelActivity="false">
      <bpmn:messageEventDefinition messageRef="msg"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="task" targetRef="plain"/>
    <bpmn:sequenceFlow id="fl" sourceRef="late" targetRef="plain"/>
    <bpmn:sequenceFlow id="fc" sourceRef="cancelled" targetRef="plain"/>
    <bpmn:task id="plain"/>
    <bpmn:sequenceFlow id="f2" sourceRef="plain" targetRef="gw"/>
    <bpmn:eventBasedGateway id="gw"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="paid"/>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="timeout"/>
    <bpmn:intermediateCatchEvent id="paid">
      <bpmn:messageEventDefinition messageRef="msg"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="timeout">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="paid" targetRef="receive"/>
    <bpmn:receiveTask id="receive" messageRef="msg"/>
    <bpmn:sequenceFlow id="f6" sourceRef="receive" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="subStart"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f7" sourceRef="sub" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:subProcess id="onTick" triggeredByEvent="true">
      <bpmn:startEvent id="tickStart" isInterrupting="false">
        <bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT10S</bpmn:timeCycle></bpmn:timerEventDefinition>
      </bpmn:startEvent>
    </bpmn:subProcess>)",
                                   R"(<bpmn:message id="msg" name="payment">
    <bpmn:extensionElements><zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements>
  </bpmn:message>)"));
  const ProcessModel& model = only_process(defs);
  auto awaited = [&](std::string_view id) {
    std::vector<std::string_view> ids;
    for (auto index : get(model, id).awaited_events)
      ids.push_back(model.element(index).id);
    return ids;
  };
  using Ids = std::vector<std::string_view>;
  EXPECT_EQ(awaited("proc"), Ids{"tickStart"});  // the process scope: its event sub-process
  EXPECT_EQ(awaited("task"), (Ids{"late", "cancelled"}));
  EXPECT_EQ(awaited("gw"), (Ids{"paid", "timeout"}));
  EXPECT_EQ(awaited("paid"), Ids{"paid"});
  EXPECT_EQ(awaited("receive"), Ids{"receive"});
  for (std::string_view none : {"start", "plain", "sub", "subStart", "end", "f0", "late"})
    EXPECT_TRUE(awaited(none).empty()) << none;
}

TEST(BpmnElements, ThrowEventsSignalsEscalationsLinksAndTerminate) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="jump"/>
    <bpmn:intermediateThrowEvent id="jump">
      <bpmn:linkEventDefinition name="toB"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="landing">
      <bpmn:linkEventDefinition name="toB"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="landing" targetRef="shout"/>
    <bpmn:intermediateThrowEvent id="shout">
      <bpmn:signalEventDefinition signalRef="sig"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="shout" targetRef="escalate"/>
    <bpmn:intermediateThrowEvent id="escalate">
      <bpmn:escalationEventDefinition escalationRef="esc"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="escalate" targetRef="notify"/>
    <bpmn:intermediateThrowEvent id="notify">
      <bpmn:extensionElements><zeebe:taskDefinition type="notify"/></bpmn:extensionElements>
      <bpmn:messageEventDefinition/>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="notify" targetRef="stop"/>
    <bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>)",
                                   R"(<bpmn:signal id="sig" name="alarm"/>
  <bpmn:escalation id="esc" escalationCode="LATE"/>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& jump = get(model, "jump");
  EXPECT_EQ(jump.event_type, EventType::LINK);
  EXPECT_EQ(jump.link_name, "toB");
  EXPECT_EQ(jump.link_target, get(model, "landing").index);
  const FlowElement& shout = get(model, "shout");
  ASSERT_TRUE(shout.signal);
  EXPECT_EQ(shout.signal->name.text, "alarm");
  EXPECT_EQ(to_string(shout.event_type), "SIGNAL");
  const FlowElement& escalate = get(model, "escalate");
  ASSERT_TRUE(escalate.escalation);
  EXPECT_EQ(escalate.escalation->escalation_code.text, "LATE");
  const FlowElement& notify = get(model, "notify");
  EXPECT_EQ(notify.event_type, EventType::MESSAGE);
  ASSERT_TRUE(notify.job);
  EXPECT_EQ(get(model, "stop").event_type, EventType::TERMINATE);
}

TEST(BpmnElements, CompensationHandlersAreLinked) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="book"/>
    <bpmn:serviceTask id="book">
      <bpmn:extensionElements><zeebe:taskDefinition type="book"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="undoBooking" attachedToRef="book">
      <bpmn:compensateEventDefinition/>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="cancel" isForCompensation="true">
      <bpmn:extensionElements><zeebe:taskDefinition type="cancel"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:association id="a1" sourceRef="undoBooking" targetRef="cancel"/>
    <bpmn:sequenceFlow id="f1" sourceRef="book" targetRef="undo"/>
    <bpmn:endEvent id="undo">
      <bpmn:compensateEventDefinition activityRef="book"/>
    </bpmn:endEvent>)"));
  const ProcessModel& model = only_process(defs);
  const FlowElement& book = get(model, "book");
  const FlowElement& cancel = get(model, "cancel");
  EXPECT_TRUE(cancel.is_for_compensation);
  EXPECT_EQ(book.compensation_handler, cancel.index);
  EXPECT_EQ(get(model, "undoBooking").compensation_handler, cancel.index);
  const FlowElement& undo = get(model, "undo");
  EXPECT_EQ(undo.event_type, EventType::COMPENSATION);
  ASSERT_TRUE(undo.compensation);
  EXPECT_EQ(undo.compensation->activity, book.index);
  EXPECT_TRUE(undo.compensation->wait_for_completion);
}

TEST(BpmnElements, StartEventsByTriggerAndListenersAndProperties) {
  auto defs = parse_ok(process_xml(R"(
    <bpmn:startEvent id="plain">
      <bpmn:extensionElements>
        <zeebe:executionListeners>
          <zeebe:executionListener eventType="start" type="before" retries="1"/>
          <zeebe:executionListener eventType="end" type="= after"/>
        </zeebe:executionListeners>
        <zeebe:properties><zeebe:property name="color" value="red"/></zeebe:properties>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:startEvent id="byMessage"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:startEvent id="byTimer">
      <bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:startEvent id="bySignal"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>)",
                                   R"(<bpmn:message id="m" name="order-placed"/>
  <bpmn:signal id="s" name="go"/>)"));
  const ProcessModel& model = only_process(defs);
  EXPECT_EQ(model.start_events().size(), 4u);
  EXPECT_EQ(model.none_start_event(), get(model, "plain").index);
  ASSERT_EQ(model.start_events_of(EventType::MESSAGE).size(), 1u);
  EXPECT_EQ(model.start_events_of(EventType::MESSAGE)[0], get(model, "byMessage").index);
  ASSERT_EQ(model.start_events_of(EventType::TIMER).size(), 1u);
  ASSERT_EQ(model.start_events_of(EventType::SIGNAL).size(), 1u);
  const FlowElement& timer = get(model, "byTimer");
  ASSERT_TRUE(timer.timer && timer.timer->static_value);
  EXPECT_TRUE(timer.timer->static_value->cron.has_value());
  const FlowElement& plain = get(model, "plain");
  ASSERT_EQ(plain.execution_listeners.size(), 2u);
  EXPECT_EQ(plain.execution_listeners[0].event, ExecutionListenerEvent::START);
  EXPECT_EQ(plain.execution_listeners[0].retries.text, "1");
  EXPECT_EQ(plain.execution_listeners[1].event, ExecutionListenerEvent::END);
  EXPECT_TRUE(plain.execution_listeners[1].type.is_expression);
  ASSERT_EQ(plain.properties.size(), 1u);
  EXPECT_EQ(plain.properties[0].name, "color");
  EXPECT_EQ(plain.properties[0].value, "red");
  ASSERT_EQ(defs.messages.size(), 1u);
  EXPECT_EQ(defs.messages[0].name, "order-placed");
}

TEST(BpmnElements, SeveralProcessesInOneResourceAndNonExecutableOnesSkipped) {
  std::string xml = R"(<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="one" isExecutable="true"><startEvent id="s1"/></process>
  <process id="two" isExecutable="true"><startEvent id="s2"/></process>
  <process id="doc" isExecutable="false"><startEvent id="s3"/></process>
</definitions>)";
  auto defs = testing::parse_ok(xml);  // default namespace, no prefixes
  ASSERT_EQ(defs.processes.size(), 2u);
  EXPECT_NE(defs.find_process("one"), nullptr);
  EXPECT_NE(defs.find_process("two"), nullptr);
  EXPECT_EQ(defs.find_process("doc"), nullptr);
}

TEST(BpmnElements, UnqualifiedAttributesWinOverQualifiedOnes) {
  auto defs = parse_ok(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements>
        <zeebe:taskDefinition xsi:type="tTaskDefinition" type="real-type"/>
      </bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  const FlowElement* task = only_process(defs).find("task");
  ASSERT_NE(task, nullptr);
  ASSERT_TRUE(task->job);
  EXPECT_EQ(task->job->type.text, "real-type");
}

TEST(BpmnElements, KindAndEventTypeNamesRoundTrip) {
  for (std::size_t i = 0; i < kElementKindCount; ++i) {
    auto kind = static_cast<ElementKind>(i);
    EXPECT_EQ(element_kind_from_string(to_string(kind)), kind);
  }
  for (std::size_t i = 0; i < kEventTypeCount; ++i) {
    auto type = static_cast<EventType>(i);
    EXPECT_EQ(event_type_from_string(to_string(type)), type);
  }
  EXPECT_EQ(to_string(ElementKind::BUSINESS_RULE_TASK), "BUSINESS_RULE_TASK");
  EXPECT_EQ(to_string(ElementKind::SEQUENCE_FLOW), "SEQUENCE_FLOW");
  EXPECT_EQ(to_string(EventType::COMPENSATION), "COMPENSATION");
  EXPECT_FALSE(element_kind_from_string("NOT_A_KIND").has_value());
}

}  // namespace
}  // namespace tern::engine::bpmn
