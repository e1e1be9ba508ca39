#include "engine/processors/message_behavior.h"

#include <cmath>
#include <cstdlib>

#include "engine/processors/bpmn_behavior.h"
#include "engine/records/keys.h"

namespace tern::engine {

namespace {

// Decodes UTF-8 into code points; invalid bytes count as U+FFFD, as Java's decoder does.
std::vector<std::uint32_t> code_points(std::string_view text) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<std::uint8_t>(text[i]);
    int extra = -1;
    if (byte < 0x80) {
      extra = 0;
    } else if ((byte >> 5) == 0x6) {
      extra = 1;
    } else if ((byte >> 4) == 0xE) {
      extra = 2;
    } else if ((byte >> 3) == 0x1E) {
      extra = 3;
    }
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size() + (extra == 0 ? 1 : 0)) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    std::uint32_t cp = extra == 0 ? byte : byte & (0x3F >> extra);
    bool valid = true;
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<std::uint8_t>(text[i + static_cast<std::size_t>(k)]);
      if ((next >> 6) != 0x2) valid = false;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (!valid) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string key_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  // A whole number computed by FEEL arrives as a double; Zeebe writes it without a fraction.
  double number = value.get<double>();
  if (std::trunc(number) == number) return std::to_string(static_cast<std::int64_t>(number));
  return value.dump();
}

}  // namespace

PartitionId message_partition(std::string_view correlation_key, std::int32_t partition_count) {
  std::uint32_t hash = 0;
  auto add = [&](std::uint32_t unit) { hash = hash * 31u + unit; };
  for (auto cp : code_points(correlation_key)) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  auto signed_hash = static_cast<std::int32_t>(hash);
  return PartitionId(std::abs(signed_hash % partition_count) + 1);
}

Record subscription_command(ValueType type, Intent intent, const Json& value, PartitionId target,
                            std::int64_t now_ms) {
  Record command;
  command.key = kNoKey;
  command.timestamp_ms = now_ms;
  command.record_type = RecordType::kCommand;
  command.value_type = type;
  command.intent = intent;
  command.partition_id = target;
  command.value = value;
  return command;
}

Result<MessageBehavior::Planned, std::string> MessageBehavior::plan(
    const bpmn::FlowElement& element, Key scope_key) {
  const auto& message = *element.message;
  std::string name(message.name.text);
  if (message.name.is_expression) {
    auto value = bpmn_.variables().evaluate(message.name, scope_key);
    if (!value) return unexpected(value.error());
    if (!value->is_string()) {
      return unexpected("Expected result of the expression '" + std::string(message.name.text)
                        + "' to be 'STRING', but was '" + value->dump() + "'");
    }
    name = value->get<std::string>();
  }
  std::string correlation(message.correlation_key.text);
  if (message.correlation_key.is_expression) {
    auto value = bpmn_.variables().evaluate(message.correlation_key, scope_key);
    if (!value) {
      return unexpected("Failed to extract the correlation key for '"
                        + std::string(message.correlation_key.text) + "': " + value.error());
    }
    if (!value->is_string() && !value->is_number()) {
      return unexpected(
          "Failed to extract the correlation key for '" + std::string(message.correlation_key.text)
          + "': The value must be either a string or a number, but was '" + value->dump() + "'.");
    }
    correlation = key_text(*value);
  }
  return Planned{&element, std::move(name), std::move(correlation)};
}

void MessageBehavior::open(const ElementInstance& instance, const Planned& planned) {
  auto target = message_partition(planned.correlation_key, ctx_.partition_count);
  bool interrupting = planned.element->kind == bpmn::ElementKind::BOUNDARY_EVENT
                          ? planned.element->cancel_activity
                          : planned.element->interrupting;
  Json value{{"subscriptionPartitionId", target.value()},
             {"processInstanceKey", instance.value.process_instance_key.value()},
             {"elementInstanceKey", instance.key.value()},
             {"messageName", planned.name},
             {"correlationKey", planned.correlation_key},
             {"interrupting", interrupting},
             {"messageKey", -1},
             {"variables", Json::object()},
             {"bpmnProcessId", instance.value.bpmn_process_id},
             {"elementId", planned.element->id},
             {"tenantId", "<default>"}};
  ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessMessageSubscription, Intent::kCreating,
                 value);
  send(target, ValueType::kMessageSubscription, Intent::kCreate, value);
}

void MessageBehavior::close_all(Key instance_key) {
  for (auto& value : EventStateView(ctx_.state).process_message_subscriptions_of(instance_key)) {
    if (value.value("state", std::string()) == "DELETING") continue;
    value.erase("state");
    ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessMessageSubscription, Intent::kDeleting,
                   value);
    send(PartitionId(value.value("subscriptionPartitionId", 1)), ValueType::kMessageSubscription,
         Intent::kDelete, value);
  }
}

bool MessageBehavior::correlate(const MessageSubscriptionEntry& subscription, Key message_key,
                                const Json& message) {
  EventStateView events(ctx_.state);
  if (subscription.value.value("correlating", false)) return false;
  auto process_id = subscription.value.value("bpmnProcessId", std::string());
  if (events.message_correlated(message_key, process_id)) return false;
  Json value = subscription.value;
  value.erase("correlating");
  value["messageKey"] = message_key.value();
  value["variables"] = message.value("variables", Json::object());
  ctx_.out.event(subscription.key, ValueType::kMessageSubscription, Intent::kCorrelating, value);
  send(partition_of(Key(value.value("elementInstanceKey", std::int64_t{-1}))),
       ValueType::kProcessMessageSubscription, Intent::kCorrelate, value);
  return true;
}

void MessageBehavior::send(PartitionId target, ValueType type, Intent intent, const Json& value) {
  if (target != ctx_.state.partition()) {
    ctx_.out.remote_command(target, type, intent, value);
    return;
  }
  ctx_.out.command(kNoKey, type, intent, value);
}

}  // namespace tern::engine
