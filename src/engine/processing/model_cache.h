#pragma once

// Parsed process models by process definition key. A model is parsed from the deployed XML the
// first time it is needed (after a restart or on a replica) and then kept: deployed XML never
// changes, so the cache is never invalidated.
//
// Thread: the partition's strand.

#include <map>
#include <memory>

#include "engine/bpmn/model.h"
#include "engine/records/record.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

class ModelCache {
 public:
  // The model of a deployed process, or null when no such process is deployed. A stored resource
  // that no longer parses is corrupt state and aborts.
  std::shared_ptr<const bpmn::ProcessModel> get(const EngineState& state, Key process_key);
  // Puts a model parsed during deployment, to save the second parse.
  void put(Key process_key, std::shared_ptr<const bpmn::ProcessModel> model);

 private:
  std::map<Key, std::shared_ptr<const bpmn::ProcessModel>> models_;
};

}  // namespace tern::engine
