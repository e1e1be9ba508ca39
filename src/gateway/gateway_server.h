#pragma once

// The client-facing side of Tern: the gRPC service `gateway_protocol.Gateway` (Zeebe's protocol)
// and the REST port (GET /v2/topology). Both read the cluster from a TopologySource and know
// nothing of engine internals; later issues route commands through the broker's command API.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "gateway/routing/broker_transport.h"
#include "gateway/routing/local_broker.h"
#include "gateway/topology.h"

namespace tern::gateway {

struct GatewayOptions {
  std::string host = "127.0.0.1";
  std::uint16_t grpc_port = 26500;
  std::uint16_t rest_port = 8080;
  // The broker this gateway is embedded in, if any: its partitions' commands skip the network.
  std::shared_ptr<routing::LocalBroker> local_broker;
  // A long poll without a wake-up polls again after this long (tests lengthen it to show that a
  // wake-up, not the re-poll, brought a job).
  std::chrono::milliseconds job_repoll_interval{1'000};
  // How commands reach the other brokers (tests run the routing over both).
  routing::BrokerTransport broker_transport = routing::BrokerTransport::kCommandStream;
};

class GatewayServerImpl;

// Owns the gRPC server (its own completion/worker threads from gRPC) and the REST server (one
// listener thread plus httplib's worker pool). start() returns only once both ports are bound, so a
// caller may connect immediately. shutdown() stops both and joins their threads; it is idempotent
// and safe to call from any thread except the servers' own workers.
class GatewayServer {
 public:
  static tern::Result<std::unique_ptr<GatewayServer>, std::string> start(
      const GatewayOptions& options, std::shared_ptr<const TopologySource> topology);

  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;
  ~GatewayServer();

  // Idempotent; also called by the destructor.
  void shutdown();

  // The ports actually bound (equal to the options unless a port of 0 asked the kernel to choose).
  std::uint16_t grpc_port() const;
  std::uint16_t rest_port() const;

 private:
  explicit GatewayServer(std::unique_ptr<GatewayServerImpl> impl);
  std::unique_ptr<GatewayServerImpl> impl_;
};

}  // namespace tern::gateway
