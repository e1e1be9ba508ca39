// parse_bpmn: XML -> Definitions. Reads the definitions-level elements, then builds one
// ProcessModel per executable <process> (model_builder.h) and gathers every problem.

#include "engine/bpmn/parser.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <pugixml.hpp>
#include <string>

#include "engine/bpmn/model_builder.h"

namespace tern::engine::bpmn {
namespace {

// 1-based line of a byte offset, for XML syntax errors.
std::size_t line_of(std::string_view xml, std::ptrdiff_t offset) {
  auto end = static_cast<std::size_t>(
      std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(xml.size())));
  return 1
         + static_cast<std::size_t>(
             std::count(xml.begin(), xml.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

BpmnError simple_error(BpmnErrorCode code, std::string_view resource_name, std::string message) {
  BpmnError error;
  error.code = code;
  error.message =
      resource_name.empty() ? message : "'" + std::string(resource_name) + "': " + message;
  return error;
}

void index_definitions(pugi::xml_node root, DefinitionsIndex& index, Definitions& out) {
  for (pugi::xml_node child : root.children()) {
    std::string_view local = local_name_in(child, kBpmnNamespace);
    std::string_view id = attribute(child, "id").value();
    if (local == "message") {
      DefinitionsIndex::Entry entry{
          attribute(child, "name").value(), static_cast<bool>(attribute(child, "name")), {}};
      for (pugi::xml_node ext : child.children()) {
        if (local_name_in(ext, kBpmnNamespace) != "extensionElements") continue;
        for (pugi::xml_node sub : ext.children()) {
          if (local_name_in(sub, kZeebeNamespace) == "subscription") {
            entry.correlation_key = attribute(sub, "correlationKey").value();
          }
        }
      }
      index.messages[id] = entry;
      out.messages.push_back({std::string(id), std::string(entry.name)});
    } else if (local == "error") {
      pugi::xml_attribute code = attribute(child, "errorCode");
      index.errors[id] = {code.value(), static_cast<bool>(code), {}};
      out.errors.push_back({std::string(id), code.value()});
    } else if (local == "escalation") {
      pugi::xml_attribute code = attribute(child, "escalationCode");
      index.escalations[id] = {code.value(), static_cast<bool>(code), {}};
      out.escalations.push_back({std::string(id), code.value()});
    } else if (local == "signal") {
      pugi::xml_attribute name = attribute(child, "name");
      index.signals[id] = {name.value(), static_cast<bool>(name), {}};
      out.signals.push_back({std::string(id), name.value()});
    }
  }
}

}  // namespace

Result<Definitions, BpmnError> parse_bpmn(std::string_view xml, const ParseOptions& options) {
  pugi::xml_document document;
  pugi::xml_parse_result parsed =
      document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!parsed) {
    return unexpected(
        simple_error(BpmnErrorCode::kMalformedXml, options.resource_name,
                     "the resource is not well-formed XML: " + std::string(parsed.description())
                         + " at line " + std::to_string(line_of(xml, parsed.offset))));
  }
  pugi::xml_node root = document.document_element();
  if (local_name_in(root, kBpmnNamespace) != "definitions") {
    return unexpected(simple_error(BpmnErrorCode::kNotBpmn, options.resource_name,
                                   "the root element <" + std::string(root.name())
                                       + "> is not BPMN 2.0 definitions (namespace "
                                       + std::string(kBpmnNamespace) + ")"));
  }

  Definitions definitions;
  DefinitionsIndex index;
  index_definitions(root, index, definitions);

  std::vector<Problem> problems;
  std::size_t process_count = 0;
  for (pugi::xml_node child : root.children()) {
    std::string_view local = local_name_in(child, kBpmnNamespace);
    if (local == "choreography") {
      problems.push_back({ProblemKind::kUnsupported, attribute(child, "id").value(),
                          "choreographies are not supported"});
    }
    if (local != "process") continue;
    ++process_count;
    if (std::string_view(attribute(child, "isExecutable").value()) == "false") continue;
    std::string_view process_id = attribute(child, "id").value();
    if (definitions.find_process(process_id) != nullptr) {
      problems.push_back({ProblemKind::kInvalid, std::string(process_id),
                          "another process in this resource has the same id"});
      continue;
    }
    ModelBuilder builder(index, options, problems);
    definitions.processes.push_back(builder.build(child));
  }
  if (problems.empty() && definitions.processes.empty()) {
    std::string message = process_count == 0 ? "the resource contains no process"
                                             : "the resource contains no executable process "
                                               "(every process has isExecutable=\"false\")";
    return unexpected(simple_error(BpmnErrorCode::kInvalidModel, options.resource_name, message));
  }
  if (!problems.empty()) {
    BpmnError error = make_model_error(options.resource_name, std::move(problems));
    spdlog::debug("rejected BPMN resource {}: {} problem(s)", options.resource_name,
                  error.problems.size());
    return unexpected(std::move(error));
  }
  return definitions;
}

}  // namespace tern::engine::bpmn
