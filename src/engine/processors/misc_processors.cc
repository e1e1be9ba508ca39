// VARIABLE_DOCUMENT UPDATE (set variables, local or propagating) and INCIDENT RESOLVE.

#include <string>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/processors.h"

namespace tern::engine {

namespace {

std::string key_text(Key key) {
  return std::to_string(key.value());
}

void update_variables(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  Key scope_key(command.value("scopeKey", std::int64_t{-1}));
  auto scope = ctx.out.element_instance(scope_key);
  if (!scope) {
    ctx.out.reject(RejectionType::kNotFound, "Expected to update variables for element with key '"
                                                 + key_text(scope_key)
                                                 + "', but no such element was found");
    return;
  }
  Json variables = command.value("variables", Json());
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected document to be valid JSON object, but it was not");
    return;
  }
  std::string semantics = command.value("updateSemantics", std::string("PROPAGATE"));
  if (semantics != "LOCAL" && semantics != "PROPAGATE") {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected update semantics LOCAL or PROPAGATE, but got '" + semantics + "'");
    return;
  }
  VariableBehavior behavior(ctx);
  if (semantics == "LOCAL") {
    behavior.set_local_document(scope_key, variables, scope->value);
  } else {
    behavior.propagate_document(scope_key, variables, scope->value);
  }
  Json value{{"scopeKey", scope_key.value()},
             {"updateSemantics", semantics},
             {"variables", variables},
             {"tenantId", "<default>"}};
  ctx.out.respond(ctx.out.event(ctx.out.next_key(), ValueType::kVariableDocument, Intent::kUpdated,
                                std::move(value)));
}

void resolve_incident(ProcessingContext& ctx) {
  auto incident = ctx.state.incident(ctx.command.key);
  if (!incident) {
    ctx.out.reject(RejectionType::kNotFound, "Expected to resolve incident with key '"
                                                 + key_text(ctx.command.key)
                                                 + "', but no such incident was found");
    return;
  }
  Key job_key(incident->value("jobKey", std::int64_t{-1}));
  if (job_key.value() > 0) {
    auto job = ctx.state.job(job_key);
    if (job && job->value.retries < 1) {
      ctx.out.reject(RejectionType::kInvalidState,
                     "Expected to resolve incident with key '" + key_text(ctx.command.key)
                         + "', but the job with key '" + key_text(job_key)
                         + "' has no retries left; update its retries first");
      return;
    }
  }
  ctx.out.respond(
      ctx.out.event(ctx.command.key, ValueType::kIncident, Intent::kResolved, *incident));
  if (job_key.value() > 0) return;  // the applier made the job activatable again
  // An element incident: run the step that failed again, with the fixed variables.
  auto instance =
      ctx.out.element_instance(Key(incident->value("elementInstanceKey", std::int64_t{-1})));
  if (!instance) return;
  BpmnBehavior bpmn(ctx);
  if (instance->state == Intent::kElementActivating) {
    bpmn.continue_activation(std::move(*instance));
  } else if (instance->state == Intent::kElementCompleting) {
    bpmn.continue_completion(std::move(*instance));
  }
}

}  // namespace

void add_misc_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kVariableDocument, Intent::kUpdate, update_variables);
  add_processor(map, ValueType::kIncident, Intent::kResolve, resolve_incident);
}

ProcessorMap make_processors() {
  ProcessorMap map;
  add_deployment_processors(map);
  add_process_instance_processors(map);
  add_job_processors(map);
  add_misc_processors(map);
  add_timer_processors(map);
  add_message_processors(map);
  add_exporter_processors(map);
  add_signal_processors(map);
  return map;
}

}  // namespace tern::engine
