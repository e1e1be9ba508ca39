#pragma once

// Variables as Zeebe scopes them: each element instance is a scope whose parent is its flow
// scope; a lookup walks up to the process instance. Setting "locally" writes one scope;
// "propagating" writes each variable to the nearest scope that already defines it, else to the
// process instance. Reads go through the const state; writes go out as VARIABLE events.
//
// Thread: the partition's strand; lives for one command.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/bpmn/model.h"
#include "engine/feel/feel.h"
#include "engine/processing/command_processor.h"

namespace tern::engine {

// FEEL sees the variables visible from a scope, optionally overlaid by a local document (job
// variables being completed, a mapping's intermediate result).
class ScopeVariableResolver final : public feel::VariableResolver {
 public:
  ScopeVariableResolver(const EngineState& state, Key scope_key, const Json* overlay = nullptr)
      : state_(state), scope_key_(scope_key), overlay_(overlay) {}
  std::optional<feel::Value> lookup(std::string_view name) const override;

 private:
  const EngineState& state_;
  Key scope_key_;
  const Json* overlay_;
};

class VariableBehavior {
 public:
  explicit VariableBehavior(ProcessingContext& context) : ctx_(context) {}

  // The variable visible from `scope_key` (walking up), parsed.
  std::optional<Json> get(Key scope_key, std::string_view name) const;
  // All variables visible from `scope_key` (inner scopes win), or only `names` when non-empty.
  Json collect(Key scope_key, const std::vector<std::string>& names) const;

  // `process` is any PROCESS_INSTANCE value of the instance (for the VARIABLE records' context).
  void set_local(Key scope_key, std::string_view name, const Json& value,
                 const ProcessInstanceValue& process);
  void set_local_document(Key scope_key, const Json& document, const ProcessInstanceValue& process);
  void propagate_document(Key start_scope_key, const Json& document,
                          const ProcessInstanceValue& process);

  // Evaluates a static-or-expression value in a scope. Static text becomes a JSON string.
  Result<Json, std::string> evaluate(const bpmn::ValueOrExpression& value, Key scope_key,
                                     const Json* overlay = nullptr) const;

  // Input mappings: evaluates each in the flow scope and returns the local document of the
  // element (targets may be dotted paths). Output mappings: evaluates each in the element's
  // scope and returns the document to propagate. The error names the failing mapping.
  Result<Json, std::string> map(const std::vector<bpmn::Mapping>& mappings, Key scope_key,
                                const Json* overlay = nullptr) const;

 private:
  Key parent_scope(Key scope_key) const;

  ProcessingContext& ctx_;
};

}  // namespace tern::engine
