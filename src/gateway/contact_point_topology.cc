#include "gateway/contact_point_topology.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "command_api.grpc.pb.h"
#include "gateway/topology_codec.h"

namespace tern::gateway {
namespace {

// A request that takes longer than this is treated as a failed poll of that contact point.
constexpr auto kMaxRequestTimeout = std::chrono::seconds(5);
constexpr auto kMinRequestTimeout = std::chrono::milliseconds(500);
// Bounds of the reconnect back-off towards a contact point that is down (the poll interval,
// clamped to these).
constexpr std::chrono::milliseconds kMinReconnectBackoff{100};
constexpr std::chrono::milliseconds kMaxReconnectBackoff{5000};

tern::Result<void, std::string> validate_contact_point(const std::string& contact_point) {
  const auto colon = contact_point.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == contact_point.size()) {
    return tern::unexpected("contact point '" + contact_point + "' is not of the form host:port");
  }
  const std::string_view port_text = std::string_view(contact_point).substr(colon + 1);
  int port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1
      || port > 65535) {
    return tern::unexpected("contact point '" + contact_point + "' has an invalid port '"
                            + std::string(port_text) + "' (expected 1-65535)");
  }
  return {};
}

}  // namespace

// The polling thread and the last merged topology. Owned by ContactPointTopology; the thread is
// the only writer of topology_, readers copy it under mutex_.
class ContactPointPoller {
 public:
  ContactPointPoller(std::vector<std::string> contact_points, std::chrono::milliseconds interval)
      : contact_points_(std::move(contact_points)), interval_(interval) {
    for (const auto& contact_point : contact_points_) {
      // gRPC backs off reconnecting up to 2 minutes by default; a gateway started before its
      // brokers (usual in Kubernetes) must notice them within a poll or two instead.
      grpc::ChannelArguments arguments;
      const int backoff_ms = static_cast<int>(std::clamp<std::int64_t>(
          interval_.count(), kMinReconnectBackoff.count(), kMaxReconnectBackoff.count()));
      arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, backoff_ms);
      arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, backoff_ms);
      arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
      auto channel =
          grpc::CreateCustomChannel(contact_point, grpc::InsecureChannelCredentials(), arguments);
      stubs_.push_back(tern::command::CommandApi::NewStub(channel));
      reachable_.push_back(true);  // so that the first failure is logged
    }
    thread_ = std::thread([this] { run(); });
  }

  ~ContactPointPoller() { shutdown(); }

  ClusterTopology current() const {
    std::lock_guard lock(mutex_);
    return topology_;
  }

  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      // Do not make shutdown wait out a request to a broker that does not answer.
      if (in_flight_ != nullptr) in_flight_->TryCancel();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      ClusterTopology merged = poll_once();
      lock.lock();
      if (stopping_) break;
      topology_ = std::move(merged);
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  }

  // Asks every contact point and merges the answers. A broker knows its own partitions best, so a
  // broker's entry comes from its own answer when it gave one (its host:port is the contact
  // point), else from the first answer that names it.
  ClusterTopology poll_once() {
    ClusterTopology merged;
    std::map<std::int32_t, BrokerInfo> brokers;
    std::map<std::int32_t, bool> from_self;
    const auto timeout = std::clamp<std::chrono::milliseconds>(
        interval_, kMinRequestTimeout,
        std::chrono::duration_cast<std::chrono::milliseconds>(kMaxRequestTimeout));
    for (std::size_t i = 0; i < stubs_.size(); ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + timeout);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        in_flight_ = &context;
      }
      tern::command::TopologyInfo info;
      grpc::Status status = stubs_[i]->GetTopology(&context, {}, &info);
      {
        std::lock_guard lock(mutex_);
        in_flight_ = nullptr;
        if (stopping_) break;
      }
      if (!status.ok()) {
        if (reachable_[i]) {
          spdlog::warn("contact point {} did not answer GetTopology: {}", contact_points_[i],
                       status.error_message());
        }
        reachable_[i] = false;
        continue;
      }
      auto topology = from_topology_info(info);
      if (!topology) {
        spdlog::warn("contact point {} sent an invalid topology: {}", contact_points_[i],
                     topology.error());
        reachable_[i] = false;
        continue;
      }
      if (!reachable_[i]) spdlog::info("contact point {} answers again", contact_points_[i]);
      reachable_[i] = true;
      merged.cluster_size = std::max(merged.cluster_size, topology->cluster_size);
      merged.partitions_count = std::max(merged.partitions_count, topology->partitions_count);
      merged.replication_factor = std::max(merged.replication_factor, topology->replication_factor);
      for (BrokerInfo& broker : topology->brokers) {
        const bool is_self = broker.host + ":" + std::to_string(broker.port) == contact_points_[i];
        auto found = brokers.find(broker.node_id);
        if (found == brokers.end() || (is_self && !from_self[broker.node_id])) {
          from_self[broker.node_id] = is_self;
          brokers[broker.node_id] = std::move(broker);
        }
      }
    }
    for (auto& [id, broker] : brokers)
      merged.brokers.push_back(std::move(broker));
    return merged;
  }

  const std::vector<std::string> contact_points_;
  const std::chrono::milliseconds interval_;
  std::vector<std::unique_ptr<tern::command::CommandApi::Stub>> stubs_;
  std::vector<bool> reachable_;  // polling thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  grpc::ClientContext* in_flight_ = nullptr;  // the request being made, for shutdown to cancel
  ClusterTopology topology_;
  std::thread thread_;
};

ContactPointTopology::ContactPointTopology(std::unique_ptr<ContactPointPoller> poller)
    : poller_(std::move(poller)) {}

ContactPointTopology::~ContactPointTopology() {
  shutdown();
}

tern::Result<std::unique_ptr<ContactPointTopology>, std::string> ContactPointTopology::start(
    std::vector<std::string> contact_points, std::chrono::milliseconds poll_interval) {
  if (contact_points.empty()) {
    return tern::unexpected(std::string("a standalone gateway needs at least one contact point"));
  }
  for (const auto& contact_point : contact_points) {
    auto valid = validate_contact_point(contact_point);
    if (!valid) return tern::unexpected(valid.error());
  }
  if (poll_interval.count() <= 0) {
    return tern::unexpected("the topology poll interval must be positive, got "
                            + std::to_string(poll_interval.count()) + "ms");
  }
  return std::unique_ptr<ContactPointTopology>(new ContactPointTopology(
      std::make_unique<ContactPointPoller>(std::move(contact_points), poll_interval)));
}

ClusterTopology ContactPointTopology::current() const {
  return poller_->current();
}

void ContactPointTopology::shutdown() {
  poller_->shutdown();
}

}  // namespace tern::gateway
