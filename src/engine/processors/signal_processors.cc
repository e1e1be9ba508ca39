// SIGNAL BROADCAST: writes SIGNAL BROADCASTED (the answer) and triggers this partition's signal
// subscriptions (signal_behavior.h). Every partition receives the command: from the gateway,
// which sends it to each partition, or from a throw event's partition.

#include <string>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/processors.h"
#include "engine/processors/signal_behavior.h"
#include "engine/records/keys.h"
#include "engine/state/signal_state.h"

namespace tern::engine {

namespace {

void broadcast_signal(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  std::string name = command.value("signalName", std::string());
  if (name.empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to broadcast a signal with a name, but the name was empty");
    return;
  }
  Json variables = command.value("variables", Json::object());
  if (variables.is_null()) variables = Json::object();
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to broadcast signal '" + name
                       + "' with variables as a JSON object, but they were not");
    return;
  }
  Json value{{"signalName", name},
             {"variables", variables},
             {"tenantId", command.value("tenantId", std::string("<default>"))}};
  // A signal thrown on another partition: acknowledged every time it arrives, broadcast once.
  Key distribution(command.value("distributionKey", std::int64_t{-1}));
  if (distribution.value() > 0) {
    ctx.out.remote_command(partition_of(distribution), ValueType::kSignal, Intent::kAcknowledge,
                           Json{{"distributionKey", distribution.value()},
                                {"partitionId", ctx.state.partition().value()}});
    if (SignalStateView(ctx.state).distribution_received(distribution)) {
      ctx.out.reject(RejectionType::kAlreadyExists,
                     "Expected to broadcast the distributed signal '" + name + "' with key '"
                         + std::to_string(distribution.value())
                         + "' once, but it was already broadcast on this partition");
      return;
    }
    value["distributionKey"] = distribution.value();
  }
  ctx.out.respond(
      ctx.out.event(ctx.out.next_key(), ValueType::kSignal, Intent::kBroadcasted, value));
  BpmnBehavior bpmn(ctx);
  SignalBehavior(ctx, bpmn).broadcast_here(name, variables);
}

// SIGNAL ACKNOWLEDGE from a partition this one distributed a thrown signal to.
void acknowledge_distribution(ProcessingContext& ctx) {
  Key distribution(ctx.command.value.value("distributionKey", std::int64_t{-1}));
  auto pending = SignalStateView(ctx.state).distribution(distribution);
  if (!pending) {
    ctx.out.reject(RejectionType::kNotFound,
                   "Expected to acknowledge the signal distribution with key '"
                       + std::to_string(distribution.value()) + "', but it is not pending");
    return;
  }
  ctx.out.event(distribution, ValueType::kSignal, Intent::kAcknowledged, pending->value);
}

}  // namespace

void add_signal_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kSignal, Intent::kBroadcast, broadcast_signal);
  add_processor(map, ValueType::kSignal, Intent::kAcknowledge, acknowledge_distribution);
}

}  // namespace tern::engine
