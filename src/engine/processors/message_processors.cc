// Messages and the subscription protocol (message_behavior.h):
//   MESSAGE PUBLISH / EXPIRE                                 (message partition)
//   MESSAGE_SUBSCRIPTION CREATE / CORRELATE / DELETE / REJECT (message partition)
//   PROCESS_MESSAGE_SUBSCRIPTION CREATE / CORRELATE / DELETE  (instance partition)

#include <set>
#include <string>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/processors/message_behavior.h"
#include "engine/processors/processors.h"
#include "engine/records/keys.h"

namespace tern::engine {

namespace {

Key key_of(const Json& value, const char* field) {
  return Key(value.value(field, std::int64_t{-1}));
}

std::string str(const Json& value, const char* field) {
  return value.value(field, std::string());
}

// The message-side subscription of an element instance for a message name.
std::optional<MessageSubscriptionEntry> find_subscription(const EngineState& state,
                                                          const Json& value) {
  EventStateView events(state);
  for (Key key : events.message_subscriptions_of(key_of(value, "elementInstanceKey"))) {
    auto entry = events.message_subscription(key);
    if (entry && str(entry->value, "messageName") == str(value, "messageName")) return entry;
  }
  return std::nullopt;
}

// Starts instances of processes whose message start event waits for `name` (one active
// instance per correlation key, as Zeebe).
void correlate_start_events(ProcessingContext& ctx, Key message_key, const Json& message) {
  EventStateView events(ctx.state);
  BpmnBehavior bpmn(ctx);
  EventBehavior behavior(ctx, bpmn);
  std::string correlation = str(message, "correlationKey");
  for (const auto& [definition_key, start_id] :
       events.message_start_subscriptions(str(message, "name"))) {
    auto definition = ctx.state.process(definition_key);
    auto model = ctx.models.get(ctx.state, definition_key);
    if (!definition || !model) continue;
    if (events.message_correlated(message_key, definition->bpmn_process_id)) continue;
    if (!correlation.empty()) {
      auto active = events.active_instance_for(definition->bpmn_process_id, correlation);
      if (active && ctx.state.element_instance(*active)) continue;
    }
    const auto* start = model->find(start_id);
    if (start == nullptr) continue;
    Key instance =
        behavior.start_instance(definition_key, *start, message.value("variables", Json::object()));
    ctx.out.event(ctx.out.next_key(), ValueType::kMessageStartEventSubscription,
                  Intent::kCorrelated,
                  Json{{"processDefinitionKey", definition_key.value()},
                       {"bpmnProcessId", definition->bpmn_process_id},
                       {"startEventId", start_id},
                       {"messageName", str(message, "name")},
                       {"messageKey", message_key.value()},
                       {"correlationKey", correlation},
                       {"processInstanceKey", instance.value()},
                       {"variables", message.value("variables", Json::object())},
                       {"tenantId", "<default>"}});
  }
}

void publish(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  std::string name = str(command, "name");
  if (name.empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to publish a message with a name, but the name was empty");
    return;
  }
  Json variables = command.value("variables", Json::object());
  if (variables.is_null()) variables = Json::object();
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to publish a message with variables as a JSON object, but they were "
                   "not");
    return;
  }
  std::int64_t ttl = command.value("timeToLive", std::int64_t{0});
  if (ttl < 0) ttl = 0;
  std::string message_id = str(command, "messageId");
  EventStateView events(ctx.state);
  if (!message_id.empty() && events.message_by_id(name, message_id)) {
    ctx.out.reject(RejectionType::kAlreadyExists,
                   "Expected to publish a new message, but a message with name '" + name
                       + "' and id '" + message_id + "' was already published");
    return;
  }
  Key key = ctx.out.next_key();
  Json message{{"name", name},           {"correlationKey", str(command, "correlationKey")},
               {"timeToLive", ttl},      {"messageId", message_id},
               {"variables", variables}, {"deadline", ctx.out.now_ms() + ttl},
               {"tenantId", "<default>"}};
  ctx.out.respond(ctx.out.event(key, ValueType::kMessage, Intent::kPublished, message));
  BpmnBehavior bpmn(ctx);
  MessageBehavior messages(ctx, bpmn);
  std::set<std::string> processes;  // at most once per process (bpmnProcessId), as Zeebe
  for (Key sub_key : events.message_subscriptions_for(name, str(message, "correlationKey"))) {
    auto subscription = events.message_subscription(sub_key);
    if (!subscription) continue;
    if (!processes.insert(str(subscription->value, "bpmnProcessId")).second) continue;
    messages.correlate(*subscription, key, message);
  }
  correlate_start_events(ctx, key, message);
  if (ttl == 0) ctx.out.event(key, ValueType::kMessage, Intent::kExpired, message);
}

void expire(ProcessingContext& ctx) {
  auto message = EventStateView(ctx.state).message(ctx.command.key);
  if (!message) {
    ctx.out.reject(RejectionType::kNotFound, "Expected to expire message with key '"
                                                 + std::to_string(ctx.command.key.value())
                                                 + "', but no such message was found");
    return;
  }
  ctx.out.event(message->key, ValueType::kMessage, Intent::kExpired, message->value);
}

void subscription_create(ProcessingContext& ctx) {
  const Json& value = ctx.command.value;
  BpmnBehavior bpmn(ctx);
  MessageBehavior messages(ctx, bpmn);
  PartitionId instance_partition = partition_of(key_of(value, "elementInstanceKey"));
  if (find_subscription(ctx.state, value)) {
    // A retry of a create already done: acknowledge again, change nothing.
    ctx.out.reject(RejectionType::kAlreadyExists,
                   "Expected to open a new message subscription for element with key '"
                       + std::to_string(key_of(value, "elementInstanceKey").value())
                       + "' and message name '" + str(value, "messageName")
                       + "', but there is already one");
    messages.send(instance_partition, ValueType::kProcessMessageSubscription, Intent::kCreate,
                  value);
    return;
  }
  Key key = ctx.out.next_key();
  Json created = value;
  created.erase("subscriptionPartitionId");
  ctx.out.event(key, ValueType::kMessageSubscription, Intent::kCreated, created);
  messages.send(instance_partition, ValueType::kProcessMessageSubscription, Intent::kCreate, value);
  EventStateView events(ctx.state);
  for (Key message_key :
       events.messages_for(str(value, "messageName"), str(value, "correlationKey"))) {
    auto message = events.message(message_key);
    if (!message || message->value.value("deadline", std::int64_t{0}) < ctx.out.now_ms()) continue;
    auto subscription = events.message_subscription(key);
    if (messages.correlate(*subscription, message_key, message->value)) break;
  }
}

void subscription_correlate(ProcessingContext& ctx) {
  auto subscription = find_subscription(ctx.state, ctx.command.value);
  if (!subscription || !subscription->value.value("correlating", false)) {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to acknowledge the correlation of a message subscription for element "
                   "with key '"
                       + std::to_string(key_of(ctx.command.value, "elementInstanceKey").value())
                       + "', but none is correlating");
    return;
  }
  Json value = subscription->value;
  value.erase("correlating");
  ctx.out.event(subscription->key, ValueType::kMessageSubscription, Intent::kCorrelated, value);
}

void subscription_delete(ProcessingContext& ctx) {
  BpmnBehavior bpmn(ctx);
  MessageBehavior messages(ctx, bpmn);
  const Json& value = ctx.command.value;
  auto subscription = find_subscription(ctx.state, value);
  if (subscription) {
    Json deleted = subscription->value;
    deleted.erase("correlating");
    ctx.out.event(subscription->key, ValueType::kMessageSubscription, Intent::kDeleted, deleted);
  } else {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to delete the message subscription for element with key '"
                       + std::to_string(key_of(value, "elementInstanceKey").value())
                       + "', but none exists");
  }
  // Acknowledged either way: the instance's side only waits to know it is gone.
  messages.send(partition_of(key_of(value, "elementInstanceKey")),
                ValueType::kProcessMessageSubscription, Intent::kDelete, value);
}

void subscription_reject(ProcessingContext& ctx) {
  auto subscription = find_subscription(ctx.state, ctx.command.value);
  if (!subscription) {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to reject the correlation of a message "
                   "subscription, but none exists");
    return;
  }
  // The instance's side does not know the subscription (any more): it is stale.
  Json value = subscription->value;
  value.erase("correlating");
  ctx.out.event(subscription->key, ValueType::kMessageSubscription, Intent::kRejected, value);
  ctx.out.event(subscription->key, ValueType::kMessageSubscription, Intent::kDeleted, value);
}

void process_subscription_create(ProcessingContext& ctx) {
  const Json& value = ctx.command.value;
  auto existing = EventStateView(ctx.state).process_message_subscription(
      key_of(value, "elementInstanceKey"), str(value, "messageName"));
  if (!existing || str(*existing, "state") != "CREATING") {
    ctx.out.reject(RejectionType::kInvalidState,
                   "Expected to acknowledge a message subscription being opened for element with "
                   "key '"
                       + std::to_string(key_of(value, "elementInstanceKey").value())
                       + "', but it is not being opened");
    return;
  }
  Json created = *existing;
  created.erase("state");
  ctx.out.event(ctx.out.next_key(), ValueType::kProcessMessageSubscription, Intent::kCreated,
                created);
}

void process_subscription_correlate(ProcessingContext& ctx) {
  const Json& value = ctx.command.value;
  BpmnBehavior bpmn(ctx);
  MessageBehavior messages(ctx, bpmn);
  Key element_key = key_of(value, "elementInstanceKey");
  auto existing = EventStateView(ctx.state).process_message_subscription(element_key,
                                                                         str(value, "messageName"));
  auto instance = ctx.out.element_instance(element_key);
  if (!existing || str(*existing, "state") == "DELETING" || !instance
      || instance->state != Intent::kElementActivated) {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to correlate a message to element with key '"
                       + std::to_string(element_key.value())
                       + "', but it does not wait for the message any more");
    messages.send(message_partition(str(value, "correlationKey"), ctx.partition_count),
                  ValueType::kMessageSubscription, Intent::kReject, value);
    return;
  }
  Json correlated = *existing;
  correlated.erase("state");
  correlated["messageKey"] = value["messageKey"];
  correlated["variables"] = value.value("variables", Json::object());
  ctx.out.event(ctx.out.next_key(), ValueType::kProcessMessageSubscription, Intent::kCorrelated,
                correlated);
  messages.send(message_partition(str(value, "correlationKey"), ctx.partition_count),
                ValueType::kMessageSubscription, Intent::kCorrelate, correlated);
  auto model = bpmn.model_of(instance->value);
  const auto* catch_event =
      model->find_instance_element(str(value, "elementId"), instance->element_type());
  if (catch_event == nullptr) return;
  EventBehavior(ctx, bpmn).trigger(*instance, *model, *catch_event, correlated["variables"]);
}

void process_subscription_delete(ProcessingContext& ctx) {
  const Json& value = ctx.command.value;
  auto existing = EventStateView(ctx.state).process_message_subscription(
      key_of(value, "elementInstanceKey"), str(value, "messageName"));
  if (!existing || str(*existing, "state") != "DELETING") {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to acknowledge the deletion of a message subscription for element "
                   "with key '"
                       + std::to_string(key_of(value, "elementInstanceKey").value())
                       + "', but it is not being deleted");
    return;
  }
  Json deleted = *existing;
  deleted.erase("state");
  ctx.out.event(ctx.out.next_key(), ValueType::kProcessMessageSubscription, Intent::kDeleted,
                deleted);
}

}  // namespace

void add_message_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kMessage, Intent::kPublish, publish);
  add_processor(map, ValueType::kMessage, Intent::kExpire, expire);
  add_processor(map, ValueType::kMessageSubscription, Intent::kCreate, subscription_create);
  add_processor(map, ValueType::kMessageSubscription, Intent::kCorrelate, subscription_correlate);
  add_processor(map, ValueType::kMessageSubscription, Intent::kDelete, subscription_delete);
  add_processor(map, ValueType::kMessageSubscription, Intent::kReject, subscription_reject);
  add_processor(map, ValueType::kProcessMessageSubscription, Intent::kCreate,
                process_subscription_create);
  add_processor(map, ValueType::kProcessMessageSubscription, Intent::kCorrelate,
                process_subscription_correlate);
  add_processor(map, ValueType::kProcessMessageSubscription, Intent::kDelete,
                process_subscription_delete);
}

std::vector<Record> expired_message_commands(const EngineState& state, std::int64_t now_ms,
                                             std::size_t max, std::set<Key>& pending) {
  std::vector<Record> commands;
  EventStateView events(state);
  for (Key key : events.messages_expired(now_ms, max)) {
    if (!pending.insert(key).second) continue;
    auto message = events.message(key);
    if (!message) continue;
    Record command = subscription_command(ValueType::kMessage, Intent::kExpire, message->value,
                                          state.partition(), now_ms);
    command.key = key;
    commands.push_back(std::move(command));
  }
  return commands;
}

}  // namespace tern::engine
