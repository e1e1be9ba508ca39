#pragma once

// LocalBroker: the broker a gateway is embedded in, reached by a function call instead of a gRPC
// round trip over loopback. The router sends a partition's commands here when the topology names
// this broker (by its command address) as the leader; every other broker is reached over gRPC.
// It skips encoding the request and the answer, HTTP/2 framing, and two thread hand-offs per
// command. The broker side implements it (broker/command_api), so the gateway still knows
// nothing of partitions or the engine.

#include <cstdint>
#include <functional>
#include <string>

#include "command_api.pb.h"

namespace tern::gateway::routing {

class LocalBroker {
 public:
  virtual ~LocalBroker() = default;

  // "host:port" of this broker's command API, as the topology names it.
  virtual std::string address() const = 0;

  // Executes `request` as the command API's Execute would; fills `response` and then calls
  // `done` exactly once, on any thread (possibly before returning). `request` and `response`
  // must stay alive until `done` ran.
  virtual void execute(const tern::command::BrokerRequest& request,
                       tern::command::BrokerResponse* response, std::function<void()> done) = 0;

  using JobsAvailable = std::function<void(const std::string& job_type)>;
  using WatchId = std::uint64_t;
  // Calls `available` whenever jobs of a type may have become activatable on a partition of this
  // broker (what BrokerCommands.SubscribeJobAvailability streams to a remote gateway), on the
  // partition's thread; it must not block. A call already under way may still finish after
  // unwatch_jobs() returned, so `available` must own (or hold weakly) what it touches.
  virtual WatchId watch_jobs(JobsAvailable available) = 0;
  virtual void unwatch_jobs(WatchId id) = 0;
};

}  // namespace tern::gateway::routing
