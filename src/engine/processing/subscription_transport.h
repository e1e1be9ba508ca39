#pragma once

// How a partition's engine sends commands to another partition (the message subscription
// protocol, processors/message_behavior.h) without knowing the cluster: the broker wires it to
// the target partition's leader, which appends the command to its log. Called on the partition's
// strand, on the leader only, after the batch that produced the command is committed.

#include "engine/records/record.h"

namespace tern::engine {

class SubscriptionTransport {
 public:
  virtual ~SubscriptionTransport() = default;
  // Best effort: a lost command is sent again by the SubscriptionCommandSender.
  virtual void send(const Record& command) = 0;
};

}  // namespace tern::engine
