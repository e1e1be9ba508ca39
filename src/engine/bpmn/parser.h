#pragma once

// BPMN 2.0 XML (with Zeebe's `zeebe:` extensions) -> executable Definitions. Called once per
// deployed resource; linear in the size of the document. Rejections name every problem with the
// element id (see error.h). Stateless and thread-safe: any thread may parse.

#include <string_view>

#include "common/result.h"
#include "engine/bpmn/error.h"
#include "engine/bpmn/model.h"

namespace tern::engine::bpmn {

struct ParseOptions {
  std::string_view resource_name;  // used in messages only
  // Compile FEEL expressions (and reject invalid ones). Off only in tests that look at structure.
  bool compile_expressions = true;
};

Result<Definitions, BpmnError> parse_bpmn(std::string_view xml, const ParseOptions& options = {});

}  // namespace tern::engine::bpmn
