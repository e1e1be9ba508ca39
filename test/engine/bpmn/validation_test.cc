// Each deployment rule rejects the model with a message naming the element and the problem.

#include <gtest/gtest.h>

#include "bpmn_test_util.h"

namespace tern::engine::bpmn {
namespace {

using testing::has_problem;
using testing::parse_error;
using testing::process_xml;

constexpr std::string_view kMessage = R"(<bpmn:message id="msg" name="paid">
    <bpmn:extensionElements><zeebe:subscription correlationKey="= id"/></bpmn:extensionElements>
  </bpmn:message>)";

TEST(BpmnValidation, MalformedXmlSaysWhere) {
  auto error = parse_error("<bpmn:definitions xmlns:bpmn=\"x\">\n<unclosed>");
  EXPECT_EQ(error.code, BpmnErrorCode::kMalformedXml);
  EXPECT_NE(error.message.find("not well-formed XML"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("line 2"), std::string::npos) << error.message;
}

TEST(BpmnValidation, NonBpmnRootIsRejected) {
  auto error = parse_error("<html><body/></html>");
  EXPECT_EQ(error.code, BpmnErrorCode::kNotBpmn);
  EXPECT_NE(error.message.find("<html>"), std::string::npos) << error.message;
}

TEST(BpmnValidation, NoExecutableProcess) {
  auto error = parse_error(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p" isExecutable="false"><startEvent id="s"/></process></definitions>)");
  EXPECT_EQ(error.code, BpmnErrorCode::kInvalidModel);
  EXPECT_NE(error.message.find("no executable process"), std::string::npos) << error.message;
}

TEST(BpmnValidation, ServiceTaskWithoutTaskDefinition) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="charge"/>
    <bpmn:serviceTask id="refund">
      <bpmn:extensionElements><zeebe:taskDefinition retries="3"/></bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  EXPECT_EQ(error.code, BpmnErrorCode::kInvalidModel);
  EXPECT_TRUE(has_problem(error, "charge", "must have a zeebe:taskDefinition with a type"));
  EXPECT_TRUE(has_problem(error, "refund", "must have a type"));
  // Both problems are in the one message, each with its element id.
  EXPECT_NE(error.message.find("Element 'charge'"), std::string::npos);
  EXPECT_NE(error.message.find("Element 'refund'"), std::string::npos);
  EXPECT_NE(error.message.find("test.bpmn"), std::string::npos);
}

TEST(BpmnValidation, DanglingSequenceFlows) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="toNowhere" sourceRef="start" targetRef="ghost"/>
    <bpmn:sequenceFlow id="fromNowhere" sourceRef="phantom" targetRef="start"/>
    <bpmn:sequenceFlow id="noTarget" sourceRef="start"/>)"));
  EXPECT_TRUE(has_problem(error, "toNowhere", "targetRef 'ghost' does not reference"));
  EXPECT_TRUE(has_problem(error, "fromNowhere", "sourceRef 'phantom' does not reference"));
  EXPECT_TRUE(has_problem(error, "noTarget", "has no targetRef"));
}

TEST(BpmnValidation, FlowsMustStayInTheirScope) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="intoSub" sourceRef="start" targetRef="inner"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="inner"/>
    </bpmn:subProcess>)"));
  EXPECT_TRUE(has_problem(error, "intoSub", "in a different scope"));
}

TEST(BpmnValidation, DuplicateIdsAndMissingIds) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:manualTask id="twice"/>
    <bpmn:manualTask id="twice"/>
    <bpmn:manualTask/>)"));
  EXPECT_TRUE(has_problem(error, "twice", "used by more than one element"));
  EXPECT_TRUE(has_problem(error, "proc", "has no id attribute"));
}

TEST(BpmnValidation, ProcessIdsAreUniqueInAResource) {
  auto error = parse_error(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p" isExecutable="true"><startEvent id="s1"/></process>
  <process id="p" isExecutable="true"><startEvent id="s2"/></process></definitions>)");
  EXPECT_TRUE(has_problem(error, "p", "same id"));
}

TEST(BpmnValidation, OnlyActivitiesCanBeMultiInstance) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:subProcess id="events" triggeredByEvent="true">
      <bpmn:multiInstanceLoopCharacteristics/>
      <bpmn:startEvent id="s"><bpmn:timerEventDefinition>
        <bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>
    </bpmn:subProcess>)"));
  EXPECT_TRUE(has_problem(error, "events", "cannot be multi-instance"));
}

TEST(BpmnValidation, StartEventRules) {
  auto none = parse_error(process_xml(R"(<bpmn:manualTask id="lonely"/>)"));
  EXPECT_TRUE(has_problem(none, "proc", "at least one start event"));

  auto two = parse_error(process_xml(R"(<bpmn:startEvent id="a"/><bpmn:startEvent id="b"/>)"));
  EXPECT_TRUE(has_problem(two, "b", "more than one none start event"));

  auto error_start = parse_error(
      process_xml(R"(<bpmn:startEvent id="s"><bpmn:errorEventDefinition/></bpmn:startEvent>)"));
  EXPECT_TRUE(has_problem(error_start, "s", "only allowed in an event sub-process"));

  auto incoming = parse_error(process_xml(R"(<bpmn:startEvent id="s"/>
    <bpmn:manualTask id="t"/>
    <bpmn:sequenceFlow id="back" sourceRef="t" targetRef="s"/>)"));
  EXPECT_TRUE(has_problem(incoming, "s", "must not have incoming sequence flows"));

  auto duplicate_messages = parse_error(process_xml(
      R"(<bpmn:startEvent id="m1"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>
    <bpmn:startEvent id="m2"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>)",
      kMessage));
  EXPECT_TRUE(has_problem(duplicate_messages, "m2", "message name 'paid'"));

  auto duration_start = parse_error(process_xml(R"(<bpmn:startEvent id="s">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:startEvent>)"));
  EXPECT_TRUE(has_problem(duration_start, "s", "timeDate or a timeCycle"));
}

TEST(BpmnValidation, SubProcessRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:subProcess id="empty"/>
    <bpmn:subProcess id="timed">
      <bpmn:startEvent id="timedStart">
        <bpmn:timerEventDefinition><bpmn:timeDate>2030-01-01T00:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition>
      </bpmn:startEvent>
    </bpmn:subProcess>
    <bpmn:subProcess id="events" triggeredByEvent="true">
      <bpmn:startEvent id="noneStart"/>
    </bpmn:subProcess>
    <bpmn:subProcess id="softError" triggeredByEvent="true">
      <bpmn:startEvent id="softErrorStart" isInterrupting="false"><bpmn:errorEventDefinition/></bpmn:startEvent>
    </bpmn:subProcess>)"));
  EXPECT_TRUE(has_problem(error, "empty", "exactly one start event (found 0)"));
  EXPECT_TRUE(has_problem(error, "timedStart", "must be a none start event"));
  EXPECT_TRUE(has_problem(error, "noneStart", "message, timer, error, signal or escalation"));
  EXPECT_TRUE(has_problem(error, "softErrorStart", "must be interrupting"));
}

TEST(BpmnValidation, ExclusiveGatewayNeedsConditionsUnlessDefault) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="in" sourceRef="start" targetRef="xor"/>
    <bpmn:exclusiveGateway id="xor" default="fallback"/>
    <bpmn:sequenceFlow id="bare" sourceRef="xor" targetRef="a"/>
    <bpmn:sequenceFlow id="fallback" sourceRef="xor" targetRef="b"/>
    <bpmn:sequenceFlow id="staticCondition" sourceRef="xor" targetRef="b">
      <bpmn:conditionExpression>amount &gt; 3</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>)"));
  EXPECT_TRUE(has_problem(error, "bare", "must have a condition expression"));
  EXPECT_TRUE(has_problem(error, "bare", "'xor'"));
  EXPECT_TRUE(has_problem(error, "staticCondition", "must be a FEEL expression"));
  for (const Problem& problem : error.problems)
    EXPECT_NE(problem.element_id, "fallback");
}

TEST(BpmnValidation, DefaultFlowMustLeaveTheGateway) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="in" sourceRef="start" targetRef="xor"/>
    <bpmn:exclusiveGateway id="xor" default="in"/>
    <bpmn:exclusiveGateway id="xor2" default="missing"/>)"));
  EXPECT_TRUE(has_problem(error, "xor", "must be an outgoing sequence flow"));
  EXPECT_TRUE(has_problem(error, "xor2", "'missing' does not reference"));
}

TEST(BpmnValidation, EventBasedGatewayRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="in" sourceRef="start" targetRef="gw"/>
    <bpmn:eventBasedGateway id="gw"/>
    <bpmn:sequenceFlow id="toTask" sourceRef="gw" targetRef="task"/>
    <bpmn:manualTask id="task"/>)"));
  EXPECT_TRUE(has_problem(error, "gw", "at least two outgoing sequence flows"));
  EXPECT_TRUE(has_problem(error, "gw", "not to 'task'"));
}

TEST(BpmnValidation, BoundaryEventRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:manualTask id="work"/>
    <bpmn:boundaryEvent id="floating">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="onStart" attachedToRef="start">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="noDefinition" attachedToRef="work"/>
    <bpmn:boundaryEvent id="deadEnd" attachedToRef="work">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="softError" attachedToRef="work" cancelActivity="false">
      <bpmn:errorEventDefinition/>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="cycling" attachedToRef="work">
      <bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1S</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="softError" targetRef="end"/>
    <bpmn:sequenceFlow id="f2" sourceRef="noDefinition" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="cycling" targetRef="end"/>
    <bpmn:endEvent id="end"/>)"));
  EXPECT_TRUE(has_problem(error, "floating", "has no attachedToRef"));
  EXPECT_TRUE(has_problem(error, "onStart", "must reference an activity"));
  EXPECT_TRUE(has_problem(error, "noDefinition", "must have an event definition"));
  EXPECT_TRUE(has_problem(error, "deadEnd", "at least one outgoing sequence flow"));
  EXPECT_TRUE(has_problem(error, "softError", "error boundary event must be interrupting"));
  EXPECT_TRUE(has_problem(error, "cycling", "must not have a timeCycle"));
}

TEST(BpmnValidation, BoundaryEventsOfOneActivityNeedDistinctTriggers) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:manualTask id="work"/>
    <bpmn:boundaryEvent id="e1" attachedToRef="work"><bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="e2" attachedToRef="work"><bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="any1" attachedToRef="work"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="any2" attachedToRef="work"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="e1" targetRef="end"/>
    <bpmn:sequenceFlow id="f2" sourceRef="e2" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="any1" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="any2" targetRef="end"/>
    <bpmn:endEvent id="end"/>)",
                                       R"(<bpmn:error id="err" errorCode="E1"/>)"));
  EXPECT_TRUE(has_problem(error, "e2", "already catches 'E1'"));
  EXPECT_TRUE(has_problem(error, "any2", "already catches catch-all"));
  EXPECT_EQ(error.problems.size(), 2u) << error.message;
}

TEST(BpmnValidation, MessageRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="noRef"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="badRef">
      <bpmn:messageEventDefinition messageRef="nope"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="noKey">
      <bpmn:messageEventDefinition messageRef="keyless"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:receiveTask id="receive" messageRef="keyless"/>
    <bpmn:endEvent id="sendWithoutJob"><bpmn:messageEventDefinition/></bpmn:endEvent>)",
                                       R"(<bpmn:message id="keyless" name="ping"/>)"));
  EXPECT_TRUE(has_problem(error, "noRef", "must reference a message with a name"));
  EXPECT_TRUE(has_problem(error, "badRef", "the message 'nope', which is not defined"));
  EXPECT_TRUE(has_problem(error, "noKey", "correlationKey"));
  EXPECT_TRUE(has_problem(error, "receive", "correlationKey"));
  EXPECT_TRUE(has_problem(error, "sendWithoutJob", "zeebe:taskDefinition"));
}

TEST(BpmnValidation, TimerRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="empty"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="both"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>PT1S</bpmn:timeDuration><bpmn:timeDate>2030-01-01T00:00:00Z</bpmn:timeDate>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="garbage"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>10 minutes</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="badDate"><bpmn:timerEventDefinition>
      <bpmn:timeDate>2030-13-01T00:00:00Z</bpmn:timeDate>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="cycleCatch"><bpmn:timerEventDefinition>
      <bpmn:timeCycle>R2/PT1S</bpmn:timeCycle>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="dynamic"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>= wait</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>)"));
  EXPECT_TRUE(has_problem(error, "empty", "exactly one of timeDate, timeDuration or timeCycle"));
  EXPECT_TRUE(has_problem(error, "both", "(found 2)"));
  EXPECT_TRUE(has_problem(error, "garbage", "'10 minutes' is not an ISO 8601 duration"));
  EXPECT_TRUE(has_problem(error, "badDate", "out of range"));
  EXPECT_TRUE(has_problem(error, "cycleCatch", "timeDuration or a timeDate"));
  for (const Problem& problem : error.problems)
    EXPECT_NE(problem.element_id, "dynamic");
}

TEST(BpmnValidation, ErrorEscalationSignalAndLinkRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:endEvent id="errorEnd"><bpmn:errorEventDefinition/></bpmn:endEvent>
    <bpmn:endEvent id="codeless"><bpmn:errorEventDefinition errorRef="noCode"/></bpmn:endEvent>
    <bpmn:intermediateThrowEvent id="escalate"><bpmn:escalationEventDefinition/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="nowhere"/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="l1"><bpmn:linkEventDefinition name="same"/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="l2"><bpmn:linkEventDefinition name="same"/></bpmn:intermediateCatchEvent>
    <bpmn:manualTask id="work"/>
    <bpmn:boundaryEvent id="dynamicCatch" attachedToRef="work">
      <bpmn:errorEventDefinition errorRef="dynamicCode"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f" sourceRef="dynamicCatch" targetRef="errorEnd"/>)",
                                       R"(<bpmn:error id="noCode" name="x"/>
  <bpmn:error id="dynamicCode" errorCode="= code"/>)"));
  EXPECT_TRUE(has_problem(error, "errorEnd", "must reference an error with an errorCode"));
  EXPECT_TRUE(has_problem(error, "codeless", "must reference an error with an errorCode"));
  EXPECT_TRUE(has_problem(error, "escalate", "escalationCode"));
  EXPECT_TRUE(has_problem(error, "shout", "must reference a signal with a name"));
  EXPECT_TRUE(has_problem(error, "jump", "no link catch event named 'nowhere'"));
  EXPECT_TRUE(has_problem(error, "l2", "named 'same'"));
  EXPECT_TRUE(has_problem(error, "dynamicCatch", "must be static"));
}

TEST(BpmnValidation, TaskSpecificRules) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="rule">
      <bpmn:extensionElements><zeebe:calledDecision decisionId="d"/></bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:scriptTask id="script">
      <bpmn:extensionElements><zeebe:script expression="a + b" resultVariable="r"/></bpmn:extensionElements>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="bareScript"/>
    <bpmn:callActivity id="call"/>
    <bpmn:sendTask id="send"/>
    <bpmn:serviceTask id="each">
      <bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics/>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="mapped">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="t"/>
        <zeebe:ioMapping><zeebe:input source="= a"/></zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  EXPECT_TRUE(has_problem(error, "rule", "resultVariable"));
  EXPECT_TRUE(has_problem(error, "script", "must be a FEEL expression"));
  EXPECT_TRUE(has_problem(error, "bareScript", "zeebe:script or a zeebe:taskDefinition"));
  EXPECT_TRUE(has_problem(error, "call", "zeebe:calledElement with a processId"));
  EXPECT_TRUE(has_problem(error, "send", "zeebe:taskDefinition"));
  EXPECT_TRUE(has_problem(error, "each", "inputCollection"));
  EXPECT_TRUE(has_problem(error, "mapped", "has no target"));
}

TEST(BpmnValidation, EmptyExpressionIsRejected) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type="=  "/></bpmn:extensionElements>
    </bpmn:serviceTask>)"));
  EXPECT_TRUE(has_problem(error, "task", "the expression of 'type' is empty"));
}

TEST(BpmnValidation, UnsupportedElementsAreNamed) {
  auto error = parse_error(process_xml(R"(<bpmn:startEvent id="start"/>
    <bpmn:complexGateway id="complex"/>
    <bpmn:transaction id="tx"/>
    <bpmn:intermediateCatchEvent id="when">
      <bpmn:conditionalEventDefinition><bpmn:condition>= x</bpmn:condition></bpmn:conditionalEventDefinition>
    </bpmn:intermediateCatchEvent>)"));
  EXPECT_EQ(error.code, BpmnErrorCode::kUnsupportedElement) << error.message;
  EXPECT_TRUE(has_problem(error, "complex", "'complexGateway' is not supported"));
  EXPECT_TRUE(has_problem(error, "tx", "'transaction' is not supported"));
  EXPECT_TRUE(has_problem(error, "when", "conditional events are not supported"));
}

TEST(BpmnValidation, ForeignExtensionsAndArtifactsAreIgnored) {
  testing::parse_ok(R"(<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:other="urn:other" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="p" isExecutable="true" other:flag="1">
    <bpmn:documentation>About</bpmn:documentation>
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane"/></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:extensionElements><other:thing/></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:textAnnotation id="note"><bpmn:text>hi</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="a" sourceRef="s" targetRef="note"/>
    <bpmn:dataObject id="data"/>
    <other:custom/>
  </bpmn:process>
</bpmn:definitions>)");
}

}  // namespace
}  // namespace tern::engine::bpmn
