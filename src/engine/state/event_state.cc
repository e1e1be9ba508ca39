#include "engine/state/event_state.h"

namespace tern::engine {

namespace {

std::string encode_i64(std::int64_t value) {
  return DbKey(StateKind::kMeta).i64(value).bytes().substr(1);
}

std::int64_t decode_i64(std::string_view bytes) {
  return read_key_i64(bytes, 0);
}

std::string str_of(const Json& value, const char* field) {
  return value.value(field, std::string());
}

std::int64_t i64_of(const Json& value, const char* field) {
  return value.value(field, std::int64_t{-1});
}

// Collects the trailing i64 of each key under `prefix` (the entity key of an index entry).
std::vector<Key> trailing_keys(const Transaction& txn, std::string_view prefix, std::size_t max) {
  std::vector<Key> out;
  txn.scan(prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(read_key_i64(key, key.size() - 8));
    return out.size() < max;
  });
  return out;
}

constexpr std::size_t kUnbounded = static_cast<std::size_t>(-1);

}  // namespace

std::optional<Json> EventStateView::get_doc(std::string_view key) const {
  auto bytes = txn_.get(key);
  if (!bytes) return std::nullopt;
  return Json::from_msgpack(*bytes);
}

void EventStateWriter::put_doc(std::string_view key, const Json& doc) {
  auto packed = Json::to_msgpack(doc);
  txn_.put(key, std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
}

// --- timers

std::optional<TimerEntry> EventStateView::timer(Key key) const {
  auto doc = get_doc(DbKey(StateKind::kTimer).i64(key.value()));
  if (!doc) return std::nullopt;
  return TimerEntry{key, std::move(*doc)};
}

std::vector<Key> EventStateView::timers_of(Key owner_key) const {
  return trailing_keys(txn_, DbKey(StateKind::kTimerByElement).i64(owner_key.value()), kUnbounded);
}

std::vector<Key> EventStateView::timers_due(std::int64_t now_ms, std::size_t max) const {
  std::vector<Key> out;
  txn_.scan(DbKey(StateKind::kTimerDue), [&](std::string_view key, std::string_view) {
    if (read_key_i64(key, 1) > now_ms) return false;
    out.emplace_back(read_key_i64(key, 9));
    return out.size() < max;
  });
  return out;
}

// A timer's owner: the element instance waiting for it, or for a start event the process
// definition (whose next version cancels it).
static Key timer_owner(const Json& value) {
  auto element_instance = i64_of(value, "elementInstanceKey");
  return Key(element_instance > 0 ? element_instance : i64_of(value, "processDefinitionKey"));
}

void EventStateWriter::put_timer(const TimerEntry& timer) {
  put_doc(DbKey(StateKind::kTimer).i64(timer.key.value()), timer.value);
  txn_.put(DbKey(StateKind::kTimerDue).i64(timer.due_date()).i64(timer.key.value()), "");
  txn_.put(DbKey(StateKind::kTimerByElement)
               .i64(timer_owner(timer.value).value())
               .i64(timer.key.value()),
           "");
}

void EventStateWriter::remove_timer(Key key) {
  auto existing = timer(key);
  if (!existing) return;
  txn_.erase(DbKey(StateKind::kTimer).i64(key.value()));
  txn_.erase(DbKey(StateKind::kTimerDue).i64(existing->due_date()).i64(key.value()));
  txn_.erase(
      DbKey(StateKind::kTimerByElement).i64(timer_owner(existing->value).value()).i64(key.value()));
}

// --- triggers

std::optional<EventTrigger> EventStateView::trigger(Key scope_key) const {
  auto doc = get_doc(DbKey(StateKind::kEventTrigger).i64(scope_key.value()));
  if (!doc) return std::nullopt;
  return EventTrigger{scope_key, str_of(*doc, "elementId"),
                      doc->value("variables", Json::object())};
}

void EventStateWriter::put_trigger(const EventTrigger& trigger) {
  put_doc(DbKey(StateKind::kEventTrigger).i64(trigger.scope_key.value()),
          Json{{"elementId", trigger.element_id}, {"variables", trigger.variables}});
}

void EventStateWriter::remove_trigger(Key scope_key) {
  txn_.erase(DbKey(StateKind::kEventTrigger).i64(scope_key.value()));
}

// --- messages

std::optional<MessageEntry> EventStateView::message(Key key) const {
  auto doc = get_doc(DbKey(StateKind::kMessage).i64(key.value()));
  if (!doc) return std::nullopt;
  return MessageEntry{key, std::move(*doc)};
}

std::optional<Key> EventStateView::message_by_id(std::string_view name,
                                                 std::string_view message_id) const {
  auto bytes = txn_.get(DbKey(StateKind::kMessageById).str(name).str(message_id));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

std::vector<Key> EventStateView::messages_for(std::string_view name,
                                              std::string_view correlation_key) const {
  return trailing_keys(txn_, DbKey(StateKind::kMessageByName).str(name).str(correlation_key),
                       kUnbounded);
}

std::vector<Key> EventStateView::messages_expired(std::int64_t now_ms, std::size_t max) const {
  std::vector<Key> out;
  txn_.scan(DbKey(StateKind::kMessageDeadline), [&](std::string_view key, std::string_view) {
    if (read_key_i64(key, 1) > now_ms) return false;
    out.emplace_back(read_key_i64(key, 9));
    return out.size() < max;
  });
  return out;
}

bool EventStateView::message_correlated(Key message_key, std::string_view bpmn_process_id) const {
  return txn_
      .get(DbKey(StateKind::kMessageCorrelated).i64(message_key.value()).str(bpmn_process_id))
      .has_value();
}

void EventStateWriter::put_message(const MessageEntry& message) {
  const auto& v = message.value;
  put_doc(DbKey(StateKind::kMessage).i64(message.key.value()), v);
  txn_.put(DbKey(StateKind::kMessageByName)
               .str(str_of(v, "name"))
               .str(str_of(v, "correlationKey"))
               .i64(message.key.value()),
           "");
  if (!str_of(v, "messageId").empty()) {
    txn_.put(DbKey(StateKind::kMessageById).str(str_of(v, "name")).str(str_of(v, "messageId")),
             encode_i64(message.key.value()));
  }
  txn_.put(DbKey(StateKind::kMessageDeadline).i64(i64_of(v, "deadline")).i64(message.key.value()),
           "");
}

void EventStateWriter::remove_message(Key key) {
  auto existing = message(key);
  if (!existing) return;
  const auto& v = existing->value;
  txn_.erase(DbKey(StateKind::kMessage).i64(key.value()));
  txn_.erase(DbKey(StateKind::kMessageByName)
                 .str(str_of(v, "name"))
                 .str(str_of(v, "correlationKey"))
                 .i64(key.value()));
  if (!str_of(v, "messageId").empty()) {
    txn_.erase(DbKey(StateKind::kMessageById).str(str_of(v, "name")).str(str_of(v, "messageId")));
  }
  txn_.erase(DbKey(StateKind::kMessageDeadline).i64(i64_of(v, "deadline")).i64(key.value()));
  std::vector<std::string> correlated;
  txn_.scan(DbKey(StateKind::kMessageCorrelated).i64(key.value()),
            [&](std::string_view index_key, std::string_view) {
              correlated.emplace_back(index_key);
              return true;
            });
  for (const auto& index_key : correlated)
    txn_.erase(index_key);
}

void EventStateWriter::mark_correlated(Key message_key, std::string_view bpmn_process_id,
                                       Key instance_key) {
  txn_.put(DbKey(StateKind::kMessageCorrelated).i64(message_key.value()).str(bpmn_process_id),
           encode_i64(instance_key.value()));
}

// --- message subscriptions

std::optional<MessageSubscriptionEntry> EventStateView::message_subscription(Key key) const {
  auto doc = get_doc(DbKey(StateKind::kMessageSubscription).i64(key.value()));
  if (!doc) return std::nullopt;
  return MessageSubscriptionEntry{key, std::move(*doc)};
}

std::vector<Key> EventStateView::message_subscriptions_for(std::string_view name,
                                                           std::string_view correlation_key) const {
  return trailing_keys(txn_, DbKey(StateKind::kMessageSubByName).str(name).str(correlation_key),
                       kUnbounded);
}

std::vector<Key> EventStateView::message_subscriptions_of(Key element_instance_key) const {
  return trailing_keys(
      txn_, DbKey(StateKind::kMessageSubByElement).i64(element_instance_key.value()), kUnbounded);
}

void EventStateWriter::put_message_subscription(const MessageSubscriptionEntry& subscription) {
  const auto& v = subscription.value;
  put_doc(DbKey(StateKind::kMessageSubscription).i64(subscription.key.value()), v);
  txn_.put(DbKey(StateKind::kMessageSubByName)
               .str(str_of(v, "messageName"))
               .str(str_of(v, "correlationKey"))
               .i64(subscription.key.value()),
           "");
  txn_.put(DbKey(StateKind::kMessageSubByElement)
               .i64(i64_of(v, "elementInstanceKey"))
               .i64(subscription.key.value()),
           "");
}

void EventStateWriter::remove_message_subscription(Key key) {
  auto existing = message_subscription(key);
  if (!existing) return;
  const auto& v = existing->value;
  txn_.erase(DbKey(StateKind::kMessageSubscription).i64(key.value()));
  txn_.erase(DbKey(StateKind::kMessageSubByName)
                 .str(str_of(v, "messageName"))
                 .str(str_of(v, "correlationKey"))
                 .i64(key.value()));
  txn_.erase(
      DbKey(StateKind::kMessageSubByElement).i64(i64_of(v, "elementInstanceKey")).i64(key.value()));
}

std::vector<std::pair<Key, std::string>> EventStateView::message_start_subscriptions(
    std::string_view name) const {
  std::vector<std::pair<Key, std::string>> out;
  auto prefix = DbKey(StateKind::kMessageStartSub).str(name);
  txn_.scan(prefix, [&](std::string_view key, std::string_view value) {
    out.emplace_back(Key(read_key_i64(key, key.size() - 8)), std::string(value));
    return true;
  });
  return out;
}

std::optional<Key> EventStateView::active_instance_for(std::string_view bpmn_process_id,
                                                       std::string_view correlation_key) const {
  auto bytes =
      txn_.get(DbKey(StateKind::kActiveByCorrelation).str(bpmn_process_id).str(correlation_key));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

void EventStateWriter::put_message_start_subscription(std::string_view name, Key definition_key,
                                                      std::string_view start_event_id) {
  txn_.put(DbKey(StateKind::kMessageStartSub).str(name).i64(definition_key.value()),
           start_event_id);
}

void EventStateWriter::remove_message_start_subscriptions(Key definition_key,
                                                          const std::vector<std::string>& names) {
  for (const auto& name : names)
    txn_.erase(DbKey(StateKind::kMessageStartSub).str(name).i64(definition_key.value()));
}

void EventStateWriter::put_active_instance(std::string_view bpmn_process_id,
                                           std::string_view correlation_key, Key instance_key) {
  txn_.put(DbKey(StateKind::kActiveByCorrelation).str(bpmn_process_id).str(correlation_key),
           encode_i64(instance_key.value()));
}

void EventStateWriter::remove_active_instance(std::string_view bpmn_process_id,
                                              std::string_view correlation_key) {
  txn_.erase(DbKey(StateKind::kActiveByCorrelation).str(bpmn_process_id).str(correlation_key));
}

std::vector<MessageSubscriptionEntry> EventStateView::correlating_message_subscriptions(
    std::size_t max) const {
  std::vector<MessageSubscriptionEntry> out;
  txn_.scan(
      DbKey(StateKind::kMessageSubscription), [&](std::string_view key, std::string_view bytes) {
        auto value = Json::from_msgpack(bytes);
        if (value.value("correlating", false)) {
          out.push_back(MessageSubscriptionEntry{Key(read_key_i64(key, 1)), std::move(value)});
        }
        return out.size() < max;
      });
  return out;
}

// --- process message subscriptions

std::optional<Json> EventStateView::process_message_subscription(
    Key element_instance_key, std::string_view message_name) const {
  return get_doc(
      DbKey(StateKind::kProcessMessageSub).i64(element_instance_key.value()).str(message_name));
}

std::vector<Json> EventStateView::process_message_subscriptions_of(Key element_instance_key) const {
  std::vector<Json> out;
  txn_.scan(DbKey(StateKind::kProcessMessageSub).i64(element_instance_key.value()),
            [&](std::string_view, std::string_view bytes) {
              out.push_back(Json::from_msgpack(bytes));
              return true;
            });
  return out;
}

std::vector<Json> EventStateView::pending_process_message_subscriptions(std::size_t max) const {
  std::vector<Json> out;
  txn_.scan(DbKey(StateKind::kProcessMessageSub), [&](std::string_view, std::string_view bytes) {
    auto value = Json::from_msgpack(bytes);
    if (value.value("state", std::string()) != "CREATED") out.push_back(std::move(value));
    return out.size() < max;
  });
  return out;
}

void EventStateWriter::put_process_message_subscription(const Json& value) {
  put_doc(DbKey(StateKind::kProcessMessageSub)
              .i64(i64_of(value, "elementInstanceKey"))
              .str(str_of(value, "messageName")),
          value);
}

void EventStateWriter::remove_process_message_subscription(Key element_instance_key,
                                                           std::string_view message_name) {
  txn_.erase(
      DbKey(StateKind::kProcessMessageSub).i64(element_instance_key.value()).str(message_name));
}

}  // namespace tern::engine
