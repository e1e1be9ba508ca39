#pragma once

// The broker's command API (gRPC service tern.command.CommandApi) on the command port: GetTopology
// from the broker's own report, plus the services the daemon adds (`extra_services`, e.g. the
// command routing service), which must outlive the server.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker_topology.h"
#include "common/result.h"

namespace grpc {
class Service;
}

namespace tern::broker {

class CommandApiServerImpl;

// Owns the gRPC server and its threads. start() returns once the port is bound. shutdown() stops
// accepting, lets in-flight calls finish (bounded by a short deadline) and joins; idempotent, also
// run by the destructor.
class CommandApiServer {
 public:
  static Result<std::unique_ptr<CommandApiServer>, std::string> start(
      const std::string& host, std::uint16_t port, std::shared_ptr<const BrokerTopology> topology,
      std::vector<grpc::Service*> extra_services = {});

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
