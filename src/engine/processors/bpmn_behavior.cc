#include "engine/processors/bpmn_behavior.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "engine/bpmn/inclusive.h"
#include "engine/processors/call_activity_behavior.h"
#include "engine/processors/catch_behavior.h"
#include "engine/processors/compensation_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/processors/inclusive_gateway.h"
#include "engine/processors/multi_instance_behavior.h"
#include "engine/processors/signal_behavior.h"

namespace tern::engine {

namespace {

using bpmn::ElementKind;

constexpr std::string_view kUserTaskJobType = "io.camunda.zeebe:userTask";

bool is_parallel_join(const bpmn::FlowElement& element) {
  return element.kind == ElementKind::PARALLEL_GATEWAY && element.incoming.size() > 1;
}

bool is_job_worker_element(const bpmn::FlowElement& element) {
  switch (element.kind) {
    case ElementKind::SERVICE_TASK:
    case ElementKind::SEND_TASK:
    case ElementKind::BUSINESS_RULE_TASK:
    case ElementKind::SCRIPT_TASK:
    case ElementKind::INTERMEDIATE_THROW_EVENT:
    case ElementKind::END_EVENT:
      return element.job != nullptr;
    case ElementKind::USER_TASK:
      return element.user_task == nullptr || !element.user_task->native;
    default:
      return false;
  }
}

std::string json_type_name(const Json& value) {
  if (value.is_string()) return "STRING";
  if (value.is_number()) return "NUMBER";
  if (value.is_boolean()) return "BOOLEAN";
  if (value.is_null()) return "NULL";
  if (value.is_array()) return "ARRAY";
  return "OBJECT";
}

}  // namespace

ProcessInstanceValue BpmnBehavior::child_value(const ProcessInstanceValue& scope_value,
                                               Key scope_key, const bpmn::FlowElement& element) {
  ProcessInstanceValue value;
  value.bpmn_process_id = scope_value.bpmn_process_id;
  value.version = scope_value.version;
  value.process_definition_key = scope_value.process_definition_key;
  value.process_instance_key = scope_value.process_instance_key;
  value.parent_process_instance_key = scope_value.parent_process_instance_key;
  value.parent_element_instance_key = scope_value.parent_element_instance_key;
  value.tenant_id = scope_value.tenant_id;
  value.element_id = element.id;
  value.bpmn_element_type = bpmn::to_string(element.kind);
  value.bpmn_event_type = bpmn::to_string(element.event_type);
  value.flow_scope_key = scope_key;
  return value;
}

std::shared_ptr<const bpmn::ProcessModel> BpmnBehavior::model_of(
    const ProcessInstanceValue& value) const {
  auto model = ctx_.models.get(ctx_.state, value.process_definition_key);
  TERN_CHECK(model != nullptr, "an element instance belongs to a deployed process");
  return model;
}

void BpmnBehavior::transition(ElementInstance& instance, Intent intent) {
  // Before the event: its applier forgets the awaited request.
  if (intent == Intent::kElementTerminated && instance.flow_scope_key().value() <= 0) {
    reject_awaited_result(instance);
  }
  ctx_.out.event(instance.key, ValueType::kProcessInstance, intent, instance.value);
  instance.state = intent;
  // Leaving the active state closes the element's catch subscriptions (event_behavior.h).
  if (intent == Intent::kElementCompleting || intent == Intent::kElementTerminating) {
    EventBehavior(ctx_, *this).unsubscribe(instance);
  }
}

void BpmnBehavior::create_incident(const ElementInstance& instance, std::string_view error_type,
                                   std::string message, Key job_key) {
  Json value{{"errorType", error_type},
             {"errorMessage", std::move(message)},
             {"bpmnProcessId", instance.value.bpmn_process_id},
             {"processDefinitionKey", instance.value.process_definition_key.value()},
             {"processInstanceKey", instance.value.process_instance_key.value()},
             {"elementId", instance.value.element_id},
             {"elementInstanceKey", instance.key.value()},
             {"jobKey", job_key.value()},
             {"variableScopeKey", instance.key.value()},
             {"tenantId", "<default>"}};
  ctx_.out.event(ctx_.out.next_key(), ValueType::kIncident, Intent::kCreated, std::move(value));
}

void BpmnBehavior::activate(Key key, ProcessInstanceValue value) {
  ElementInstance instance;
  instance.key = key;
  instance.value = std::move(value);
  transition(instance, Intent::kElementActivating);
  continue_activation(std::move(instance));
}

void BpmnBehavior::continue_activation(ElementInstance instance) {
  auto model = model_of(instance.value);
  const auto* element =
      model->find_instance_element(instance.element_id(), instance.element_type());
  TERN_CHECK(element != nullptr, "an element instance's element exists in its process");
  // The inner instance of a multi-instance body gets its loop variables first; its input
  // mappings see them.
  const bool mi_inner = MultiInstanceBehavior::is_inner(*model, *element);
  if (mi_inner
      && !MultiInstanceBehavior(ctx_, *this)
              .on_inner_activating(instance, model->element(element->flow_scope))) {
    return;
  }
  if (element->io_mapping && !element->io_mapping->inputs.empty()) {
    auto local = variables_.map(element->io_mapping->inputs,
                                mi_inner ? instance.key : instance.flow_scope_key());
    if (!local) {
      create_incident(instance, kIoMappingError, local.error());
      return;
    }
    variables_.set_local_document(instance.key, local.value(), instance.value);
  }
  if (EventBehavior::entered_by_event_gateway(*model, *element)) {
    transition(instance, Intent::kElementActivated);
    complete_now(instance);
    return;
  }
  if (!EventBehavior(ctx_, *this).subscribe(instance, *model, *element)) return;
  if (is_job_worker_element(*element)) {
    if (create_job(instance, *element)) transition(instance, Intent::kElementActivated);
    return;
  }
  switch (element->kind) {
    case ElementKind::PROCESS:
    case ElementKind::SUB_PROCESS:
    case ElementKind::EVENT_SUB_PROCESS: {
      transition(instance, Intent::kElementActivated);
      // An event sub-process begins at its only start event, whose event has already happened.
      auto start_index = element->kind == ElementKind::EVENT_SUB_PROCESS
                             ? element->start_events.front()
                             : EventBehavior(ctx_, *this)
                                   .take_start_trigger(instance, *model)
                                   .value_or(element->none_start_event);
      if (start_index == bpmn::kNoElement) {
        complete_now(instance);
        return;
      }
      const auto& start = model->element(start_index);
      ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                       child_value(instance.value, instance.key, start));
      return;
    }
    case ElementKind::MULTI_INSTANCE_BODY: {
      MultiInstanceBehavior multi_instance(ctx_, *this);
      auto total = multi_instance.prepare_body(instance, *element);
      if (!total) return;
      transition(instance, Intent::kElementActivated);
      if (*total == 0) {
        complete_now(instance);
        return;
      }
      multi_instance.start_inner(instance, *model, *element, *total);
      return;
    }
    case ElementKind::CALL_ACTIVITY: {
      CallActivityBehavior calls(ctx_, *this);
      auto called = calls.resolve(instance, *element);
      if (!called) return;
      transition(instance, Intent::kElementActivated);
      calls.start_child(instance, *element, *called);
      return;
    }
    case ElementKind::SCRIPT_TASK:
      if (element->script) {
        if (!run_script(instance, *element)) return;
        return;
      }
      break;
    case ElementKind::EXCLUSIVE_GATEWAY:
    case ElementKind::INCLUSIVE_GATEWAY: {
      auto chosen = choose_flows(instance, *model, *element);
      if (!chosen) return;
      transition(instance, Intent::kElementActivated);
      complete_now(instance, std::move(chosen));
      return;
    }
    case ElementKind::INTERMEDIATE_CATCH_EVENT:
    case ElementKind::RECEIVE_TASK:
      transition(instance, Intent::kElementActivated);
      // A link catch event is entered by its throw event and passes; the others wait for their
      // event (subscribed above) whose trigger completes them.
      if (element->event_type == bpmn::EventType::LINK) complete_now(instance);
      return;
    case ElementKind::EVENT_BASED_GATEWAY:
      // Waits for the first of its events (subscribed above); the trigger completes it.
      transition(instance, Intent::kElementActivated);
      return;
    case ElementKind::BOUNDARY_EVENT:
    case ElementKind::PARALLEL_GATEWAY:
    case ElementKind::START_EVENT:
    case ElementKind::MANUAL_TASK:
    case ElementKind::TASK:
      transition(instance, Intent::kElementActivated);
      complete_now(instance);
      return;
    case ElementKind::END_EVENT:
    case ElementKind::INTERMEDIATE_THROW_EVENT:
      if (element->event_type == bpmn::EventType::NONE
          || element->event_type == bpmn::EventType::TERMINATE
          || element->event_type == bpmn::EventType::LINK) {
        transition(instance, Intent::kElementActivated);
        complete_now(instance);
        return;
      }
      if (element->event_type == bpmn::EventType::ERROR
          || element->event_type == bpmn::EventType::ESCALATION) {
        throw_event(instance, *element);
        return;
      }
      if (CompensationBehavior::is_compensation_throw(*element)) {
        // Waits for the handlers it invokes (compensation_behavior.h).
        transition(instance, Intent::kElementActivated);
        if (!CompensationBehavior(ctx_, *this).throw_compensation(instance, *model, *element)) {
          complete_now(instance);
        }
        return;
      }
      if (SignalBehavior::is_signal_event(*element)) {
        SignalBehavior signals(ctx_, *this);
        auto name = signals.name_of(*element, instance.key);
        if (!name) {
          create_incident(instance, kExtractValueError, name.error());
          return;
        }
        transition(instance, Intent::kElementActivated);
        signals.throw_signal(instance, *name);
        complete_now(instance);
        return;
      }
      break;
    default:
      break;
  }
  create_incident(instance, kUnknownError,
                  "Expected to execute element '" + std::string(element->id) + "' of type '"
                      + std::string(bpmn::to_string(element->kind)) + "' with event type '"
                      + std::string(bpmn::to_string(element->event_type))
                      + "', but this engine does not execute it yet");
}

void BpmnBehavior::throw_event(ElementInstance& instance, const bpmn::FlowElement& element) {
  bool is_error = element.event_type == bpmn::EventType::ERROR;
  const bpmn::ValueOrExpression* code_source = nullptr;
  if (is_error && element.error) code_source = &element.error->error_code;
  if (!is_error && element.escalation) code_source = &element.escalation->escalation_code;
  std::string code;
  if (code_source != nullptr && !code_source->empty()) {
    auto value = variables_.evaluate(*code_source, instance.key);
    if (!value || !value->is_string()) {
      create_incident(instance, kExtractValueError,
                      value ? "Expected result of the expression '" + std::string(code_source->text)
                                  + "' to be 'STRING', but was '" + json_type_name(*value) + "'"
                            : value.error());
      return;
    }
    code = value->get<std::string>();
  }
  CatchBehavior catches(ctx_, *this);
  if (is_error) {
    // An uncaught error leaves the end event activating with an incident; a caught one
    // interrupts a scope around it, which terminates the end event.
    if (!catches.find(instance, bpmn::EventType::ERROR, code).found) {
      catches.throw_error(instance, code, "", Json::object());
      return;
    }
    transition(instance, Intent::kElementActivated);
    catches.throw_error(instance, code, "", Json::object());
    return;
  }
  transition(instance, Intent::kElementActivated);
  // An escalation that nobody catches, or that a non-interrupting event catches, lets the
  // throwing event go on; an interrupting catch terminates it with its scope.
  if (catches.throw_escalation(instance, element, code)) complete_now(instance);
}

bool BpmnBehavior::create_job(ElementInstance& instance, const bpmn::FlowElement& element) {
  std::string type(kUserTaskJobType);
  std::int64_t retries = 1;
  Json headers = Json::object();
  for (const auto& header : element.task_headers)
    headers[std::string(header.key)] = header.value;
  if (element.job) {
    auto type_value = variables_.evaluate(element.job->type, instance.key);
    if (!type_value || !type_value->is_string() || type_value->get<std::string>().empty()) {
      create_incident(
          instance, kExtractValueError,
          type_value
              ? "Expected result of the expression '" + std::string(element.job->type.text)
                    + "' to be a non-empty 'STRING', but was '" + json_type_name(*type_value) + "'"
              : type_value.error());
      return false;
    }
    type = type_value->get<std::string>();
    auto retries_value = element.job->retries.empty()
                             ? Result<Json, std::string>(Json(3))
                             : variables_.evaluate(element.job->retries, instance.key);
    if (retries_value && retries_value->is_string()) {
      try {
        retries_value = Json(std::stoll(retries_value->get<std::string>()));
      } catch (const std::exception&) {
        // falls through to the type error below
      }
    }
    if (!retries_value || !retries_value->is_number()) {
      create_incident(
          instance, kExtractValueError,
          retries_value
              ? "Expected result of the expression '" + std::string(element.job->retries.text)
                    + "' to be 'NUMBER', but was '" + json_type_name(*retries_value) + "'"
              : retries_value.error());
      return false;
    }
    retries = static_cast<std::int64_t>(std::llround(retries_value->get<double>()));
  } else if (element.user_task) {
    const auto& task = *element.user_task;
    if (!task.assignee.empty() && !task.assignee.is_expression) {
      headers["io.camunda.zeebe:assignee"] = task.assignee.text;
    }
    if (!task.candidate_groups.empty() && !task.candidate_groups.is_expression) {
      headers["io.camunda.zeebe:candidateGroups"] = task.candidate_groups.text;
    }
    if (!task.form_key.empty()) headers["io.camunda.zeebe:formKey"] = task.form_key;
  }
  JobValue job;
  job.type = std::move(type);
  job.retries = retries;
  job.custom_headers = std::move(headers);
  job.deadline = -1;
  job.element_id = instance.value.element_id;
  job.element_instance_key = instance.key;
  job.bpmn_process_id = instance.value.bpmn_process_id;
  job.process_definition_version = instance.value.version;
  job.process_definition_key = instance.value.process_definition_key;
  job.process_instance_key = instance.value.process_instance_key;
  job.retry_backoff = 0;
  job.recurring_time = -1;
  job.tenant_id = "<default>";
  Key job_key = ctx_.out.next_key();
  ctx_.out.event(job_key, ValueType::kJob, Intent::kCreated, job);
  instance.job_key = job_key;
  return true;
}

bool BpmnBehavior::run_script(ElementInstance& instance, const bpmn::FlowElement& element) {
  auto result = variables_.evaluate(element.script->expression, instance.key);
  if (!result) {
    create_incident(instance, kExtractValueError, result.error());
    return false;
  }
  transition(instance, Intent::kElementActivated);
  Json document{{std::string(element.script->result_variable), std::move(result.value())}};
  if (element.io_mapping && !element.io_mapping->outputs.empty()) {
    variables_.set_local_document(instance.key, document, instance.value);
  } else {
    variables_.propagate_document(instance.key, document, instance.value);
  }
  complete_now(instance);
  return true;
}

FlowChoice BpmnBehavior::choose_flows(ElementInstance& instance, const bpmn::ProcessModel& model,
                                      const bpmn::FlowElement& gateway) {
  using Flows = std::vector<bpmn::ElementIndex>;
  if (gateway.outgoing.empty()) return Flows{};
  if (gateway.outgoing.size() == 1 && !model.element(gateway.outgoing[0]).condition) {
    return Flows{gateway.outgoing[0]};
  }
  const bool take_every_match = gateway.kind == ElementKind::INCLUSIVE_GATEWAY;
  Flows chosen;
  for (auto flow_index : gateway.outgoing) {
    if (flow_index == gateway.default_flow) continue;
    const auto& flow = model.element(flow_index);
    if (!flow.condition) continue;
    auto result = variables_.evaluate(*flow.condition, instance.key);
    if (!result) {
      create_incident(instance, kConditionError, result.error());
      return std::nullopt;
    }
    if (!result->is_boolean()) {
      create_incident(instance, kConditionError,
                      "Expected result of the expression '" + std::string(flow.condition->text)
                          + "' to be 'BOOLEAN', but was '" + json_type_name(*result) + "'");
      return std::nullopt;
    }
    if (!result->get<bool>()) continue;
    chosen.push_back(flow_index);
    if (!take_every_match) return chosen;
  }
  if (!chosen.empty()) return chosen;
  if (gateway.default_flow != bpmn::kNoElement) return Flows{gateway.default_flow};
  create_incident(instance, kConditionError,
                  "Expected at least one condition to evaluate to true, or to have a default flow");
  return std::nullopt;
}

void BpmnBehavior::complete(ElementInstance instance) {
  transition(instance, Intent::kElementCompleting);
  continue_completion(std::move(instance));
}

void BpmnBehavior::complete_now(ElementInstance& instance, FlowChoice only_flows) {
  transition(instance, Intent::kElementCompleting);
  continue_completion(instance, std::move(only_flows));
}

void BpmnBehavior::continue_completion(ElementInstance instance, FlowChoice only_flows) {
  auto model = model_of(instance.value);
  const auto* element =
      model->find_instance_element(instance.element_id(), instance.element_type());
  TERN_CHECK(element != nullptr, "an element instance's element exists in its process");
  if (element->io_mapping && !element->io_mapping->outputs.empty()) {
    auto document = variables_.map(element->io_mapping->outputs, instance.key);
    if (!document) {
      create_incident(instance, kIoMappingError, document.error());
      return;
    }
    Key start = instance.flow_scope_key().value() > 0 ? instance.flow_scope_key() : instance.key;
    variables_.propagate_document(start, document.value(), instance.value);
  }
  if (element->event_type == bpmn::EventType::TERMINATE) {
    // A terminate end event ends its scope: every other child is terminated; the scope
    // completes when the last one is gone.
    for (Key child : ctx_.state.children(instance.flow_scope_key())) {
      if (child == instance.key) continue;
      auto sibling = ctx_.state.element_instance(child);
      if (!sibling || sibling->state == Intent::kElementTerminating) continue;
      ctx_.out.command(child, ValueType::kProcessInstance, Intent::kTerminateElement,
                       sibling->value);
    }
  }
  if (element->kind == ElementKind::EVENT_BASED_GATEWAY && !only_flows) {
    if (auto winner = EventBehavior(ctx_, *this).take_gateway_trigger(instance, *model, *element))
      only_flows = std::vector<bpmn::ElementIndex>{*winner};
  }
  if (MultiInstanceBehavior::is_inner(*model, *element)) {
    MultiInstanceBehavior multi_instance(ctx_, *this);
    const auto& body = model->element(element->flow_scope);
    auto outcome = multi_instance.on_inner_completing(instance, body);
    if (!outcome) return;
    CompensationBehavior(ctx_, *this).before_completed(instance, *model, *element);
    Key body_key = instance.flow_scope_key();
    transition(instance, Intent::kElementCompleted);
    multi_instance.on_inner_completed(body_key, *model, body, *outcome);
    return;
  }
  if (element->kind == ElementKind::PROCESS) {
    answer_awaited_result(instance);
    // A called instance hands its variables to its call activity; they go with it.
    Key parent = instance.value.parent_element_instance_key;
    Json variables = parent.value() > 0 ? variables_.collect(instance.key, {}) : Json();
    CompensationBehavior(ctx_, *this).before_completed(instance, *model, *element);
    transition(instance, Intent::kElementCompleted);
    if (parent.value() > 0)
      CallActivityBehavior(ctx_, *this).on_child_completed(instance, variables);
    return;
  }
  CompensationBehavior compensation(ctx_, *this);
  compensation.before_completed(instance, *model, *element);
  transition(instance, Intent::kElementCompleted);
  compensation.after_completed(instance, *element);
  if (element->kind == ElementKind::INTERMEDIATE_THROW_EVENT
      && element->link_target != bpmn::kNoElement) {
    // A link throw continues at the catch event of its link name in the same scope; no
    // sequence flow is taken (the parser resolved the target).
    Key scope_key = instance.flow_scope_key();
    if (auto scope = ctx_.out.element_instance(scope_key)) {
      ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                       child_value(scope->value, scope_key, model->element(element->link_target)));
    }
    return;
  }
  take_flows(instance, *model, *element, only_flows);
}

void BpmnBehavior::take_flows(const ElementInstance& instance, const bpmn::ProcessModel& model,
                              const bpmn::FlowElement& element, const FlowChoice& only_flows) {
  Key scope_key = instance.flow_scope_key();
  auto scope = ctx_.out.element_instance(scope_key);
  TERN_CHECK(scope.has_value(), "a completed element's flow scope is live");
  bool took_any = false;
  std::vector<const bpmn::FlowElement*> joins;
  if (!scope->interrupted) {
    for (auto flow_index : element.outgoing) {
      if (only_flows
          && std::find(only_flows->begin(), only_flows->end(), flow_index) == only_flows->end())
        continue;
      const auto& flow = model.element(flow_index);
      ctx_.out.event(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kSequenceFlowTaken,
                     child_value(scope->value, scope_key, flow));
      took_any = true;
      const auto& target = model.element(flow.target);
      if (is_parallel_join(target)) {
        bool all_arrived = true;
        for (auto incoming : target.incoming) {
          if (ctx_.state.join_count(scope_key, target.id, model.element(incoming).id) < 1) {
            all_arrived = false;
          }
        }
        if (!all_arrived) continue;
      }
      if (bpmn::is_inclusive_join(target)) {
        // Decided once every flow of this completion is taken: a token on its way to another
        // branch is one the join may have to wait for.
        if (std::find(joins.begin(), joins.end(), &target) == joins.end()) joins.push_back(&target);
        continue;
      }
      ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                       child_value(scope->value, scope_key, target));
    }
  }
  for (const auto* join : joins) {
    if (!inclusive_join_ready(ctx_.state, model, scope_key, *join)) continue;
    ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                     child_value(scope->value, scope_key, *join));
  }
  if (!took_any) on_path_completed(scope_key);
}

void BpmnBehavior::on_path_completed(Key scope_key) {
  auto scope = ctx_.out.element_instance(scope_key);
  if (!scope || scope->state != Intent::kElementActivated) return;
  if (scope->child_count == 0 && (scope->active_flows == 0 || scope->interrupted)) {
    ctx_.out.command(scope_key, ValueType::kProcessInstance, Intent::kCompleteElement,
                     scope->value);
  }
}

void BpmnBehavior::answer_awaited_result(const ElementInstance& process_instance) {
  auto awaited = ctx_.state.awaited_result(process_instance.key);
  if (!awaited) return;
  Record result;
  result.key = process_instance.key;
  result.record_type = RecordType::kEvent;
  result.value_type = ValueType::kProcessInstanceResult;
  result.intent = Intent::kCompleted;
  result.value =
      Json{{"bpmnProcessId", process_instance.value.bpmn_process_id},
           {"processDefinitionKey", process_instance.value.process_definition_key.value()},
           {"processInstanceKey", process_instance.key.value()},
           {"version", process_instance.value.version},
           {"variables", variables_.collect(process_instance.key, awaited->fetch_variables)},
           {"tenantId", "<default>"}};
  ctx_.out.respond_to(awaited->request, std::move(result));
}

void BpmnBehavior::reject_awaited_result(const ElementInstance& process_instance) {
  auto awaited = ctx_.state.awaited_result(process_instance.key);
  if (!awaited) return;
  // The client waits for a result that will never come: answer it with a rejection of its
  // creation command instead of letting it hang until its request times out.
  Record rejection;
  rejection.key = process_instance.key;
  rejection.record_type = RecordType::kCommandRejection;
  rejection.value_type = ValueType::kProcessInstanceCreation;
  rejection.intent = Intent::kCreateWithAwaitingResult;
  rejection.value = awaited->creation;
  rejection.rejection_type = RejectionType::kInvalidState;
  rejection.rejection_reason = "Expected to complete process instance with key '"
                               + std::to_string(process_instance.key.value())
                               + "' and answer with its result, but it was terminated";
  ctx_.out.respond_to(awaited->request, std::move(rejection));
}

void BpmnBehavior::terminate(ElementInstance instance) {
  transition(instance, Intent::kElementTerminating);
  if (instance.job_key.value() > 0) {
    if (auto job = ctx_.state.job(instance.job_key)) {
      if (auto incident = ctx_.state.job_incident(job->key)) {
        ctx_.out.event(*incident, ValueType::kIncident, Intent::kResolved,
                       *ctx_.state.incident(*incident));
      }
      ctx_.out.event(job->key, ValueType::kJob, Intent::kCanceled, job->value);
    }
  }
  if (auto incident = ctx_.state.element_incident(instance.key)) {
    ctx_.out.event(*incident, ValueType::kIncident, Intent::kResolved,
                   *ctx_.state.incident(*incident));
  }
  bool waiting = false;
  for (Key child : ctx_.state.children(instance.key)) {
    auto child_instance = ctx_.state.element_instance(child);
    if (!child_instance) continue;
    waiting = true;
    if (child_instance->state == Intent::kElementTerminating) continue;
    ctx_.out.command(child, ValueType::kProcessInstance, Intent::kTerminateElement,
                     child_instance->value);
  }
  if (waiting) return;
  Key scope_key = parent_of(instance);
  CompensationBehavior(ctx_, *this).before_terminated(instance);
  transition(instance, Intent::kElementTerminated);
  EventBehavior(ctx_, *this).on_terminated(instance);
  if (scope_key.value() > 0) on_child_terminated(scope_key);
}

Key BpmnBehavior::parent_of(const ElementInstance& instance) {
  Key scope = instance.flow_scope_key();
  if (scope.value() > 0) return scope;
  return instance.value.parent_element_instance_key;
}

void BpmnBehavior::on_child_terminated(Key scope_key) {
  auto scope = ctx_.out.element_instance(scope_key);
  if (!scope || scope->child_count > 0) return;
  if (scope->state == Intent::kElementActivated
      && CatchBehavior(ctx_, *this).activate_pending_event_subprocess(*scope)) {
    return;
  }
  if (scope->state == Intent::kElementTerminating) {
    Key parent = parent_of(*scope);
    CompensationBehavior(ctx_, *this).before_terminated(*scope);
    transition(*scope, Intent::kElementTerminated);
    EventBehavior(ctx_, *this).on_terminated(*scope);
    if (parent.value() > 0) on_child_terminated(parent);
  } else if (scope->state == Intent::kElementActivated
             && scope->element_type() == "MULTI_INSTANCE_BODY") {
    MultiInstanceBehavior(ctx_, *this).on_inner_terminated(*scope);
  } else if (scope->state == Intent::kElementActivated && scope->interrupted) {
    ctx_.out.command(scope_key, ValueType::kProcessInstance, Intent::kCompleteElement,
                     scope->value);
  }
}

}  // namespace tern::engine
