#pragma once

// Signals as Zeebe runs them: a signal is broadcast by name (BroadcastSignal, or a signal throw
// or end event) and triggers every subscription to that name at that moment; nothing is buffered.
//  * Catch events subscribe while their element instance is active (SIGNAL_SUBSCRIPTION CREATED
//    / DELETED); signal start events subscribe for the latest version of their process.
//  * SIGNAL BROADCAST on a partition writes SIGNAL BROADCASTED and triggers that partition's
//    subscriptions: a start event creates an instance, a catch event is triggered like a timer
//    or a message (event_behavior.h).
//  * A throw or end event broadcasts on its own partition (a follow-up command) and sends the
//    same command to every other partition, again and again until each acknowledges it, so that
//    a signal reaches the whole cluster (processing/subscription_sender.h sends what is pending).
//
// Thread: the partition's strand; lives for one command.

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"

namespace tern::engine {

class BpmnBehavior;

class SignalBehavior {
 public:
  SignalBehavior(ProcessingContext& context, BpmnBehavior& bpmn) : ctx_(context), bpmn_(bpmn) {}

  static bool is_signal_event(const bpmn::FlowElement& element) {
    return element.event_type == bpmn::EventType::SIGNAL && element.signal != nullptr;
  }

  // The signal name of `element`, evaluated in `scope_key` when it is an expression.
  Result<std::string, std::string> name_of(const bpmn::FlowElement& element, Key scope_key);

  // Opens a subscription of the element instance `owner` for the catch event `catch_event`.
  void subscribe(const ElementInstance& owner, const bpmn::FlowElement& catch_event,
                 const std::string& name);
  // Deletes every subscription of `owner` (an element instance or a process definition).
  void unsubscribe(Key owner);
  // Deployment: subscribes the signal start events of a new version, and deletes those of the
  // version it replaces.
  void on_process_deployed(Key definition_key, const bpmn::ProcessModel& model,
                           std::optional<Key> previous_key);

  // SIGNAL BROADCAST received on this partition: triggers every subscription to `name`.
  void broadcast_here(const std::string& name, const Json& variables);
  // A signal throw or end event: broadcasts `name` here, and on every other partition through a
  // distribution (SIGNAL DISTRIBUTING, one per partition) that stays pending until the partition
  // acknowledges it (SIGNAL ACKNOWLEDGE -> ACKNOWLEDGED). A partition broadcasts a distribution
  // once and acknowledges every copy it receives.
  void throw_signal(const ElementInstance& instance, const std::string& name);
  // The SIGNAL BROADCAST command that delivers the pending distribution `distributing`.
  static Json distributed_broadcast(Key distribution_key, const Json& distributing);

 private:
  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
