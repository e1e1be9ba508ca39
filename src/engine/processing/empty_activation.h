#pragma once

// Answering a job activation that would activate nothing without writing it to the log.
//
// A worker's ActivateJobs is sent to every partition, and most of those polls find no job: each
// would still cost a JOB_BATCH ACTIVATE command and its ACTIVATED event, two replicated rounds,
// for an answer that changes nothing. When the state the leader's processor sees (which includes
// effects applied but not yet committed) holds no activatable job of the command's type, the
// leader may answer at once with the empty batch the processor would have written, because:
// * processing it would change no state (the ACTIVATED event of an empty batch touches no job);
// * a job that becomes activatable afterwards raises a wake-up when its batch commits (every
//   path to the activatable state goes through EventApplier::make_activatable), so the waiting
//   long poll asks again;
// * a job whose deadline passed but whose TIME_OUT is not processed yet is still activated, so
//   it is not activatable either way; its TIMED_OUT raises the wake-up.
//
// The answer differs from the logged one only where the client cannot see it: the batch record
// has no key and no position (nothing was written). A malformed command (blank type, no
// positive maximum or time-out, fields of the wrong type) is not answered here: the logged path
// rejects it with the processor's reason.
//
// Pure: reads state, writes nothing. Thread: the partition's strand.

#include <optional>

#include "engine/processing/sinks.h"
#include "engine/records/record.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

// The response to `command` (a JOB_BATCH ACTIVATE carrying its request) when `state` holds no
// activatable job of its type; nullopt when it must go through the log.
std::optional<Response> answer_empty_activation(const Record& command, const EngineState& state);

}  // namespace tern::engine
