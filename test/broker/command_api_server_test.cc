// The command API: GetTopology over gRPC reports this broker, its partitions and the cluster shape;
// SubscribeTopology pushes the same on every change.

#include "broker/command_api_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "broker/broker_metrics.h"
#include "broker/broker_topology.h"
#include "command_api.grpc.pb.h"
#include "common/version.h"

namespace tern::broker {
namespace {

TernConfig three_broker_config() {
  TernConfig config;
  config.cluster.node_id = 1;
  config.cluster.size = 3;
  config.cluster.partitions = 3;
  config.cluster.replication_factor = 1;
  config.cluster.region = "eu";
  config.network.advertised_host = "broker-1.tern";
  config.network.command_port = 4242;
  return config;
}

std::shared_ptr<const BrokerTopology> topology_for(const TernConfig& config) {
  std::vector<std::shared_ptr<const Partition>> partitions;
  // Node 1 leads partition 2; partition 3 is still opening, as its replica would report.
  auto leader = std::make_shared<Partition>(PartitionId(2), std::vector{NodeId(1)}, "/x");
  PartitionStatus leading;
  leading.role = PartitionRole::kLeader;
  leading.health = PartitionHealth::kHealthy;
  leading.term = 3;
  leader->set_status(leading);
  partitions.push_back(leader);
  partitions.push_back(
      std::make_shared<Partition>(PartitionId(3), std::vector{NodeId(1), NodeId(2)}, "/y"));
  return std::make_shared<const BrokerTopology>(config, std::move(partitions));
}

TEST(BrokerTopology, ReportsItselfWithTheAdvertisedHost) {
  auto config = three_broker_config();
  auto report = topology_for(config)->report();
  EXPECT_EQ(report.node_id, 1);
  EXPECT_EQ(report.host, "broker-1.tern");
  EXPECT_EQ(report.command_port, 4242);
  EXPECT_EQ(report.version, std::string(kVersion));
  EXPECT_EQ(report.region, "eu");
  EXPECT_EQ(report.cluster_size, 3);
  EXPECT_EQ(report.partitions_count, 3);
  EXPECT_EQ(report.replication_factor, 1);
  ASSERT_EQ(report.partitions.size(), 2u);

  config.network.advertised_host.clear();
  config.network.host = "10.1.2.3";
  EXPECT_EQ(topology_for(config)->report().host, "10.1.2.3");
}

TEST(CommandApiServer, GetTopologyOverGrpc) {
  auto config = three_broker_config();
  auto server = CommandApiServer::start("127.0.0.1", 0, topology_for(config));
  ASSERT_TRUE(server.ok()) << server.error();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = tern::command::CommandApi::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tern::command::TopologyInfo reply;
  auto status = stub->GetTopology(&context, tern::command::GetTopologyRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.brokers_size(), 1);
  const auto& broker = reply.brokers(0);
  EXPECT_EQ(broker.node_id(), 1);
  EXPECT_EQ(broker.host(), "broker-1.tern");
  EXPECT_EQ(broker.port(), 4242);
  EXPECT_EQ(broker.version(), std::string(kVersion));
  EXPECT_EQ(broker.region(), "eu");
  ASSERT_EQ(broker.partitions_size(), 2);
  EXPECT_EQ(broker.partitions(0).partition_id(), 2);
  EXPECT_EQ(broker.partitions(0).role(), "leader");
  EXPECT_EQ(broker.partitions(0).health(), "healthy");
  EXPECT_EQ(broker.partitions(0).term(), 3u);
  EXPECT_EQ(broker.partitions(1).partition_id(), 3);
  EXPECT_EQ(broker.partitions(1).role(), "inactive");
  EXPECT_EQ(broker.partitions(1).health(), "unhealthy");
  EXPECT_EQ(reply.cluster_size(), 3);
  EXPECT_EQ(reply.partitions_count(), 3);
  EXPECT_EQ(reply.replication_factor(), 1);
  (*server)->shutdown();
  (*server)->shutdown();  // idempotent
}

TEST(CommandApiServer, ReportsTheCommittedMembershipForGatewaysToMerge) {
  auto config = three_broker_config();
  // The shape source stands for the committed cluster topology: broker 2 was removed (version 8).
  auto topology = std::make_shared<const BrokerTopology>(
      config, [] { return std::vector<std::shared_ptr<const Partition>>{}; },
      [] {
        ReportedShape shape{2, 3, 1};
        shape.membership_version = 8;
        shape.member_ids = {0, 1};
        return shape;
      });
  auto server = CommandApiServer::start("127.0.0.1", 0, topology);
  ASSERT_TRUE(server.ok()) << server.error();
  auto stub = tern::command::CommandApi::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tern::command::TopologyInfo reply;
  ASSERT_TRUE(stub->GetTopology(&context, tern::command::GetTopologyRequest(), &reply).ok());
  EXPECT_EQ(reply.cluster_size(), 2);
  EXPECT_EQ(reply.membership_version(), 8);
  ASSERT_EQ(reply.member_ids_size(), 2);
  EXPECT_EQ(reply.member_ids(0), 0);
  EXPECT_EQ(reply.member_ids(1), 1);
  (*server)->shutdown();
}

TEST(CommandApiServer, ATakenPortIsAnError) {
  auto config = three_broker_config();
  auto first = CommandApiServer::start("127.0.0.1", 0, topology_for(config));
  ASSERT_TRUE(first.ok());
  auto second = CommandApiServer::start("127.0.0.1", (*first)->port(), topology_for(config));
  ASSERT_FALSE(second.ok());
  const std::string expected = "cannot listen on 127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_EQ(second.error().substr(0, expected.size()), expected) << second.error();
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  // The first server still answers.
  auto stub = tern::command::CommandApi::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*first)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tern::command::TopologyInfo reply;
  EXPECT_TRUE(stub->GetTopology(&context, tern::command::GetTopologyRequest(), &reply).ok());
}

TEST(Partition, TellsItsObserverWhatTheTopologyReportsChanged) {
  Partition partition(PartitionId(1), {NodeId(0)}, "/x");
  int calls = 0;
  partition.set_status_observer([&] { ++calls; });
  PartitionStatus status = partition.status();
  status.applied_index = 10;  // progress alone is not a topology change
  partition.set_status(status);
  EXPECT_EQ(calls, 0);
  status.role = PartitionRole::kFollower;
  partition.set_status(status);
  EXPECT_EQ(calls, 1);
  status.term = 2;
  partition.set_status(status);
  EXPECT_EQ(calls, 2);
  status.leader = 0;
  partition.set_status(status);
  EXPECT_EQ(calls, 3);
  status.health = PartitionHealth::kHealthy;
  partition.set_status(status);
  EXPECT_EQ(calls, 4);
}

TEST(CommandApiServer, SubscribeTopologyPushesEveryChange) {
  auto config = three_broker_config();
  auto partition = std::make_shared<Partition>(PartitionId(2), std::vector{NodeId(1)}, "/x");
  auto topology = std::make_shared<const BrokerTopology>(
      config, std::vector<std::shared_ptr<const Partition>>{partition});
  partition->set_status_observer([weak = std::weak_ptr<const BrokerTopology>(topology)] {
    if (auto alive = weak.lock()) alive->notify_changed();
  });
  auto server = CommandApiServer::start("127.0.0.1", 0, topology);
  ASSERT_TRUE(server.ok()) << server.error();
  auto stub = tern::command::CommandApi::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub->SubscribeTopology(&context, tern::command::GetTopologyRequest());

  // The current topology comes at once.
  tern::command::TopologyInfo info;
  ASSERT_TRUE(reader->Read(&info));
  ASSERT_EQ(info.brokers_size(), 1);
  ASSERT_EQ(info.brokers(0).partitions_size(), 1);
  EXPECT_EQ(info.brokers(0).partitions(0).role(), "inactive");

  // Each change is pushed (heartbeats in between repeat the previous state; skip those).
  for (std::uint64_t term = 1; term <= 3; ++term) {
    PartitionStatus status = partition->status();
    status.role = term == 2 ? PartitionRole::kFollower : PartitionRole::kLeader;
    status.health = PartitionHealth::kHealthy;
    status.term = term;
    partition->set_status(status);
    bool seen = false;
    while (!seen && reader->Read(&info)) {
      const auto& pushed = info.brokers(0).partitions(0);
      seen = pushed.term() == term && pushed.role() == to_string(status.role);
    }
    ASSERT_TRUE(seen) << "term " << term << " was never pushed";
  }

  // Shutting the server down ends the stream cleanly rather than waiting for the client.
  (*server)->shutdown();
  while (reader->Read(&info)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
}

TEST(BrokerMetrics, PrometheusTextCarriesRealValues) {
  auto report = topology_for(three_broker_config())->report();
  auto text = broker_metrics_text(report, std::chrono::seconds(42));
  std::string build_info =
      "tern_build_info{version=\"" + std::string(kVersion) + "\",node_id=\"1\",region=\"eu\"} 1\n";
  EXPECT_NE(text.find(build_info), std::string::npos) << text;
  for (const char* line : {
           "# TYPE tern_uptime_seconds gauge\n",
           "tern_uptime_seconds 42\n",
           "tern_partitions_hosted 2\n",
           "tern_partition_role{partition=\"2\",role=\"leader\"} 1\n",
           "tern_partition_role{partition=\"3\",role=\"inactive\"} 1\n",
           "tern_partition_healthy{partition=\"2\"} 1\n",
           "tern_partition_healthy{partition=\"3\"} 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
  }
}

}  // namespace
}  // namespace tern::broker
