#pragma once

// Compensation subscriptions (COMPENSATION_SUBSCRIPTION CREATED / TRIGGERED / COMPLETED /
// DELETED): one per completion of a compensable activity (an activity with a compensation
// boundary event), and one per completed sub-process or multi-instance body that holds such
// subscriptions (a "flow scope" subscription without a handler), so that a throw event outside
// a completed sub-process reaches the activities inside it. Kept until the handler has
// completed (COMPLETED) or the instance or enclosing scope ends (DELETED). Stored next to the
// other event state (db_key.h kinds 94..95) as MessagePack of the record value.
//
// CompensationStateView reads (processors); CompensationStateWriter also writes (appliers only).
//
// Thread: the partition's strand.

#include <vector>

#include "engine/state/engine_state.h"

namespace tern::engine {

struct CompensationSubscriptionEntry {
  Key key = kNoKey;
  // The COMPENSATION_SUBSCRIPTION value: tenantId, processInstanceKey, processDefinitionKey,
  // compensableActivityId, compensableActivityScopeId, compensableActivityInstanceKey,
  // compensableActivityScopeKey, throwEventId, throwEventInstanceKey, compensationHandlerId,
  // compensationHandlerInstanceKey, variables.
  Json value;

  Key process_instance_key() const { return key_of("processInstanceKey"); }
  Key activity_instance_key() const { return key_of("compensableActivityInstanceKey"); }
  Key scope_key() const { return key_of("compensableActivityScopeKey"); }
  Key throw_event_instance_key() const { return key_of("throwEventInstanceKey"); }
  Key handler_instance_key() const { return key_of("compensationHandlerInstanceKey"); }
  bool triggered() const { return !value.value("throwEventId", std::string()).empty(); }
  bool has_handler() const { return !value.value("compensationHandlerId", std::string()).empty(); }

 private:
  Key key_of(const char* field) const { return Key(value.value(field, std::int64_t{-1})); }
};

class CompensationStateView {
 public:
  explicit CompensationStateView(const EngineState& state) : txn_(state.transaction()) {}

  // Every subscription of a process instance, in the order they were created (by key).
  std::vector<CompensationSubscriptionEntry> subscriptions_of(Key process_instance_key) const;

 protected:
  Transaction& txn_;
};

class CompensationStateWriter : public CompensationStateView {
 public:
  explicit CompensationStateWriter(EngineState& state) : CompensationStateView(state) {}

  void put(const CompensationSubscriptionEntry& subscription);
  void remove(Key key);
};

}  // namespace tern::engine
