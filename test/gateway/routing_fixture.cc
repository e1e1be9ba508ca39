#include "gateway/routing_fixture.h"

#include <atomic>
#include <chrono>

#include "support/bpmn_models.h"

namespace tern::gateway::testing {

std::string one_task_process(const std::string& id, const std::string& job_type) {
  return test::one_task_bpmn(
      id, job_type, R"(retries="3")",
      R"(<zeebe:taskHeaders><zeebe:header key="size" value="large" /></zeebe:taskHeaders>)");
}

namespace {

// start -> intermediate catch event with `event_definition` -> service task of `job_type` -> end;
// `root_elements` (the message or signal the definition refers to) follow the process.
std::string catch_then_task_process(const std::string& id, const std::string& event_definition,
                                    const std::string& job_type, const std::string& root_elements) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://tern">
  <bpmn:process id=")"
         + id + R"(" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      )" + event_definition
         + R"(
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="task" />
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type=")"
         + job_type + R"(" /></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  )" + root_elements
         + R"(
</bpmn:definitions>
)";
}

}  // namespace

std::string message_then_task_process(const std::string& id, const std::string& message,
                                      const std::string& job_type) {
  return catch_then_task_process(id, R"(<bpmn:messageEventDefinition messageRef="msg" />)",
                                 job_type, R"(<bpmn:message id="msg" name=")" + message + R"(">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements>
  </bpmn:message>)");
}

std::string signal_then_task_process(const std::string& id, const std::string& signal,
                                     const std::string& job_type) {
  return catch_then_task_process(id, R"(<bpmn:signalEventDefinition signalRef="sig" />)", job_type,
                                 R"(<bpmn:signal id="sig" name=")" + signal + R"(" />)");
}

namespace {

// The in-process path as ternd wires it (broker/daemon/local_commands.h), counting its commands.
class CountingLocalBroker final : public routing::LocalBroker {
 public:
  CountingLocalBroker(std::shared_ptr<broker::command_api::CommandService> commands,
                      std::string address)
      : commands_(std::move(commands)), address_(std::move(address)) {}
  std::string address() const override { return address_; }
  void execute(const tern::command::BrokerRequest& request, tern::command::BrokerResponse* response,
               std::function<void()> done) override {
    ++executed;
    commands_->execute(request, response, std::move(done));
  }
  WatchId watch_jobs(JobsAvailable available) override {
    return commands_->add_jobs_listener(
        [available = std::move(available)](PartitionId, const std::string& type) {
          available(type);
        });
  }
  void unwatch_jobs(WatchId id) override { commands_->remove_jobs_listener(id); }
  std::atomic<std::int64_t> executed{0};

 private:
  std::shared_ptr<broker::command_api::CommandService> commands_;
  std::string address_;
};

}  // namespace

std::int64_t RoutingCluster::in_process_commands() const {
  auto* counting = dynamic_cast<CountingLocalBroker*>(local_.get());
  return counting ? counting->executed.load() : 0;
}

RoutingCluster::RoutingCluster(std::int32_t partitions, BrokerPath path,
                               std::chrono::milliseconds job_repoll_interval)
    : partition_count_(partitions) {
  partitions_ = std::make_shared<EnginePartitionService>(partitions);
  commands_ = std::make_shared<broker::command_api::CommandService>(partitions_);
  // As a broker's command port: the gRPC server listens nowhere itself, the port hands it its
  // connections.
  grpc::ServerBuilder builder;
  builder.RegisterService(commands_.get());
  broker_server_ = builder.BuildAndStart();
  if (!broker_server_) throw std::runtime_error("broker server failed");
  auto port = broker::command_api::CommandPort::start("127.0.0.1", 0, *broker_server_, commands_);
  if (!port) throw std::runtime_error(port.error());
  command_port_ = std::move(*port);
  broker_port_ = command_port_->port();
  topology_ = std::make_shared<StaticTopology>(cluster(true));
  if (path == BrokerPath::kInProcess) {
    local_ = std::make_shared<CountingLocalBroker>(commands_,
                                                   "127.0.0.1:" + std::to_string(broker_port_));
  }
  auto gateway = GatewayServer::start(
      {.host = "127.0.0.1",
       .grpc_port = 0,
       .rest_port = 0,
       .local_broker = local_,
       .job_repoll_interval = job_repoll_interval,
       .broker_transport = path == BrokerPath::kGrpc ? routing::BrokerTransport::kGrpc
                                                     : routing::BrokerTransport::kCommandStream},
      topology_);
  if (!gateway) throw std::runtime_error(gateway.error());
  gateway_server_ = std::move(*gateway);
  gateway_stub_ = gateway_protocol::Gateway::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  broker_stub_ = tern::command::BrokerCommands::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(broker_port_), grpc::InsecureChannelCredentials()));
}

RoutingCluster::~RoutingCluster() {
  gateway_server_->shutdown();
  partitions_->release_held_activations();  // else the broker server waits for them forever
  command_port_->shutdown();
  commands_->shutdown();
  broker_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  broker_server_->Wait();
}

ClusterTopology RoutingCluster::cluster(bool with_leaders) const {
  ClusterTopology topology;
  BrokerInfo broker{.node_id = 0,
                    .host = "127.0.0.1",
                    .port = broker_port_,
                    .version = "test",
                    .region = "",
                    .partitions = {}};
  for (std::int32_t p = 1; p <= partition_count_; ++p) {
    broker.partitions.push_back({p,
                                 with_leaders ? PartitionRole::kLeader : PartitionRole::kFollower,
                                 PartitionHealth::kHealthy});
  }
  topology.brokers.push_back(std::move(broker));
  topology.cluster_size = 1;
  topology.partitions_count = partition_count_;
  topology.replication_factor = 1;
  return topology;
}

void RoutingCluster::deploy(const std::string& xml) {
  gateway_protocol::DeployResourceRequest request;
  auto* resource = request.add_resources();
  resource->set_name("process.bpmn");
  resource->set_content(xml);
  gateway_protocol::DeployResourceResponse response;
  auto context = context_for();
  grpc::Status status = gateway_stub_->DeployResource(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

std::unique_ptr<grpc::ClientContext> context_for(int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

gateway_protocol::ActivateJobsRequest activation_request(const std::string& type, int max_jobs,
                                                         std::int64_t request_timeout_ms) {
  gateway_protocol::ActivateJobsRequest request;
  request.set_type(type);
  request.set_worker("test");
  request.set_timeout(60'000);
  request.set_maxjobstoactivate(max_jobs);
  request.set_requesttimeout(request_timeout_ms);
  return request;
}

}  // namespace tern::gateway::testing
