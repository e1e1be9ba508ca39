#pragma once

// Which parsed elements the engine runtime can execute. Parsing accepts everything Zeebe
// executes; the runtime grows in steps, so deployment also checks the model against the set the
// runtime declares and rejects the rest by name instead of failing later mid-instance.

#include <bitset>

#include "common/result.h"
#include "engine/bpmn/error.h"
#include "engine/bpmn/model.h"

namespace tern::engine::bpmn {

// A set of (element kind, event type) pairs. allow(kind) admits the kind with any event type.
class ExecutableElementSet {
 public:
  ExecutableElementSet& allow(ElementKind kind);
  ExecutableElementSet& allow(ElementKind kind, EventType event_type);
  bool contains(ElementKind kind, EventType event_type) const;

  // Every element and event type the parser produces.
  static ExecutableElementSet everything();

 private:
  std::bitset<kElementKindCount * kEventTypeCount> allowed_;
};

// Rejects (kUnsupportedElement) every element of every process the set does not contain, naming
// each element id with its kind and event type. Sequence flows and the process are always fine.
Result<void, BpmnError> validate_executable(const Definitions& definitions,
                                            const ExecutableElementSet& executable,
                                            std::string_view resource_name = {});

}  // namespace tern::engine::bpmn
