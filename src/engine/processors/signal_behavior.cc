#include "engine/processors/signal_behavior.h"

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/state/signal_state.h"

namespace tern::engine {

namespace {

Json broadcast_value(const std::string& name, const Json& variables) {
  return Json{{"signalName", name}, {"variables", variables}, {"tenantId", "<default>"}};
}

}  // namespace

Result<std::string, std::string> SignalBehavior::name_of(const bpmn::FlowElement& element,
                                                         Key scope_key) {
  const auto& name = element.signal->name;
  if (!name.is_expression) return std::string(name.text);
  auto value = bpmn_.variables().evaluate(name, scope_key);
  if (!value) return unexpected(value.error());
  if (!value->is_string() || value->get<std::string>().empty()) {
    return unexpected("Expected result of the expression '" + std::string(name.text)
                      + "' to be a non-empty 'STRING', but was '" + value->dump() + "'");
  }
  return value->get<std::string>();
}

void SignalBehavior::subscribe(const ElementInstance& owner, const bpmn::FlowElement& catch_event,
                               const std::string& name) {
  ctx_.out.event(ctx_.out.next_key(), ValueType::kSignalSubscription, Intent::kCreated,
                 Json{{"signalName", name},
                      {"processDefinitionKey", owner.value.process_definition_key.value()},
                      {"bpmnProcessId", owner.value.bpmn_process_id},
                      {"catchEventId", catch_event.id},
                      {"catchEventInstanceKey", owner.key.value()},
                      {"tenantId", "<default>"}});
}

void SignalBehavior::unsubscribe(Key owner) {
  for (const auto& subscription : SignalStateView(ctx_.state).subscriptions_of(owner)) {
    ctx_.out.event(subscription.key, ValueType::kSignalSubscription, Intent::kDeleted,
                   subscription.value);
  }
}

void SignalBehavior::on_process_deployed(Key definition_key, const bpmn::ProcessModel& model,
                                         std::optional<Key> previous_key) {
  if (previous_key) unsubscribe(*previous_key);
  for (auto index : model.start_events_of(bpmn::EventType::SIGNAL)) {
    const auto& start = model.element(index);
    if (!is_signal_event(start) || start.signal->name.is_expression) continue;
    ctx_.out.event(ctx_.out.next_key(), ValueType::kSignalSubscription, Intent::kCreated,
                   Json{{"signalName", start.signal->name.text},
                        {"processDefinitionKey", definition_key.value()},
                        {"bpmnProcessId", model.bpmn_process_id()},
                        {"catchEventId", start.id},
                        {"catchEventInstanceKey", -1},
                        {"tenantId", "<default>"}});
  }
}

void SignalBehavior::broadcast_here(const std::string& name, const Json& variables) {
  EventBehavior events(ctx_, bpmn_);
  // The subscriptions of this moment: what the triggers open or close does not join in.
  for (const auto& subscription : SignalStateView(ctx_.state).subscriptions_for(name)) {
    Key definition_key(subscription.value.value("processDefinitionKey", std::int64_t{-1}));
    auto model = ctx_.models.get(ctx_.state, definition_key);
    if (!model) continue;
    const auto* catch_event = model->find(subscription.value.value("catchEventId", std::string()));
    if (catch_event == nullptr) continue;
    Key owner_key = subscription.catch_event_instance_key();
    if (owner_key.value() <= 0) {
      events.start_instance(definition_key, *catch_event, variables);
      continue;
    }
    auto owner = ctx_.out.element_instance(owner_key);
    if (!owner || owner->state != Intent::kElementActivated) continue;
    events.trigger(*owner, *model, *catch_event, variables);
  }
}

void SignalBehavior::throw_signal(const ElementInstance& instance, const std::string& name) {
  // The throw event's local variables (its input mappings) travel with the signal.
  Json variables = Json::object();
  for (auto& [variable, entry] : ctx_.state.variables(instance.key))
    variables[variable] = Json::parse(entry.json_text);
  Json value = broadcast_value(name, variables);
  for (std::int32_t partition = 1; partition <= ctx_.partition_count; ++partition) {
    if (PartitionId(partition) == ctx_.state.partition()) {
      ctx_.out.command(kNoKey, ValueType::kSignal, Intent::kBroadcast, value);
      continue;
    }
    // Pending until the partition acknowledges: the subscription sender sends it again until
    // then (distributed_broadcast); the first attempt goes out with this batch.
    Json pending = value;
    pending["partitionId"] = partition;
    Key distribution = ctx_.out.next_key();
    ctx_.out.event(distribution, ValueType::kSignal, Intent::kDistributing, pending);
    ctx_.out.remote_command(PartitionId(partition), ValueType::kSignal, Intent::kBroadcast,
                            distributed_broadcast(distribution, pending));
  }
}

Json SignalBehavior::distributed_broadcast(Key distribution_key, const Json& distributing) {
  Json command = distributing;
  command.erase("partitionId");
  command["distributionKey"] = distribution_key.value();
  return command;
}

}  // namespace tern::engine
