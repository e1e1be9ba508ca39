#pragma once

// A command processor decides: it reads state through a const view and emits records through the
// ResultBuilder (events are applied by the applier as they are written). It never writes state.

#include "engine/processing/model_cache.h"
#include "engine/processing/result_builder.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

struct ProcessingContext {
  const Record& command;
  const EngineState& state;
  ResultBuilder& out;
  ModelCache& models;
  // Partitions of the cluster: a message lives on the partition its correlation key hashes to.
  std::int32_t partition_count = 1;
};

class CommandProcessor {
 public:
  virtual ~CommandProcessor() = default;
  virtual void process(ProcessingContext& context) = 0;
};

}  // namespace tern::engine
