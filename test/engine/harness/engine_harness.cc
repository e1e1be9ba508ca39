#include "engine/harness/engine_harness.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace tern::engine::test {

EngineHarness::EngineHarness(PartitionId partition) : partition_(partition) {
  db_options_.write_buffer_size_bytes = 1 << 20;
  open();
  engine_->become_leader();
}

EngineHarness::EngineHarness(PartitionId partition, const StateDbOptions& db)
    : partition_(partition), db_options_(db) {
  open();
  engine_->become_leader();
}

EngineHarness::~EngineHarness() = default;

void EngineHarness::open() {
  EngineOptions options;
  options.db = db_options_;
  // Every claim that a key is new is checked against RocksDB.
  options.db.verify_absent_writes = true;
  auto engine = PartitionEngine::open(dir_.path() / "state", partition_, log_, clock_, options);
  if (!engine) throw std::runtime_error(engine.error().message);
  engine_ = std::move(engine.value());
  engine_->set_response_sink(this);
  engine_->set_job_listener(this);
}

void EngineHarness::restart() {
  bool leader = engine_->role() == Role::kLeader;
  engine_.reset();
  open();
  if (leader) engine_->become_leader();
}

std::string EngineHarness::replayed_digest() const {
  tern::test::TempDir other;
  EngineOptions options;
  options.db.verify_absent_writes = true;
  auto follower = PartitionEngine::open(other.path() / "state", partition_,
                                        const_cast<InMemoryLogStream&>(log_), clock_, options);
  if (!follower) throw std::runtime_error(follower.error().message);
  while ((*follower)->on_committed()) {
  }
  return (*follower)->state_digest();
}

RequestRef EngineHarness::write(ValueType type, Intent intent, Json value, Key key) {
  Record record;
  record.key = key;
  record.record_type = RecordType::kCommand;
  record.value_type = type;
  record.intent = intent;
  record.partition_id = partition_;
  record.timestamp_ms = clock_.now_ms();
  record.request = RequestRef{1, next_request_++};
  record.value = std::move(value);
  std::vector<Record> batch{record};
  auto appended = log_.append(batch);
  EXPECT_TRUE(appended.ok());
  return record.request;
}

void EngineHarness::process() {
  // on_committed() is bounded; a long log takes several calls.
  while (engine_->on_committed()) {
  }
}

Response EngineHarness::command(ValueType type, Intent intent, Json value, Key key) {
  auto request = write(type, intent, std::move(value), key);
  process();
  auto it = responses_.find(request.request_id);
  if (it == responses_.end()) {
    ADD_FAILURE() << "no response to " << to_string(type) << " " << to_string(intent);
    return Response{};
  }
  return it->second;
}

Response EngineHarness::deploy(const std::string& resource_name, const std::string& xml) {
  return command(
      ValueType::kDeployment, Intent::kCreate,
      Json{{"resources", Json::array({Json{{"resourceName", resource_name}, {"resource", xml}}})}});
}

Key EngineHarness::deploy_process(const std::string& xml) {
  auto response = deploy("process.bpmn", xml);
  EXPECT_EQ(response.record.record_type, RecordType::kEvent) << response.record.rejection_reason;
  if (!response.record.is_event()) return kNoKey;
  return Key(
      response.record.value["processesMetadata"][0]["processDefinitionKey"].get<std::int64_t>());
}

Response EngineHarness::create(const std::string& process_id, Json variables) {
  return command(ValueType::kProcessInstanceCreation, Intent::kCreate,
                 Json{{"bpmnProcessId", process_id}, {"version", -1}, {"variables", variables}});
}

Key EngineHarness::create_instance(const std::string& process_id, Json variables) {
  auto response = create(process_id, std::move(variables));
  EXPECT_TRUE(response.record.is_event()) << response.record.rejection_reason;
  return Key(response.record.value.value("processInstanceKey", std::int64_t{-1}));
}

Response EngineHarness::activate_jobs(const std::string& type, int max_jobs,
                                      std::int64_t timeout_ms, std::vector<std::string> fetch) {
  return command(ValueType::kJobBatch, Intent::kActivate,
                 Json{{"type", type},
                      {"worker", "test-worker"},
                      {"timeout", timeout_ms},
                      {"maxJobsToActivate", max_jobs},
                      {"fetchVariables", fetch}});
}

Key EngineHarness::activate_one(const std::string& type) {
  auto response = activate_jobs(type, 1);
  const auto& keys = response.record.value["jobKeys"];
  EXPECT_EQ(keys.size(), 1u) << "expected one activatable job of type " << type;
  return keys.empty() ? kNoKey : Key(keys[0].get<std::int64_t>());
}

Response EngineHarness::complete_job(Key job, Json variables) {
  return command(ValueType::kJob, Intent::kComplete, Json{{"variables", variables}}, job);
}

Response EngineHarness::fail_job(Key job, int retries, std::string message,
                                 std::int64_t backoff_ms) {
  return command(
      ValueType::kJob, Intent::kFail,
      Json{{"retries", retries}, {"errorMessage", message}, {"retryBackoff", backoff_ms}}, job);
}

Response EngineHarness::resolve(Key incident) {
  return command(ValueType::kIncident, Intent::kResolve, Json::object(), incident);
}

Response EngineHarness::set_variables(Key scope, Json variables, bool local) {
  return command(ValueType::kVariableDocument, Intent::kUpdate,
                 Json{{"scopeKey", scope.value()},
                      {"variables", variables},
                      {"updateSemantics", local ? "LOCAL" : "PROPAGATE"}});
}

Response EngineHarness::cancel(Key instance) {
  return command(ValueType::kProcessInstance, Intent::kCancel, Json::object(), instance);
}

std::vector<std::string> EngineHarness::stream_since(Position since) const {
  std::vector<std::string> out;
  for (const auto& record : log_.all()) {
    if (record.position > since) out.push_back(describe(record));
  }
  return out;
}

std::vector<std::string> EngineHarness::lifecycle_since(Position since) const {
  std::vector<std::string> out;
  for (const auto& record : log_.all()) {
    if (record.position <= since || record.value_type != ValueType::kProcessInstance
        || !record.is_event()) {
      continue;
    }
    out.push_back(std::string(to_string(record.intent)) + " "
                  + record.value["elementId"].get<std::string>());
  }
  return out;
}

Record EngineHarness::find(ValueType type, Intent intent, Position since) const {
  auto all = find_all(type, intent, since);
  EXPECT_FALSE(all.empty()) << "no " << to_string(type) << " " << to_string(intent);
  return all.empty() ? Record{} : all.front();
}

std::vector<Record> EngineHarness::find_all(ValueType type, Intent intent, Position since) const {
  std::vector<Record> out;
  for (const auto& record : log_.all()) {
    if (record.position > since && record.value_type == type && record.intent == intent) {
      out.push_back(record);
    }
  }
  return out;
}

void EngineHarness::on_response(const Response& response) {
  responses_[response.request.request_id] = response;
}

void EngineHarness::on_jobs_available(std::string_view type) {
  wakeups_.emplace_back(type);
}

namespace models {

std::string definitions(const std::string& process_id, const std::string& body) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://tern">
  <bpmn:process id=")"
         + process_id + R"(" isExecutable="true">
)" + body + R"(
  </bpmn:process>
</bpmn:definitions>
)";
}

std::string one_task(const std::string& process_id, const std::string& job_type,
                     const std::string& task_extras) {
  return definitions(process_id, R"(
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type=")"
                                     + job_type +
                                     R"(" retries="3" />
        )" + task_extras + R"(
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>)");
}

}  // namespace models

}  // namespace tern::engine::test
