#pragma once

// The message subscription protocol between the partition of a waiting element instance and the
// partition of the message (chosen by the correlation key's hash, message_partition below):
//
//   instance partition                           message partition
//   PROCESS_MESSAGE_SUBSCRIPTION CREATING  --->  MESSAGE_SUBSCRIPTION CREATE -> CREATED
//   PROCESS_MESSAGE_SUBSCRIPTION CREATE -> CREATED  <---
//                                               (buffered or published message)
//                                                MESSAGE_SUBSCRIPTION CORRELATING
//   PROCESS_MESSAGE_SUBSCRIPTION CORRELATE  <---
//     -> CORRELATED, the catch event triggers
//   MESSAGE_SUBSCRIPTION CORRELATE          --->  -> CORRELATED
//   (element leaves) PROCESS_MESSAGE_SUBSCRIPTION DELETING ---> MESSAGE_SUBSCRIPTION DELETE
//   PROCESS_MESSAGE_SUBSCRIPTION DELETE -> DELETED <---          -> DELETED
//
// A command for this partition is written as a follow-up at once. A command for another
// partition is not written here: the state says what is pending (CREATING, DELETING,
// CORRELATING): it is sent once the batch commits (ResultBuilder::remote_command), and the
// leader's SubscriptionCommandSender sends it again until acknowledged;
// every receiving processor is idempotent (a repeated command is answered, never applied twice).
//
// Thread: the partition's strand; lives for one command.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"
#include "engine/state/event_state.h"

namespace tern::engine {

class BpmnBehavior;

// Zeebe's rule: the Java String.hashCode of the key (over UTF-16 code units),
// abs(hash % partition_count) + 1.
PartitionId message_partition(std::string_view correlation_key, std::int32_t partition_count);

// The commands the protocol exchanges; `value` is the subscription's value.
Record subscription_command(ValueType type, Intent intent, const Json& value, PartitionId target,
                            std::int64_t now_ms);

class MessageBehavior {
 public:
  MessageBehavior(ProcessingContext& context, BpmnBehavior& bpmn) : ctx_(context), bpmn_(bpmn) {}

  struct Planned {
    const bpmn::FlowElement* element;
    std::string name;
    std::string correlation_key;
  };
  // Evaluates the message name and correlation key of a catch event in `scope_key`.
  Result<Planned, std::string> plan(const bpmn::FlowElement& element, Key scope_key);
  // Opens the subscription of `instance` for a planned catch event.
  void open(const ElementInstance& instance, const Planned& planned);
  // Closes every subscription `instance_key` holds.
  void close_all(Key instance_key);

  // Message partition: sends the message `message` (a MESSAGE value with its key) to the
  // subscription if its process has not had it yet. Returns true when it was sent.
  bool correlate(const MessageSubscriptionEntry& subscription, Key message_key,
                 const Json& message);

  // Writes `intent` of `type` for `value` to the partition `target`: a follow-up command here,
  // or nothing when remote (the sender delivers it from state).
  void send(PartitionId target, ValueType type, Intent intent, const Json& value);

 private:
  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
