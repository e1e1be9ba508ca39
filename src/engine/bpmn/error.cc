#include "engine/bpmn/error.h"

#include <algorithm>

namespace tern::engine::bpmn {

std::string_view to_string(BpmnErrorCode code) {
  switch (code) {
    case BpmnErrorCode::kMalformedXml:
      return "MALFORMED_XML";
    case BpmnErrorCode::kNotBpmn:
      return "NOT_BPMN";
    case BpmnErrorCode::kInvalidModel:
      return "INVALID_MODEL";
    case BpmnErrorCode::kUnsupportedElement:
      return "UNSUPPORTED_ELEMENT";
  }
  return "UNKNOWN";
}

BpmnError make_model_error(std::string_view resource_name, std::vector<Problem> problems) {
  BpmnError error;
  bool all_unsupported =
      !problems.empty() && std::all_of(problems.begin(), problems.end(), [](const Problem& p) {
        return p.kind == ProblemKind::kUnsupported;
      });
  error.code = all_unsupported ? BpmnErrorCode::kUnsupportedElement : BpmnErrorCode::kInvalidModel;
  error.message = "invalid BPMN resource";
  if (!resource_name.empty()) error.message += " '" + std::string(resource_name) + "'";
  error.message += ":";
  for (const Problem& problem : problems) {
    error.message += "\n- Element '" + problem.element_id + "': " + problem.message;
  }
  error.problems = std::move(problems);
  return error;
}

}  // namespace tern::engine::bpmn
