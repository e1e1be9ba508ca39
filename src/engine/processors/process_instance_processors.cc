// PROCESS_INSTANCE_CREATION CREATE / CREATE_WITH_AWAITING_RESULT and the element commands
// (ACTIVATE_ELEMENT, COMPLETE_ELEMENT, TERMINATE_ELEMENT, CANCEL).

#include <string>

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/processors.h"

namespace tern::engine {

namespace {

std::string key_text(Key key) {
  return std::to_string(key.value());
}

void create_instance(ProcessingContext& ctx, bool await_result) {
  const Json& command = ctx.command.value;
  auto definition_key = Key(command.value("processDefinitionKey", std::int64_t{-1}));
  std::string process_id = command.value("bpmnProcessId", std::string());
  std::int32_t version = command.value("version", -1);
  std::optional<Key> key;
  if (definition_key.value() > 0) {
    if (!ctx.models.deployed(ctx.state, definition_key)) {
      ctx.out.reject(RejectionType::kNotFound, "Expected to find process definition with key '"
                                                   + key_text(definition_key)
                                                   + "', but none found");
      return;
    }
    key = definition_key;
  } else if (process_id.empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected at least a bpmnProcessId or a key greater than -1, but none given");
    return;
  } else {
    key = version > 0 ? ctx.state.process_by_version(process_id, version)
                      : ctx.state.latest_process(process_id);
    if (!key) {
      ctx.out.reject(RejectionType::kNotFound,
                     version > 0
                         ? "Expected to find process definition with process ID '" + process_id
                               + "' and version '" + std::to_string(version) + "', but none found"
                         : "Expected to find process definition with process ID '" + process_id
                               + "', but none found");
      return;
    }
  }
  Json variables = command.value("variables", Json::object());
  if (variables.is_null()) variables = Json::object();
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to set variables from document, but the document is invalid: it "
                   "must be a JSON object");
    return;
  }
  // The cache's copy of the definition's identity: the stored definition holds its whole XML.
  const DeployedProcess* definition = ctx.models.deployed(ctx.state, *key);
  TERN_CHECK(definition != nullptr, "a process found by id or version is deployed");
  const auto& model = definition->model;
  if (model->none_start_event() == bpmn::kNoElement) {
    ctx.out.reject(RejectionType::kInvalidState,
                   "Expected to create instance of process with none start event, but there is "
                   "no such event");
    return;
  }
  Key instance_key = ctx.out.next_key();
  auto process_value = ProcessInstanceValue::root(definition->bpmn_process_id, definition->version,
                                                  *key, instance_key);
  BpmnBehavior bpmn(ctx);
  bpmn.variables().set_local_document(instance_key, variables, process_value);
  ctx.out.command(instance_key, ValueType::kProcessInstance, Intent::kActivateElement,
                  process_value);
  Json created{{"bpmnProcessId", definition->bpmn_process_id},
               {"version", definition->version},
               {"processDefinitionKey", key->value()},
               {"processInstanceKey", instance_key.value()},
               {"variables", variables},
               {"fetchVariables", command.value("fetchVariables", Json::array())},
               {"startInstructions", Json::array()},
               {"tenantId", "<default>"}};
  RequestRef awaiting;
  if (await_result) {
    // The awaiting request rides on the CREATED event so that whoever completes the instance
    // (maybe another leader) can answer it; the applier stores it.
    created["awaitingResult"] = true;
    awaiting = ctx.command.request;
  }
  ctx.out.event(instance_key, ValueType::kProcessInstanceCreation, Intent::kCreated, created,
                awaiting);
  if (!await_result) ctx.out.respond(ctx.out.records().back());
}

}  // namespace

void add_process_instance_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kProcessInstanceCreation, Intent::kCreate,
                [](ProcessingContext& ctx) { create_instance(ctx, false); });
  add_processor(map, ValueType::kProcessInstanceCreation, Intent::kCreateWithAwaitingResult,
                [](ProcessingContext& ctx) { create_instance(ctx, true); });

  add_processor(
      map, ValueType::kProcessInstance, Intent::kActivateElement, [](ProcessingContext& ctx) {
        auto value = ProcessInstanceValue::from_record(ctx.command);
        Key scope_key = value.flow_scope_key;
        if (!value.extra.is_null()) {
          // A value the engine did not write (a field of another type, or no object at all): read
          // the flow scope as JSON, which rejects such a value with the same error as ever.
          scope_key = Key(value_json(ctx.command).value("flowScopeKey", std::int64_t{-1}));
        }
        if (scope_key.value() > 0) {
          auto scope = ctx.out.element_instance(scope_key);
          if (!scope || scope->state != Intent::kElementActivated || scope->interrupted) {
            ctx.out.reject(RejectionType::kInvalidState, "Expected flow scope instance with key '"
                                                             + key_text(scope_key)
                                                             + "' to be active, but it is not");
            return;
          }
        }
        if (ctx.out.element_instance(ctx.command.key)) {
          ctx.out.reject(RejectionType::kAlreadyExists,
                         "Expected to activate element instance with key '"
                             + key_text(ctx.command.key) + "', but it already exists");
          return;
        }
        BpmnBehavior(ctx).activate(ctx.command.key, std::move(value));
      });

  add_processor(map, ValueType::kProcessInstance, Intent::kCompleteElement,
                [](ProcessingContext& ctx) {
                  auto instance = ctx.out.element_instance(ctx.command.key);
                  if (!instance || instance->state != Intent::kElementActivated) {
                    ctx.out.reject(RejectionType::kInvalidState,
                                   "Expected to complete element instance with key '"
                                       + key_text(ctx.command.key) + "', but it is not active");
                    return;
                  }
                  BpmnBehavior(ctx).complete(std::move(*instance));
                });

  add_processor(map, ValueType::kProcessInstance, Intent::kTerminateElement,
                [](ProcessingContext& ctx) {
                  auto instance = ctx.out.element_instance(ctx.command.key);
                  if (!instance || instance->state == Intent::kElementTerminating) {
                    ctx.out.reject(RejectionType::kInvalidState,
                                   "Expected to terminate element instance with key '"
                                       + key_text(ctx.command.key) + "', but it is not active");
                    return;
                  }
                  BpmnBehavior(ctx).terminate(std::move(*instance));
                });

  add_processor(map, ValueType::kProcessInstance, Intent::kCancel, [](ProcessingContext& ctx) {
    auto instance = ctx.out.element_instance(ctx.command.key);
    if (!instance || instance->flow_scope_key().value() > 0) {
      ctx.out.reject(RejectionType::kNotFound, "Expected to cancel a process instance with key '"
                                                   + key_text(ctx.command.key)
                                                   + "', but no such process was found");
      return;
    }
    if (instance->state == Intent::kElementTerminating) {
      ctx.out.reject(RejectionType::kInvalidState,
                     "Expected to cancel a process instance with key '" + key_text(ctx.command.key)
                         + "', but it is already being terminated");
      return;
    }
    auto root = instance->value.parent_process_instance_key.value();
    if (root > 0) {
      ctx.out.reject(RejectionType::kInvalidState,
                     "Expected to cancel a process instance with key '" + key_text(ctx.command.key)
                         + "', but it is created by a parent process instance. Cancel the root "
                           "process instance '"
                         + std::to_string(root) + "' instead.");
      return;
    }
    BpmnBehavior(ctx).terminate(*instance);
    // The first record is the process's ELEMENT_TERMINATING: the acknowledgement.
    for (const auto& record : ctx.out.records()) {
      if (record.key == ctx.command.key && record.intent == Intent::kElementTerminating) {
        ctx.out.respond(record);
        break;
      }
    }
  });
}

}  // namespace tern::engine
