#pragma once

// State of the engine's events beyond the element lifecycle: timers, pending event triggers,
// buffered messages, message subscriptions and message start event subscriptions. Stored in the
// partition's RocksDB next to EngineState (key prefixes in db_key.h, kinds 70..89), as MessagePack
// of the exported record values.
//
// EventStateView reads (processors hold one over `const EngineState&`); EventStateWriter also
// writes and is used by appliers only, so that state changes still come from events alone.
//
// Thread: the partition's strand.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/state/engine_state.h"

namespace tern::engine {

struct TimerEntry {
  Key key = kNoKey;
  Json value;  // the TIMER record value (elementInstanceKey, targetElementId, dueDate, ...)

  std::int64_t due_date() const { return value.value("dueDate", std::int64_t{0}); }
  Key element_instance_key() const {
    return Key(value.value("elementInstanceKey", std::int64_t{-1}));
  }
};

// An event that happened for an element instance and waits to be acted on: the boundary event
// to activate once the attached activity is terminated, the start event a new process instance
// begins with. Written by PROCESS_EVENT TRIGGERING, removed by PROCESS_EVENT TRIGGERED.
struct EventTrigger {
  Key scope_key = kNoKey;  // the element instance the trigger is recorded on
  std::string element_id;  // the catch event to activate
  Json variables;          // the event's variables (message variables), an object
};

struct MessageEntry {
  Key key = kNoKey;
  Json value;  // the MESSAGE record value (name, correlationKey, timeToLive, deadline, ...)
};

struct MessageSubscriptionEntry {
  Key key = kNoKey;
  Json value;  // the MESSAGE_SUBSCRIPTION value (+ "correlating": a message is on its way)
};

class EventStateView {
 public:
  explicit EventStateView(const EngineState& state) : txn_(state.transaction()) {}

  // --- timers
  std::optional<TimerEntry> timer(Key key) const;
  std::vector<Key> timers_of(Key owner_key) const;  // by element instance or definition key
  std::vector<Key> timers_due(std::int64_t now_ms, std::size_t max) const;

  // --- triggers
  std::optional<EventTrigger> trigger(Key scope_key) const;

  // --- messages
  std::optional<MessageEntry> message(Key key) const;
  std::optional<Key> message_by_id(std::string_view name, std::string_view message_id) const;
  // Buffered messages of a name and correlation key, oldest first.
  std::vector<Key> messages_for(std::string_view name, std::string_view correlation_key) const;
  std::vector<Key> messages_expired(std::int64_t now_ms, std::size_t max) const;
  bool message_correlated(Key message_key, std::string_view bpmn_process_id) const;

  // --- message subscriptions
  std::optional<MessageSubscriptionEntry> message_subscription(Key key) const;
  std::vector<Key> message_subscriptions_for(std::string_view name,
                                             std::string_view correlation_key) const;
  std::vector<Key> message_subscriptions_of(Key element_instance_key) const;
  // Message start events: (process definition key, start event id) for a message name.
  std::vector<std::pair<Key, std::string>> message_start_subscriptions(std::string_view name) const;
  std::optional<Key> active_instance_for(std::string_view bpmn_process_id,
                                         std::string_view correlation_key) const;
  // Message subscriptions with a correlation on its way to the instance's partition (retries).
  std::vector<MessageSubscriptionEntry> correlating_message_subscriptions(std::size_t max) const;

  // --- process message subscriptions (the instance's side), by element instance and name.
  // "state" is CREATING (not acknowledged yet), CREATED, or DELETING.
  std::optional<Json> process_message_subscription(Key element_instance_key,
                                                   std::string_view message_name) const;
  std::vector<Json> process_message_subscriptions_of(Key element_instance_key) const;
  // Subscriptions in CREATING or DELETING state (for retries to the message partition).
  std::vector<Json> pending_process_message_subscriptions(std::size_t max) const;

 protected:
  std::optional<Json> get_doc(std::string_view key) const;

  Transaction& txn_;
};

class EventStateWriter : public EventStateView {
 public:
  explicit EventStateWriter(EngineState& state) : EventStateView(state) {}

  void put_timer(const TimerEntry& timer);
  void remove_timer(Key key);

  void put_trigger(const EventTrigger& trigger);
  void remove_trigger(Key scope_key);

  void put_message(const MessageEntry& message);
  void remove_message(Key key);
  void mark_correlated(Key message_key, std::string_view bpmn_process_id, Key instance_key);

  void put_message_subscription(const MessageSubscriptionEntry& subscription);
  void remove_message_subscription(Key key);

  void put_message_start_subscription(std::string_view name, Key definition_key,
                                      std::string_view start_event_id);
  void remove_message_start_subscriptions(Key definition_key,
                                          const std::vector<std::string>& names);
  void put_active_instance(std::string_view bpmn_process_id, std::string_view correlation_key,
                           Key instance_key);
  void remove_active_instance(std::string_view bpmn_process_id, std::string_view correlation_key);

  void put_process_message_subscription(const Json& value);
  void remove_process_message_subscription(Key element_instance_key, std::string_view message_name);

 private:
  void put_doc(std::string_view key, const Json& doc);
};

}  // namespace tern::engine
