// ModelBuilder, third pass: the rules a model must meet to be deployed, as Zeebe checks them.
// Each rule adds a problem naming the element; none stops the others from being checked.

#include <set>
#include <string>

#include "engine/bpmn/model_builder.h"

namespace tern::engine::bpmn {
namespace {

// How messages name a kind: "an embedded sub-process", "an exclusive gateway".
std::string kind_name(const FlowElement& element) {
  switch (element.kind) {
    case ElementKind::SUB_PROCESS:
      return "an embedded sub-process";
    case ElementKind::EVENT_SUB_PROCESS:
      return "an event sub-process";
    case ElementKind::EXCLUSIVE_GATEWAY:
      return "an exclusive gateway";
    case ElementKind::INCLUSIVE_GATEWAY:
      return "an inclusive gateway";
    default:
      return "a " + std::string(to_string(element.kind));
  }
}

bool is_catch(const FlowElement& element) {
  return element.kind == ElementKind::START_EVENT || element.kind == ElementKind::BOUNDARY_EVENT
         || element.kind == ElementKind::INTERMEDIATE_CATCH_EVENT
         || element.kind == ElementKind::RECEIVE_TASK;
}

bool one_of(EventType type, std::initializer_list<EventType> allowed) {
  for (EventType candidate : allowed) {
    if (candidate == type) return true;
  }
  return false;
}

}  // namespace

void ModelBuilder::validate() {
  for (const FlowElement& element : model_->elements_) {
    if (element.kind == ElementKind::PROCESS || element.kind == ElementKind::SUB_PROCESS
        || element.kind == ElementKind::EVENT_SUB_PROCESS) {
      validate_scope(element);
    }
    validate_element(element);
  }
}

void ModelBuilder::validate_scope(const FlowElement& scope) {
  const auto& starts = scope.start_events;
  if (scope.kind == ElementKind::PROCESS) {
    if (starts.empty()) {
      problem(scope.index, "the process must have at least one start event");
    }
    std::set<std::string_view> message_names;
    for (ElementIndex start : starts) {
      const FlowElement& event = at(start);
      if (event.event_type == EventType::NONE) {
        if (model_->process().none_start_event != kNoElement) {
          problem(start, "the process has more than one none start event");
        } else {
          at(0).none_start_event = start;
        }
      } else if (!one_of(event.event_type, {EventType::MESSAGE, EventType::TIMER, EventType::SIGNAL,
                                            EventType::CONDITIONAL})) {
        problem(start, "a start event of type " + std::string(to_string(event.event_type))
                           + " is only allowed in an event sub-process");
      }
      if (event.event_type == EventType::MESSAGE && event.message
          && !event.message->name.text.empty()
          && !message_names.insert(event.message->name.text).second) {
        problem(start, "another message start event uses the message name '"
                           + std::string(event.message->name.text) + "'");
      }
    }
    return;
  }
  if (starts.size() != 1) {
    problem(scope.index, kind_name(scope) + " must have exactly one start event (found "
                             + std::to_string(starts.size()) + ")");
    return;
  }
  const FlowElement& start = at(starts.front());
  if (scope.kind == ElementKind::SUB_PROCESS) {
    if (start.event_type != EventType::NONE) {
      problem(start.index, "the start event of an embedded sub-process must be a none start event");
    } else {
      at(scope.index).none_start_event = start.index;
    }
    return;
  }
  // EVENT_SUB_PROCESS
  if (!one_of(start.event_type, {EventType::MESSAGE, EventType::TIMER, EventType::ERROR,
                                 EventType::SIGNAL, EventType::ESCALATION})) {
    problem(start.index,
            "the start event of an event sub-process must be a message, timer, "
            "error, signal or escalation event");
  }
  if (start.event_type == EventType::ERROR && !start.interrupting) {
    problem(start.index, "an error start event must be interrupting");
  }
  if (!scope.incoming.empty() || !scope.outgoing.empty()) {
    problem(scope.index, "an event sub-process must not have incoming or outgoing sequence flows");
  }
}

void ModelBuilder::validate_element(const FlowElement& element) {
  switch (element.kind) {
    case ElementKind::START_EVENT:
      if (!element.incoming.empty()) {
        problem(element.index, "a start event must not have incoming sequence flows");
      }
      validate_start_event(element);
      break;
    case ElementKind::END_EVENT:
      if (!element.outgoing.empty()) {
        problem(element.index, "an end event must not have outgoing sequence flows");
      }
      if (!one_of(element.event_type,
                  {EventType::NONE, EventType::ERROR, EventType::TERMINATE, EventType::MESSAGE,
                   EventType::ESCALATION, EventType::SIGNAL, EventType::COMPENSATION})) {
        problem(element.index, "an end event of type " + std::string(to_string(element.event_type))
                                   + " is not allowed");
      }
      break;
    case ElementKind::INTERMEDIATE_CATCH_EVENT:
      if (element.event_type == EventType::NONE) {
        problem(element.index, "an intermediate catch event must have an event definition");
      } else if (!one_of(element.event_type,
                         {EventType::MESSAGE, EventType::TIMER, EventType::SIGNAL, EventType::LINK,
                          EventType::CONDITIONAL})) {
        problem(element.index, "an intermediate catch event of type "
                                   + std::string(to_string(element.event_type))
                                   + " is not allowed");
      }
      break;
    case ElementKind::INTERMEDIATE_THROW_EVENT:
      if (!one_of(element.event_type,
                  {EventType::NONE, EventType::MESSAGE, EventType::LINK, EventType::ESCALATION,
                   EventType::SIGNAL, EventType::COMPENSATION})) {
        problem(element.index, "an intermediate throw event of type "
                                   + std::string(to_string(element.event_type))
                                   + " is not allowed");
      }
      break;
    case ElementKind::BOUNDARY_EVENT:
      if (!element.incoming.empty()) {
        problem(element.index, "a boundary event must not have incoming sequence flows");
      }
      if (element.event_type == EventType::NONE) {
        problem(element.index, "a boundary event must have an event definition");
      } else if (element.event_type == EventType::COMPENSATION) {
        if (element.compensation_handler == kNoElement) {
          problem(element.index,
                  "a compensation boundary event must be associated with a "
                  "compensation handler");
        }
      } else if (element.outgoing.empty()) {
        problem(element.index, "a boundary event must have at least one outgoing sequence flow");
      }
      if (element.event_type == EventType::ERROR && !element.cancel_activity) {
        problem(element.index, "an error boundary event must be interrupting");
      }
      break;
    case ElementKind::EXCLUSIVE_GATEWAY:
    case ElementKind::INCLUSIVE_GATEWAY:
    case ElementKind::EVENT_BASED_GATEWAY:
      validate_gateway(element);
      break;
    case ElementKind::EVENT_SUB_PROCESS:
      if (!element.boundary_events.empty()) {
        problem(element.index, "an event sub-process must not have boundary events");
      }
      break;
    default:
      break;
  }
  if (element.is_activity()) {
    validate_task(element);
    validate_boundary_triggers(element);
  }
  if (element.event_type != EventType::UNSPECIFIED || element.kind == ElementKind::RECEIVE_TASK) {
    validate_event_definition(element);
  }
}

// Two boundary events of one activity must not wait for the same trigger: which one fires would
// be ambiguous (Zeebe rejects the same).
void ModelBuilder::validate_boundary_triggers(const FlowElement& activity) {
  std::set<std::pair<EventType, std::string_view>> seen;
  for (ElementIndex index : activity.boundary_events) {
    const FlowElement& boundary = at(index);
    std::string_view key;
    if (boundary.event_type == EventType::ERROR && boundary.error) {
      key = boundary.error->error_code.text;
    } else if (boundary.event_type == EventType::ESCALATION && boundary.escalation) {
      key = boundary.escalation->escalation_code.text;
    } else if (boundary.event_type == EventType::MESSAGE && boundary.message) {
      key = boundary.message->name.text;
    } else if (boundary.event_type == EventType::SIGNAL && boundary.signal) {
      key = boundary.signal->name.text;
    } else {
      continue;
    }
    if (!seen.emplace(boundary.event_type, key).second) {
      std::string what = key.empty() ? std::string("catch-all") : "'" + std::string(key) + "'";
      problem(index, "another " + std::string(to_string(boundary.event_type))
                         + " boundary event of '" + std::string(activity.id) + "' already catches "
                         + what);
    }
  }
}

void ModelBuilder::validate_start_event(const FlowElement& element) {
  if (element.event_type != EventType::TIMER || !element.timer) return;
  bool top_level = at(element.flow_scope).kind == ElementKind::PROCESS;
  if (top_level && element.timer->kind == TimerKind::DURATION) {
    problem(element.index, "a timer start event must have a timeDate or a timeCycle");
  }
}

void ModelBuilder::validate_event_definition(const FlowElement& element) {
  switch (element.kind == ElementKind::RECEIVE_TASK ? EventType::MESSAGE : element.event_type) {
    case EventType::MESSAGE: {
      if (!is_catch(element)) {
        // Message throw and end events are job-based in Zeebe 8.5.
        if (!element.job || element.job->type.empty()) {
          problem(element.index,
                  "a message throw event must have a zeebe:taskDefinition with a "
                  "type");
        }
        break;
      }
      if (!element.message || element.message->name.empty()) {
        problem(element.index, "must reference a message with a name");
        break;
      }
      bool top_level_start = element.kind == ElementKind::START_EVENT
                             && at(element.flow_scope).kind == ElementKind::PROCESS;
      if (top_level_start && element.message->name.is_expression) {
        problem(element.index, "the message name of a start event must be static");
      }
      if (!top_level_start && element.message->correlation_key.empty()) {
        problem(element.index, "the message '" + std::string(element.message->name.text)
                                   + "' must have a zeebe:subscription correlationKey");
      }
      break;
    }
    case EventType::TIMER:
      if (!element.timer) break;  // reported while reading
      if (element.kind == ElementKind::INTERMEDIATE_CATCH_EVENT
          && element.timer->kind == TimerKind::CYCLE) {
        problem(element.index,
                "an intermediate timer catch event must have a timeDuration or a "
                "timeDate");
      }
      if (element.kind == ElementKind::BOUNDARY_EVENT && element.cancel_activity
          && element.timer->kind == TimerKind::CYCLE) {
        problem(element.index, "an interrupting timer boundary event must not have a timeCycle");
      }
      break;
    case EventType::ERROR:
      if (!element.error) break;
      if (element.kind == ElementKind::END_EVENT) {
        if (element.error->error_id.empty() || element.error->error_code.empty()) {
          problem(element.index, "an error end event must reference an error with an errorCode");
        }
      } else if (element.error->error_code.is_expression) {
        problem(element.index, "the errorCode of a catching error event must be static");
      }
      break;
    case EventType::ESCALATION:
      if (!element.escalation) break;
      if (!is_catch(element)) {
        if (element.escalation->escalation_id.empty()
            || element.escalation->escalation_code.empty()) {
          problem(element.index,
                  "an escalation throw event must reference an escalation with an "
                  "escalationCode");
        }
      } else if (element.escalation->escalation_code.is_expression) {
        problem(element.index, "the escalationCode of a catching escalation event must be static");
      }
      break;
    case EventType::SIGNAL:
      if (!element.signal || element.signal->name.empty()) {
        problem(element.index, "must reference a signal with a name");
      } else if (is_catch(element) && element.kind == ElementKind::START_EVENT
                 && element.signal->name.is_expression) {
        problem(element.index, "the signal name of a start event must be static");
      }
      break;
    default:
      break;
  }
}

void ModelBuilder::validate_gateway(const FlowElement& element) {
  if (element.kind == ElementKind::EVENT_BASED_GATEWAY) {
    if (element.outgoing.size() < 2) {
      problem(element.index,
              "an event-based gateway must have at least two outgoing sequence "
              "flows");
    }
    for (ElementIndex flow : element.outgoing) {
      const FlowElement& target = at(at(flow).target);
      if (at(flow).condition) {
        problem(flow, "a sequence flow leaving an event-based gateway must not have a condition");
      }
      bool ok =
          target.kind == ElementKind::INTERMEDIATE_CATCH_EVENT
          && one_of(target.event_type, {EventType::MESSAGE, EventType::TIMER, EventType::SIGNAL});
      if (!ok) {
        problem(element.index,
                "an event-based gateway may only lead to message, timer or signal "
                "intermediate catch events, not to '"
                    + std::string(target.id) + "'");
      }
    }
    return;
  }
  if (element.outgoing.size() < 2) return;
  for (ElementIndex flow : element.outgoing) {
    if (flow != element.default_flow && !at(flow).condition) {
      problem(flow, "the sequence flow leaving "
                        + kind_name(element).substr(kind_name(element).find(' ') + 1) + " '"
                        + std::string(element.id)
                        + "' must have a condition expression unless it is the default flow");
    }
  }
}

void ModelBuilder::validate_task(const FlowElement& element) {
  auto require_job = [&](std::string_view what) {
    if (!element.job) {
      problem(element.index, std::string(what) + " must have a zeebe:taskDefinition with a type");
    } else if (element.job->type.empty()) {
      problem(element.index, "the zeebe:taskDefinition must have a type");
    }
  };
  if (element.job && element.job->type.empty() && element.kind != ElementKind::SERVICE_TASK
      && element.kind != ElementKind::SEND_TASK) {
    problem(element.index, "the zeebe:taskDefinition must have a type");
  }
  switch (element.kind) {
    case ElementKind::SERVICE_TASK:
      require_job("a service task");
      break;
    case ElementKind::SEND_TASK:
      require_job("a send task");
      break;
    case ElementKind::BUSINESS_RULE_TASK:
      if (element.called_decision && element.job) {
        problem(element.index,
                "a business rule task must have either zeebe:calledDecision or "
                "zeebe:taskDefinition, not both");
      } else if (element.called_decision) {
        if (element.called_decision->decision_id.empty()) {
          problem(element.index, "the zeebe:calledDecision must have a decisionId");
        }
        if (element.called_decision->result_variable.empty()) {
          problem(element.index, "the zeebe:calledDecision must have a resultVariable");
        }
      } else if (!element.job) {
        problem(element.index,
                "a business rule task must have a zeebe:calledDecision or a "
                "zeebe:taskDefinition");
      }
      break;
    case ElementKind::SCRIPT_TASK:
      if (element.script && element.job) {
        problem(element.index,
                "a script task must have either zeebe:script or "
                "zeebe:taskDefinition, not both");
      } else if (element.script) {
        if (!element.script->expression.is_expression) {
          problem(element.index,
                  "the zeebe:script expression must be a FEEL expression starting "
                  "with '='");
        }
        if (element.script->result_variable.empty()) {
          problem(element.index, "the zeebe:script must have a resultVariable");
        }
      } else if (!element.job) {
        problem(element.index, "a script task must have a zeebe:script or a zeebe:taskDefinition");
      }
      break;
    case ElementKind::CALL_ACTIVITY:
      if (!element.called_element || element.called_element->process_id.empty()) {
        problem(element.index, "a call activity must have a zeebe:calledElement with a processId");
      }
      break;
    default:
      break;
  }
}

}  // namespace tern::engine::bpmn
