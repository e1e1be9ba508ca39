// TIMER TRIGGER: written by the leader's due-date checker (StreamProcessor::check_due_dates) when
// a timer's due date has passed on its clock; never by a follower.
//   TIMER TRIGGERED, then the catch event's effect (event_behavior.h), then the next timer of a
//   cycle (timer start events, non-interrupting boundary cycles).

#include <string>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/processors/processors.h"

namespace tern::engine {

namespace {

void trigger_timer(ProcessingContext& ctx) {
  EventStateView events(ctx.state);
  auto timer = events.timer(ctx.command.key);
  if (!timer) {
    ctx.out.reject(RejectionType::kNotFound, "Expected to trigger timer with key '"
                                                 + std::to_string(ctx.command.key.value())
                                                 + "', but no such timer was found");
    return;
  }
  if (timer->due_date() > ctx.out.now_ms()) {
    ctx.out.reject(RejectionType::kInvalidState,
                   "Expected to trigger timer with key '" + std::to_string(timer->key.value())
                       + "' at or after its due date " + std::to_string(timer->due_date())
                       + ", but it is not due yet");
    return;
  }
  ctx.out.event(timer->key, ValueType::kTimer, Intent::kTriggered, timer->value);
  BpmnBehavior bpmn(ctx);
  EventBehavior behavior(ctx, bpmn);
  Key definition_key(timer->value.value("processDefinitionKey", std::int64_t{-1}));
  auto model = ctx.models.get(ctx.state, definition_key);
  if (!model) return;
  const auto* target = model->find(timer->value.value("targetElementId", std::string()));
  if (target == nullptr) return;
  Key owner_key = timer->element_instance_key();
  if (owner_key.value() <= 0) {
    behavior.start_instance(definition_key, *target, Json::object());
    behavior.reschedule(*timer, *model);
    return;
  }
  auto owner = ctx.out.element_instance(owner_key);
  if (!owner || owner->state != Intent::kElementActivated) return;
  behavior.trigger(*owner, *model, *target, Json::object());
  // A non-interrupting boundary or event sub-process cycle fires again while its owner runs.
  if ((target->kind == bpmn::ElementKind::BOUNDARY_EVENT && !target->cancel_activity)
      || (target->kind == bpmn::ElementKind::START_EVENT && !target->interrupting)) {
    behavior.reschedule(*timer, *model);
  }
}

}  // namespace

void add_timer_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kTimer, Intent::kTrigger, trigger_timer);
}

std::vector<Record> due_timer_commands(const EngineState& state, std::int64_t now_ms,
                                       std::size_t max, std::set<Key>& pending) {
  std::vector<Record> commands;
  EventStateView events(state);
  for (Key key : events.timers_due(now_ms, max)) {
    if (!pending.insert(key).second) continue;
    auto timer = events.timer(key);
    if (!timer) continue;
    Record command;
    command.key = key;
    command.timestamp_ms = now_ms;
    command.record_type = RecordType::kCommand;
    command.value_type = ValueType::kTimer;
    command.intent = Intent::kTrigger;
    command.partition_id = state.partition();
    command.value = timer->value;
    commands.push_back(std::move(command));
  }
  return commands;
}

}  // namespace tern::engine
