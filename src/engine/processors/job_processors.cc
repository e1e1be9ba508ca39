// JOB commands (COMPLETE, FAIL, THROW_ERROR, UPDATE_RETRIES, UPDATE_TIMEOUT, TIME_OUT,
// RECUR_AFTER_BACKOFF) and JOB_BATCH ACTIVATE.

#include <string>
#include <vector>

#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/catch_behavior.h"
#include "engine/processors/processors.h"
#include "engine/records/job_batch_value.h"

namespace tern::engine {

namespace {

std::string key_text(Key key) {
  return std::to_string(key.value());
}

// The job of the command, or a NOT_FOUND rejection naming the action.
std::optional<JobEntry> find_job(ProcessingContext& ctx, std::string_view action) {
  auto job = ctx.state.job(ctx.command.key);
  if (!job) {
    ctx.out.reject(RejectionType::kNotFound, "Expected to " + std::string(action)
                                                 + " job with key '" + key_text(ctx.command.key)
                                                 + "', but no such job was found");
  }
  return job;
}

bool require_state(ProcessingContext& ctx, const JobEntry& job, std::string_view action,
                   std::initializer_list<JobState> allowed) {
  for (auto state : allowed) {
    if (job.state == state) return true;
  }
  ctx.out.reject(RejectionType::kInvalidState,
                 "Expected to " + std::string(action) + " job with key '" + key_text(job.key)
                     + "', but it is in state '" + std::string(to_string(job.state)) + "'");
  return false;
}

void complete_job(ProcessingContext& ctx) {
  auto job = find_job(ctx, "complete");
  if (!job
      || !require_state(ctx, *job, "complete", {JobState::kActivatable, JobState::kActivated})) {
    return;
  }
  Json variables = ctx.command.value.value("variables", Json::object());
  if (variables.is_null()) variables = Json::object();
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to complete job with key '" + key_text(job->key)
                       + "' with variables as a JSON object, but they were not");
    return;
  }
  JobValue& value = job->value;
  value.variables = variables;
  value.set_present(JobValue::kVariables);
  ctx.out.respond(ctx.out.event(job->key, ValueType::kJob, Intent::kCompleted, value));
  auto instance = ctx.out.element_instance(value.element_instance_key);
  if (!instance || instance->state != Intent::kElementActivated) return;
  BpmnBehavior bpmn(ctx);
  auto model = bpmn.model_of(instance->value);
  const auto* element =
      model->find_instance_element(instance->element_id(), instance->element_type());
  // With output mappings the job's variables are local to the task and the mappings decide what
  // leaves it; without, they propagate to the nearest scope that defines them.
  if (element != nullptr && element->io_mapping && !element->io_mapping->outputs.empty()) {
    bpmn.variables().set_local_document(instance->key, variables, instance->value);
  } else {
    bpmn.variables().propagate_document(instance->key, variables, instance->value);
  }
  ctx.out.command(instance->key, ValueType::kProcessInstance, Intent::kCompleteElement,
                  instance->value);
}

void fail_job(ProcessingContext& ctx) {
  auto job = find_job(ctx, "fail");
  if (!job || !require_state(ctx, *job, "fail", {JobState::kActivated})) return;
  auto retries = ctx.command.value.value("retries", 0);
  auto backoff = ctx.command.value.value("retryBackoff", std::int64_t{0});
  if (retries < 0 || backoff < 0) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to fail job with key '" + key_text(job->key)
                       + "' with retries and retry back-off of at least zero, but got retries "
                       + std::to_string(retries) + " and back-off " + std::to_string(backoff));
    return;
  }
  Json variables = ctx.command.value.value("variables", Json::object());
  if (variables.is_null()) variables = Json::object();
  if (!variables.is_object()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to fail job with key '" + key_text(job->key)
                       + "' with variables as a JSON object, but they were not");
    return;
  }
  JobValue& value = job->value;
  value.retries = retries;
  value.retry_backoff = backoff;
  value.error_message = ctx.command.value.value("errorMessage", std::string());
  value.variables = variables;
  value.set_present(JobValue::kRetries | JobValue::kRetryBackoff | JobValue::kErrorMessage
                    | JobValue::kVariables);
  ctx.out.respond(ctx.out.event(job->key, ValueType::kJob, Intent::kFailed, value));
  auto instance = ctx.out.element_instance(value.element_instance_key);
  // The failure's variables are local to the task, so that the retry (or whoever resolves the
  // incident) sees them without leaking them into the process instance.
  if (instance && !variables.empty()) {
    BpmnBehavior(ctx).variables().set_local_document(instance->key, variables, instance->value);
  }
  if (retries > 0 || !instance) return;
  const std::string& message = value.error_message;
  BpmnBehavior(ctx).create_incident(*instance, kJobNoRetries,
                                    message.empty() ? "No more retries left." : message, job->key);
}

void throw_error(ProcessingContext& ctx) {
  auto job = find_job(ctx, "throw an error for");
  if (!job || !require_state(ctx, *job, "throw an error for", {JobState::kActivated})) return;
  std::string code = ctx.command.value.value("errorCode", std::string());
  if (code.empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument, "Expected to throw an error for job with key '"
                                                        + key_text(job->key)
                                                        + "' with an error code, but it was empty");
    return;
  }
  Json variables = ctx.command.value.value("variables", Json::object());
  if (!variables.is_object()) variables = Json::object();
  JobValue& value = job->value;
  value.error_code = code;
  value.variables = variables;
  value.error_message = ctx.command.value.value("errorMessage", std::string());
  value.set_present(JobValue::kErrorCode | JobValue::kVariables | JobValue::kErrorMessage);
  ctx.out.respond(ctx.out.event(job->key, ValueType::kJob, Intent::kErrorThrown, value));
  auto instance = ctx.out.element_instance(value.element_instance_key);
  if (!instance) return;
  // A catch event around the job's element (boundary, event sub-process) takes the error;
  // otherwise the error raises an incident on the element.
  BpmnBehavior bpmn(ctx);
  CatchBehavior(ctx, bpmn).throw_error(*instance, code, value.error_message, variables, job->key);
}

void update_retries(ProcessingContext& ctx) {
  auto job = find_job(ctx, "update retries of");
  if (!job) return;
  auto retries = ctx.command.value.value("retries", 0);
  if (retries < 1) {
    ctx.out.reject(
        RejectionType::kInvalidArgument,
        "Expected job's retries to be greater than zero, but it was " + std::to_string(retries));
    return;
  }
  JobValue& value = job->value;
  value.retries = retries;
  value.set_present(JobValue::kRetries);
  ctx.out.respond(ctx.out.event(job->key, ValueType::kJob, Intent::kRetriesUpdated, value));
}

void update_timeout(ProcessingContext& ctx) {
  auto job = find_job(ctx, "update the timeout of");
  if (!job || !require_state(ctx, *job, "update the timeout of", {JobState::kActivated})) return;
  auto timeout = ctx.command.value.value("timeout", std::int64_t{0});
  if (timeout < 1) {
    ctx.out.reject(
        RejectionType::kInvalidArgument,
        "Expected job's timeout to be greater than zero, but it was " + std::to_string(timeout));
    return;
  }
  JobValue& value = job->value;
  value.deadline = ctx.out.now_ms() + timeout;
  value.set_present(JobValue::kDeadline);
  ctx.out.respond(ctx.out.event(job->key, ValueType::kJob, Intent::kTimeoutUpdated, value));
}

void time_out(ProcessingContext& ctx) {
  auto job = find_job(ctx, "time out");
  if (!job || !require_state(ctx, *job, "time out", {JobState::kActivated})) return;
  if (job->value.deadline > ctx.out.now_ms()) {
    ctx.out.reject(RejectionType::kInvalidState, "Expected to time out job with key '"
                                                     + key_text(job->key)
                                                     + "', but its deadline has not passed");
    return;
  }
  ctx.out.event(job->key, ValueType::kJob, Intent::kTimedOut, job->value);
}

void recur(ProcessingContext& ctx) {
  auto job = find_job(ctx, "recur after back-off");
  if (!job || !require_state(ctx, *job, "recur after back-off", {JobState::kFailed})) return;
  if (job->value.retries < 1 || job->value.recurring_time > ctx.out.now_ms()) {
    ctx.out.reject(RejectionType::kInvalidState,
                   "Expected to recur job with key '" + key_text(job->key)
                       + "' after its back-off, but the back-off has not passed");
    return;
  }
  ctx.out.event(job->key, ValueType::kJob, Intent::kRecurredAfterBackoff, job->value);
}

void activate_batch(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  std::string type = command.value("type", std::string());
  auto max_jobs = command.value("maxJobsToActivate", 0);
  auto timeout = command.value("timeout", std::int64_t{0});
  if (type.empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to activate job batch with type to be present, but it was blank");
    return;
  }
  if (max_jobs < 1) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to activate job batch with max jobs to activate to be greater than "
                   "zero, but it was "
                       + std::to_string(max_jobs));
    return;
  }
  if (timeout < 1) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to activate job batch with timeout to be greater than zero, but it "
                   "was "
                       + std::to_string(timeout));
    return;
  }
  auto fetch = command.value("fetchVariables", std::vector<std::string>());
  std::string worker = command.value("worker", std::string());
  VariableBehavior variables(ctx);
  std::vector<Key> keys;
  std::vector<JobValue> jobs;
  for (Key key : ctx.state.activatable_jobs(type, static_cast<std::size_t>(max_jobs))) {
    auto job = ctx.state.job(key);
    if (!job) continue;
    JobValue& value = job->value;
    value.deadline = ctx.out.now_ms() + timeout;
    value.worker = worker;
    value.variables = variables.collect(value.element_instance_key, fetch);
    value.set_present(JobValue::kDeadline | JobValue::kWorker | JobValue::kVariables);
    keys.push_back(key);
    jobs.push_back(std::move(value));
  }
  // Written as MessagePack from the typed jobs; the applier takes them as they are.
  JobBatchValue batch{.type = type,
                      .worker = worker,
                      .timeout = timeout,
                      .max_jobs_to_activate = max_jobs,
                      .fetch_variables = fetch,
                      .job_keys = keys,
                      .jobs = jobs};
  ctx.out.respond(
      ctx.out.event(ctx.out.next_key(), ValueType::kJobBatch, Intent::kActivated, batch));
}

}  // namespace

void add_job_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kJob, Intent::kComplete, complete_job);
  add_processor(map, ValueType::kJob, Intent::kFail, fail_job);
  add_processor(map, ValueType::kJob, Intent::kThrowError, throw_error);
  add_processor(map, ValueType::kJob, Intent::kUpdateRetries, update_retries);
  add_processor(map, ValueType::kJob, Intent::kUpdateTimeout, update_timeout);
  add_processor(map, ValueType::kJob, Intent::kTimeOut, time_out);
  add_processor(map, ValueType::kJob, Intent::kRecurAfterBackoff, recur);
  add_processor(map, ValueType::kJobBatch, Intent::kActivate, activate_batch);
}

}  // namespace tern::engine
