#pragma once

// Test clients of the command port: a FramedClient speaks the command stream through the
// gateway's own FrameSocket (gateway/link); a RawClient writes whatever bytes a test gives it and
// notices when the broker closes the connection.

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "command_api.pb.h"
#include "gateway/link/frame_socket.h"

namespace tern::broker::command_api::test_support {

class FramedClient {
 public:
  // Connects to 127.0.0.1:`port` and writes `preamble`.
  explicit FramedClient(std::uint16_t port, std::string_view preamble = gateway::link::kPreamble);
  ~FramedClient();
  FramedClient(const FramedClient&) = delete;
  FramedClient& operator=(const FramedClient&) = delete;

  bool send(gateway::link::FrameKind kind, std::uint64_t correlation,
            const google::protobuf::Message& payload);
  bool send_empty(gateway::link::FrameKind kind);
  bool send_raw(std::string bytes);

  // The kResponse frame for `correlation`, once it arrived (nullopt after `timeout` or close).
  std::optional<tern::command::BrokerResponse> response(std::uint64_t correlation,
                                                        std::chrono::milliseconds timeout);
  // The oldest kJobsAvailable frame not taken yet.
  std::optional<tern::command::JobAvailability> jobs_available(std::chrono::milliseconds timeout);
  // True once the connection closed (within `timeout`).
  bool wait_closed(std::chrono::milliseconds timeout);
  // Why it closed, or "" while open.
  std::string error() const;

 private:
  struct Frame {
    gateway::link::FrameKind kind;
    std::uint64_t correlation;
    std::string payload;
  };
  std::optional<Frame> take(gateway::link::FrameKind kind, std::uint64_t correlation,
                            std::chrono::milliseconds timeout);

  asio::io_context io_;
  std::shared_ptr<gateway::link::FrameSocket> socket_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<Frame> frames_;  // mutex_
  bool closed_ = false;       // mutex_
  std::string error_;         // mutex_
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool write(std::string_view bytes);
  // True once the broker closed the connection (end of stream or reset) within `timeout`; bytes
  // it sent meanwhile are skipped.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace tern::broker::command_api::test_support
