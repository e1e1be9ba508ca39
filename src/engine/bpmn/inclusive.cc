#include "engine/bpmn/inclusive.h"

#include <algorithm>

namespace tern::engine::bpmn {

bool is_inclusive_join(const FlowElement& element) {
  return element.kind == ElementKind::INCLUSIVE_GATEWAY && element.incoming.size() > 1;
}

bool scope_has_inclusive_join(const ProcessModel& model, ElementIndex scope) {
  if (scope == kNoElement) return false;
  const auto& children = model.element(scope).children;
  return std::any_of(children.begin(), children.end(),
                     [&](ElementIndex child) { return is_inclusive_join(model.element(child)); });
}

bool can_reach_unarrived_incoming(const ProcessModel& model, const FlowElement& join,
                                  std::span<const ElementIndex> positions,
                                  const std::vector<bool>& arrived) {
  std::vector<bool> visited(model.size(), false);
  std::vector<ElementIndex> pending;
  for (auto position : positions) {
    if (position == kNoElement || position == join.index || visited[position]) continue;
    visited[position] = true;
    pending.push_back(position);
  }
  auto visit = [&](ElementIndex next) {
    if (next == kNoElement || next == join.index || visited[next]) return;
    visited[next] = true;
    pending.push_back(next);
  };
  while (!pending.empty()) {
    const auto& node = model.element(pending.back());
    pending.pop_back();
    for (auto flow_index : node.outgoing) {
      const auto& flow = model.element(flow_index);
      if (flow.target == join.index) {
        auto at = std::find(join.incoming.begin(), join.incoming.end(), flow_index);
        if (at != join.incoming.end() && !arrived[at - join.incoming.begin()]) return true;
        continue;
      }
      visit(flow.target);
    }
    // A token in an activity may leave it by one of its boundary events instead.
    for (auto boundary : node.boundary_events)
      visit(boundary);
    visit(node.link_target);
  }
  return false;
}

}  // namespace tern::engine::bpmn
