#pragma once

// The BPMN elements this engine's runtime executes, as (element kind, event type) pairs. The
// deployment checks every process against it (bpmn::validate_executable), so a model using
// anything else is rejected at deployment naming the element, not stuck mid-instance. Grows as
// the runtime does; docs/bpmn-support.md lists it for users.

#include "engine/bpmn/executable.h"

namespace tern::engine {

const bpmn::ExecutableElementSet& executable_elements();

}  // namespace tern::engine
