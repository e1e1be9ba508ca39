#include "gateway/gateway_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "common/version.h"
#include "gateway/gateway_service.h"
#include "gateway/rest_server.h"

namespace tern::gateway {
namespace {

constexpr int kMinClientKeepAliveIntervalMs = 30'000;

// Fills in the gateway's own version, which no topology source can know.
class VersionedTopology final : public TopologySource {
 public:
  explicit VersionedTopology(std::shared_ptr<const TopologySource> inner)
      : inner_(std::move(inner)) {}

  ClusterTopology current() const override {
    ClusterTopology topology = inner_->current();
    if (topology.gateway_version.empty()) topology.gateway_version = std::string(tern::kVersion);
    return topology;
  }

 private:
  std::shared_ptr<const TopologySource> inner_;
};

}  // namespace

// Owned by GatewayServer; shutdown_mutex_ makes shutdown() idempotent when called from several
// threads (a signal-handling thread and the destructor, say).
class GatewayServerImpl {
 public:
  std::shared_ptr<routing::CommandRouter> router;
  std::unique_ptr<GatewayService> service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::uint16_t grpc_port = 0;
  std::unique_ptr<RestServer> rest;

  void shutdown() {
    std::lock_guard lock(shutdown_mutex_);
    if (done_) return;
    done_ = true;
    if (grpc_server) {
      // Calls in flight get a short grace period; afterwards they are cancelled.
      grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      grpc_server->Wait();
    }
    // Requests the server no longer waits for (their clients cancelled) end now rather than at
    // their deadlines, and the job-availability subscriptions close.
    if (router) router->shutdown();
    if (rest) rest->shutdown();
    spdlog::info("gateway stopped");
  }

 private:
  std::mutex shutdown_mutex_;
  bool done_ = false;
};

GatewayServer::GatewayServer(std::unique_ptr<GatewayServerImpl> impl) : impl_(std::move(impl)) {}

GatewayServer::~GatewayServer() {
  shutdown();
}

void GatewayServer::shutdown() {
  impl_->shutdown();
}

std::uint16_t GatewayServer::grpc_port() const {
  return impl_->grpc_port;
}

std::uint16_t GatewayServer::rest_port() const {
  return impl_->rest->port();
}

tern::Result<std::unique_ptr<GatewayServer>, std::string> GatewayServer::start(
    const GatewayOptions& options, std::shared_ptr<const TopologySource> topology) {
  if (!topology) return tern::unexpected(std::string("gateway started without a topology source"));
  // Debian's abseil is built with its mutex deadlock detector on: every absl::Mutex gRPC makes,
  // locks and destroys updates one global lock graph under a global lock (about 6 % of a
  // gateway's CPU under load, docs/benchmarks.md). It is a debugging aid; Tern's own locks do not
  // use absl. Process-wide, so it also spares the broker a gateway is embedded in.
  static std::once_flag quiet_absl;
  std::call_once(quiet_absl,
                 [] { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); });
  auto versioned = std::make_shared<VersionedTopology>(std::move(topology));
  auto impl = std::make_unique<GatewayServerImpl>();

  // REST first: if its port is taken we fail before any gRPC thread exists.
  auto rest = RestServer::start(options.host, options.rest_port, versioned);
  if (!rest) return tern::unexpected(rest.error());
  impl->rest = std::move(rest.value());

  routing::RouterOptions router_options;
  router_options.job_repoll_interval = options.job_repoll_interval;
  router_options.broker_transport = options.broker_transport;
  impl->router =
      std::make_shared<routing::CommandRouter>(versioned, router_options, options.local_broker);
  impl->service = std::make_unique<GatewayService>(versioned, impl->router);
  const std::string address = options.host + ":" + std::to_string(options.grpc_port);
  int selected_port = 0;
  grpc::ServerBuilder builder;
  // Without this, Linux lets a second server share a taken port and the clash goes unnoticed.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Zeebe clients keep idle connections alive with pings (the Java client every 45 s). gRPC's
  // default server policy answers pings more frequent than every 5 minutes with GOAWAY, which
  // would drop every idle client; accept them down to the interval Zeebe's gateway permits.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kMinClientKeepAliveIntervalMs);
  // Clients' messages are small; gRPC's bandwidth-delay probing pings on received data to grow
  // the flow-control window, which costs extra frames and wake-ups per burst of calls.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(impl->service.get());
  impl->grpc_server = builder.BuildAndStart();
  if (!impl->grpc_server || selected_port == 0) {
    impl->grpc_server.reset();
    impl->rest->shutdown();
    return tern::unexpected("cannot listen for gRPC on " + address
                            + " (address in use or not available)");
  }
  impl->grpc_port = static_cast<std::uint16_t>(selected_port);
  spdlog::info("gateway gRPC listening on {}:{}", options.host, impl->grpc_port);
  return std::unique_ptr<GatewayServer>(new GatewayServer(std::move(impl)));
}

}  // namespace tern::gateway
