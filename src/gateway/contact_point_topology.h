#pragma once

// A TopologySource for a standalone gateway: it polls CommandApi.GetTopology on each contact point
// (the brokers' command ports, "host:port") every poll interval and merges what they report.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "gateway/topology.h"

namespace tern::gateway {

class ContactPointPoller;

// Owns one polling thread. current() may be called from any thread; it returns the last merged
// view (each broker is taken from the answer of the contact point that IS that broker when
// available, since a broker knows its own partitions best; otherwise from any answer naming it).
// Before the first successful poll it returns an empty topology. shutdown() stops and joins the
// thread; idempotent, also run by the destructor.
class ContactPointTopology : public TopologySource {
 public:
  static tern::Result<std::unique_ptr<ContactPointTopology>, std::string> start(
      std::vector<std::string> contact_points, std::chrono::milliseconds poll_interval);

  ContactPointTopology(const ContactPointTopology&) = delete;
  ContactPointTopology& operator=(const ContactPointTopology&) = delete;
  ~ContactPointTopology() override;

  ClusterTopology current() const override;
  void shutdown();

 private:
  explicit ContactPointTopology(std::unique_ptr<ContactPointPoller> poller);
  std::unique_ptr<ContactPointPoller> poller_;
};

}  // namespace tern::gateway
