#pragma once

// BrokerAnnouncer: keeps the cluster topology's word on this broker true. Every broker tells the
// topology group where its cluster port and monitoring endpoints answer and its region (ANNOUNCE),
// at start and whenever the topology's entry for it (or, for a broker that is not a member yet,
// the announced entry) differs from that, retrying until an announcement is committed. That is
// how GET /actuator/cluster shows real addresses, how a forced removal's reachability probe knows
// where to knock, and how a fresh broker waiting to be added makes itself known.
//
// Lifecycle: start() runs a thread that checks every `interval`; stop() (or the destructor) ends
// it. It does nothing while `allowed()` is false (a fenced broker must not offer itself).
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/management/replicated_topology_manager.h"

namespace tern::broker::management {

class BrokerAnnouncer {
 public:
  using Clock = std::function<std::int64_t()>;  // wall clock in ms since the epoch

  BrokerAnnouncer(std::shared_ptr<ReplicatedTopologyManager> manager, NodeId self,
                  topology::BrokerIdentity identity, Clock clock,
                  std::function<bool()> allowed = {},
                  std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~BrokerAnnouncer();

  void start();
  void stop();

  // True when the committed topology already says what this broker would announce.
  bool announced() const;
  // One check, and an announcement when needed (what the thread does every interval).
  void check_once();

 private:
  void run();

  std::shared_ptr<ReplicatedTopologyManager> manager_;
  const NodeId self_;
  const topology::BrokerIdentity identity_;
  Clock clock_;
  std::function<bool()> allowed_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;   // guarded by mutex_
  std::string last_error_;  // the thread's only
  std::thread thread_;
};

}  // namespace tern::broker::management
