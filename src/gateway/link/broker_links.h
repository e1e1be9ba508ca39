#pragma once

// BrokerLinks: a gateway's command streams (command_frames.h) to the brokers, one TCP connection
// per broker command address, opened by the first request to that address and again by the first
// request after a loss. Each connection first subscribes to the broker's job wake-ups, which it
// hands to `on_jobs`; a request is a frame with a fresh correlation, answered by the frame that
// carries it back.
//
// A request that cannot be answered (the broker cannot be reached, the connection breaks while it
// waits, the gateway shuts down) ends with an error text instead of a response; the router
// treats that as an unreachable broker, as it does a failed gRPC call, and retries within the
// request's deadline. A request waits for its answer as long as the connection lives: the
// router ends a round at its deadline without it.
//
// Threads: execute() from any thread. Answers, errors and wake-ups are delivered on the links'
// IO thread (one, "tern-gw-link"), or on the calling thread for a request refused at once.
// Thread-safe.

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "command_api.pb.h"

namespace tern::gateway::link {

class BrokerLinks {
 public:
  using JobsAvailable = std::function<void(const std::string& job_type, std::int32_t partition)>;
  // Called once per request: with an empty `error` when `response` holds the broker's answer,
  // else with why there is none.
  using Done = std::function<void(std::string error)>;

  // How long a connection attempt may take before the requests waiting for it fail.
  static constexpr std::chrono::milliseconds kConnectTimeout{2'000};

  explicit BrokerLinks(JobsAvailable on_jobs);
  ~BrokerLinks();
  BrokerLinks(const BrokerLinks&) = delete;
  BrokerLinks& operator=(const BrokerLinks&) = delete;

  // Sends `request` to the broker at `address` ("host:port", IPv6 as "[::1]:26501"). `request`
  // need only live during this call; `response` until `done` ran.
  void execute(const std::string& address, const tern::command::BrokerRequest& request,
               tern::command::BrokerResponse* response, Done done);

  // Connections established now (for tests and metrics).
  std::size_t open_connections() const;

  // Closes every connection, failing the requests in flight, and joins the IO thread. Later
  // requests fail at once. Idempotent.
  void shutdown();

 private:
  class Link;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  JobsAvailable on_jobs_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Link>> links_;  // by address; guarded by mutex_
  bool stopped_ = false;                                // guarded by mutex_
};

}  // namespace tern::gateway::link
