#pragma once

// A TopologySource for a standalone gateway: it subscribes to CommandApi.SubscribeTopology on each
// contact point (the brokers' command ports, "host:port"), which pushes every change, and merges
// what they report.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "gateway/topology.h"

namespace tern::gateway {

class ContactPointSubscriptions;

// Owns one subscription thread per contact point; a failed subscription is retried every retry
// interval. current() may be called from any thread; it returns the merged view of the reports
// that are fresh (each broker is taken from the report of the contact point that IS that broker
// when available, since a broker knows its own partitions best; otherwise from any report naming
// it; a broker that stopped sending, not even its heartbeat, drops out after a few seconds).
// Before the first report it returns an empty topology. shutdown() stops and joins the threads;
// idempotent, also run by the destructor.
class ContactPointTopology : public TopologySource {
 public:
  static tern::Result<std::unique_ptr<ContactPointTopology>, std::string> start(
      std::vector<std::string> contact_points, std::chrono::milliseconds retry_interval);

  ContactPointTopology(const ContactPointTopology&) = delete;
  ContactPointTopology& operator=(const ContactPointTopology&) = delete;
  ~ContactPointTopology() override;

  ClusterTopology current() const override;
  void shutdown();

 private:
  explicit ContactPointTopology(std::unique_ptr<ContactPointSubscriptions> subscriptions);
  std::unique_ptr<ContactPointSubscriptions> subscriptions_;
};

}  // namespace tern::gateway
