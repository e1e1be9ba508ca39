// The engine's "can run" check: elements outside the runtime's set are rejected by name.

#include "engine/bpmn/executable.h"

#include <gtest/gtest.h>

#include "bpmn_test_util.h"

namespace tern::engine::bpmn {
namespace {

constexpr std::string_view kBody = R"(<bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="timeout" attachedToRef="task">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="timeout" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="task" targetRef="end"/>
    <bpmn:endEvent id="end"/>)";

TEST(BpmnExecutable, AcceptsWhenEverythingIsInTheSet) {
  Definitions definitions = testing::parse_ok(testing::process_xml(kBody));
  ExecutableElementSet set;
  set.allow(ElementKind::START_EVENT, EventType::NONE)
      .allow(ElementKind::SERVICE_TASK)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::TIMER)
      .allow(ElementKind::END_EVENT, EventType::NONE);
  EXPECT_TRUE(validate_executable(definitions, set).ok());
  EXPECT_TRUE(validate_executable(definitions, ExecutableElementSet::everything()).ok());
}

TEST(BpmnExecutable, RejectsElementsOutsideTheSetByName) {
  Definitions definitions = testing::parse_ok(testing::process_xml(kBody));
  ExecutableElementSet set;
  set.allow(ElementKind::START_EVENT, EventType::NONE)
      .allow(ElementKind::SERVICE_TASK)
      .allow(ElementKind::END_EVENT, EventType::NONE)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::MESSAGE);
  auto result = validate_executable(definitions, set, "order.bpmn");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, BpmnErrorCode::kUnsupportedElement);
  ASSERT_EQ(result.error().problems.size(), 1u);
  EXPECT_EQ(result.error().problems[0].element_id, "timeout");
  EXPECT_NE(result.error().message.find("BOUNDARY_EVENT with event type TIMER"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("order.bpmn"), std::string::npos);
}

TEST(BpmnExecutable, ContainsIsPerKindAndEventType) {
  ExecutableElementSet set;
  set.allow(ElementKind::END_EVENT, EventType::ERROR);
  EXPECT_TRUE(set.contains(ElementKind::END_EVENT, EventType::ERROR));
  EXPECT_FALSE(set.contains(ElementKind::END_EVENT, EventType::NONE));
  EXPECT_FALSE(set.contains(ElementKind::START_EVENT, EventType::ERROR));
}

}  // namespace
}  // namespace tern::engine::bpmn
