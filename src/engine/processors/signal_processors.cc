// SIGNAL BROADCAST: writes SIGNAL BROADCASTED (the answer) and triggers this partition's signal
// subscriptions (signal_behavior.h). Every partition receives the command: from the gateway,
// which sends it to each partition, or from a throw event's partition.

#include <string>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/processors.h"
#include "engine/processors/signal_behavior.h"

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
  ctx.out.respond(
      ctx.out.event(ctx.out.next_key(), ValueType::kSignal, Intent::kBroadcasted, value));
  BpmnBehavior bpmn(ctx);
  SignalBehavior(ctx, bpmn).broadcast_here(name, variables);
}

}  // namespace

void add_signal_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kSignal, Intent::kBroadcast, broadcast_signal);
}

}  // namespace tern::engine
