#pragma once

// RaftGroup: a Raft group other than the data partitions that a broker runs next to them over
// the same cluster transport and thread pool (today: the cluster topology's "partition 0",
// src/broker/management/topology_replica.h). The PartitionManager creates it from a factory with
// its io_context and a send function, opens it before the transport starts, routes the group's
// messages to receive(), and stops it before the transport.

#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/strong_id.h"
#include "raft/core/messages.h"

namespace tern::broker {

class RaftGroup {
 public:
  using Send = std::function<void(NodeId to, PartitionId partition, const raft::Message&)>;

  virtual ~RaftGroup() = default;
  virtual Result<void, std::string> open() = 0;
  virtual void start() = 0;
  virtual void stop() = 0;  // blocks until stopped; not callable from the group's strand
  virtual void receive(raft::Message message) = 0;
};

// `io` is the manager's: a group keeps it (its strand and timers are bound to it) so that the
// context outlives the group wherever the group's last owner lets go of it.
using RaftGroupFactory = std::function<std::shared_ptr<RaftGroup>(
    std::shared_ptr<asio::io_context> io, RaftGroup::Send send)>;

}  // namespace tern::broker
