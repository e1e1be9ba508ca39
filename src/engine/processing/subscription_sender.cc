#include "engine/processing/subscription_sender.h"

#include <set>

#include "engine/processors/message_behavior.h"
#include "engine/processors/signal_behavior.h"
#include "engine/records/keys.h"
#include "engine/state/event_state.h"
#include "engine/state/signal_state.h"

namespace tern::engine {

SubscriptionCommandSender::SubscriptionCommandSender(PartitionEngine& engine, PartitionId partition,
                                                     SubscriptionTransport& transport,
                                                     SubscriptionSenderOptions options)
    : engine_(engine), partition_(partition), transport_(transport), options_(options) {}

bool SubscriptionCommandSender::due(const std::string& id, std::int64_t now_ms) {
  auto it = last_sent_ms_.find(id);
  return it == last_sent_ms_.end() || now_ms - it->second >= options_.retry_interval_ms;
}

std::size_t SubscriptionCommandSender::send_pending(std::int64_t now_ms) {
  if (engine_.role() != Role::kLeader) {
    last_sent_ms_.clear();
    return 0;
  }
  EngineState state(engine_.db().transaction(), partition_);
  EventStateView events(state);
  std::set<std::string> pending;
  std::size_t sent = 0;
  auto deliver = [&](const std::string& id, ValueType type, Intent intent, Json value,
                     PartitionId target) {
    pending.insert(id);
    if (target == partition_ || !due(id, now_ms)) return;
    transport_.send(subscription_command(type, intent, value, target, now_ms));
    last_sent_ms_[id] = now_ms;
    ++sent;
  };
  for (auto& value : events.pending_process_message_subscriptions(options_.max_per_round)) {
    std::string state_name = value.value("state", std::string());
    value.erase("state");
    Intent intent = state_name == "DELETING" ? Intent::kDelete : Intent::kCreate;
    std::string id = state_name + "/" + std::to_string(value.value("elementInstanceKey", 0LL)) + "/"
                     + value.value("messageName", std::string());
    PartitionId target(value.value("subscriptionPartitionId", 1));
    deliver(id, ValueType::kMessageSubscription, intent, std::move(value), target);
  }
  for (auto& entry : events.correlating_message_subscriptions(options_.max_per_round)) {
    Json value = entry.value;
    value.erase("correlating");
    Key element(value.value("elementInstanceKey", std::int64_t{-1}));
    std::string id = "CORRELATING/" + std::to_string(entry.key.value()) + "/"
                     + std::to_string(value.value("messageKey", 0LL));
    deliver(id, ValueType::kProcessMessageSubscription, Intent::kCorrelate, std::move(value),
            partition_of(element));
  }
  for (const auto& entry : SignalStateView(state).pending_distributions(options_.max_per_round)) {
    std::string id = "SIGNAL/" + std::to_string(entry.key.value());
    PartitionId target(entry.value.value("partitionId", 0));
    deliver(id, ValueType::kSignal, Intent::kBroadcast,
            SignalBehavior::distributed_broadcast(entry.key, entry.value), target);
  }
  std::erase_if(last_sent_ms_, [&](const auto& item) { return !pending.contains(item.first); });
  return sent;
}

}  // namespace tern::engine
