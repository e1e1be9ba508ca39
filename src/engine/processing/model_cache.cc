#include "engine/processing/model_cache.h"

#include <spdlog/spdlog.h>

#include "common/check.h"
#include "engine/bpmn/parser.h"

namespace tern::engine {

std::shared_ptr<const bpmn::ProcessModel> ModelCache::get(const EngineState& state,
                                                          Key process_key) {
  auto it = entries_.find(process_key);
  if (it != entries_.end()) return it->second.process.model;
  Entry* entry = load(state, process_key);
  return entry ? entry->process.model : nullptr;
}

const DeployedProcess* ModelCache::deployed(const EngineState& state, Key process_key) {
  auto it = entries_.find(process_key);
  if (it == entries_.end()) {
    Entry* entry = load(state, process_key);
    return entry ? &entry->process : nullptr;
  }
  Entry& entry = it->second;
  if (!entry.identity_known) {
    auto process = state.process(process_key);
    if (!process) return nullptr;
    entry.process.bpmn_process_id = process->bpmn_process_id;
    entry.process.version = process->version;
    entry.identity_known = true;
  }
  return &entry.process;
}

ModelCache::Entry* ModelCache::load(const EngineState& state, Key process_key) {
  auto process = state.process(process_key);
  if (!process) return nullptr;
  bpmn::ParseOptions options;
  options.resource_name = process->resource_name;
  auto definitions = bpmn::parse_bpmn(process->resource, options);
  if (!definitions) {
    spdlog::critical("deployed resource {} of process {} no longer parses: {}",
                     process->resource_name, process->bpmn_process_id, definitions.error().message);
  }
  TERN_CHECK(definitions.ok(), "a deployed resource must parse");
  for (const auto& model : definitions->processes) {
    if (model->bpmn_process_id() == process->bpmn_process_id) {
      Entry& entry = entries_[process_key];
      entry.process = DeployedProcess{model, process->bpmn_process_id, process->version};
      entry.identity_known = true;
      return &entry;
    }
  }
  TERN_CHECK(false, "a deployed resource must hold its process");
  return nullptr;
}

void ModelCache::put(Key process_key, std::shared_ptr<const bpmn::ProcessModel> model) {
  Entry& entry = entries_[process_key];
  entry.process.model = std::move(model);
  entry.identity_known = false;
}

}  // namespace tern::engine
