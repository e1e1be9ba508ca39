#pragma once

// The command processors the stream processor dispatches to, by (value type, intent):
//   DEPLOYMENT CREATE                                 DeploymentCreateProcessor
//   PROCESS_INSTANCE_CREATION CREATE(_WITH_AWAITING_RESULT)  ProcessInstanceCreationProcessor
//   PROCESS_INSTANCE ACTIVATE/COMPLETE/TERMINATE_ELEMENT   ElementCommandProcessor
//   PROCESS_INSTANCE CANCEL                           CancelProcessInstanceProcessor
//   JOB COMPLETE/FAIL/THROW_ERROR/UPDATE_RETRIES/UPDATE_TIMEOUT/TIME_OUT/RECUR_AFTER_BACKOFF
//                                                     Job*Processor (job_processors.cc)
//   JOB_BATCH ACTIVATE                                JobBatchActivateProcessor
//   VARIABLE_DOCUMENT UPDATE                          VariableDocumentUpdateProcessor
//   INCIDENT RESOLVE                                  IncidentResolveProcessor
//   EXPORTER UPDATE                                   exporter_processors.cc

#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "engine/processing/command_processor.h"

namespace tern::engine {

using ProcessorMap = std::map<std::pair<ValueType, Intent>, std::unique_ptr<CommandProcessor>>;

ProcessorMap make_processors();

// Registration helpers, one per source file.
void add_deployment_processors(ProcessorMap& map);
void add_process_instance_processors(ProcessorMap& map);
void add_job_processors(ProcessorMap& map);
void add_misc_processors(ProcessorMap& map);
void add_timer_processors(ProcessorMap& map);     // timer_processors.cc
void add_message_processors(ProcessorMap& map);   // message_processors.cc
void add_exporter_processors(ProcessorMap& map);  // exporter_processors.cc
void add_signal_processors(ProcessorMap& map);    // signal_processors.cc

// TIMER TRIGGER commands for timers due at `now_ms` (up to `max`), skipping keys in `pending`
// and adding the rest to it (the leader's due-date checker; timer_processors.cc).
std::vector<Record> due_timer_commands(const EngineState& state, std::int64_t now_ms,
                                       std::size_t max, std::set<Key>& pending);
// MESSAGE EXPIRE commands for buffered messages whose time-to-live ended (message_processors.cc).
std::vector<Record> expired_message_commands(const EngineState& state, std::int64_t now_ms,
                                             std::size_t max, std::set<Key>& pending);

// Wraps a lambda as a CommandProcessor.
template <typename Fn>
class FunctionProcessor final : public CommandProcessor {
 public:
  explicit FunctionProcessor(Fn fn) : fn_(std::move(fn)) {}
  void process(ProcessingContext& context) override { fn_(context); }

 private:
  Fn fn_;
};

template <typename Fn>
void add_processor(ProcessorMap& map, ValueType type, Intent intent, Fn fn) {
  map[{type, intent}] = std::make_unique<FunctionProcessor<Fn>>(std::move(fn));
}

}  // namespace tern::engine
