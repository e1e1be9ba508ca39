#pragma once

// Appliers of the engine's event records beyond the element lifecycle: TIMER, PROCESS_EVENT,
// MESSAGE, MESSAGE_SUBSCRIPTION, MESSAGE_START_EVENT_SUBSCRIPTION, EXPORTER. Version 1;
// deterministic (keys and times come from the record). Called by EventApplier for those value
// types.
//
// Thread: the partition's strand.

#include "engine/records/record.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

// Applies `record` when it is one of the value types above; returns false otherwise.
bool apply_event_record(const Record& record, EngineState& state);

}  // namespace tern::engine
