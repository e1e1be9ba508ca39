#include "engine/bpmn/model.h"

#include <algorithm>
#include <array>

#include "common/check.h"

namespace tern::engine::bpmn {
namespace {

constexpr std::array<std::string_view, kElementKindCount> kElementKindNames = {
    "PROCESS",
    "START_EVENT",
    "END_EVENT",
    "INTERMEDIATE_CATCH_EVENT",
    "INTERMEDIATE_THROW_EVENT",
    "BOUNDARY_EVENT",
    "SERVICE_TASK",
    "USER_TASK",
    "SEND_TASK",
    "RECEIVE_TASK",
    "BUSINESS_RULE_TASK",
    "SCRIPT_TASK",
    "MANUAL_TASK",
    "TASK",
    "EXCLUSIVE_GATEWAY",
    "PARALLEL_GATEWAY",
    "INCLUSIVE_GATEWAY",
    "EVENT_BASED_GATEWAY",
    "SUB_PROCESS",
    "EVENT_SUB_PROCESS",
    "CALL_ACTIVITY",
    "MULTI_INSTANCE_BODY",
    "SEQUENCE_FLOW",
};

constexpr std::array<std::string_view, kEventTypeCount> kEventTypeNames = {
    "UNSPECIFIED", "NONE", "MESSAGE",      "TIMER",     "ERROR",       "ESCALATION",
    "SIGNAL",      "LINK", "COMPENSATION", "TERMINATE", "CONDITIONAL",
};

}  // namespace

std::string_view to_string(ElementKind kind) {
  return kElementKindNames[static_cast<std::size_t>(kind)];
}

std::string_view to_string(EventType type) {
  return kEventTypeNames[static_cast<std::size_t>(type)];
}

std::optional<ElementKind> element_kind_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kElementKindNames.size(); ++i) {
    if (kElementKindNames[i] == name) return static_cast<ElementKind>(i);
  }
  return std::nullopt;
}

std::optional<EventType> event_type_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kEventTypeNames.size(); ++i) {
    if (kEventTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

bool FlowElement::is_activity() const {
  switch (kind) {
    case ElementKind::SERVICE_TASK:
    case ElementKind::USER_TASK:
    case ElementKind::SEND_TASK:
    case ElementKind::RECEIVE_TASK:
    case ElementKind::BUSINESS_RULE_TASK:
    case ElementKind::SCRIPT_TASK:
    case ElementKind::MANUAL_TASK:
    case ElementKind::TASK:
    case ElementKind::SUB_PROCESS:
    case ElementKind::EVENT_SUB_PROCESS:
    case ElementKind::CALL_ACTIVITY:
    case ElementKind::MULTI_INSTANCE_BODY:
      return true;
    default:
      return false;
  }
}

bool FlowElement::is_gateway() const {
  return kind == ElementKind::EXCLUSIVE_GATEWAY || kind == ElementKind::PARALLEL_GATEWAY
         || kind == ElementKind::INCLUSIVE_GATEWAY || kind == ElementKind::EVENT_BASED_GATEWAY;
}

bool FlowElement::is_event() const {
  return kind == ElementKind::START_EVENT || kind == ElementKind::END_EVENT
         || kind == ElementKind::INTERMEDIATE_CATCH_EVENT
         || kind == ElementKind::INTERMEDIATE_THROW_EVENT || kind == ElementKind::BOUNDARY_EVENT;
}

bool FlowElement::is_scope() const {
  return kind == ElementKind::PROCESS || kind == ElementKind::SUB_PROCESS
         || kind == ElementKind::EVENT_SUB_PROCESS || kind == ElementKind::MULTI_INSTANCE_BODY;
}

std::string_view StringPool::intern(std::string_view text) {
  if (text.empty()) return {};
  if (auto it = index_.find(text); it != index_.end()) return *it;
  const std::string& stored = strings_.emplace_back(text);
  std::string_view view = stored;
  index_.insert(view);
  return view;
}

ProcessModel::ProcessModel() : strings_(std::make_unique<StringPool>()) {}

const FlowElement& ProcessModel::element(ElementIndex index) const {
  TERN_CHECK(index >= 0 && static_cast<std::size_t>(index) < elements_.size(),
             "element index out of range");
  return elements_[static_cast<std::size_t>(index)];
}

std::optional<ElementIndex> ProcessModel::index_of(std::string_view id) const {
  auto it =
      std::lower_bound(by_id_.begin(), by_id_.end(), id,
                       [](const auto& entry, std::string_view key) { return entry.first < key; });
  if (it == by_id_.end() || it->first != id) return std::nullopt;
  return it->second;
}

const FlowElement* ProcessModel::find(std::string_view id) const {
  auto index = index_of(id);
  return index ? &element(*index) : nullptr;
}

const FlowElement* ProcessModel::find_instance_element(std::string_view id,
                                                       std::string_view bpmn_element_type) const {
  const FlowElement* found = find(id);
  if (found == nullptr || found->kind != ElementKind::MULTI_INSTANCE_BODY) return found;
  if (bpmn_element_type == to_string(ElementKind::MULTI_INSTANCE_BODY)) return found;
  return &element(found->inner_activity);
}

std::vector<ElementIndex> ProcessModel::start_events_of(EventType type) const {
  std::vector<ElementIndex> result;
  for (ElementIndex index : process().start_events) {
    if (element(index).event_type == type) result.push_back(index);
  }
  return result;
}

const ProcessModel* Definitions::find_process(std::string_view bpmn_process_id) const {
  for (const auto& process : processes) {
    if (process->bpmn_process_id() == bpmn_process_id) return process.get();
  }
  return nullptr;
}

}  // namespace tern::engine::bpmn
