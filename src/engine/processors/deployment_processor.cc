// DEPLOYMENT CREATE: parses every resource, assigns versions (same bpmnProcessId with different
// content -> next version; identical content -> the existing version, marked duplicate), writes
// PROCESS CREATED for new versions and DEPLOYMENT CREATED, and answers with the latter.
// DeployResource and the deprecated DeployProcess both arrive as this command.

#include <set>
#include <string>

#include "engine/bpmn/checksum.h"
#include "engine/bpmn/executable.h"
#include "engine/bpmn/parser.h"
#include "engine/processors/bpmn_behavior.h"
#include "engine/processors/event_behavior.h"
#include "engine/processors/executable_elements.h"
#include "engine/processors/processors.h"

namespace tern::engine {

namespace {

std::string checksum_of(std::string_view bytes) {
  return bpmn::to_hex(bpmn::sha256(bytes));
}

bool is_bpmn_name(std::string_view name) {
  return name.ends_with(".bpmn") || name.ends_with(".xml");
}

struct ParsedResource {
  std::string name;
  std::string content;
  std::string checksum;
  bpmn::Definitions definitions;
};

void deploy(ProcessingContext& ctx) {
  const Json& command = ctx.command.value;
  if (!command.contains("resources") || !command["resources"].is_array()
      || command["resources"].empty()) {
    ctx.out.reject(RejectionType::kInvalidArgument,
                   "Expected to deploy at least one resource, but none given");
    return;
  }
  std::vector<ParsedResource> parsed;
  std::string errors;
  std::set<std::string> process_ids;
  for (const auto& resource : command["resources"]) {
    std::string name = resource.value("resourceName", std::string());
    std::string content = resource.value("resource", std::string());
    if (!is_bpmn_name(name)) {
      errors += "\n'" + name +
                "': Expected a BPMN resource (a name ending in .bpmn or .xml), but the resource "
                "type is not supported";
      continue;
    }
    bpmn::ParseOptions options;
    options.resource_name = name;
    auto definitions = bpmn::parse_bpmn(content, options);
    if (!definitions) {
      errors += "\n'" + name + "': " + definitions.error().message;
      continue;
    }
    // Parsing accepts all that Zeebe executes; the runtime declares what it runs so far.
    auto executable = bpmn::validate_executable(*definitions, executable_elements(), name);
    if (!executable) {
      errors += "\n'" + name + "': " + executable.error().message;
      continue;
    }
    for (const auto& process : definitions->processes) {
      if (!process_ids.insert(std::string(process->bpmn_process_id())).second) {
        errors += "\n'" + name + "': Expected the process id '"
                  + std::string(process->bpmn_process_id())
                  + "' to be unique within one deployment, but it occurs more than once";
      }
    }
    parsed.push_back(
        ParsedResource{name, content, checksum_of(content), std::move(definitions.value())});
  }
  if (!errors.empty()) {
    ctx.out.reject(
        RejectionType::kInvalidArgument,
        "Expected to deploy new resources, but encountered the following errors:" + errors);
    return;
  }
  Key deployment_key = ctx.out.next_key();
  Json metadata = Json::array();
  for (const auto& resource : parsed) {
    for (const auto& process : resource.definitions.processes) {
      std::string id(process->bpmn_process_id());
      auto latest_key = ctx.state.latest_process(id);
      std::optional<ProcessDefinition> latest;
      if (latest_key) latest = ctx.state.process(*latest_key);
      bool duplicate = latest && latest->checksum == resource.checksum;
      Key key = duplicate ? latest->key : ctx.out.next_key();
      std::int32_t version = duplicate ? latest->version : (latest ? latest->version + 1 : 1);
      Json entry{{"bpmnProcessId", id},
                 {"version", version},
                 {"processDefinitionKey", key.value()},
                 {"resourceName", resource.name},
                 {"checksum", resource.checksum},
                 {"isDuplicate", duplicate},
                 {"tenantId", "<default>"}};
      if (!duplicate) {
        Json process_value = entry;
        process_value.erase("isDuplicate");
        process_value["resource"] = resource.content;
        ctx.out.event(key, ValueType::kProcess, Intent::kCreated, std::move(process_value));
        ctx.models.put(key, process);
        BpmnBehavior bpmn(ctx);
        EventBehavior(ctx, bpmn).on_process_deployed(key, *process, latest_key);
      }
      metadata.push_back(std::move(entry));
    }
  }
  Json created{
      {"resources", command["resources"]},  {"processesMetadata", std::move(metadata)},
      {"decisionsMetadata", Json::array()}, {"decisionRequirementsMetadata", Json::array()},
      {"formMetadata", Json::array()},      {"tenantId", "<default>"}};
  const Record& event =
      ctx.out.event(deployment_key, ValueType::kDeployment, Intent::kCreated, std::move(created));
  ctx.out.respond(event);
}

}  // namespace

void add_deployment_processors(ProcessorMap& map) {
  add_processor(map, ValueType::kDeployment, Intent::kCreate, deploy);
}

}  // namespace tern::engine
