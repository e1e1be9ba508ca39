#pragma once

// When a joining inclusive gateway merges (see engine/bpmn/inclusive.h for the rule). The
// runtime answers from state: the tokens of the flow scope are its live child element instances
// and the sequence flows taken whose target is not activated yet (counted per flow in scopes that
// contain an inclusive join; state/db_key.h kJoinFlows).
//
// Thread: the partition's strand; reads state only.

#include "engine/bpmn/model.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

// Whether `join` (an inclusive join in the scope instance `scope_key`) merges now: a token has
// arrived on every incoming flow, or no other token of the scope can still reach an incoming
// flow that has none.
bool inclusive_join_ready(const EngineState& state, const bpmn::ProcessModel& model, Key scope_key,
                          const bpmn::FlowElement& join);

}  // namespace tern::engine
