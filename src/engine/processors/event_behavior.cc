#include "engine/processors/event_behavior.h"

#include <string>

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/catch_behavior.h"
#include "engine/processors/message_behavior.h"
#include "engine/processors/signal_behavior.h"
#include "engine/state/signal_state.h"

namespace tern::engine {

namespace {

using bpmn::ElementKind;
using bpmn::EventType;

bool is_timer_catch(const bpmn::FlowElement& element) {
  return element.event_type == EventType::TIMER && element.timer != nullptr;
}

bool is_message_catch(const bpmn::FlowElement& element) {
  return (element.event_type == EventType::MESSAGE || element.kind == ElementKind::RECEIVE_TASK)
         && element.message != nullptr && element.job == nullptr;
}

}  // namespace

EventBehavior::EventBehavior(ProcessingContext& context, BpmnBehavior& bpmn)
    : ctx_(context), bpmn_(bpmn) {}

Result<EventBehavior::PlannedTimer, std::string> EventBehavior::plan_timer(
    const bpmn::FlowElement& element, Key scope_key) {
  const auto& definition = *element.timer;
  std::optional<bpmn::TimerValue> value = definition.static_value;
  if (!value) {
    auto result = bpmn_.variables().evaluate(definition.value, scope_key);
    if (!result) return unexpected(result.error());
    if (!result->is_string()) {
      return unexpected("Expected result of the expression '" + std::string(definition.value.text)
                        + "' to be a timer text (ISO 8601 or cron), but was '" + result->dump()
                        + "'");
    }
    auto parsed = bpmn::parse_timer_value(definition.kind, result->get<std::string>());
    if (!parsed) return unexpected(parsed.error().message);
    value = std::move(parsed.value());
  }
  auto due = value->first_due(ctx_.out.now_ms());
  if (!due) {
    return unexpected("Expected the timer of '" + std::string(element.id)
                      + "' to have a next due date, but it has none");
  }
  return PlannedTimer{&element, std::move(*value), *due};
}

void EventBehavior::create_timer(const PlannedTimer& plan, Key instance_key,
                                 Key process_instance_key, Key definition_key) {
  std::int32_t repetitions = 1;
  if (plan.value.kind == bpmn::TimerKind::CYCLE) repetitions = plan.value.repetitions;
  Json timer{{"elementInstanceKey", instance_key.value()},
             {"processInstanceKey", process_instance_key.value()},
             {"processDefinitionKey", definition_key.value()},
             {"dueDate", plan.due_ms},
             {"targetElementId", plan.element->id},
             {"repetitions", repetitions},
             {"tenantId", "<default>"}};
  ctx_.out.event(ctx_.out.next_key(), ValueType::kTimer, Intent::kCreated, std::move(timer));
}

bool EventBehavior::subscribe(const ElementInstance& instance, const bpmn::ProcessModel& model,
                              const bpmn::FlowElement& element) {
  // Most elements wait for no event: nothing to open, and nothing opened before to look for.
  if (element.awaited_events.empty()) return true;
  EventStateView events(ctx_.state);
  // Activation runs again when an incident of it is resolved: subscriptions opened by the first
  // run stay, and are not opened twice.
  if (!events.timers_of(instance.key).empty()
      || !events.process_message_subscriptions_of(instance.key).empty()
      || !SignalStateView(ctx_.state).subscriptions_of(instance.key).empty()) {
    return true;
  }
  SignalBehavior signals(ctx_, bpmn_);
  std::vector<std::pair<const bpmn::FlowElement*, std::string>> signal_plans;
  MessageBehavior messages(ctx_, bpmn_);
  std::vector<PlannedTimer> timers;
  std::vector<MessageBehavior::Planned> subscriptions;
  for (auto index : element.awaited_events) {
    const auto* catch_event = &model.element(index);
    if (is_timer_catch(*catch_event)) {
      auto plan = plan_timer(*catch_event, instance.key);
      if (!plan) {
        bpmn_.create_incident(instance, kExtractValueError, plan.error());
        return false;
      }
      timers.push_back(std::move(plan.value()));
    } else if (is_message_catch(*catch_event)) {
      auto plan = messages.plan(*catch_event, instance.key);
      if (!plan) {
        bpmn_.create_incident(instance, kExtractValueError, plan.error());
        return false;
      }
      subscriptions.push_back(std::move(plan.value()));
    } else if (SignalBehavior::is_signal_event(*catch_event)) {
      auto name = signals.name_of(*catch_event, instance.key);
      if (!name) {
        bpmn_.create_incident(instance, kExtractValueError, name.error());
        return false;
      }
      signal_plans.emplace_back(catch_event, std::move(name.value()));
    }
  }
  Key definition = instance.value.process_definition_key;
  for (const auto& plan : timers)
    create_timer(plan, instance.key, instance.value.process_instance_key, definition);
  for (const auto& plan : subscriptions)
    messages.open(instance, plan);
  for (const auto& [catch_event, name] : signal_plans)
    signals.subscribe(instance, *catch_event, name);
  return true;
}

void EventBehavior::unsubscribe(const ElementInstance& instance) {
  // Only an element that waits for events can hold subscriptions (they are opened by subscribe()
  // for its awaited events, and by nothing else for an element instance): for the others the
  // three prefix scans below would find nothing. Without the model (never expected) look anyway.
  auto model = ctx_.models.get(ctx_.state, instance.value.process_definition_key);
  const auto* element =
      model ? model->find_instance_element(instance.element_id(), instance.element_type())
            : nullptr;
  if (element != nullptr && element->awaited_events.empty()) return;
  unsubscribe(instance.key);
}

void EventBehavior::unsubscribe(Key instance_key) {
  EventStateView events(ctx_.state);
  for (Key key : events.timers_of(instance_key)) {
    auto timer = events.timer(key);
    if (timer) ctx_.out.event(key, ValueType::kTimer, Intent::kCanceled, timer->value);
  }
  MessageBehavior(ctx_, bpmn_).close_all(instance_key);
  SignalBehavior(ctx_, bpmn_).unsubscribe(instance_key);
}

void EventBehavior::trigger(const ElementInstance& owner, const bpmn::ProcessModel& model,
                            const bpmn::FlowElement& catch_element, const Json& variables) {
  const auto* owner_element = model.find_instance_element(owner.element_id(), owner.element_type());
  TERN_CHECK(owner_element != nullptr, "a triggered element instance's element exists");
  if (is_event_subprocess_start(model, catch_element)) {
    CatchBehavior(ctx_, bpmn_).trigger_event_subprocess(owner, model, catch_element, variables);
    return;
  }
  if (catch_element.kind == ElementKind::BOUNDARY_EVENT) {
    Key scope_key = owner.flow_scope_key();
    auto scope = ctx_.out.element_instance(scope_key);
    if (!scope || scope->state != Intent::kElementActivated) return;
    if (catch_element.cancel_activity) {
      // Two interrupting events at once: the first one wins.
      if (EventStateView(ctx_.state).trigger(owner.key)) return;
      ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggering,
                     Json{{"scopeKey", owner.key.value()},
                          {"targetElementId", catch_element.id},
                          {"variables", variables},
                          {"processDefinitionKey", owner.value.process_definition_key.value()},
                          {"processInstanceKey", owner.value.process_instance_key.value()},
                          {"tenantId", "<default>"}});
      if (owner.state != Intent::kElementTerminating) {
        ctx_.out.command(owner.key, ValueType::kProcessInstance, Intent::kTerminateElement,
                         owner.value);
      }
      return;
    }
    if (!variables.empty())
      bpmn_.variables().propagate_document(scope_key, variables, scope->value);
    ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                     BpmnBehavior::child_value(scope->value, scope_key, catch_element));
    return;
  }
  if (owner_element->kind == ElementKind::EVENT_BASED_GATEWAY) {
    // The first event wins: it is recorded on the gateway, which completes and takes only the
    // flow to that event (take_gateway_trigger); completing closes the other branches.
    if (owner.state != Intent::kElementActivated || EventStateView(ctx_.state).trigger(owner.key)) {
      return;
    }
    ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggering,
                   Json{{"scopeKey", owner.key.value()},
                        {"targetElementId", catch_element.id},
                        {"variables", variables},
                        {"processDefinitionKey", owner.value.process_definition_key.value()},
                        {"processInstanceKey", owner.value.process_instance_key.value()},
                        {"tenantId", "<default>"}});
    ctx_.out.command(owner.key, ValueType::kProcessInstance, Intent::kCompleteElement, owner.value);
    return;
  }
  if (owner_element->index == catch_element.index) {
    // The element waits for its own event (intermediate catch, receive task): it completes.
    if (!variables.empty()) {
      if (owner_element->io_mapping && !owner_element->io_mapping->outputs.empty()) {
        bpmn_.variables().set_local_document(owner.key, variables, owner.value);
      } else {
        bpmn_.variables().propagate_document(owner.key, variables, owner.value);
      }
    }
    ctx_.out.command(owner.key, ValueType::kProcessInstance, Intent::kCompleteElement, owner.value);
  }
}

void EventBehavior::on_terminated(const ElementInstance& instance) {
  EventStateView events(ctx_.state);
  auto trigger = events.trigger(instance.key);
  if (!trigger) return;
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggered,
                 Json{{"scopeKey", instance.key.value()},
                      {"targetElementId", trigger->element_id},
                      {"variables", trigger->variables},
                      {"processDefinitionKey", instance.value.process_definition_key.value()},
                      {"processInstanceKey", instance.value.process_instance_key.value()},
                      {"tenantId", "<default>"}});
  Key scope_key = instance.flow_scope_key();
  auto scope = ctx_.out.element_instance(scope_key);
  // The scope itself may be on its way out (the instance was cancelled meanwhile): then the
  // boundary event is not taken.
  if (!scope || scope->state != Intent::kElementActivated || scope->interrupted) return;
  auto model = bpmn_.model_of(instance.value);
  const auto* boundary = model->find(trigger->element_id);
  TERN_CHECK(boundary != nullptr, "a recorded trigger names an element of the process");
  // A scope terminated while its interrupting event sub-process was pending: nothing to take.
  if (boundary->kind != ElementKind::BOUNDARY_EVENT) return;
  if (trigger->variables.is_object() && !trigger->variables.empty()) {
    bpmn_.variables().propagate_document(scope_key, trigger->variables, scope->value);
  }
  ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                   BpmnBehavior::child_value(scope->value, scope_key, *boundary));
}

std::optional<bpmn::ElementIndex> EventBehavior::take_gateway_trigger(
    const ElementInstance& gateway, const bpmn::ProcessModel& model,
    const bpmn::FlowElement& element) {
  auto trigger = EventStateView(ctx_.state).trigger(gateway.key);
  if (!trigger) return std::nullopt;
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggered,
                 Json{{"scopeKey", gateway.key.value()},
                      {"targetElementId", trigger->element_id},
                      {"variables", trigger->variables},
                      {"processDefinitionKey", gateway.value.process_definition_key.value()},
                      {"processInstanceKey", gateway.value.process_instance_key.value()},
                      {"tenantId", "<default>"}});
  Key scope_key = gateway.flow_scope_key();
  if (trigger->variables.is_object() && !trigger->variables.empty()) {
    if (auto scope = ctx_.out.element_instance(scope_key)) {
      bpmn_.variables().propagate_document(scope_key, trigger->variables, scope->value);
    }
  }
  for (auto flow_index : element.outgoing) {
    if (model.element(model.element(flow_index).target).id == trigger->element_id) {
      return flow_index;
    }
  }
  return std::nullopt;
}

bool EventBehavior::entered_by_event_gateway(const bpmn::ProcessModel& model,
                                             const bpmn::FlowElement& element) {
  return element.kind == ElementKind::INTERMEDIATE_CATCH_EVENT && element.incoming.size() == 1
         && model.element(model.element(element.incoming[0]).source).kind
                == ElementKind::EVENT_BASED_GATEWAY;
}

std::optional<bpmn::ElementIndex> EventBehavior::take_start_trigger(
    const ElementInstance& instance, const bpmn::ProcessModel& model) {
  auto trigger = EventStateView(ctx_.state).trigger(instance.key);
  if (!trigger) return std::nullopt;
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggered,
                 Json{{"scopeKey", instance.key.value()},
                      {"targetElementId", trigger->element_id},
                      {"variables", trigger->variables},
                      {"processDefinitionKey", instance.value.process_definition_key.value()},
                      {"processInstanceKey", instance.value.process_instance_key.value()},
                      {"tenantId", "<default>"}});
  auto index = model.index_of(trigger->element_id);
  TERN_CHECK(index.has_value(), "a start trigger names an element of the process");
  return *index;
}

Key EventBehavior::start_instance(Key definition_key, const bpmn::FlowElement& start_event,
                                  const Json& variables) {
  auto definition = ctx_.state.process(definition_key);
  TERN_CHECK(definition.has_value(), "a start event belongs to a deployed process");
  Key instance_key = ctx_.out.next_key();
  auto process_value = ProcessInstanceValue::root(definition->bpmn_process_id, definition->version,
                                                  definition_key, instance_key);
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessEvent, Intent::kTriggering,
                 Json{{"scopeKey", instance_key.value()},
                      {"targetElementId", start_event.id},
                      {"variables", variables},
                      {"processDefinitionKey", definition_key.value()},
                      {"processInstanceKey", instance_key.value()},
                      {"tenantId", "<default>"}});
  if (variables.is_object() && !variables.empty()) {
    bpmn_.variables().set_local_document(instance_key, variables, process_value);
  }
  ctx_.out.command(instance_key, ValueType::kProcessInstance, Intent::kActivateElement,
                   process_value);
  return instance_key;
}

void EventBehavior::on_process_deployed(Key definition_key, const bpmn::ProcessModel& model,
                                        std::optional<Key> previous_key) {
  auto start_subscription = [&](Key key, const bpmn::ProcessModel& process,
                                const bpmn::FlowElement& start) {
    return Json{{"processDefinitionKey", key.value()},
                {"bpmnProcessId", process.bpmn_process_id()},
                {"startEventId", start.id},
                {"messageName", start.message->name.text},
                {"tenantId", "<default>"}};
  };
  if (previous_key) {
    EventStateView events(ctx_.state);
    for (Key key : events.timers_of(*previous_key)) {
      auto timer = events.timer(key);
      if (timer) ctx_.out.event(key, ValueType::kTimer, Intent::kCanceled, timer->value);
    }
    if (auto previous = ctx_.models.get(ctx_.state, *previous_key)) {
      for (auto index : previous->start_events_of(EventType::MESSAGE)) {
        const auto& start = previous->element(index);
        if (!start.message) continue;
        ctx_.out.event(ctx_.out.next_key(), ValueType::kMessageStartEventSubscription,
                       Intent::kDeleted, start_subscription(*previous_key, *previous, start));
      }
    }
  }
  for (auto index : model.start_events_of(EventType::MESSAGE)) {
    const auto& start = model.element(index);
    if (!start.message) continue;
    ctx_.out.event(ctx_.out.next_key(), ValueType::kMessageStartEventSubscription, Intent::kCreated,
                   start_subscription(definition_key, model, start));
  }
  SignalBehavior(ctx_, bpmn_).on_process_deployed(definition_key, model, previous_key);
  for (auto index : model.start_events_of(EventType::TIMER)) {
    const auto& start = model.element(index);
    if (!start.timer) continue;
    auto plan = plan_timer(start, kNoKey);
    // A start timer that cannot be planned (an expression needing variables, a date in the past
    // with nothing after it) is not scheduled; deployment still succeeds as in Zeebe.
    if (!plan) continue;
    create_timer(*plan, kNoKey, kNoKey, definition_key);
  }
}

void EventBehavior::reschedule(const TimerEntry& fired, const bpmn::ProcessModel& model) {
  auto repetitions = fired.value.value("repetitions", 1);
  if (repetitions == 1 || repetitions == 0) return;
  const auto* element = model.find(fired.value.value("targetElementId", std::string()));
  if (element == nullptr || !element->timer || element->timer->kind != bpmn::TimerKind::CYCLE) {
    return;
  }
  Key owner = fired.element_instance_key();
  auto plan = plan_timer(*element, owner);
  if (!plan) return;
  auto next = plan->value.next_fire_after(fired.due_date());
  if (!next) return;
  Json timer = fired.value;
  timer["dueDate"] = *next;
  timer["repetitions"] = repetitions > 0 ? repetitions - 1 : -1;
  ctx_.out.event(ctx_.out.next_key(), ValueType::kTimer, Intent::kCreated, std::move(timer));
}

}  // namespace tern::engine
