#include "cluster_test_support.h"

#include <future>
#include <thread>

#include "support/free_port.h"

namespace tern::broker::test {

using namespace std::chrono_literals;

TestCluster::TestCluster(std::filesystem::path root, TestClusterSpec spec)
    : root_(std::move(root)), spec_(spec) {
  for (std::int32_t i = 0; i < spec_.brokers; ++i)
    ports_.push_back(tern::test::free_port());
  brokers_.resize(static_cast<std::size_t>(spec_.brokers));
}

TestCluster::~TestCluster() {
  for (auto& broker : brokers_)
    if (broker) broker->shutdown();
}

void TestCluster::start(std::int32_t node) {
  ClusterShape shape{spec_.brokers, spec_.partitions, spec_.replication_factor};
  std::vector<std::shared_ptr<Partition>> partitions;
  for (PartitionId id : partitions_of(NodeId(node), shape)) {
    auto dir =
        root_ / ("node-" + std::to_string(node)) / ("partition-" + std::to_string(id.value()));
    std::filesystem::create_directories(dir);
    partitions.push_back(std::make_shared<Partition>(id, replicas_of(id, shape), dir));
  }
  ClusterOptions options;
  options.self = NodeId(node);
  options.shape = shape;
  options.partition_directory = [dir = root_ / ("node-" + std::to_string(node))](
                                    PartitionId id) -> Result<std::filesystem::path, std::string> {
    auto path = dir / ("partition-" + std::to_string(id.value()));
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return unexpected(ec.message());
    return path;
  };
  options.transport.host = "127.0.0.1";
  options.transport.port = ports_[static_cast<std::size_t>(node)];
  for (std::int32_t other = 0; other < spec_.brokers; ++other) {
    if (other != node) {
      options.transport.contact_points.push_back(
          "127.0.0.1:" + std::to_string(ports_[static_cast<std::size_t>(other)]));
    }
  }
  options.transport.reconnect_max_ms = 200;
  options.replica.tick_ms = 20;
  options.replica.idle_append_ms = 300;
  options.replica.durability = raft::journal::Durability::kSkip;
  options.replica.snapshot_log_entries = spec_.snapshot_log_entries;
  options.replica.max_inflight_commands = spec_.max_inflight_commands;
  options.replica.engine.db.write_buffer_size_bytes = 1 << 20;
  options.partition_threads = 1;
  options.block_cache_bytes = 1 << 20;
  if (spec_.configure_replica) spec_.configure_replica(node, options.replica);
  if (spec_.configure_cluster) spec_.configure_cluster(node, options);
  auto started = PartitionManager::start(std::move(options), std::move(partitions));
  if (!started) throw std::runtime_error("broker " + std::to_string(node) + ": " + started.error());
  brokers_[static_cast<std::size_t>(node)] = std::move(*started);
}

void TestCluster::stop(std::int32_t node) {
  auto& broker = brokers_.at(static_cast<std::size_t>(node));
  if (broker) broker->shutdown();
  broker.reset();
}

void TestCluster::wipe(std::int32_t node) {
  std::filesystem::remove_all(root_ / ("node-" + std::to_string(node)));
}

std::optional<PartitionStatus> TestCluster::status(std::int32_t node, PartitionId partition) const {
  const auto& broker = brokers_.at(static_cast<std::size_t>(node));
  if (!broker) return std::nullopt;
  for (const auto& object : broker->partition_objects())
    if (object->id() == partition) return object->status();
  return std::nullopt;
}

std::optional<std::int32_t> TestCluster::wait_for_leader(PartitionId partition,
                                                         std::chrono::milliseconds timeout) {
  std::optional<std::int32_t> leader;
  wait_until(
      [&] {
        for (std::int32_t node = 0; node < spec_.brokers; ++node) {
          auto s = status(node, partition);
          if (s && s->role == PartitionRole::kLeader) {
            leader = node;
            return true;
          }
        }
        return false;
      },
      timeout);
  return leader;
}

SubmitResult TestCluster::submit(std::int32_t node, PartitionId partition, engine::Record command,
                                 bool backpressure) {
  auto promise = std::make_shared<std::promise<SubmitResult>>();
  auto future = promise->get_future();
  broker(node)->submit(partition, std::move(command), backpressure,
                       [promise](SubmitResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(30s) != std::future_status::ready) {
    return unexpected(SubmitError{SubmitErrorCode::kTimeout, "no callback in 30 s", std::nullopt});
  }
  return future.get();
}

SubmitResult TestCluster::submit_to_leader(PartitionId partition, const engine::Record& command,
                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  SubmitResult last =
      unexpected(SubmitError{SubmitErrorCode::kUnavailable, "no leader", std::nullopt});
  while (std::chrono::steady_clock::now() < deadline) {
    auto leader = wait_for_leader(partition, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - std::chrono::steady_clock::now()));
    if (!leader) break;
    last = submit(*leader, partition, command);
    if (last.ok()) return last;
    auto code = last.error().code;
    if (code != SubmitErrorCode::kNotLeader && code != SubmitErrorCode::kUnavailable) return last;
    std::this_thread::sleep_for(20ms);  // a leader change is under way; ask again
  }
  return last;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

engine::Record command(engine::ValueType type, engine::Intent intent, engine::Json value,
                       engine::Key key) {
  engine::Record record;
  record.record_type = engine::RecordType::kCommand;
  record.value_type = type;
  record.intent = intent;
  record.key = key;
  record.value = std::move(value);
  return record;
}

engine::Record deploy_command(const std::string& process_id, const std::string& job_type) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://tern.test">
  <bpmn:process id=")"
                    + process_id + R"(" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type=")"
                    + job_type + R"("/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>)";
  return command(engine::ValueType::kDeployment, engine::Intent::kCreate,
                 engine::Json{{"resources",
                               engine::Json::array({engine::Json{
                                   {"resourceName", process_id + ".bpmn"}, {"resource", xml}}})}});
}

engine::Record create_command(const std::string& process_id) {
  return command(
      engine::ValueType::kProcessInstanceCreation, engine::Intent::kCreate,
      engine::Json{
          {"bpmnProcessId", process_id}, {"version", -1}, {"variables", engine::Json::object()}});
}

std::int64_t instance_key(const SubmitResult& result) {
  if (!result.ok() || !result->record.is_event()) return -1;
  return result->record.value.value("processInstanceKey", std::int64_t{-1});
}

}  // namespace tern::broker::test
