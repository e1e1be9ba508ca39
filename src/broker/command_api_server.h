#pragma once

// The broker's command API (gRPC service tern.command.CommandApi) on the command port. Today it
// answers GetTopology from the broker's own report; later stages add the commands a gateway routes
// to partition leaders.

#include <cstdint>
#include <memory>
#include <string>

#include "broker/broker_topology.h"
#include "common/result.h"

namespace tern::broker {

class CommandApiServerImpl;

// Owns the gRPC server and its threads. start() returns once the port is bound. shutdown() stops
// accepting, lets in-flight calls finish (bounded by a short deadline) and joins; idempotent, also
// run by the destructor.
class CommandApiServer {
 public:
  static Result<std::unique_ptr<CommandApiServer>, std::string> start(
      const std::string& host, std::uint16_t port, std::shared_ptr<const BrokerTopology> topology);

  CommandApiServer(const CommandApiServer&) = delete;
  CommandApiServer& operator=(const CommandApiServer&) = delete;
  ~CommandApiServer();

  void shutdown();
  std::uint16_t port() const;

 private:
  explicit CommandApiServer(std::unique_ptr<CommandApiServerImpl> impl);
  std::unique_ptr<CommandApiServerImpl> impl_;
};

}  // namespace tern::broker
