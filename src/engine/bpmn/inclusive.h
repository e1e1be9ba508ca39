#pragma once

// Graph questions the runtime asks about inclusive (OR) gateways that join. A joining inclusive
// gateway merges the tokens that arrived on its incoming flows once no other token of its flow
// scope can still arrive on an incoming flow that has none yet (BPMN 2.0, 13.3.4; the rule Zeebe
// applies). Whether a token "can still arrive" is a question about the graph: is there a path
// of sequence flows from where the token is to such an incoming flow, not passing the gateway?
//
// Pure functions of an immutable ProcessModel; any thread.

#include <span>
#include <vector>

#include "engine/bpmn/model.h"

namespace tern::engine::bpmn {

// An inclusive gateway with more than one incoming flow: it waits and merges.
bool is_inclusive_join(const FlowElement& element);

// Whether the scope element (process, sub-process, event sub-process) directly contains an
// inclusive join. Only in such scopes does the runtime need to know where every token is.
bool scope_has_inclusive_join(const ProcessModel& model, ElementIndex scope);

// Whether a token at one of `positions` (elements of the join's flow scope) can reach an incoming
// flow of `join` whose `arrived` entry (parallel to join.incoming) is false, along sequence flows,
// boundary events of activities and link jumps, without passing through `join` itself.
bool can_reach_unarrived_incoming(const ProcessModel& model, const FlowElement& join,
                                  std::span<const ElementIndex> positions,
                                  const std::vector<bool>& arrived);

}  // namespace tern::engine::bpmn
