#include "broker/command_api_server.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "broker/command_api/command_port.h"
#include "broker/command_api/command_service.h"
#include "command_api.grpc.pb.h"

namespace tern::broker {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(2);
// An unchanged topology is sent again this often on a subscription, so that a gateway can tell a
// broker that went silent (gateway/contact_point_topology.cc drops reports older than a few of
// these) from one with nothing to say.
constexpr auto kTopologyHeartbeat = std::chrono::seconds(2);

class CommandApiService final : public tern::command::CommandApi::Service {
 public:
  explicit CommandApiService(std::shared_ptr<const BrokerTopology> topology)
      : topology_(std::move(topology)) {}

  grpc::Status GetTopology(grpc::ServerContext*, const tern::command::GetTopologyRequest*,
                           tern::command::TopologyInfo* reply) override {
    fill(*reply);
    return grpc::Status::OK;
  }

  // Runs on one of gRPC's sync threads for as long as the gateway stays subscribed: the thread
  // sleeps in wait_for_change between writes, so an idle subscription costs no CPU.
  grpc::Status SubscribeTopology(grpc::ServerContext* context,
                                 const tern::command::GetTopologyRequest*,
                                 grpc::ServerWriter<tern::command::TopologyInfo>* writer) override {
    spdlog::debug("command API: a gateway subscribed to the topology");
    // Read the generation before the report: a change made while reporting is sent again.
    std::uint64_t sent = topology_->generation();
    while (!context->IsCancelled() && !topology_->closed()) {
      tern::command::TopologyInfo info;
      fill(info);
      if (!writer->Write(info)) break;  // the gateway went away
      const auto heartbeat = std::chrono::steady_clock::now() + kTopologyHeartbeat;
      while (std::chrono::steady_clock::now() < heartbeat && !context->IsCancelled()) {
        const std::uint64_t now = topology_->wait_for_change(sent, heartbeat);
        if (now != sent || topology_->closed()) {
          sent = now;
          break;
        }
      }
    }
    return grpc::Status::OK;
  }

  void close() { topology_->close(); }

 private:
  void fill(tern::command::TopologyInfo& reply) const {
    BrokerSelfReport self = topology_->report();
    auto* broker = reply.add_brokers();
    broker->set_node_id(self.node_id);
    broker->set_host(self.host);
    broker->set_port(self.command_port);
    broker->set_version(self.version);
    broker->set_region(self.region);
    for (const auto& partition : self.partitions) {
      auto* info = broker->add_partitions();
      info->set_partition_id(partition.id.value());
      info->set_role(std::string(to_string(partition.role)));
      info->set_health(std::string(to_string(partition.health)));
      info->set_term(partition.term);
    }
    reply.set_cluster_size(self.cluster_size);
    reply.set_partitions_count(self.partitions_count);
    reply.set_replication_factor(self.replication_factor);
    reply.set_membership_version(self.membership_version);
    for (std::int32_t id : self.member_ids)
      reply.add_member_ids(id);
  }

  std::shared_ptr<const BrokerTopology> topology_;
};

}  // namespace

class CommandApiServerImpl {
 public:
  CommandApiServerImpl(std::shared_ptr<const BrokerTopology> topology)
      : service_(std::move(topology)) {}

  Result<void, std::string> start(const std::string& host, std::uint16_t port,
                                  std::shared_ptr<command_api::CommandService> commands) {
    // No listening port: the CommandPort accepts and hands gRPC's connections over by their fd.
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    if (commands) builder.RegisterService(commands.get());
    server_ = builder.BuildAndStart();
    if (!server_)
      return tern::unexpected(std::string("cannot start the command API's gRPC server"));
    auto started = command_api::CommandPort::start(host, port, *server_, commands);
    if (!started) {
      server_->Shutdown();
      server_->Wait();
      server_.reset();
      return tern::unexpected(started.error());
    }
    port_listener_ = std::move(*started);
    commands_ = std::move(commands);
    return {};
  }

  void shutdown() {
    std::call_once(stopped_, [this] {
      if (!server_) return;
      port_listener_->shutdown();  // no new connections; the command streams are closed
      service_.close();  // ends the topology subscriptions instead of waiting out the grace
      server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
      server_->Wait();
    });
  }

  std::uint16_t port() const { return port_listener_ ? port_listener_->port() : 0; }

 private:
  CommandApiService service_;
  // Registered on server_, so it outlives it (declared before it).
  std::shared_ptr<command_api::CommandService> commands_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<command_api::CommandPort> port_listener_;
  std::once_flag stopped_;
};

Result<std::unique_ptr<CommandApiServer>, std::string> CommandApiServer::start(
    const std::string& host, std::uint16_t port, std::shared_ptr<const BrokerTopology> topology,
    std::shared_ptr<command_api::CommandService> commands) {
  auto impl = std::make_unique<CommandApiServerImpl>(std::move(topology));
  if (auto started = impl->start(host, port, std::move(commands)); !started) {
    return tern::unexpected(started.error());
  }
  return std::unique_ptr<CommandApiServer>(new CommandApiServer(std::move(impl)));
}

CommandApiServer::CommandApiServer(std::unique_ptr<CommandApiServerImpl> impl)
    : impl_(std::move(impl)) {}

CommandApiServer::~CommandApiServer() {
  shutdown();
}

void CommandApiServer::shutdown() {
  impl_->shutdown();
}

std::uint16_t CommandApiServer::port() const {
  return impl_->port();
}

}  // namespace tern::broker
