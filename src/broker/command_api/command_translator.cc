#include "broker/command_api/command_translator.h"

#include <utility>

namespace tern::broker::command_api {
namespace {

namespace gp = gateway_protocol;
namespace tc = tern::command;
using engine::Intent;
using engine::Json;
using engine::Key;
using engine::ValueType;

engine::Record command(ValueType type, Intent intent, Json value, Key key = engine::kNoKey) {
  engine::Record record;
  record.record_type = engine::RecordType::kCommand;
  record.value_type = type;
  record.intent = intent;
  record.key = key;
  record.value = std::move(value);
  return record;
}

TranslateError invalid(std::string message) {
  return TranslateError{TranslateErrorCode::kInvalid, std::move(message)};
}

// The creation command value shared by both creation RPCs.
Result<Json, TranslateError> creation_value(const gp::CreateProcessInstanceRequest& request) {
  auto variables = parse_variables(request.variables(), "variables");
  if (!variables) return tern::unexpected(invalid(variables.error()));
  if (!request.startinstructions().empty()) {
    return tern::unexpected(TranslateError{
        TranslateErrorCode::kUnsupported,
        "Expected to create a process instance, but start instructions are not supported yet"});
  }
  Json value{{"bpmnProcessId", request.bpmnprocessid()},
             {"version", request.version()},
             {"variables", std::move(*variables)}};
  // The proto's default 0 means "no key given"; the engine spells that -1.
  value["processDefinitionKey"] =
      request.processdefinitionkey() > 0 ? request.processdefinitionkey() : std::int64_t{-1};
  return value;
}

Result<Translated, TranslateError> with_variables(ValueType type, Intent intent, Json value,
                                                  std::int64_t key, const std::string& variables,
                                                  bool backpressure) {
  auto parsed = parse_variables(variables, "variables");
  if (!parsed) return tern::unexpected(invalid(parsed.error()));
  value["variables"] = std::move(*parsed);
  return Translated{command(type, intent, std::move(value), Key(key)), backpressure};
}

std::string json_text(const Json& value, const char* field) {
  auto it = value.find(field);
  if (it == value.end() || it->is_null()) return "{}";
  return it->dump();
}

void fill_job(const Json& job, std::int64_t key, gp::ActivatedJob& out) {
  out.set_key(key);
  out.set_type(job.value("type", std::string()));
  out.set_processinstancekey(job.value("processInstanceKey", std::int64_t{-1}));
  out.set_bpmnprocessid(job.value("bpmnProcessId", std::string()));
  out.set_processdefinitionversion(job.value("processDefinitionVersion", 0));
  out.set_processdefinitionkey(job.value("processDefinitionKey", std::int64_t{-1}));
  out.set_elementid(job.value("elementId", std::string()));
  out.set_elementinstancekey(job.value("elementInstanceKey", std::int64_t{-1}));
  out.set_customheaders(json_text(job, "customHeaders"));
  out.set_worker(job.value("worker", std::string()));
  out.set_retries(job.value("retries", 0));
  out.set_deadline(job.value("deadline", std::int64_t{-1}));
  out.set_variables(json_text(job, "variables"));
  out.set_tenantid(job.value("tenantId", std::string("<default>")));
}

void fill_deployment(const engine::Record& record, gp::DeployResourceResponse& out) {
  out.set_key(record.key.value());
  out.set_tenantid(record.value.value("tenantId", std::string("<default>")));
  for (const auto& meta : record.value.value("processesMetadata", Json::array())) {
    auto* process = out.add_deployments()->mutable_process();
    process->set_bpmnprocessid(meta.value("bpmnProcessId", std::string()));
    process->set_version(meta.value("version", 0));
    process->set_processdefinitionkey(meta.value("processDefinitionKey", std::int64_t{-1}));
    process->set_resourcename(meta.value("resourceName", std::string()));
    process->set_tenantid(meta.value("tenantId", std::string("<default>")));
  }
}

}  // namespace

Result<Json, std::string> parse_variables(const std::string& text, std::string_view what) {
  if (text.empty()) return Json::object();
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return tern::unexpected("Property '" + std::string(what)
                            + "' is invalid: expected a JSON document, but it could not be "
                              "parsed: '"
                            + text.substr(0, 200) + "'");
  }
  if (parsed.is_null()) return Json::object();
  if (!parsed.is_object()) {
    return tern::unexpected("Property '" + std::string(what)
                            + "' is invalid: expected a JSON object, but got '"
                            + text.substr(0, 200) + "'");
  }
  return parsed;
}

namespace {

Result<Translated, TranslateError> translate(const tc::BrokerRequest& request) {
  Result<Translated, TranslateError> out = tern::unexpected(invalid("no command in the request"));
  switch (request.command_case()) {
    case tc::BrokerRequest::kDeployResource: {
      Json resources = Json::array();
      for (const auto& resource : request.deploy_resource().resources()) {
        resources.push_back(
            Json{{"resourceName", resource.name()}, {"resource", resource.content()}});
      }
      out = Translated{command(ValueType::kDeployment, Intent::kCreate,
                               Json{{"resources", std::move(resources)}})};
      break;
    }
    case tc::BrokerRequest::kCreateProcessInstance: {
      auto value = creation_value(request.create_process_instance());
      if (!value) return tern::unexpected(value.error());
      out = Translated{
          command(ValueType::kProcessInstanceCreation, Intent::kCreate, std::move(*value))};
      break;
    }
    case tc::BrokerRequest::kCreateProcessInstanceWithResult: {
      const auto& with_result = request.create_process_instance_with_result();
      auto value = creation_value(with_result.request());
      if (!value) return tern::unexpected(value.error());
      Json fetch = Json::array();
      for (const auto& name : with_result.fetchvariables())
        fetch.push_back(name);
      (*value)["fetchVariables"] = std::move(fetch);
      out = Translated{command(ValueType::kProcessInstanceCreation,
                               Intent::kCreateWithAwaitingResult, std::move(*value))};
      break;
    }
    case tc::BrokerRequest::kCancelProcessInstance:
      out = Translated{command(ValueType::kProcessInstance, Intent::kCancel, Json::object(),
                               Key(request.cancel_process_instance().processinstancekey())),
                       false};
      break;
    case tc::BrokerRequest::kActivateJobs: {
      const auto& activate = request.activate_jobs();
      Json fetch = Json::array();
      for (const auto& name : activate.fetchvariable())
        fetch.push_back(name);
      out = Translated{command(ValueType::kJobBatch, Intent::kActivate,
                               Json{{"type", activate.type()},
                                    {"worker", activate.worker()},
                                    {"timeout", activate.timeout()},
                                    {"maxJobsToActivate", activate.maxjobstoactivate()},
                                    {"fetchVariables", std::move(fetch)}})};
      break;
    }
    case tc::BrokerRequest::kCompleteJob:
      return with_variables(ValueType::kJob, Intent::kComplete, Json::object(),
                            request.complete_job().jobkey(), request.complete_job().variables(),
                            false);
    case tc::BrokerRequest::kFailJob: {
      const auto& fail = request.fail_job();
      return with_variables(ValueType::kJob, Intent::kFail,
                            Json{{"retries", fail.retries()},
                                 {"errorMessage", fail.errormessage()},
                                 {"retryBackoff", fail.retrybackoff()}},
                            fail.jobkey(), fail.variables(), true);
    }
    case tc::BrokerRequest::kThrowError: {
      const auto& error = request.throw_error();
      return with_variables(
          ValueType::kJob, Intent::kThrowError,
          Json{{"errorCode", error.errorcode()}, {"errorMessage", error.errormessage()}},
          error.jobkey(), error.variables(), true);
    }
    case tc::BrokerRequest::kUpdateJobRetries:
      out = Translated{command(ValueType::kJob, Intent::kUpdateRetries,
                               Json{{"retries", request.update_job_retries().retries()}},
                               Key(request.update_job_retries().jobkey()))};
      break;
    case tc::BrokerRequest::kUpdateJobTimeout:
      out = Translated{command(ValueType::kJob, Intent::kUpdateTimeout,
                               Json{{"timeout", request.update_job_timeout().timeout()}},
                               Key(request.update_job_timeout().jobkey()))};
      break;
    case tc::BrokerRequest::kSetVariables: {
      const auto& set = request.set_variables();
      return with_variables(ValueType::kVariableDocument, Intent::kUpdate,
                            Json{{"scopeKey", set.elementinstancekey()},
                                 {"updateSemantics", set.local() ? "LOCAL" : "PROPAGATE"}},
                            -1, set.variables(), true);
    }
    case tc::BrokerRequest::kResolveIncident:
      out = Translated{command(ValueType::kIncident, Intent::kResolve, Json::object(),
                               Key(request.resolve_incident().incidentkey()))};
      break;
    case tc::BrokerRequest::kPublishMessage: {
      // The gateway chose the partition from the correlation key's hash (as the engine's
      // message_partition does); the engine answers with the MESSAGE PUBLISHED event.
      const auto& publish = request.publish_message();
      if (publish.name().empty()) {
        return tern::unexpected(
            invalid("Expected to publish a message with a name, but property 'name' was empty"));
      }
      if (publish.timetolive() < 0) {
        return tern::unexpected(
            invalid("Expected to publish a message with a time to live of "
                    "at least 0 ms, but it was "
                    + std::to_string(publish.timetolive()) + " ms"));
      }
      return with_variables(ValueType::kMessage, Intent::kPublish,
                            Json{{"name", publish.name()},
                                 {"correlationKey", publish.correlationkey()},
                                 {"timeToLive", publish.timetolive()},
                                 {"messageId", publish.messageid()}},
                            -1, publish.variables(), true);
    }
    case tc::BrokerRequest::kBroadcastSignal: {
      // The gateway sends the broadcast to every partition; each triggers its own subscriptions.
      const auto& broadcast = request.broadcast_signal();
      if (broadcast.signalname().empty()) {
        return tern::unexpected(invalid(
            "Expected to broadcast a signal with a name, but property 'signalName' was empty"));
      }
      return with_variables(ValueType::kSignal, Intent::kBroadcast,
                            Json{{"signalName", broadcast.signalname()}}, -1, broadcast.variables(),
                            true);
    }
    case tc::BrokerRequest::COMMAND_NOT_SET:
      break;
  }
  return out;
}

}  // namespace

Result<Translated, TranslateError> to_command(const tc::BrokerRequest& request,
                                              PartitionId partition) {
  auto out = translate(request);
  if (out) out->command.partition_id = partition;
  return out;
}

void to_response(const tc::BrokerRequest& request, const engine::Response& response,
                 tc::BrokerResponse& out) {
  const engine::Record& record = response.record;
  out.set_leader_hint(-1);
  if (record.record_type == engine::RecordType::kCommandRejection) {
    out.set_status(tc::REJECTED);
    out.set_rejection_type(static_cast<tc::RejectionType>(record.rejection_type));
    out.set_message(record.rejection_reason);
    return;
  }
  out.set_status(tc::OK);
  const Json& value = record.value;
  switch (request.command_case()) {
    case tc::BrokerRequest::kDeployResource:
      fill_deployment(record, *out.mutable_deploy_resource());
      break;
    case tc::BrokerRequest::kCreateProcessInstance: {
      auto* created = out.mutable_create_process_instance();
      created->set_processdefinitionkey(value.value("processDefinitionKey", std::int64_t{-1}));
      created->set_bpmnprocessid(value.value("bpmnProcessId", std::string()));
      created->set_version(value.value("version", 0));
      created->set_processinstancekey(value.value("processInstanceKey", std::int64_t{-1}));
      created->set_tenantid(value.value("tenantId", std::string("<default>")));
      break;
    }
    case tc::BrokerRequest::kCreateProcessInstanceWithResult: {
      auto* result = out.mutable_create_process_instance_with_result();
      result->set_processdefinitionkey(value.value("processDefinitionKey", std::int64_t{-1}));
      result->set_bpmnprocessid(value.value("bpmnProcessId", std::string()));
      result->set_version(value.value("version", 0));
      result->set_processinstancekey(value.value("processInstanceKey", std::int64_t{-1}));
      result->set_variables(json_text(value, "variables"));
      result->set_tenantid(value.value("tenantId", std::string("<default>")));
      break;
    }
    case tc::BrokerRequest::kCancelProcessInstance:
      out.mutable_cancel_process_instance();
      break;
    case tc::BrokerRequest::kActivateJobs: {
      auto* batch = out.mutable_activate_jobs();
      const Json keys = value.value("jobKeys", Json::array());
      const Json jobs = value.value("jobs", Json::array());
      for (std::size_t i = 0; i < jobs.size() && i < keys.size(); ++i) {
        fill_job(jobs[i], keys[i].get<std::int64_t>(), *batch->add_jobs());
      }
      break;
    }
    case tc::BrokerRequest::kCompleteJob:
      out.mutable_complete_job();
      break;
    case tc::BrokerRequest::kFailJob:
      out.mutable_fail_job();
      break;
    case tc::BrokerRequest::kThrowError:
      out.mutable_throw_error();
      break;
    case tc::BrokerRequest::kUpdateJobRetries:
      out.mutable_update_job_retries();
      break;
    case tc::BrokerRequest::kUpdateJobTimeout:
      out.mutable_update_job_timeout();
      break;
    case tc::BrokerRequest::kSetVariables:
      out.mutable_set_variables()->set_key(record.key.value());
      break;
    case tc::BrokerRequest::kResolveIncident:
      out.mutable_resolve_incident();
      break;
    case tc::BrokerRequest::kPublishMessage: {
      auto* published = out.mutable_publish_message();
      published->set_key(record.key.value());
      published->set_tenantid(value.value("tenantId", std::string("<default>")));
      break;
    }
    case tc::BrokerRequest::kBroadcastSignal: {
      auto* broadcast = out.mutable_broadcast_signal();
      broadcast->set_key(record.key.value());
      broadcast->set_tenantid(value.value("tenantId", std::string("<default>")));
      break;
    }
    case tc::BrokerRequest::COMMAND_NOT_SET:
      break;
  }
}

}  // namespace tern::broker::command_api
