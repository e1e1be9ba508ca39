#include "engine/processors/inclusive_gateway.h"

#include <vector>

#include "engine/bpmn/inclusive.h"

namespace tern::engine {

bool inclusive_join_ready(const EngineState& state, const bpmn::ProcessModel& model, Key scope_key,
                          const bpmn::FlowElement& join) {
  std::vector<bool> arrived;
  bool all_arrived = true;
  for (auto flow_index : join.incoming) {
    arrived.push_back(state.join_count(scope_key, join.id, model.element(flow_index).id) > 0);
    all_arrived = all_arrived && arrived.back();
  }
  if (all_arrived) return true;
  std::vector<bpmn::ElementIndex> positions;
  for (Key child : state.children(scope_key)) {
    auto instance = state.element_instance(child);
    // A terminating instance goes nowhere.
    if (!instance || instance->state == Intent::kElementTerminating) continue;
    if (const auto* element =
            model.find_instance_element(instance->element_id(), instance->element_type())) {
      positions.push_back(element->index);
    }
  }
  // Tokens on their way: taken flows whose target is not activated yet, including those waiting
  // at other joins (which may still go on).
  for (const auto& tokens : state.join_tokens(scope_key)) {
    if (tokens.target_id == join.id || tokens.count < 1) continue;
    if (auto index = model.index_of(tokens.target_id)) positions.push_back(*index);
  }
  return !bpmn::can_reach_unarrived_incoming(model, join, positions, arrived);
}

}  // namespace tern::engine
