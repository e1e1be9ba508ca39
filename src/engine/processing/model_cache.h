#pragma once

// Parsed process models by process definition key. A model is parsed from the deployed XML the
// first time it is needed (after a restart or on a replica) and then kept: deployed XML never
// changes, so the cache is never invalidated. With the model it keeps the process's identity
// (bpmnProcessId, version), which also never changes, so that creating an instance does not read
// and decode the stored definition (its XML included) every time.
//
// Thread: the partition's strand.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/bpmn/model.h"
#include "engine/records/record.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

// A deployed process as the cache knows it.
struct DeployedProcess {
  std::shared_ptr<const bpmn::ProcessModel> model;
  std::string bpmn_process_id;
  std::int32_t version = 0;
};

class ModelCache {
 public:
  // The model of a deployed process, or null when no such process is deployed. A stored resource
  // that no longer parses is corrupt state and aborts.
  std::shared_ptr<const bpmn::ProcessModel> get(const EngineState& state, Key process_key);
  // The model and identity of a deployed process, or null when state holds no such process. The
  // pointer stays valid for the cache's life.
  const DeployedProcess* deployed(const EngineState& state, Key process_key);
  // Puts a model parsed during deployment, to save the second parse.
  void put(Key process_key, std::shared_ptr<const bpmn::ProcessModel> model);

 private:
  struct Entry {
    DeployedProcess process;
    // False for a model put by a deployment: its identity is read from state when first asked
    // for (the deployment may yet be rolled back, and then state has no such process).
    bool identity_known = false;
  };
  // Parses the stored definition into a new entry; null when state holds no such process.
  Entry* load(const EngineState& state, Key process_key);

  std::map<Key, Entry> entries_;
};

}  // namespace tern::engine
