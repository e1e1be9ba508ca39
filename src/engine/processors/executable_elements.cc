#include "engine/processors/executable_elements.h"

namespace tern::engine {

namespace {

bpmn::ExecutableElementSet make_set() {
  using bpmn::ElementKind;
  using bpmn::EventType;
  bpmn::ExecutableElementSet set;
  // Tasks: job workers (service, send, business rule with a job, user tasks as jobs), FEEL
  // scripts, and pass-through tasks.
  for (auto kind : {ElementKind::SERVICE_TASK, ElementKind::USER_TASK, ElementKind::SEND_TASK,
                    ElementKind::BUSINESS_RULE_TASK, ElementKind::SCRIPT_TASK,
                    ElementKind::MANUAL_TASK, ElementKind::TASK}) {
    set.allow(kind, EventType::UNSPECIFIED);
  }
  set.allow(ElementKind::EXCLUSIVE_GATEWAY, EventType::UNSPECIFIED)
      .allow(ElementKind::PARALLEL_GATEWAY, EventType::UNSPECIFIED)
      .allow(ElementKind::INCLUSIVE_GATEWAY, EventType::UNSPECIFIED)  // inclusive_gateway.h
      .allow(ElementKind::SUB_PROCESS, EventType::UNSPECIFIED)
      .allow(ElementKind::MULTI_INSTANCE_BODY, EventType::UNSPECIFIED)
      .allow(ElementKind::EVENT_BASED_GATEWAY, EventType::UNSPECIFIED)
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::LINK)
      .allow(ElementKind::INTERMEDIATE_CATCH_EVENT, EventType::LINK)
      .allow(ElementKind::START_EVENT, EventType::SIGNAL)
      .allow(ElementKind::INTERMEDIATE_CATCH_EVENT, EventType::SIGNAL)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::SIGNAL)
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::SIGNAL)
      .allow(ElementKind::END_EVENT, EventType::SIGNAL);
  set.allow(ElementKind::START_EVENT, EventType::NONE)
      .allow(ElementKind::START_EVENT, EventType::TIMER)
      .allow(ElementKind::END_EVENT, EventType::NONE)
      .allow(ElementKind::END_EVENT, EventType::TERMINATE)
      .allow(ElementKind::END_EVENT, EventType::MESSAGE)  // job-based, as Zeebe
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::NONE)
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::MESSAGE)  // job-based
      .allow(ElementKind::INTERMEDIATE_CATCH_EVENT, EventType::TIMER)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::TIMER)
      .allow(ElementKind::START_EVENT, EventType::MESSAGE)
      .allow(ElementKind::INTERMEDIATE_CATCH_EVENT, EventType::MESSAGE)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::MESSAGE)
      .allow(ElementKind::RECEIVE_TASK, EventType::UNSPECIFIED);
  // Errors and escalations (catch_behavior.h): thrown by end and intermediate throw events (and
  // by jobs), caught by boundary events and event sub-process starts.
  set.allow(ElementKind::EVENT_SUB_PROCESS, EventType::UNSPECIFIED)
      .allow(ElementKind::END_EVENT, EventType::ERROR)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::ERROR)
      .allow(ElementKind::START_EVENT, EventType::ERROR)
      .allow(ElementKind::END_EVENT, EventType::ESCALATION)
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::ESCALATION)
      .allow(ElementKind::BOUNDARY_EVENT, EventType::ESCALATION)
      .allow(ElementKind::START_EVENT, EventType::ESCALATION);
  set.allow(ElementKind::CALL_ACTIVITY, EventType::UNSPECIFIED);  // call_activity_behavior.h
  // Compensation (compensation_behavior.h): boundary events with their handlers, thrown by
  // intermediate throw and end events.
  set.allow(ElementKind::BOUNDARY_EVENT, EventType::COMPENSATION)
      .allow(ElementKind::INTERMEDIATE_THROW_EVENT, EventType::COMPENSATION)
      .allow(ElementKind::END_EVENT, EventType::COMPENSATION);
  return set;
}

}  // namespace

const bpmn::ExecutableElementSet& executable_elements() {
  static const bpmn::ExecutableElementSet kSet = make_set();
  return kSet;
}

}  // namespace tern::engine
