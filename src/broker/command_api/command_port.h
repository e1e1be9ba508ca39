#pragma once

// CommandPort: the broker's command port, one TCP listener serving two protocols. A connection
// that opens with HTTP/2's preface ("PRI ", gRPC) is handed to the gRPC server, which serves
// CommandApi and BrokerCommands on it; one that opens with the command stream's preamble
// ("TERNCMD1", gateway/link/command_frames.h) becomes a CommandStreamSession. The first bytes are
// peeked, not read, so the gRPC server sees its connection from the first byte. A connection that
// names another stream version, says something else, or says nothing for kPreambleTimeout is
// closed with a log line.
//
// Threads: one IO thread ("tern-cmd-io") accepts, peeks and reads the sessions' frames; answers
// are written from partition strands (command_stream.h). Lifecycle: start() binds (failing if the
// port is taken: no SO_REUSEPORT) and starts the thread; shutdown() stops accepting, closes the
// connections still being told apart and every session, and joins. The gRPC server must outlive
// the port; its own connections are its to end (grpc::Server::Shutdown).

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "broker/command_api/command_service.h"
#include "common/result.h"

namespace grpc {
class Server;
}

namespace tern::broker::command_api {

class CommandStreamSession;

// What a connection's first bytes say it is.
enum class Opening {
  kGrpc,           // HTTP/2's preface
  kCommandStream,  // the command stream's preamble, this version
  kOtherVersion,   // the command stream's preamble, another version
  kNeither,        // neither gRPC nor a command stream
  kNeedMore,       // too few bytes yet to tell
};
Opening classify_opening(std::string_view first_bytes);

class CommandPort {
 public:
  static constexpr auto kPreambleTimeout = std::chrono::seconds(10);

  // `commands` may be null: command streams are then refused (gRPC alone is served).
  static Result<std::unique_ptr<CommandPort>, std::string> start(
      const std::string& host, std::uint16_t port, grpc::Server& server,
      std::shared_ptr<CommandService> commands);

  CommandPort(const CommandPort&) = delete;
  CommandPort& operator=(const CommandPort&) = delete;
  ~CommandPort();

  std::uint16_t port() const { return port_; }
  // Idempotent; also run by the destructor.
  void shutdown();
  // The command streams open now (tests and metrics).
  std::size_t open_streams() const { return open_streams_.load(std::memory_order_acquire); }

 private:
  struct Pending;

  CommandPort(grpc::Server& server, std::shared_ptr<CommandService> commands);
  Result<void, std::string> bind(const std::string& host, std::uint16_t port);
  void accept_next();
  void wait_readable(const std::shared_ptr<Pending>& pending);
  void peek(const std::shared_ptr<Pending>& pending);
  bool finish(const std::shared_ptr<Pending>& pending);
  void hand_to_grpc(const std::shared_ptr<Pending>& pending);
  void start_session(const std::shared_ptr<Pending>& pending);
  void drop(const std::shared_ptr<Pending>& pending, const std::string& why);
  void stop_on_io_thread();

  grpc::Server& grpc_server_;
  std::shared_ptr<CommandService> commands_;
  // Shared with the sessions, whose sockets may be released by a late answer after shutdown.
  std::shared_ptr<asio::io_context> io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::once_flag stopped_;

  // IO thread only.
  bool stopping_ = false;
  std::set<std::shared_ptr<Pending>> pending_;
  std::map<std::uint64_t, std::shared_ptr<CommandStreamSession>> sessions_;
  std::uint64_t next_session_ = 1;
  std::atomic<std::size_t> open_streams_{0};
};

}  // namespace tern::broker::command_api
