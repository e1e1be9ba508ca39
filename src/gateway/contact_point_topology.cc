#include "gateway/contact_point_topology.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "command_api.grpc.pb.h"
#include "gateway/routing/stream_reader.h"
#include "gateway/topology_codec.h"

namespace tern::gateway {
namespace {

// A report not refreshed for this long is dropped (brokers re-send every 2 s when idle).
constexpr auto kStaleAfter = std::chrono::seconds(7);
// A subscription is renewed this often (see run()).
constexpr auto kStreamLifetime = std::chrono::seconds(60);
// Bounds of the reconnect back-off towards a contact point that is down (the retry interval,
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

// One subscription thread per contact point and the reports they received. Each thread holds a
// SubscribeTopology stream open to its broker (read on gRPC's callback threads, which store every
// topology pushed on it, while the thread waits for the stream's end), and after a failure waits
// the retry interval and subscribes again. current() merges the reports that are
// fresh: a broker re-sends its topology every couple of seconds even when nothing changed, so a
// report older than kStaleAfter comes from a broker that is gone or cut off, and is dropped.
class ContactPointSubscriptions {
 public:
  ContactPointSubscriptions(std::vector<std::string> contact_points,
                            std::chrono::milliseconds retry_interval)
      : contact_points_(std::move(contact_points)), retry_interval_(retry_interval) {
    reports_.resize(contact_points_.size());
    in_flight_.resize(contact_points_.size(), nullptr);
    for (const auto& contact_point : contact_points_) {
      // gRPC backs off reconnecting up to 2 minutes by default; a gateway started before its
      // brokers (usual in Kubernetes) must notice them within a retry or two instead.
      grpc::ChannelArguments arguments;
      const int backoff_ms = static_cast<int>(std::clamp<std::int64_t>(
          retry_interval_.count(), kMinReconnectBackoff.count(), kMaxReconnectBackoff.count()));
      arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, backoff_ms);
      arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, backoff_ms);
      arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
      auto channel =
          grpc::CreateCustomChannel(contact_point, grpc::InsecureChannelCredentials(), arguments);
      stubs_.push_back(tern::command::CommandApi::NewStub(channel));
    }
    for (std::size_t i = 0; i < contact_points_.size(); ++i)
      threads_.emplace_back([this, i] { run(i); });
  }

  ~ContactPointSubscriptions() { shutdown(); }

  ClusterTopology current() const {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (now >= merged_valid_until_) merge_locked(now);
    return merged_;
  }

  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      // Do not make shutdown wait for a broker's next push.
      for (grpc::ClientContext* context : in_flight_)
        if (context != nullptr) context->TryCancel();
    }
    wake_.notify_all();
    for (auto& thread : threads_)
      if (thread.joinable()) thread.join();
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Report {
    ClusterTopology topology;
    Clock::time_point received;
  };

  // Thread i: subscribe, store what arrives, and subscribe again after a failure.
  void run(std::size_t i) {
    bool reachable = true;  // so that the first failure is logged
    while (true) {
      grpc::ClientContext context;
      // A stream to a broker that vanished without closing the connection would block for as
      // long as TCP takes to notice; its report goes stale meanwhile, and the stream is renewed.
      context.set_deadline(std::chrono::system_clock::now() + kStreamLifetime);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        in_flight_[i] = &context;
      }
      // Read on gRPC's callback threads (routing/stream_reader.h); this thread only waits for
      // the end. `reachable` is touched by the reads while this thread waits, then by this
      // thread once the call is over (ordered by the reader's end).
      const tern::command::GetTopologyRequest request;
      bool invalid = false;  // a report was refused; no further one is stored
      routing::StreamReader<tern::command::TopologyInfo> reader(
          [&](tern::command::TopologyInfo& info) {
            if (invalid) return;
            auto topology = from_topology_info(info);
            if (!topology) {
              spdlog::warn("contact point {} sent an invalid topology: {}", contact_points_[i],
                           topology.error());
              invalid = true;
              context.TryCancel();
              return;
            }
            if (!reachable) spdlog::info("contact point {} answers again", contact_points_[i]);
            reachable = true;
            std::lock_guard lock(mutex_);
            reports_[i] = Report{std::move(*topology), Clock::now()};
            merge_locked(Clock::now());
          });
      stubs_[i]->async()->SubscribeTopology(&context, &request, &reader);
      grpc::Status status = reader.run();
      std::unique_lock lock(mutex_);
      in_flight_[i] = nullptr;
      if (stopping_) return;
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && reachable) continue;
      if (reachable) {
        spdlog::warn(
            "contact point {} ended its topology subscription: {}", contact_points_[i],
            status.ok() ? std::string("the broker is shutting down") : status.error_message());
      }
      reachable = false;
      reports_[i].reset();
      merge_locked(Clock::now());
      wake_.wait_for(lock, retry_interval_, [this] { return stopping_; });
    }
  }

  // Merges the fresh reports. A broker knows its own partitions best, so a broker's entry comes
  // from its own report when there is one (its host:port is the contact point), else from the
  // first report that names it. The membership with the highest version any broker reports wins,
  // and only its members are listed: a broker removed from the cluster that still runs keeps
  // reporting itself (with the membership it knew before its removal), but the others know better.
  void merge_locked(Clock::time_point now) const {
    ClusterTopology merged;
    std::map<std::int32_t, BrokerInfo> brokers;
    std::map<std::int32_t, bool> from_self;
    Clock::time_point oldest = Clock::time_point::max();
    for (std::size_t i = 0; i < reports_.size(); ++i) {
      if (!reports_[i] || now - reports_[i]->received > kStaleAfter) continue;
      oldest = std::min(oldest, reports_[i]->received);
      const ClusterTopology& topology = reports_[i]->topology;
      merged.cluster_size = std::max(merged.cluster_size, topology.cluster_size);
      merged.partitions_count = std::max(merged.partitions_count, topology.partitions_count);
      merged.replication_factor = std::max(merged.replication_factor, topology.replication_factor);
      if (topology.membership_version > merged.membership_version) {
        merged.membership_version = topology.membership_version;
        merged.member_ids = topology.member_ids;
      }
      for (const BrokerInfo& broker : topology.brokers) {
        const bool is_self = broker.host + ":" + std::to_string(broker.port) == contact_points_[i];
        auto found = brokers.find(broker.node_id);
        if (found == brokers.end() || (is_self && !from_self[broker.node_id])) {
          from_self[broker.node_id] = is_self;
          brokers[broker.node_id] = broker;
        }
      }
    }
    const auto& members = merged.member_ids;
    for (auto& [id, broker] : brokers) {
      const bool listed = merged.membership_version == 0
                          || std::find(members.begin(), members.end(), id) != members.end();
      if (listed) merged.brokers.push_back(std::move(broker));
    }
    merged_ = std::move(merged);
    // Until the oldest report used goes stale, current() can return merged_ as it is.
    merged_valid_until_ =
        oldest == Clock::time_point::max() ? Clock::time_point::max() : oldest + kStaleAfter;
  }

  const std::vector<std::string> contact_points_;
  const std::chrono::milliseconds retry_interval_;
  std::vector<std::unique_ptr<tern::command::CommandApi::Stub>> stubs_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<grpc::ClientContext*> in_flight_;  // each thread's open subscription, for shutdown
  std::vector<std::optional<Report>> reports_;   // by contact point; written by its thread
  mutable ClusterTopology merged_;
  mutable Clock::time_point merged_valid_until_ = Clock::time_point::max();
  std::vector<std::thread> threads_;
};

ContactPointTopology::ContactPointTopology(std::unique_ptr<ContactPointSubscriptions> subscriptions)
    : subscriptions_(std::move(subscriptions)) {}

ContactPointTopology::~ContactPointTopology() {
  shutdown();
}

tern::Result<std::unique_ptr<ContactPointTopology>, std::string> ContactPointTopology::start(
    std::vector<std::string> contact_points, std::chrono::milliseconds retry_interval) {
  if (contact_points.empty()) {
    return tern::unexpected(std::string("a standalone gateway needs at least one contact point"));
  }
  for (const auto& contact_point : contact_points) {
    auto valid = validate_contact_point(contact_point);
    if (!valid) return tern::unexpected(valid.error());
  }
  if (retry_interval.count() <= 0) {
    return tern::unexpected("the topology retry interval must be positive, got "
                            + std::to_string(retry_interval.count()) + "ms");
  }
  return std::unique_ptr<ContactPointTopology>(new ContactPointTopology(
      std::make_unique<ContactPointSubscriptions>(std::move(contact_points), retry_interval)));
}

ClusterTopology ContactPointTopology::current() const {
  return subscriptions_->current();
}

void ContactPointTopology::shutdown() {
  subscriptions_->shutdown();
}

}  // namespace tern::gateway
