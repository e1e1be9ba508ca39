#include "engine/processors/compensation_behavior.h"

#include <algorithm>
#include <string>

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"

namespace tern::engine {

namespace {

using bpmn::ElementKind;
using bpmn::EventType;

const bpmn::FlowElement* compensation_boundary(const bpmn::ProcessModel& model,
                                               const bpmn::FlowElement& activity) {
  for (auto index : activity.boundary_events) {
    const auto& boundary = model.element(index);
    if (boundary.event_type == EventType::COMPENSATION) return &boundary;
  }
  return nullptr;
}

// Most processes have no compensation at all: they skip every state read below.
bool uses_compensation(const bpmn::ProcessModel& model) {
  return std::any_of(model.elements().begin(), model.elements().end(), [](const auto& element) {
    return element.kind == ElementKind::BOUNDARY_EVENT
           && element.event_type == EventType::COMPENSATION;
  });
}

bool is_container(std::string_view element_type) {
  return element_type == "PROCESS" || element_type == "SUB_PROCESS"
         || element_type == "EVENT_SUB_PROCESS" || element_type == "MULTI_INSTANCE_BODY";
}

}  // namespace

bool CompensationBehavior::is_compensation_throw(const bpmn::FlowElement& element) {
  return (element.kind == ElementKind::INTERMEDIATE_THROW_EVENT
          || element.kind == ElementKind::END_EVENT)
         && element.event_type == EventType::COMPENSATION;
}

void CompensationBehavior::before_completed(const ElementInstance& instance,
                                            const bpmn::ProcessModel& model,
                                            const bpmn::FlowElement& element) {
  if (element.kind == ElementKind::PROCESS) {
    if (!uses_compensation(model)) return;
    for (const auto& subscription :
         CompensationStateView(ctx_.state).subscriptions_of(instance.key)) {
      ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kDeleted,
                     subscription.value);
    }
    return;
  }
  if (!element.is_activity() || element.kind == ElementKind::EVENT_SUB_PROCESS) return;
  const auto* boundary = compensation_boundary(model, element);
  if (boundary == nullptr) {
    // A container without a handler of its own is compensable through what it contains.
    if (element.kind != ElementKind::SUB_PROCESS
        && element.kind != ElementKind::MULTI_INSTANCE_BODY) {
      return;
    }
    if (!uses_compensation(model)) return;
    auto subscriptions =
        CompensationStateView(ctx_.state).subscriptions_of(instance.process_instance_key());
    if (std::none_of(subscriptions.begin(), subscriptions.end(),
                     [&](const auto& s) { return s.scope_key() == instance.key; })) {
      return;
    }
  }
  std::string handler_id;
  if (boundary != nullptr) handler_id = model.element(boundary->compensation_handler).id;
  Json value{{"tenantId", instance.value.tenant_id},
             {"processInstanceKey", instance.process_instance_key().value()},
             {"processDefinitionKey", instance.value.process_definition_key.value()},
             {"compensableActivityId", element.id},
             {"compensableActivityScopeId", model.element(element.flow_scope).id},
             {"compensableActivityInstanceKey", instance.key.value()},
             {"compensableActivityScopeKey", instance.flow_scope_key().value()},
             {"throwEventId", ""},
             {"throwEventInstanceKey", -1},
             {"compensationHandlerId", handler_id},
             {"compensationHandlerInstanceKey", -1},
             {"variables", Json::object()}};
  ctx_.out.event(ctx_.out.next_key(), ValueType::kCompensationSubscription, Intent::kCreated,
                 std::move(value));
}

bool CompensationBehavior::throw_compensation(const ElementInstance& throw_event,
                                              const bpmn::ProcessModel& model,
                                              const bpmn::FlowElement& element) {
  // The throw event compensates its own flow scope; inside an event sub-process also the scope
  // the event sub-process interrupted or runs beside.
  std::vector<Key> scopes{throw_event.flow_scope_key()};
  if (model.element(element.flow_scope).kind == ElementKind::EVENT_SUB_PROCESS) {
    if (auto scope = ctx_.out.element_instance(throw_event.flow_scope_key())) {
      scopes.push_back(scope->flow_scope_key());
    }
  }
  std::string only_activity;
  if (element.compensation && element.compensation->activity != bpmn::kNoElement) {
    only_activity = model.element(element.compensation->activity).id;
  }
  std::vector<CompensationSubscriptionEntry> untriggered;
  for (auto& subscription :
       CompensationStateView(ctx_.state).subscriptions_of(throw_event.process_instance_key())) {
    if (!subscription.triggered()) untriggered.push_back(std::move(subscription));
  }
  std::vector<CompensationSubscriptionEntry> targets;
  for (const auto& subscription : untriggered) {
    if (std::find(scopes.begin(), scopes.end(), subscription.scope_key()) == scopes.end()) continue;
    if (!only_activity.empty()
        && subscription.value.value("compensableActivityId", std::string()) != only_activity) {
      continue;
    }
    targets.push_back(subscription);
  }
  int handlers = 0;
  for (const auto& subscription : targets) {
    handlers += trigger(subscription, untriggered, throw_event, model);
  }
  if (handlers > 0) return true;
  // Only handler-less flow-scope subscriptions (never expected: one exists only while something
  // inside it is compensable): they are done at once, and so is the throw event.
  for (const auto& subscription :
       CompensationStateView(ctx_.state).subscriptions_of(throw_event.process_instance_key())) {
    if (subscription.throw_event_instance_key() == throw_event.key) {
      ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kCompleted,
                     subscription.value);
    }
  }
  return false;
}

int CompensationBehavior::trigger(const CompensationSubscriptionEntry& subscription,
                                  const std::vector<CompensationSubscriptionEntry>& untriggered,
                                  const ElementInstance& throw_event,
                                  const bpmn::ProcessModel& model) {
  int handlers = 0;
  Key handler_key = kNoKey;
  if (subscription.has_handler()) {
    const auto* activity =
        model.find(subscription.value.value("compensableActivityId", std::string()));
    TERN_CHECK(activity != nullptr, "a compensable activity exists in its process");
    const auto* boundary = compensation_boundary(model, *activity);
    TERN_CHECK(boundary != nullptr, "a compensable activity has a compensation boundary event");
    // The boundary event passes at once in the throw event's flow scope; the handler runs
    // there too (its activity's own scope may be long gone).
    Key scope_key = throw_event.flow_scope_key();
    ProcessInstanceValue boundary_value =
        BpmnBehavior::child_value(throw_event.value, scope_key, *boundary);
    Key boundary_key = ctx_.out.next_key();
    for (auto intent : {Intent::kElementActivating, Intent::kElementActivated,
                        Intent::kElementCompleting, Intent::kElementCompleted}) {
      ctx_.out.event(boundary_key, ValueType::kProcessInstance, intent, boundary_value);
    }
    const auto& handler = model.element(boundary->compensation_handler);
    ProcessInstanceValue handler_value =
        BpmnBehavior::child_value(throw_event.value, scope_key, handler);
    handler_value.bpmn_event_type = bpmn::to_string(EventType::COMPENSATION);
    handler_key = ctx_.out.next_key();
    ctx_.out.command(handler_key, ValueType::kProcessInstance, Intent::kActivateElement,
                     std::move(handler_value));
    handlers = 1;
  }
  Json value = subscription.value;
  value["throwEventId"] = throw_event.element_id();
  value["throwEventInstanceKey"] = throw_event.key.value();
  value["compensationHandlerInstanceKey"] = handler_key.value();
  ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kTriggered,
                 std::move(value));
  // A completed sub-process (or multi-instance body) is compensated by compensating what
  // completed inside it.
  for (const auto& inner : untriggered) {
    if (inner.scope_key() == subscription.activity_instance_key()) {
      handlers += trigger(inner, untriggered, throw_event, model);
    }
  }
  return handlers;
}

void CompensationBehavior::after_completed(const ElementInstance& instance,
                                           const bpmn::FlowElement& element) {
  if (!element.is_for_compensation || instance.value.bpmn_event_type != "COMPENSATION") {
    return;
  }
  Key process_instance = instance.process_instance_key();
  auto subscriptions = CompensationStateView(ctx_.state).subscriptions_of(process_instance);
  auto own = std::find_if(subscriptions.begin(), subscriptions.end(), [&](const auto& s) {
    return s.triggered() && s.handler_instance_key() == instance.key;
  });
  if (own == subscriptions.end()) return;
  Key throw_key = own->throw_event_instance_key();
  ctx_.out.event(own->key, ValueType::kCompensationSubscription, Intent::kCompleted, own->value);
  complete_flow_scope(process_instance, own->scope_key());
  auto left = CompensationStateView(ctx_.state).subscriptions_of(process_instance);
  if (std::any_of(left.begin(), left.end(),
                  [&](const auto& s) { return s.throw_event_instance_key() == throw_key; })) {
    return;
  }
  // Every handler this throw event invoked is done: the throw event goes on.
  auto throw_event = ctx_.out.element_instance(throw_key);
  if (throw_event && throw_event->state == Intent::kElementActivated) {
    ctx_.out.command(throw_key, ValueType::kProcessInstance, Intent::kCompleteElement,
                     throw_event->value);
  }
}

void CompensationBehavior::complete_flow_scope(Key process_instance_key, Key scope_key) {
  auto subscriptions = CompensationStateView(ctx_.state).subscriptions_of(process_instance_key);
  if (std::any_of(subscriptions.begin(), subscriptions.end(),
                  [&](const auto& s) { return s.scope_key() == scope_key; })) {
    return;  // something inside is still being compensated
  }
  for (const auto& subscription : subscriptions) {
    if (subscription.activity_instance_key() == scope_key && !subscription.has_handler()
        && subscription.triggered()) {
      ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kCompleted,
                     subscription.value);
      complete_flow_scope(process_instance_key, subscription.scope_key());
      return;
    }
  }
}

void CompensationBehavior::before_terminated(const ElementInstance& instance) {
  auto type = instance.element_type();
  if (!is_container(type)) return;
  auto model = bpmn_.model_of(instance.value);
  if (!uses_compensation(*model)) return;
  auto subscriptions =
      CompensationStateView(ctx_.state).subscriptions_of(instance.process_instance_key());
  if (type == "PROCESS") {
    for (const auto& subscription : subscriptions) {
      ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kDeleted,
                     subscription.value);
    }
    return;
  }
  delete_within(subscriptions, instance.key);
}

void CompensationBehavior::delete_within(
    const std::vector<CompensationSubscriptionEntry>& subscriptions, Key scope_key) {
  for (const auto& subscription : subscriptions) {
    if (subscription.scope_key() != scope_key) continue;
    ctx_.out.event(subscription.key, ValueType::kCompensationSubscription, Intent::kDeleted,
                   subscription.value);
    delete_within(subscriptions, subscription.activity_instance_key());
  }
}

}  // namespace tern::engine
