// The gRPC side of the gateway, through a real server on a kernel-chosen port and a generated
// client stub: Topology's content, and the UNIMPLEMENTED answer of the RPCs not built yet.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>

#include "gateway.grpc.pb.h"
#include "gateway/gateway_server.h"
#include "gateway/static_topology.h"

namespace tern::gateway {
namespace {

namespace gp = gateway_protocol;
using testing::sample_topology;
using testing::StaticTopology;

class GatewayServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    topology_ = std::make_shared<StaticTopology>(sample_topology());
    auto server =
        GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, topology_);
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server.value());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = gp::Gateway::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  std::shared_ptr<StaticTopology> topology_;
  std::unique_ptr<GatewayServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gp::Gateway::Stub> stub_;
};

TEST_F(GatewayServiceTest, TopologyReportsBrokersPartitionsAndSizes) {
  gp::TopologyResponse response;
  grpc::Status status = stub_->Topology(context().get(), {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(response.clustersize(), 2);
  EXPECT_EQ(response.partitionscount(), 2);
  EXPECT_EQ(response.replicationfactor(), 2);
  // The source left the gateway version empty; the gateway fills in its own.
  EXPECT_EQ(response.gatewayversion(), TERN_TEST_PROJECT_VERSION);

  ASSERT_EQ(response.brokers_size(), 2);
  const gp::BrokerInfo& first = response.brokers(0);
  EXPECT_EQ(first.nodeid(), 0);
  EXPECT_EQ(first.host(), "10.0.0.1");
  EXPECT_EQ(first.port(), 26501);
  EXPECT_EQ(first.version(), "0.1.0");
  ASSERT_EQ(first.partitions_size(), 2);
  EXPECT_EQ(first.partitions(0).partitionid(), 1);
  EXPECT_EQ(first.partitions(0).role(), gp::Partition::LEADER);
  EXPECT_EQ(first.partitions(0).health(), gp::Partition::HEALTHY);
  EXPECT_EQ(first.partitions(1).partitionid(), 2);
  EXPECT_EQ(first.partitions(1).role(), gp::Partition::FOLLOWER);
  EXPECT_EQ(first.partitions(1).health(), gp::Partition::UNHEALTHY);

  const gp::BrokerInfo& second = response.brokers(1);
  EXPECT_EQ(second.nodeid(), 1);
  EXPECT_EQ(second.port(), 26511);
  ASSERT_EQ(second.partitions_size(), 2);
  EXPECT_EQ(second.partitions(0).role(), gp::Partition::INACTIVE);
  EXPECT_EQ(second.partitions(0).health(), gp::Partition::DEAD);
  EXPECT_EQ(second.partitions(1).role(), gp::Partition::LEADER);
}

TEST_F(GatewayServiceTest, TopologyFollowsTheSource) {
  ClusterTopology changed = sample_topology();
  changed.brokers.pop_back();
  changed.cluster_size = 1;
  changed.gateway_version = "9.9.9";
  topology_->set(changed);

  gp::TopologyResponse response;
  ASSERT_TRUE(stub_->Topology(context().get(), {}, &response).ok());
  EXPECT_EQ(response.clustersize(), 1);
  EXPECT_EQ(response.brokers_size(), 1);
  EXPECT_EQ(response.gatewayversion(), "9.9.9");
}

// Calls one unary RPC with a default request and returns the status.
template <typename Request, typename Response>
grpc::Status call(std::unique_ptr<grpc::ClientContext> context,
                  grpc::Status (gp::Gateway::Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
                  gp::Gateway::Stub* stub) {
  Response response;
  return (stub->*method)(context.get(), Request{}, &response);
}

TEST_F(GatewayServiceTest, RpcsTheEngineLacksAreUnimplementedAndSayWhich) {
  using Stub = gp::Gateway::Stub;
  // The routed RPCs are exercised end to end in command_routing_test.cc.
  std::vector<std::pair<std::string, std::function<grpc::Status()>>> calls = {
      {"EvaluateDecision", [&] { return call(context(), &Stub::EvaluateDecision, stub_.get()); }},
      {"ModifyProcessInstance",
       [&] { return call(context(), &Stub::ModifyProcessInstance, stub_.get()); }},
      {"MigrateProcessInstance",
       [&] { return call(context(), &Stub::MigrateProcessInstance, stub_.get()); }},
      {"DeleteResource", [&] { return call(context(), &Stub::DeleteResource, stub_.get()); }},
  };
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      "gateway_protocol.Gateway");
  ASSERT_NE(service, nullptr);
  for (const auto& [name, invoke] : calls) {
    SCOPED_TRACE(name);
    ASSERT_NE(service->FindMethodByName(name), nullptr);
    grpc::Status status = invoke();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(status.error_message(), name + " is not implemented yet in Tern");
  }
}

TEST(GatewayServerStart, ReportsAPortThatIsTaken) {
  auto topology = std::make_shared<StaticTopology>(sample_topology());
  auto first =
      GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, topology);
  ASSERT_TRUE(first.ok()) << first.error();

  auto grpc_clash = GatewayServer::start(
      {.host = "127.0.0.1", .grpc_port = (*first)->grpc_port(), .rest_port = 0}, topology);
  ASSERT_FALSE(grpc_clash.ok());
  EXPECT_NE(grpc_clash.error().find("gRPC"), std::string::npos) << grpc_clash.error();
  EXPECT_NE(grpc_clash.error().find(std::to_string((*first)->grpc_port())), std::string::npos);

  auto rest_clash = GatewayServer::start(
      {.host = "127.0.0.1", .grpc_port = 0, .rest_port = (*first)->rest_port()}, topology);
  ASSERT_FALSE(rest_clash.ok());
  EXPECT_NE(rest_clash.error().find("REST"), std::string::npos) << rest_clash.error();
}

TEST(GatewayServerStart, RefusesAMissingTopologySource) {
  auto server =
      GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().find("topology source"), std::string::npos);
}

TEST(GatewayServerStart, ShutdownIsIdempotent) {
  auto topology = std::make_shared<StaticTopology>(sample_topology());
  auto server =
      GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, topology);
  ASSERT_TRUE(server.ok()) << server.error();
  const auto port = (*server)->grpc_port();
  (*server)->shutdown();
  (*server)->shutdown();
  // The port is free again: a new server can take it.
  auto again =
      GatewayServer::start({.host = "127.0.0.1", .grpc_port = port, .rest_port = 0}, topology);
  EXPECT_TRUE(again.ok()) << again.error();
}

}  // namespace
}  // namespace tern::gateway
