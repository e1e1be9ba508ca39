#include "engine/processing/model_cache.h"

#include <spdlog/spdlog.h>

#include "common/check.h"
#include "engine/bpmn/parser.h"

namespace tern::engine {

std::shared_ptr<const bpmn::ProcessModel> ModelCache::get(const EngineState& state,
                                                          Key process_key) {
  auto it = models_.find(process_key);
  if (it != models_.end()) return it->second;
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
      models_.emplace(process_key, model);
      return model;
    }
  }
  TERN_CHECK(false, "a deployed resource must hold its process");
  return nullptr;
}

void ModelCache::put(Key process_key, std::shared_ptr<const bpmn::ProcessModel> model) {
  models_[process_key] = std::move(model);
}

}  // namespace tern::engine
