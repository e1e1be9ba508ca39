#pragma once

// Delivers the message subscription protocol's commands to other partitions
// (processors/message_behavior.h), and thrown signals to the other partitions
// (processors/signal_behavior.h). The processors leave a command for another partition as
// pending state (a process message subscription CREATING or DELETING, a message subscription
// CORRELATING, a signal DISTRIBUTING); this sender, run by the leader's host now and then, reads
// that state and sends each pending command through the transport, again every retry interval until
// the state shows it was acknowledged. Receivers are idempotent, so duplicates are harmless.
//
// The cluster wires the transport across brokers (the command is appended to the target
// partition's log by its leader); tests wire two engines' in-memory logs.
//
// Thread: the partition's strand (it reads the partition's state); leader only.

#include <cstdint>
#include <map>
#include <string>

#include "engine/partition_engine.h"
#include "engine/processing/subscription_transport.h"

namespace tern::engine {

struct SubscriptionSenderOptions {
  std::int64_t retry_interval_ms = 5'000;
  std::size_t max_per_round = 256;  // bounds one send_pending() call
};

class SubscriptionCommandSender {
 public:
  SubscriptionCommandSender(PartitionEngine& engine, PartitionId partition,
                            SubscriptionTransport& transport,
                            SubscriptionSenderOptions options = {});

  // Sends the commands pending at `now_ms` not sent within the retry interval; returns how many.
  std::size_t send_pending(std::int64_t now_ms);

 private:
  bool due(const std::string& id, std::int64_t now_ms);

  PartitionEngine& engine_;
  PartitionId partition_;
  SubscriptionTransport& transport_;
  SubscriptionSenderOptions options_;
  std::map<std::string, std::int64_t> last_sent_ms_;  // pruned to what is still pending
};

}  // namespace tern::engine
