#include "engine/appliers/event_appliers.h"

#include "engine/state/compensation_state.h"
#include "engine/state/event_state.h"
#include "engine/state/exporter_state.h"
#include "engine/state/signal_state.h"

namespace tern::engine {

namespace {

Key json_key(const Json& value, const char* field) {
  return Key(value.value(field, std::int64_t{-1}));
}

void apply_timer(const Record& record, EventStateWriter& events) {
  switch (record.intent) {
    case Intent::kCreated:
      events.put_timer(TimerEntry{record.key, record.value});
      break;
    case Intent::kTriggered:
    case Intent::kCanceled:
      events.remove_timer(record.key);
      break;
    default:
      break;
  }
}

void apply_process_event(const Record& record, EventStateWriter& events) {
  Key scope = json_key(record.value, "scopeKey");
  if (record.intent == Intent::kTriggering) {
    events.put_trigger(EventTrigger{scope, record.value.value("targetElementId", std::string()),
                                    record.value.value("variables", Json::object())});
  } else if (record.intent == Intent::kTriggered) {
    events.remove_trigger(scope);
  }
}

void apply_message(const Record& record, EventStateWriter& events) {
  if (record.intent == Intent::kPublished) {
    // Only buffered messages (time-to-live > 0) are kept; the rest are history only.
    if (record.value.value("timeToLive", std::int64_t{0}) > 0) {
      events.put_message(MessageEntry{record.key, record.value});
    }
  } else if (record.intent == Intent::kExpired) {
    events.remove_message(record.key);
  }
}

void apply_message_subscription(const Record& record, EventStateWriter& events) {
  switch (record.intent) {
    case Intent::kCreated:
      events.put_message_subscription(MessageSubscriptionEntry{record.key, record.value});
      break;
    case Intent::kCorrelating: {
      // The message is marked at once, so that it is not sent to a second subscription of the
      // same process while this one is on its way.
      events.mark_correlated(json_key(record.value, "messageKey"),
                             record.value.value("bpmnProcessId", std::string()),
                             json_key(record.value, "processInstanceKey"));
      Json value = record.value;
      value["correlating"] = true;
      events.put_message_subscription(MessageSubscriptionEntry{record.key, value});
      break;
    }
    case Intent::kCorrelated: {
      // A non-interrupting catch (boundary, event sub-process start) keeps listening.
      if (record.value.value("interrupting", true)) {
        events.remove_message_subscription(record.key);
      } else {
        Json value = record.value;
        value["correlating"] = false;
        events.put_message_subscription(MessageSubscriptionEntry{record.key, value});
      }
      break;
    }
    case Intent::kDeleted:
      events.remove_message_subscription(record.key);
      break;
    default:
      break;
  }
}

void apply_process_message_subscription(const Record& record, EventStateWriter& events) {
  Json value = record.value;
  switch (record.intent) {
    case Intent::kCreating:
      value["state"] = "CREATING";
      events.put_process_message_subscription(value);
      break;
    case Intent::kCreated:
      value["state"] = "CREATED";
      events.put_process_message_subscription(value);
      break;
    case Intent::kDeleting:
      value["state"] = "DELETING";
      events.put_process_message_subscription(value);
      break;
    case Intent::kCorrelated:
      if (!record.value.value("interrupting", true)) break;
      [[fallthrough]];
    case Intent::kDeleted:
      events.remove_process_message_subscription(json_key(value, "elementInstanceKey"),
                                                 value.value("messageName", std::string()));
      break;
    default:
      break;
  }
}

void apply_message_start(const Record& record, EventStateWriter& events) {
  const auto& v = record.value;
  Key definition = json_key(v, "processDefinitionKey");
  if (record.intent == Intent::kCreated) {
    events.put_message_start_subscription(v.value("messageName", std::string()), definition,
                                          v.value("startEventId", std::string()));
  } else if (record.intent == Intent::kDeleted) {
    events.remove_message_start_subscriptions(definition, {v.value("messageName", std::string())});
  } else if (record.intent == Intent::kCorrelated) {
    // A message-started instance holds its correlation key until it ends (one active instance
    // per key); the key is released by PROCESS_INSTANCE ELEMENT_COMPLETED/TERMINATED handling
    // in the processor, which writes MESSAGE_START_EVENT_SUBSCRIPTION DELETED for the instance.
    auto correlation = v.value("correlationKey", std::string());
    if (!correlation.empty()) {
      events.put_active_instance(v.value("bpmnProcessId", std::string()), correlation,
                                 json_key(v, "processInstanceKey"));
    }
    events.mark_correlated(json_key(v, "messageKey"), v.value("bpmnProcessId", std::string()),
                           json_key(v, "processInstanceKey"));
  }
}

}  // namespace

bool apply_event_record(const Record& record, EngineState& state) {
  EventStateWriter events(state);
  switch (record.value_type) {
    case ValueType::kTimer:
      apply_timer(record, events);
      return true;
    case ValueType::kProcessEvent:
      apply_process_event(record, events);
      return true;
    case ValueType::kMessage:
      apply_message(record, events);
      return true;
    case ValueType::kMessageSubscription:
      apply_message_subscription(record, events);
      return true;
    case ValueType::kProcessMessageSubscription:
      apply_process_message_subscription(record, events);
      return true;
    case ValueType::kMessageStartEventSubscription:
      apply_message_start(record, events);
      return true;
    case ValueType::kExporter:
      if (record.intent == Intent::kUpdated) {
        ExporterStateWriter(state.transaction())
            .put_position(record.value["exporterId"].get<std::string>(),
                          Position(record.value["position"].get<std::int64_t>()));
      }
      return true;
    case ValueType::kSignal: {
      SignalStateWriter signals(state);
      Key distribution(record.value.value("distributionKey", std::int64_t{-1}));
      if (record.intent == Intent::kDistributing)
        signals.put_distribution({record.key, record.value});
      if (record.intent == Intent::kAcknowledged) signals.remove_distribution(record.key);
      if (record.intent == Intent::kBroadcasted && distribution.value() > 0) {
        signals.mark_received(distribution);
      }
      return true;
    }
    case ValueType::kSignalSubscription: {
      SignalStateWriter signals(state);
      if (record.intent == Intent::kCreated) signals.put({record.key, record.value});
      if (record.intent == Intent::kDeleted) signals.remove(record.key);
      return true;
    }
    case ValueType::kCompensationSubscription: {
      // TRIGGERED keeps the subscription (with the throw event and the handler instance) until
      // the handler completes; COMPLETED and DELETED end it.
      CompensationStateWriter compensations(state);
      if (record.intent == Intent::kCreated || record.intent == Intent::kTriggered) {
        compensations.put({record.key, record.value});
      } else if (record.intent == Intent::kCompleted || record.intent == Intent::kDeleted) {
        compensations.remove(record.key);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace tern::engine
