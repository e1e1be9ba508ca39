// The command port over a real listener on 127.0.0.1: gRPC (handed to the gRPC server by its fd)
// and the command stream (gateway/link/command_frames.h) side by side, against real engines.

#include "broker/command_api/command_port.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "broker/broker_topology.h"
#include "broker/command_api/command_service.h"
#include "broker/command_api_server.h"
#include "command_api.grpc.pb.h"
#include "command_port_client.h"
#include "engine_partition_service.h"
#include "support/bpmn_models.h"
#include "support/eventually.h"

namespace tern::broker::command_api {
namespace {

using gateway::link::FrameKind;
using namespace std::chrono_literals;
using test_support::FramedClient;
using test_support::RawClient;

tern::command::BrokerRequest deploy_request(std::int32_t partition, const std::string& xml) {
  tern::command::BrokerRequest request;
  request.set_partition_id(partition);
  auto* resource = request.mutable_deploy_resource()->add_resources();
  resource->set_name("process.bpmn");
  resource->set_content(xml);
  return request;
}

tern::command::BrokerRequest create_request(std::int32_t partition, const std::string& process) {
  tern::command::BrokerRequest request;
  request.set_partition_id(partition);
  request.mutable_create_process_instance()->set_bpmnprocessid(process);
  request.mutable_create_process_instance()->set_version(-1);
  return request;
}

tern::command::BrokerRequest activate_request(std::int32_t partition, const std::string& type) {
  tern::command::BrokerRequest request;
  request.set_partition_id(partition);
  auto* activate = request.mutable_activate_jobs();
  activate->set_type(type);
  activate->set_worker("w");
  activate->set_timeout(10'000);
  activate->set_maxjobstoactivate(1);
  return request;
}

// A CommandPort in front of a gRPC server that serves BrokerCommands, over two real engines.
class CommandPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    partitions_ = std::make_shared<gateway::testing::EnginePartitionService>(2);
    commands_ = std::make_shared<CommandService>(partitions_);
    grpc::ServerBuilder builder;
    builder.RegisterService(commands_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
    auto started = CommandPort::start("127.0.0.1", 0, *server_, commands_);
    ASSERT_TRUE(started.ok()) << started.error();
    port_ = std::move(*started);
  }

  void TearDown() override { stop(); }

  void stop() {
    if (port_) port_->shutdown();
    if (commands_) commands_->shutdown();
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + 2s);
      server_->Wait();
    }
  }

  std::unique_ptr<tern::command::BrokerCommands::Stub> grpc_stub() {
    return tern::command::BrokerCommands::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_->port()), grpc::InsecureChannelCredentials()));
  }

  tern::command::BrokerResponse execute_over_grpc(const tern::command::BrokerRequest& request) {
    auto stub = grpc_stub();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 20s);
    tern::command::BrokerResponse response;
    const grpc::Status status = stub->Execute(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::shared_ptr<gateway::testing::EnginePartitionService> partitions_;
  std::shared_ptr<CommandService> commands_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CommandPort> port_;
};

TEST(CommandPortOpening, TellsTheProtocolsApartByTheirFirstBytes) {
  EXPECT_EQ(classify_opening("PRI * HTTP/2.0"), Opening::kGrpc);
  EXPECT_EQ(classify_opening("PRI "), Opening::kGrpc);
  EXPECT_EQ(classify_opening("TERNCMD1"), Opening::kCommandStream);
  EXPECT_EQ(classify_opening("TERNCMD2"), Opening::kOtherVersion);
  EXPECT_EQ(classify_opening("PR"), Opening::kNeedMore);
  EXPECT_EQ(classify_opening("TERNC"), Opening::kNeedMore);
  EXPECT_EQ(classify_opening("TERNCMD"), Opening::kNeedMore);
  EXPECT_EQ(classify_opening("GET / HT"), Opening::kNeither);
  EXPECT_EQ(classify_opening("TERX"), Opening::kNeither);
}

TEST_F(CommandPortTest, ServesBrokerCommandsOverGrpc) {
  const auto deployed = execute_over_grpc(deploy_request(1, test::one_task_bpmn("order", "pack")));
  ASSERT_EQ(deployed.status(), tern::command::OK) << deployed.message();
  ASSERT_EQ(deployed.deploy_resource().deployments_size(), 1);
  EXPECT_EQ(deployed.deploy_resource().deployments(0).process().bpmnprocessid(), "order");

  // A job wake-up reaches a gRPC subscriber too.
  auto stub = grpc_stub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 20s);
  auto reader = stub->SubscribeJobAvailability(&context, {});
  ASSERT_TRUE(tern::test::eventually([&] { return commands_->job_subscribers() == 1; }, 10s));
  const auto created = execute_over_grpc(create_request(1, "order"));
  ASSERT_EQ(created.status(), tern::command::OK) << created.message();
  tern::command::JobAvailability wakeup;
  ASSERT_TRUE(reader->Read(&wakeup));
  EXPECT_EQ(wakeup.partition_id(), 1);
  EXPECT_EQ(wakeup.job_type(), "pack");
  context.TryCancel();
  while (reader->Read(&wakeup)) {
  }
  (void)reader->Finish();
}

TEST_F(CommandPortTest, AnswersFramedRequestsByTheirCorrelation) {
  FramedClient client(port_->port());
  // Two requests back to back; each answer carries its request's correlation.
  ASSERT_TRUE(
      client.send(FrameKind::kRequest, 7, deploy_request(1, test::one_task_bpmn("a", "t"))));
  ASSERT_TRUE(client.send(FrameKind::kRequest, 9, create_request(2, "never-deployed")));
  auto deployed = client.response(7, 20s);
  auto refused = client.response(9, 20s);
  ASSERT_TRUE(deployed && refused) << client.error();
  EXPECT_EQ(deployed->status(), tern::command::OK) << deployed->message();
  ASSERT_EQ(deployed->deploy_resource().deployments_size(), 1);
  EXPECT_EQ(deployed->deploy_resource().deployments(0).process().bpmnprocessid(), "a");
  EXPECT_EQ(refused->status(), tern::command::REJECTED);
  EXPECT_EQ(refused->rejection_type(), tern::command::NOT_FOUND);
  EXPECT_NE(refused->message().find("never-deployed"), std::string::npos) << refused->message();

  // Subscribed, the stream gets a wake-up for a new job: its type and partition.
  ASSERT_TRUE(client.send_empty(FrameKind::kSubscribeJobs));
  ASSERT_TRUE(
      client.send(FrameKind::kRequest, 11, deploy_request(2, test::one_task_bpmn("b", "u"))));
  ASSERT_TRUE(client.response(11, 20s)) << client.error();
  ASSERT_TRUE(client.send(FrameKind::kRequest, 12, create_request(2, "b")));
  auto created = client.response(12, 20s);
  ASSERT_TRUE(created) << client.error();
  EXPECT_EQ(created->status(), tern::command::OK) << created->message();
  auto wakeup = client.jobs_available(20s);
  ASSERT_TRUE(wakeup) << client.error();
  EXPECT_EQ(wakeup->partition_id(), 2);
  EXPECT_EQ(wakeup->job_type(), "u");
  EXPECT_EQ(port_->open_streams(), 1u);
}

TEST_F(CommandPortTest, AMalformedFrameClosesOnlyItsConnection) {
  FramedClient steady(port_->port());
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::string bad_kind = gateway::link::encode_empty_frame(FrameKind::kSubscribeJobs, 0);
  bad_kind[gateway::link::kLengthBytes] = 42;
  std::string oversize = gateway::link::encode_empty_frame(FrameKind::kRequest, 1);
  oversize[0] = '\x7f';  // a length of about 2 GiB
  std::string garbage;
  gateway::link::append_header(garbage, FrameKind::kRequest, 3, 4);
  garbage += "\xff\xff\xff\xff";
  const std::vector<Case> cases = {
      {"an unknown kind", bad_kind},
      {"a length past the limit", oversize},
      {"a payload that is no BrokerRequest", garbage},
      {"a broker's frame", gateway::link::encode_empty_frame(FrameKind::kJobsAvailable, 0)},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    FramedClient client(port_->port());
    ASSERT_TRUE(client.send_raw(bad.bytes));
    EXPECT_TRUE(client.wait_closed(10s)) << "the broker kept a connection that sent " << bad.name;
    // The port serves the connection that behaves, and new ones.
    ASSERT_TRUE(steady.send(FrameKind::kRequest, 1, create_request(1, "x")));
    auto answer = steady.response(1, 20s);
    ASSERT_TRUE(answer) << steady.error();
    EXPECT_EQ(answer->status(), tern::command::REJECTED);
    EXPECT_TRUE(tern::test::eventually([&] { return port_->open_streams() == 1; }, 10s));
  }
  FramedClient fresh(port_->port());
  ASSERT_TRUE(fresh.send(FrameKind::kRequest, 5, create_request(1, "x")));
  EXPECT_TRUE(fresh.response(5, 20s)) << fresh.error();
}

TEST_F(CommandPortTest, ClosesConnectionsThatSpeakNeitherProtocol) {
  for (const std::string& opening : {std::string("TERNCMD2"), std::string("GET / HTTP/1.1\r\n\r\n"),
                                     std::string("\x16\x03\x01")}) {
    SCOPED_TRACE(opening);
    RawClient raw(port_->port());
    ASSERT_TRUE(raw.write(opening));
    EXPECT_TRUE(raw.closed_by_peer(10s)) << "the broker kept the connection open";
  }
  EXPECT_EQ(port_->open_streams(), 0u);
}

TEST_F(CommandPortTest, APreambleSentInPiecesOpensAStream) {
  RawClient raw(port_->port());
  // Four bytes could start either protocol's opening: the port waits for more before deciding
  // (when the pieces arrive apart; classify_opening's kNeedMore is tested above either way).
  ASSERT_TRUE(raw.write("TERN"));
  ASSERT_TRUE(raw.write("CMD1"));
  EXPECT_TRUE(tern::test::eventually([&] { return port_->open_streams() == 1; }, 10s));
}

TEST_F(CommandPortTest, APreambleAndFramesInOneWriteLoseNoFrame) {
  // The port reads exactly the preamble; the frames behind it in the same segment are the
  // session's.
  const std::string opening =
      std::string(gateway::link::kPreamble)
      + gateway::link::encode_frame(FrameKind::kRequest, 21, create_request(1, "x"))
      + gateway::link::encode_frame(FrameKind::kRequest, 22, create_request(2, "y"));
  FramedClient client(port_->port(), opening);
  auto first = client.response(21, 20s);
  auto second = client.response(22, 20s);
  ASSERT_TRUE(first && second) << client.error();
  EXPECT_NE(first->message().find("'x'"), std::string::npos) << first->message();
  EXPECT_NE(second->message().find("'y'"), std::string::npos) << second->message();
}

TEST_F(CommandPortTest, AnAnswerAfterTheStreamClosedIsDropped) {
  partitions_->stall_job_activations(PartitionId(1));
  {
    FramedClient client(port_->port());
    ASSERT_TRUE(client.send(FrameKind::kRequest, 1, activate_request(1, "late")));
    ASSERT_TRUE(tern::test::eventually(
        [&] { return partitions_->stalled_activations(PartitionId(1)) == 1; }, 10s));
  }
  ASSERT_TRUE(tern::test::eventually([&] { return port_->open_streams() == 0; }, 10s));
  // The activation finishes now, for a session whose socket is gone: its answer is dropped.
  partitions_->release_stalled_activations(PartitionId(1));
  ASSERT_TRUE(tern::test::eventually(
      [&] { return partitions_->stalled_activations(PartitionId(1)) == 0; }, 10s));
  FramedClient next(port_->port());
  ASSERT_TRUE(next.send(FrameKind::kRequest, 2, activate_request(1, "late")));
  EXPECT_TRUE(next.response(2, 20s)) << next.error();
}

TEST_F(CommandPortTest, ShutdownClosesOpenStreamsAndGrpcCalls) {
  FramedClient framed(port_->port());
  ASSERT_TRUE(framed.send_empty(FrameKind::kSubscribeJobs));
  ASSERT_TRUE(tern::test::eventually([&] { return port_->open_streams() == 1; }, 10s));
  auto stub = grpc_stub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 60s);
  auto reader = stub->SubscribeJobAvailability(&context, {});
  ASSERT_TRUE(tern::test::eventually([&] { return commands_->job_subscribers() == 1; }, 10s));
  RawClient silent(port_->port());  // accepted, not told apart yet
  // A gRPC channel that is connected but idle.
  auto idle = grpc_stub();
  {
    grpc::ClientContext once;
    once.set_deadline(std::chrono::system_clock::now() + 20s);
    tern::command::BrokerResponse response;
    ASSERT_TRUE(idle->Execute(&once, create_request(1, "x"), &response).ok());
  }

  // Bounded so that a hang fails the test instead of stalling the suite.
  auto stopped = std::async(std::launch::async, [this] { stop(); });
  ASSERT_EQ(stopped.wait_for(30s), std::future_status::ready) << "shutdown did not return";
  EXPECT_TRUE(framed.wait_closed(10s));
  EXPECT_TRUE(silent.closed_by_peer(10s));
  tern::command::JobAvailability wakeup;
  while (reader->Read(&wakeup)) {
  }
  (void)reader->Finish();
  EXPECT_EQ(port_->open_streams(), 0u);
}

TEST(CommandPortWithoutCommands, RefusesCommandStreamsAndServesGrpc) {
  auto topology = std::make_shared<const BrokerTopology>(
      TernConfig{}, std::vector<std::shared_ptr<const Partition>>{});
  auto server = CommandApiServer::start("127.0.0.1", 0, topology);
  ASSERT_TRUE(server.ok()) << server.error();
  RawClient raw((*server)->port());
  ASSERT_TRUE(raw.write(std::string(gateway::link::kPreamble)));
  EXPECT_TRUE(raw.closed_by_peer(10s));
  auto stub = tern::command::CommandApi::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  tern::command::TopologyInfo info;
  EXPECT_TRUE(stub->GetTopology(&context, {}, &info).ok());
  EXPECT_EQ(info.brokers_size(), 1);
}

TEST(CommandPortWithoutCommands, ListensOnAnIpv6Host) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (probe < 0) GTEST_SKIP() << "this machine has no IPv6";
  ::close(probe);
  auto topology = std::make_shared<const BrokerTopology>(
      TernConfig{}, std::vector<std::shared_ptr<const Partition>>{});
  auto server = CommandApiServer::start("::1", 0, topology);
  ASSERT_TRUE(server.ok()) << server.error();
  auto stub = tern::command::CommandApi::NewStub(grpc::CreateChannel(
      "[::1]:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  tern::command::TopologyInfo info;
  const grpc::Status status = stub->GetTopology(&context, {}, &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // A second broker on the same IPv6 port is refused too.
  auto second = CommandApiServer::start("::1", (*server)->port(), topology);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("[::1]:" + std::to_string((*server)->port())), std::string::npos)
      << second.error();
}

}  // namespace
}  // namespace tern::broker::command_api
