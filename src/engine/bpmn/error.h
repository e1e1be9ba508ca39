#pragma once

// Why a BPMN resource was not accepted. Every problem names the element it concerns, and the
// message lists all problems at once so that a modeler can fix a diagram in one round trip.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::engine::bpmn {

enum class BpmnErrorCode : std::uint8_t {
  kMalformedXml,        // not well-formed XML
  kNotBpmn,             // well-formed, but not BPMN 2.0 definitions
  kInvalidModel,        // BPMN that breaks a rule of execution (missing job type, dangling flow...)
  kUnsupportedElement,  // valid BPMN using an element the engine does not execute
};

enum class ProblemKind : std::uint8_t { kInvalid, kUnsupported };

struct Problem {
  ProblemKind kind = ProblemKind::kInvalid;
  std::string element_id;  // the BPMN id (or "<process id>" context when the element has none)
  std::string message;
};

struct BpmnError {
  BpmnErrorCode code = BpmnErrorCode::kInvalidModel;
  std::string message;  // one line per problem: "- Element 'Task_1': <problem>"
  std::vector<Problem> problems;
};

std::string_view to_string(BpmnErrorCode code);

// Builds the error for a list of problems (code kUnsupportedElement only when every problem is
// of that kind). `resource_name` may be empty.
BpmnError make_model_error(std::string_view resource_name, std::vector<Problem> problems);

}  // namespace tern::engine::bpmn
