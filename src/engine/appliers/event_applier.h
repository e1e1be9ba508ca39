#pragma once

// The only code that changes state: one applier per (value type, intent) of an event. Appliers are
// deterministic (no IO, no clock, no randomness: keys and times come from the record), so that
// replaying the log's events rebuilds exactly the state the leader had.
//
// Versioning: every applier below is version 1. A released applier is never edited; a changed
// behaviour gets a new function registered for a new record version.
//
// Thread: the partition's strand.

#include <set>
#include <string>

#include "engine/processing/model_cache.h"
#include "engine/records/job_value.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

class EventApplier {
 public:
  explicit EventApplier(ModelCache& models) : models_(models) {}

  // Applies one event (or notes a rejection/command's key). Aborts on an event the state cannot
  // accept: that is a broken log, not a user error.
  void apply(const Record& record, EngineState& state);
  // The same for an event the leader has just written, with its value still typed: the value is
  // not parsed back from the record's JSON.
  void apply(const Record& record, const ProcessInstanceValue& value, EngineState& state);
  void apply(const Record& record, const JobValue& value, EngineState& state);

  // Job types that became activatable since the last call (for wake-ups on the leader).
  std::set<std::string> take_activatable_types() { return std::exchange(activatable_types_, {}); }

 private:
  void apply_process_instance(const Record& record, const ProcessInstanceValue& value,
                              EngineState& state);
  void apply_job(const Record& record, const JobValue& value, EngineState& state);
  void apply_job_batch(const Record& record, EngineState& state);
  void apply_incident(const Record& record, EngineState& state);
  void on_element_activating(const Record& record, const ProcessInstanceValue& value,
                             EngineState& state);
  void on_element_finished(const Record& record, const ProcessInstanceValue& value,
                           EngineState& state);
  void on_sequence_flow_taken(const ProcessInstanceValue& value, EngineState& state);
  void make_activatable(JobEntry& job, EngineState& state);

  ModelCache& models_;
  std::set<std::string> activatable_types_;
};

}  // namespace tern::engine
