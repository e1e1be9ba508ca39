#pragma once

// The gateway's REST port. Today it serves GET /v2/topology; later issues add the rest of the
// REST API here.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "gateway/topology.h"

namespace httplib {
class Server;
}

namespace tern::gateway {

// Owns one listener thread (running httplib's accept loop) and httplib's small worker pool, which
// run the handlers; handlers only read the thread-safe TopologySource. start() returns once the
// port is bound and listening. shutdown() is idempotent and joins the listener thread.
class RestServer {
 public:
  static tern::Result<std::unique_ptr<RestServer>, std::string> start(
      const std::string& host, std::uint16_t port, std::shared_ptr<const TopologySource> topology);

  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;
  ~RestServer();

  void shutdown();
  std::uint16_t port() const { return port_; }

 private:
  RestServer(std::unique_ptr<httplib::Server> server, std::uint16_t port);

  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_;
  std::thread listener_;
  // Set by the listener thread when the accept loop has returned (for whatever reason).
  std::atomic<bool> listener_done_{false};
};

}  // namespace tern::gateway
