#include "engine/processors/catch_behavior.h"

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/state/event_state.h"

namespace tern::engine {

namespace {

using bpmn::ElementKind;
using bpmn::EventType;

// The code a catch event of `type` catches; empty for a catch-all one.
std::string_view catch_code(const bpmn::FlowElement& element, EventType type) {
  if (type == EventType::ERROR) return element.error ? element.error->error_code.text : "";
  return element.escalation ? element.escalation->escalation_code.text : "";
}

bool is_interrupting(const bpmn::FlowElement& catch_event) {
  return catch_event.kind == ElementKind::BOUNDARY_EVENT ? catch_event.cancel_activity
                                                         : catch_event.interrupting;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ", ";
    out += id;
  }
  return out;
}

Json process_event_value(const ElementInstance& scope, std::string_view target,
                         const Json& variables) {
  return Json{{"scopeKey", scope.key.value()},
              {"targetElementId", target},
              {"variables", variables},
              {"processDefinitionKey", scope.value.process_definition_key.value()},
              {"processInstanceKey", scope.value.process_instance_key.value()},
              {"tenantId", "<default>"}};
}

}  // namespace

bool is_event_subprocess_start(const bpmn::ProcessModel& model, const bpmn::FlowElement& element) {
  return element.kind == ElementKind::START_EVENT && element.flow_scope != bpmn::kNoElement
         && model.element(element.flow_scope).kind == ElementKind::EVENT_SUB_PROCESS;
}

CatchBehavior::Search CatchBehavior::find(const ElementInstance& from, EventType type,
                                          std::string_view code) const {
  Search out;
  std::optional<ElementInstance> level = from;
  while (level) {
    auto model = bpmn_.model_of(level->value);
    const auto* element = model->find_instance_element(level->element_id(), level->element_type());
    TERN_CHECK(element != nullptr, "an element instance's element exists in its process");
    // Event sub-processes of the scope come before the boundary events of the scope's element,
    // as an inner handler is closer to the thrower.
    // A scope that an interrupting event sub-process already took over catches nothing more.
    std::vector<const bpmn::FlowElement*> candidates;
    if (element->is_scope() && !interrupted_by_event_subprocess(*level, *model)) {
      for (auto sub_process : element->event_sub_processes) {
        for (auto start : model->element(sub_process).start_events) {
          if (model->element(start).event_type == type)
            candidates.push_back(&model->element(start));
        }
      }
    }
    for (auto boundary : element->boundary_events) {
      if (model->element(boundary).event_type == type) {
        candidates.push_back(&model->element(boundary));
      }
    }
    const bpmn::FlowElement* exact = nullptr;
    const bpmn::FlowElement* catch_all = nullptr;
    for (const auto* candidate : candidates) {
      out.available.emplace_back(candidate->id);
      auto candidate_code = catch_code(*candidate, type);
      if (candidate_code.empty()) {
        if (catch_all == nullptr) catch_all = candidate;
      } else if (candidate_code == code && exact == nullptr) {
        exact = candidate;
      }
    }
    if (const auto* chosen = exact != nullptr ? exact : catch_all) {
      out.found = Catch{*level, model, chosen};
      return out;
    }
    // Out of a called process instance, the search goes on at its call activity.
    Key scope_key = BpmnBehavior::parent_of(*level);
    if (scope_key.value() <= 0) break;
    level = ctx_.out.element_instance(scope_key);
  }
  return out;
}

void CatchBehavior::trigger(const Catch& found, const Json& variables) {
  if (found.element->kind == ElementKind::BOUNDARY_EVENT) {
    EventBehavior(ctx_, bpmn_).trigger(found.owner, *found.model, *found.element, variables);
  } else {
    trigger_event_subprocess(found.owner, *found.model, *found.element, variables);
  }
}

bool CatchBehavior::throw_error(const ElementInstance& from, std::string_view code,
                                std::string_view message, const Json& variables, Key job_key) {
  auto search = find(from, EventType::ERROR, code);
  if (!search.found) {
    std::string text = "Expected to throw an error event with the code '" + std::string(code)
                       + "' with message '" + std::string(message) + "', but it was not caught.";
    text += search.available.empty()
                ? " No error events are available in the scope."
                : " Available error events are [" + joined(search.available) + "]";
    bpmn_.create_incident(from, kUnhandledErrorEvent, std::move(text), job_key);
    return false;
  }
  Json document = variables.is_object() ? variables : Json::object();
  if (const auto& definition = search.found->element->error) {
    if (!definition->error_code_variable.empty()) {
      document[std::string(definition->error_code_variable)] = code;
    }
    if (!definition->error_message_variable.empty()) {
      document[std::string(definition->error_message_variable)] = message;
    }
  }
  trigger(*search.found, document);
  return true;
}

bool CatchBehavior::throw_escalation(const ElementInstance& from, const bpmn::FlowElement& thrower,
                                     std::string_view code) {
  auto search = find(from, EventType::ESCALATION, code);
  Json value{{"processInstanceKey", from.value.process_instance_key.value()},
             {"escalationCode", code},
             {"throwElementId", thrower.id},
             {"catchElementId", search.found ? search.found->element->id : ""},
             {"tenantId", "<default>"}};
  if (!search.found) {
    ctx_.out.event(ctx_.out.next_key(), ValueType::kEscalation, Intent::kNotEscalated, value);
    return true;
  }
  ctx_.out.event(ctx_.out.next_key(), ValueType::kEscalation, Intent::kEscalated, value);
  trigger(*search.found, Json::object());
  return !is_interrupting(*search.found->element);
}

void CatchBehavior::trigger_event_subprocess(const ElementInstance& scope,
                                             const bpmn::ProcessModel& model,
                                             const bpmn::FlowElement& start,
                                             const Json& variables) {
  if (scope.state != Intent::kElementActivated || interrupted_by_event_subprocess(scope, model)) {
    return;
  }
  if (!start.interrupting) {
    activate_event_subprocess(scope, model, start, variables);
    return;
  }
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggering,
                 process_event_value(scope, start.id, variables));
  bool waiting = false;
  for (Key child : ctx_.state.children(scope.key)) {
    auto instance = ctx_.state.element_instance(child);
    if (!instance) continue;
    waiting = true;
    if (instance->state == Intent::kElementTerminating) continue;
    ctx_.out.command(child, ValueType::kProcessInstance, Intent::kTerminateElement,
                     instance->value);
  }
  if (!waiting) activate_pending_event_subprocess(scope);
}

bool CatchBehavior::activate_pending_event_subprocess(const ElementInstance& scope) {
  auto trigger = EventStateView(ctx_.state).trigger(scope.key);
  if (!trigger) return false;
  auto model = bpmn_.model_of(scope.value);
  const auto* start = model->find(trigger->element_id);
  if (start == nullptr || !is_event_subprocess_start(*model, *start)) return false;
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggered,
                 process_event_value(scope, start->id, trigger->variables));
  activate_event_subprocess(scope, *model, *start, trigger->variables);
  return true;
}

bool CatchBehavior::interrupted_by_event_subprocess(const ElementInstance& scope,
                                                    const bpmn::ProcessModel& model) const {
  if (auto trigger = EventStateView(ctx_.state).trigger(scope.key)) {
    const auto* start = model.find(trigger->element_id);
    if (start != nullptr && is_event_subprocess_start(model, *start)) return true;
  }
  for (Key child : ctx_.state.children(scope.key)) {
    auto instance = ctx_.state.element_instance(child);
    if (!instance || instance->value.bpmn_element_type != "EVENT_SUB_PROCESS") {
      continue;
    }
    const auto* sub_process = model.find(instance->element_id());
    if (sub_process == nullptr || sub_process->start_events.empty()) continue;
    if (model.element(sub_process->start_events.front()).interrupting) return true;
  }
  return false;
}

void CatchBehavior::activate_event_subprocess(const ElementInstance& scope,
                                              const bpmn::ProcessModel& model,
                                              const bpmn::FlowElement& start,
                                              const Json& variables) {
  if (variables.is_object() && !variables.empty()) {
    bpmn_.variables().propagate_document(scope.key, variables, scope.value);
  }
  const auto& sub_process = model.element(start.flow_scope);
  ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                   BpmnBehavior::child_value(scope.value, scope.key, sub_process));
}

}  // namespace tern::engine
