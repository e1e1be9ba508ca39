#include "engine/appliers/event_applier.h"

#include <algorithm>

#include "common/check.h"
#include "engine/appliers/event_appliers.h"
#include "engine/bpmn/inclusive.h"

namespace tern::engine {

namespace {

Key json_key(const Json& value, const char* field) {
  return Key(value.value(field, std::int64_t{-1}));
}

const bpmn::FlowElement* find_element(ModelCache& models, const EngineState& state,
                                      const ProcessInstanceValue& value) {
  auto model = models.get(state, value.process_definition_key);
  TERN_CHECK(model != nullptr, "an element event refers to a deployed process");
  return model->find_instance_element(value.element_id, value.bpmn_element_type);
}

bool is_parallel_join(const bpmn::FlowElement& element) {
  return element.kind == bpmn::ElementKind::PARALLEL_GATEWAY && element.incoming.size() > 1;
}

// Join counts are kept per flow scope instance, for targets of its sequence flows that join
// (on_sequence_flow_taken): only an instance of a scope that directly contains a joining parallel
// gateway or an inclusive join can hold any. Unknown elements are assumed to.
bool may_hold_join_counts(const bpmn::ProcessModel* model, const bpmn::FlowElement* element) {
  if (model == nullptr || element == nullptr) return true;
  return std::any_of(element->children.begin(), element->children.end(), [&](auto child) {
    const auto& inner = model->element(child);
    return is_parallel_join(inner) || bpmn::is_inclusive_join(inner);
  });
}

}  // namespace

ElementInstance* EventApplier::cached(Key key) {
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

void EventApplier::remember(const ElementInstance& instance) {
  if (ElementInstance* entry = cached(instance.key)) {
    *entry = instance;
    return;
  }
  if (instances_.size() == kMaxCachedInstances) instances_.erase(instances_.begin());
  instances_.push_back(instance);
}

std::optional<ElementInstance> EventApplier::load_instance(const EngineState& state, Key key) {
  if (!caching_) return state.element_instance(key);
  if (const ElementInstance* entry = cached(key)) return *entry;
  auto instance = state.element_instance(key);
  if (instance) remember(*instance);
  return instance;
}

void EventApplier::create_instance(EngineState& state, const ElementInstance& instance) {
  state.create_element_instance(instance);
  if (caching_) remember(instance);
}

void EventApplier::store_instance(EngineState& state, const ElementInstance& instance) {
  state.put_element_instance(instance);
  if (caching_) remember(instance);
}

void EventApplier::remove_instance(EngineState& state, const ElementInstance& instance) {
  state.remove_element_instance(instance);
  if (!caching_) return;
  std::erase_if(instances_,
                [&](const ElementInstance& entry) { return entry.key == instance.key; });
}

void EventApplier::apply(const Record& record, EngineState& state) {
  state.observe_key(record.key);
  if (!record.is_event()) return;
  switch (record.value_type) {
    case ValueType::kProcess: {
      ProcessDefinition process;
      process.key = record.key;
      process.bpmn_process_id = record.value["bpmnProcessId"].get<std::string>();
      process.version = record.value["version"].get<std::int32_t>();
      process.resource_name = record.value["resourceName"].get<std::string>();
      process.checksum = record.value["checksum"].get<std::string>();
      process.resource = record.value["resource"].get<std::string>();
      state.put_process(process);
      break;
    }
    case ValueType::kProcessInstanceCreation:
      // A creation that awaits the result carries the request on its CREATED event, so that the
      // completion (maybe processed by another leader) can answer it.
      if (record.intent == Intent::kCreated && record.request.present()
          && record.value.value("awaitingResult", false)) {
        AwaitedResult awaited;
        awaited.request = record.request;
        awaited.fetch_variables = record.value.value("fetchVariables", std::vector<std::string>());
        awaited.creation = record.value;
        state.put_awaited_result(json_key(record.value, "processInstanceKey"), awaited);
      }
      break;
    case ValueType::kProcessInstance:
      apply_process_instance(record, ProcessInstanceValue::from_record(record), state);
      break;
    case ValueType::kJob:
      apply_job(record, JobValue::from_json(record.value), state);
      break;
    case ValueType::kJobBatch:
      apply_job_batch(record, state);
      break;
    case ValueType::kVariable:
      state.put_variable(json_key(record.value, "scopeKey"),
                         record.value["name"].get<std::string>(),
                         VariableEntry{record.key, record.value["value"].get<std::string>()});
      break;
    case ValueType::kIncident:
      apply_incident(record, state);
      break;
    default:
      // Timers, messages, process events (appliers/event_appliers.cc); DEPLOYMENT,
      // VARIABLE_DOCUMENT, ...: the record itself is the history.
      apply_event_record(record, state);
      break;
  }
}

void EventApplier::apply(const Record& record, const ProcessInstanceValue& value,
                         EngineState& state) {
  if (!record.is_event() || record.value_type != ValueType::kProcessInstance) {
    apply(record, state);
    return;
  }
  state.observe_key(record.key);
  apply_process_instance(record, value, state);
}

void EventApplier::apply(const Record& record, const JobValue& value, EngineState& state) {
  if (!record.is_event() || record.value_type != ValueType::kJob) {
    apply(record, state);
    return;
  }
  state.observe_key(record.key);
  apply_job(record, value, state);
}

void EventApplier::apply(const Record& record, const VariableValue& value, EngineState& state) {
  if (!record.is_event() || record.value_type != ValueType::kVariable) {
    apply(record, state);
    return;
  }
  state.observe_key(record.key);
  // What the JSON form of the record applies (apply above), from the typed fields.
  state.put_variable(value.scope_key, value.name,
                     VariableEntry{record.key, std::string(value.value)});
}

void EventApplier::apply(const Record& record, const JobBatchValue& value, EngineState& state) {
  if (!record.is_event() || record.value_type != ValueType::kJobBatch) {
    apply(record, state);
    return;
  }
  state.observe_key(record.key);
  // What apply_job_batch does with the record's JSON, from the typed jobs.
  TERN_CHECK(value.job_keys.size() == value.jobs.size(), "a job batch holds one job per key");
  for (std::size_t i = 0; i < value.jobs.size(); ++i) {
    activate_job(value.job_keys[i], value.jobs[i].deadline, value.jobs[i].worker, state);
  }
}

void EventApplier::apply_process_instance(const Record& record, const ProcessInstanceValue& value,
                                          EngineState& state) {
  switch (record.intent) {
    case Intent::kElementActivating:
      on_element_activating(record, value, state);
      break;
    case Intent::kElementActivated:
    case Intent::kElementCompleting:
    case Intent::kElementTerminating: {
      auto instance = load_instance(state, record.key);
      TERN_CHECK(instance.has_value(), "a lifecycle event refers to a live element instance");
      instance->state = record.intent;
      instance->value = value;
      store_instance(state, *instance);
      break;
    }
    case Intent::kElementCompleted:
    case Intent::kElementTerminated:
      on_element_finished(record, value, state);
      break;
    case Intent::kSequenceFlowTaken:
      on_sequence_flow_taken(value, state);
      break;
    default:
      break;
  }
}

void EventApplier::on_element_activating(const Record& record, const ProcessInstanceValue& value,
                                         EngineState& state) {
  ElementInstance instance;
  instance.key = record.key;
  instance.state = Intent::kElementActivating;
  instance.value = value;
  create_instance(state, instance);
  auto scope_key = instance.flow_scope_key();
  if (scope_key.value() <= 0) {
    // A process instance started by a call activity counts as the call activity's child.
    // (Such records did not exist before call activities were executed: replaying older logs is
    // unchanged.)
    if (auto parent = load_instance(state, value.parent_element_instance_key)) {
      parent->child_count += 1;
      store_instance(state, *parent);
      state.link_called_instance(parent->key, record.key);
    }
    return;
  }
  auto scope = load_instance(state, scope_key);
  TERN_CHECK(scope.has_value(), "an element is activated inside a live flow scope");
  scope->child_count += 1;
  const auto* element = find_element(models_, state, value);
  TERN_CHECK(element != nullptr, "an activated element exists in its process");
  // The tokens that led here are consumed: one per incoming flow for a joining parallel gateway,
  // one per incoming flow that has one for a joining inclusive gateway, else the one flow taken
  // (elements without incoming flows are started directly).
  auto model = models_.get(state, value.process_definition_key);
  if (is_parallel_join(*element)) {
    for (auto flow_index : element->incoming) {
      const auto& flow = model->element(flow_index);
      auto count = state.join_count(scope_key, element->id, flow.id);
      state.set_join_count(scope_key, element->id, flow.id, count - 1);
      scope->active_flows -= 1;
    }
  } else if (bpmn::is_inclusive_join(*element)) {
    for (auto flow_index : element->incoming) {
      const auto& flow = model->element(flow_index);
      auto count = state.join_count(scope_key, element->id, flow.id);
      if (count < 1) continue;
      state.set_join_count(scope_key, element->id, flow.id, count - 1);
      scope->active_flows -= 1;
    }
  } else if (!element->incoming.empty()) {
    scope->active_flows -= 1;
    // In a scope with an inclusive join every taken flow is counted (where tokens are is what the
    // join asks); the token that arrived here is no longer on its flow.
    if (bpmn::scope_has_inclusive_join(*model, element->flow_scope)) {
      for (auto flow_index : element->incoming) {
        const auto& flow = model->element(flow_index);
        auto count = state.join_count(scope_key, element->id, flow.id);
        if (count < 1) continue;
        state.set_join_count(scope_key, element->id, flow.id, count - 1);
        break;
      }
    }
  }
  // An inner instance of a multi-instance body: its loopCounter is the body's count so far.
  if (scope->element_type() == "MULTI_INSTANCE_BODY") scope->loop_counter += 1;
  store_instance(state, *scope);
}

void EventApplier::on_element_finished(const Record& record, const ProcessInstanceValue& value,
                                       EngineState& state) {
  auto instance = load_instance(state, record.key);
  TERN_CHECK(instance.has_value(), "a finished element was live");
  state.remove_variables(record.key);
  auto model = models_.get(state, value.process_definition_key);
  const bpmn::FlowElement* element =
      model ? model->find_instance_element(value.element_id, value.bpmn_element_type) : nullptr;
  if (may_hold_join_counts(model.get(), element)) state.clear_join_counts(record.key);
  remove_instance(state, *instance);
  if (instance->flow_scope_key().value() <= 0) {
    state.remove_awaited_result(record.key);
    if (auto parent = load_instance(state, value.parent_element_instance_key)) {
      parent->child_count -= 1;
      store_instance(state, *parent);
      state.unlink_called_instance(parent->key, record.key);
    }
    return;
  }
  auto scope = load_instance(state, instance->flow_scope_key());
  if (!scope) return;  // the scope went first (never in a well-formed log)
  scope->child_count -= 1;
  if (scope->element_type() == "MULTI_INSTANCE_BODY") {
    (record.intent == Intent::kElementCompleted ? scope->completed_inner
                                                : scope->terminated_inner) += 1;
  }
  if (value.bpmn_event_type == "TERMINATE" && record.intent == Intent::kElementCompleted) {
    scope->interrupted = true;
  }
  store_instance(state, *scope);
}

void EventApplier::on_sequence_flow_taken(const ProcessInstanceValue& value, EngineState& state) {
  auto scope_key = value.flow_scope_key;
  auto scope = load_instance(state, scope_key);
  TERN_CHECK(scope.has_value(), "a sequence flow is taken inside a live flow scope");
  scope->active_flows += 1;
  store_instance(state, *scope);
  auto model = models_.get(state, value.process_definition_key);
  const auto* flow = model->find(value.element_id);
  TERN_CHECK(flow != nullptr, "a taken flow exists in its process");
  const auto& target = model->element(flow->target);
  // Inclusive joins exist only since this version of the runtime: logs written before hold no
  // flow into a scope that has one, so replaying them is unchanged.
  if (is_parallel_join(target) || bpmn::scope_has_inclusive_join(*model, target.flow_scope)) {
    state.set_join_count(scope_key, target.id, flow->id,
                         state.join_count(scope_key, target.id, flow->id) + 1);
  }
}

void EventApplier::make_activatable(JobEntry& job, EngineState& state) {
  job.state = JobState::kActivatable;
  job.value.deadline = -1;
  job.value.worker.clear();
  job.value.set_present(JobValue::kDeadline | JobValue::kWorker);
  state.put_job(job);
  activatable_types_.insert(job.value.type);
}

void EventApplier::apply_job(const Record& record, const JobValue& value, EngineState& state) {
  if (record.intent == Intent::kCreated) {
    JobEntry job{record.key, JobState::kActivatable, value};
    make_activatable(job, state);
    auto instance = load_instance(state, value.element_instance_key);
    if (instance) {
      instance->job_key = record.key;
      store_instance(state, *instance);
    }
    return;
  }
  if (record.intent == Intent::kCompleted || record.intent == Intent::kCanceled) {
    TERN_CHECK(state.has_job(record.key), "a job event refers to a live job");
    state.remove_job(record.key);
    auto instance = load_instance(state, value.element_instance_key);
    if (instance) {
      instance->job_key = kNoKey;
      store_instance(state, *instance);
    }
    return;
  }
  auto job = state.job(record.key);
  TERN_CHECK(job.has_value(), "a job event refers to a live job");
  switch (record.intent) {
    case Intent::kFailed: {
      job->value.retries = value.retries;
      job->value.error_message = value.error_message;
      job->value.retry_backoff = value.retry_backoff;
      job->value.set_present(JobValue::kRetries | JobValue::kErrorMessage
                             | JobValue::kRetryBackoff);
      if (value.retries > 0 && value.retry_backoff <= 0) {
        make_activatable(*job, state);
      } else {
        job->state = JobState::kFailed;
        job->value.deadline = -1;
        job->value.recurring_time =
            value.retries > 0 ? record.timestamp_ms + value.retry_backoff : -1;
        job->value.set_present(JobValue::kDeadline | JobValue::kRecurringTime);
        state.put_job(*job);
      }
      break;
    }
    case Intent::kTimedOut:
    case Intent::kRecurredAfterBackoff:
      job->value.recurring_time = -1;
      job->value.set_present(JobValue::kRecurringTime);
      make_activatable(*job, state);
      break;
    case Intent::kRetriesUpdated:
      job->value.retries = value.retries;
      job->value.set_present(JobValue::kRetries);
      state.put_job(*job);
      break;
    case Intent::kTimeoutUpdated:
      job->value.deadline = value.deadline;
      job->value.set_present(JobValue::kDeadline);
      state.put_job(*job);
      break;
    case Intent::kErrorThrown:
      job->state = JobState::kErrorThrown;
      job->value.error_code = value.error_code;
      job->value.error_message = value.error_message;
      job->value.set_present(JobValue::kErrorCode | JobValue::kErrorMessage);
      state.put_job(*job);
      break;
    default:
      break;
  }
}

void EventApplier::apply_job_batch(const Record& record, EngineState& state) {
  const auto& keys = record.value["jobKeys"];
  const auto& jobs = record.value["jobs"];
  TERN_CHECK(keys.size() == jobs.size(), "a job batch holds one job per key");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    activate_job(Key(keys[i].get<std::int64_t>()), jobs[i]["deadline"].get<std::int64_t>(),
                 jobs[i]["worker"].get_ref<const std::string&>(), state);
  }
}

void EventApplier::activate_job(Key key, std::int64_t deadline, const std::string& worker,
                                EngineState& state) {
  auto job = state.job(key);
  TERN_CHECK(job.has_value(), "an activated job exists");
  job->state = JobState::kActivated;
  job->value.deadline = deadline;
  job->value.worker = worker;
  job->value.set_present(JobValue::kDeadline | JobValue::kWorker);
  state.put_job(*job);
}

void EventApplier::apply_incident(const Record& record, EngineState& state) {
  if (record.intent == Intent::kCreated) {
    state.put_incident(record.key, record.value);
    return;
  }
  if (record.intent != Intent::kResolved) return;
  state.remove_incident(record.key);
  auto job_key = json_key(record.value, "jobKey");
  if (job_key.value() <= 0) return;
  auto job = state.job(job_key);
  if (job && job->value.retries > 0) make_activatable(*job, state);
}

}  // namespace tern::engine
