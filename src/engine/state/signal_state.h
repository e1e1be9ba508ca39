#pragma once

// Signal subscriptions (SIGNAL_SUBSCRIPTION CREATED / DELETED): who waits for a signal name on
// this partition. A catch event (intermediate, boundary, event-based gateway branch, event
// sub-process start) subscribes for the element instance that listens; a signal start event
// subscribes for its process definition while that version is the latest. Stored next to the
// other event state (db_key.h kinds 91..93) as MessagePack of the record value.
//
// SignalStateView reads (processors); SignalStateWriter also writes (appliers only).
//
// Thread: the partition's strand.

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/state/engine_state.h"

namespace tern::engine {

struct SignalSubscriptionEntry {
  Key key = kNoKey;
  // The SIGNAL_SUBSCRIPTION value: signalName, processDefinitionKey, bpmnProcessId,
  // catchEventId, catchEventInstanceKey (-1 for a start event), tenantId.
  Json value;

  Key catch_event_instance_key() const {
    return Key(value.value("catchEventInstanceKey", std::int64_t{-1}));
  }
  // The element instance that listens, or the process definition of a start event.
  Key owner() const;
};

// A signal broadcast sent to another partition, pending until that partition acknowledges it.
struct SignalDistributionEntry {
  Key key = kNoKey;  // the distribution key
  // The SIGNAL DISTRIBUTING value: signalName, variables, tenantId, partitionId (the target).
  Json value;
};

class SignalStateView {
 public:
  explicit SignalStateView(const EngineState& state) : txn_(state.transaction()) {}

  // Every subscription to `name`, in the order they were created (by key).
  std::vector<SignalSubscriptionEntry> subscriptions_for(std::string_view name) const;
  // The subscriptions an element instance (or a process definition's start events) holds.
  std::vector<SignalSubscriptionEntry> subscriptions_of(Key owner) const;

  // Distributions of this partition's thrown signals not acknowledged yet (by key, up to `max`).
  std::optional<SignalDistributionEntry> distribution(Key key) const;
  std::vector<SignalDistributionEntry> pending_distributions(std::size_t max) const;
  // Whether the broadcast of another partition's distribution `key` was processed here.
  bool distribution_received(Key key) const;

 protected:
  Transaction& txn_;
};

class SignalStateWriter : public SignalStateView {
 public:
  explicit SignalStateWriter(EngineState& state) : SignalStateView(state) {}

  void put(const SignalSubscriptionEntry& subscription);
  void remove(Key key);
  void put_distribution(const SignalDistributionEntry& distribution);
  void remove_distribution(Key key);
  void mark_received(Key distribution_key);
};

}  // namespace tern::engine
