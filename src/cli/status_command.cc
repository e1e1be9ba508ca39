#include "cli/status_command.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <ostream>
#include <sstream>

#include "gateway.grpc.pb.h"

namespace tern::cli {
namespace {

namespace gp = gateway_protocol;

// Long enough for a loaded cluster, short enough that a script notices a dead one.
constexpr auto kRequestTimeout = std::chrono::seconds(10);

std::string role_name(gp::Partition::PartitionBrokerRole role) {
  switch (role) {
    case gp::Partition::LEADER:
      return "Leader";
    case gp::Partition::FOLLOWER:
      return "Follower";
    case gp::Partition::INACTIVE:
      return "Inactive";
    default:
      return "Unknown role " + std::to_string(static_cast<int>(role));
  }
}

std::string health_name(gp::Partition::PartitionBrokerHealth health) {
  switch (health) {
    case gp::Partition::HEALTHY:
      return "Healthy";
    case gp::Partition::UNHEALTHY:
      return "Unhealthy";
    case gp::Partition::DEAD:
      return "Dead";
    default:
      return "Unknown health " + std::to_string(static_cast<int>(health));
  }
}

}  // namespace

std::string StatusCommand::usage() const {
  return "Usage: tern [global options] status\n"
         "\n"
         "Asks the gateway (--address / TERN_ADDRESS) for the cluster topology and prints the\n"
         "cluster size, partition count, replication factor, the gateway's version, and for each\n"
         "broker its address, version and the role and health of each partition it hosts.\n"
         "Exits 1 when the gateway cannot be reached.\n";
}

std::string format_topology(const gp::TopologyResponse& topology) {
  std::vector<const gp::BrokerInfo*> brokers;
  for (const auto& broker : topology.brokers())
    brokers.push_back(&broker);
  std::sort(brokers.begin(), brokers.end(),
            [](const auto* a, const auto* b) { return a->nodeid() < b->nodeid(); });

  std::ostringstream text;
  text << "Cluster size: " << topology.clustersize() << "\n"
       << "Partitions count: " << topology.partitionscount() << "\n"
       << "Replication factor: " << topology.replicationfactor() << "\n"
       << "Gateway version: " << topology.gatewayversion() << "\n"
       << "Brokers:\n";
  for (const gp::BrokerInfo* broker : brokers) {
    text << "  Broker " << broker->nodeid() << " - " << broker->host() << ":" << broker->port()
         << "\n"
         << "    Version: " << broker->version() << "\n";
    std::vector<const gp::Partition*> partitions;
    for (const auto& partition : broker->partitions())
      partitions.push_back(&partition);
    std::sort(partitions.begin(), partitions.end(),
              [](const auto* a, const auto* b) { return a->partitionid() < b->partitionid(); });
    for (const gp::Partition* partition : partitions) {
      text << "    Partition " << partition->partitionid() << " : " << role_name(partition->role())
           << ", " << health_name(partition->health()) << "\n";
    }
  }
  return text.str();
}

int StatusCommand::run(Context& context, const std::vector<std::string>& args) const {
  if (!args.empty()) {
    context.err << "tern status: unexpected argument '" << args.front() << "'\n";
    return kExitUsage;
  }
  const std::string& address = context.endpoints.address;
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = gp::Gateway::NewStub(channel);
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + kRequestTimeout);
  gp::TopologyResponse response;
  grpc::Status status = stub->Topology(&call, gp::TopologyRequest{}, &response);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE
        || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      context.err << "tern: cannot reach the gateway at " << address << ": "
                  << status.error_message() << "\n";
    } else {
      context.err << "tern: the gateway at " << address << " refused the topology request ("
                  << status.error_code() << "): " << status.error_message() << "\n";
    }
    return kExitFailure;
  }
  context.out << format_topology(response);
  return kExitOk;
}

}  // namespace tern::cli
