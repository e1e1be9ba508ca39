#include "broker/management/broker_announcer.h"

#include <spdlog/spdlog.h>

namespace tern::broker::management {

namespace tp = tern::broker::topology;

BrokerAnnouncer::BrokerAnnouncer(std::shared_ptr<ReplicatedTopologyManager> manager, NodeId self,
                                 tp::BrokerIdentity identity, Clock clock,
                                 std::function<bool()> allowed, std::chrono::milliseconds interval)
    : manager_(std::move(manager)),
      self_(self),
      identity_(std::move(identity)),
      clock_(std::move(clock)),
      allowed_(std::move(allowed)),
      interval_(interval) {}

BrokerAnnouncer::~BrokerAnnouncer() {
  stop();
}

void BrokerAnnouncer::start() {
  thread_ = std::thread([this] { run(); });
}

void BrokerAnnouncer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BrokerAnnouncer::announced() const {
  const tp::ClusterTopology topology = manager_->current();
  if (auto member = topology.brokers.find(self_); member != topology.brokers.end()) {
    // An empty field is not announced (the state machine keeps what it had), so it cannot differ.
    const auto& broker = member->second;
    return (identity_.address.empty() || broker.address == identity_.address)
           && (identity_.region.empty() || broker.region == identity_.region)
           && (identity_.monitoring_address.empty()
               || broker.monitoring_address == identity_.monitoring_address);
  }
  const auto waiting = manager_->announced();
  auto entry = waiting.find(self_);
  return entry != waiting.end() && entry->second == identity_;
}

void BrokerAnnouncer::check_once() {
  if ((allowed_ && !allowed_()) || announced()) return;
  tp::TopologyCommand command;
  command.kind = tp::TopologyCommandKind::kAnnounce;
  command.time_ms = clock_();
  command.broker = self_;
  command.identity = identity_;
  auto verdict = manager_->propose(std::move(command));
  if (verdict) {
    spdlog::info("cluster topology: broker {} announced (cluster {}, monitoring {}, region '{}')",
                 self_.value(), identity_.address, identity_.monitoring_address, identity_.region);
    last_error_.clear();
  } else if (verdict.error().message != last_error_) {
    // Logged once per distinct reason; retried every interval.
    last_error_ = verdict.error().message;
    spdlog::warn("cluster topology: announcing broker {} failed, will retry: {}", self_.value(),
                 last_error_);
  }
}

void BrokerAnnouncer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    check_once();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace tern::broker::management
