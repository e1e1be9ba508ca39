// EXPORTER UPDATE: the broker's exporter director records how far an exporter has acknowledged.
// The position only moves forward; the UPDATED event carries it to every replica's state.

#include <string>

#include "engine/processors/processors.h"
#include "engine/state/exporter_state.h"

namespace tern::engine {

namespace {

void update_exporter_position(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  if (!command.contains("exporterId") || !command["exporterId"].is_string()
      || command["exporterId"].get<std::string>().empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected an exporter position with a non-empty 'exporterId', but it had none");
    return;
  }
  if (!command.contains("position") || !command["position"].is_number_integer()
      || command["position"].get<std::int64_t>() < 0) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected an exporter position with a non-negative integer 'position'");
    return;
  }
  std::string id = command["exporterId"].get<std::string>();
  Position position(command["position"].get<std::int64_t>());
  auto stored = ExporterStateView(ctx.state.transaction()).position(id);
  if (stored && position < *stored) {
    ctx.out.reject(RejectionType::kInvalidState,
                   "Expected to move the position of exporter '" + id + "' forward from "
                       + std::to_string(stored->value()) + ", but got "
                       + std::to_string(position.value()));
    return;
  }
  Json value{{"exporterId", id}, {"position", position.value()}};
  ctx.out.respond(
      ctx.out.event(ctx.command.key, ValueType::kExporter, Intent::kUpdated, std::move(value)));
}

}  // namespace

void add_exporter_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kExporter, Intent::kUpdate, update_exporter_position);
}

}  // namespace tern::engine
