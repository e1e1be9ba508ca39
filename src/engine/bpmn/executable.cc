#include "engine/bpmn/executable.h"

#include <string>

namespace tern::engine::bpmn {
namespace {

std::size_t slot(ElementKind kind, EventType event_type) {
  return static_cast<std::size_t>(kind) * kEventTypeCount + static_cast<std::size_t>(event_type);
}

}  // namespace

ExecutableElementSet& ExecutableElementSet::allow(ElementKind kind) {
  for (std::size_t type = 0; type < kEventTypeCount; ++type) {
    allowed_.set(slot(kind, static_cast<EventType>(type)));
  }
  return *this;
}

ExecutableElementSet& ExecutableElementSet::allow(ElementKind kind, EventType event_type) {
  allowed_.set(slot(kind, event_type));
  return *this;
}

bool ExecutableElementSet::contains(ElementKind kind, EventType event_type) const {
  return allowed_.test(slot(kind, event_type));
}

ExecutableElementSet ExecutableElementSet::everything() {
  ExecutableElementSet set;
  set.allowed_.set();
  return set;
}

Result<void, BpmnError> validate_executable(const Definitions& definitions,
                                            const ExecutableElementSet& executable,
                                            std::string_view resource_name) {
  std::vector<Problem> problems;
  for (const auto& process : definitions.processes) {
    for (const FlowElement& element : process->elements()) {
      if (element.kind == ElementKind::PROCESS || element.kind == ElementKind::SEQUENCE_FLOW) {
        continue;
      }
      if (executable.contains(element.kind, element.event_type)) continue;
      std::string what(to_string(element.kind));
      if (element.event_type != EventType::UNSPECIFIED) {
        what += " with event type " + std::string(to_string(element.event_type));
      }
      problems.push_back({ProblemKind::kUnsupported, std::string(element.id),
                          "the element " + what + " is not supported by this engine yet"});
    }
  }
  if (problems.empty()) return {};
  return unexpected(make_model_error(resource_name, std::move(problems)));
}

}  // namespace tern::engine::bpmn
