#pragma once

// The broker's command port: the gRPC services CommandApi (GetTopology and SubscribeTopology from
// the broker's own report) and BrokerCommands (the CommandService, when given), and the gateways'
// command streams (gateway/link/command_frames.h), all on one listener that tells them apart by
// their first bytes (command_api/command_port.h).

#include <cstdint>
#include <memory>
#include <string>

#include "broker/broker_topology.h"
#include "common/result.h"

namespace tern::broker::command_api {
class CommandService;
}

namespace tern::broker {

class CommandApiServerImpl;

// Owns the gRPC server (built without a listening port: the CommandPort hands it its connections),
// the CommandPort and their threads. start() returns once the port is bound. `commands` may be
// null (only the topology is served; command streams are refused). shutdown() closes the port and
// its command streams, then stops the gRPC server, letting in-flight calls finish (bounded by a
// short deadline), and joins; idempotent, also run by the destructor.
class CommandApiServer {
 public:
  static Result<std::unique_ptr<CommandApiServer>, std::string> start(
      const std::string& host, std::uint16_t port, std::shared_ptr<const BrokerTopology> topology,
      std::shared_ptr<command_api::CommandService> commands = nullptr);

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
