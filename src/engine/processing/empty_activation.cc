#include "engine/processing/empty_activation.h"

#include <cstdint>
#include <string>
#include <utility>

namespace tern::engine {

namespace {

// A field the processor reads as an integer: present as a JSON integer and at least 1.
bool positive_integer(const Json& value, const char* field) {
  auto it = value.find(field);
  if (it == value.end()) return false;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>() >= 1;
  return it->is_number_integer() && it->get<std::int64_t>() >= 1;
}

// An optional field that, when present, is a string.
bool optional_string(const Json& value, const char* field) {
  auto it = value.find(field);
  return it == value.end() || it->is_string();
}

bool fetch_variables_well_formed(const Json& value) {
  auto it = value.find("fetchVariables");
  if (it == value.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& name : *it) {
    if (!name.is_string()) return false;
  }
  return true;
}

}  // namespace

std::optional<Response> answer_empty_activation(const Record& command, const EngineState& state) {
  if (!command.is_command() || command.value_type != ValueType::kJobBatch
      || command.intent != Intent::kActivate || !command.request.present()
      || command.has_packed_value() || !command.value.is_object()) {
    return std::nullopt;
  }
  const Json& value = command.value;
  auto type = value.find("type");
  if (type == value.end() || !type->is_string() || type->get_ref<const std::string&>().empty()
      || !positive_integer(value, "maxJobsToActivate") || !positive_integer(value, "timeout")
      || !optional_string(value, "worker") || !fetch_variables_well_formed(value)) {
    return std::nullopt;
  }
  if (!state.activatable_jobs(type->get_ref<const std::string&>(), 1).empty()) return std::nullopt;

  // The batch exactly as the JOB_BATCH processor writes it when it finds no job.
  Record record(Record::kValueToFill);
  record.key = kNoKey;
  record.timestamp_ms = command.timestamp_ms;
  record.record_type = RecordType::kEvent;
  record.value_type = ValueType::kJobBatch;
  record.intent = Intent::kActivated;
  record.partition_id = command.partition_id;
  record.value = Json{{"type", *type},
                      {"worker", value.value("worker", std::string())},
                      {"timeout", value["timeout"].get<std::int64_t>()},
                      {"maxJobsToActivate", value["maxJobsToActivate"].get<int>()},
                      {"fetchVariables", value.value("fetchVariables", Json::array())},
                      {"jobKeys", Json::array()},
                      {"jobs", Json::array()},
                      {"truncated", false},
                      {"tenantIds", Json::array({"<default>"})}};
  return Response{command.request, std::move(record)};
}

}  // namespace tern::engine
