#pragma once

// CommandStreamSession: the broker's end of one command stream (gateway/link/command_frames.h), a
// gateway's framed connection to the command port. Requests go to CommandService::execute and are
// answered by a kResponse frame with the request's correlation, sent from the thread that finishes
// the command (a partition strand) straight into the socket: no hop to the IO thread. After
// kSubscribeJobs the session pushes a kJobsAvailable frame for every job wake-up.
//
// A payload that does not parse, or a frame only a broker sends (kResponse, kJobsAvailable),
// closes the connection with an error saying so. Closing (by either side, a malformed frame, or
// the port's shutdown) removes the jobs listener and calls `on_closed` once; answers finishing
// after that are dropped (FrameSocket::send returns false).
//
// Threads: frames are handled on the socket's executor (the command port's IO thread); answers
// and wake-ups are sent from partition strands. Ownership: whoever starts a session holds it until
// `on_closed`; a command in flight holds it too, so that its answer has a socket to go to; the
// jobs listener holds it weakly. The session keeps the io_context alive (`io`) so that a socket
// released by a late answer never outlives its io_context.

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/command_api/command_service.h"
#include "gateway/link/frame_socket.h"

namespace tern::broker::command_api {

class CommandStreamSession : public std::enable_shared_from_this<CommandStreamSession> {
 public:
  using OnClosed = std::function<void(const std::string& why)>;

  // `socket` has had its preamble consumed. Does not start reading: call start().
  CommandStreamSession(std::shared_ptr<asio::io_context> io, asio::ip::tcp::socket socket,
                       std::shared_ptr<CommandService> commands, std::string peer);
  CommandStreamSession(const CommandStreamSession&) = delete;
  CommandStreamSession& operator=(const CommandStreamSession&) = delete;

  // Starts reading frames; `on_closed` runs once on the IO thread when the connection ends. Call
  // on the IO thread.
  void start(OnClosed on_closed);
  // Closes the connection (idempotent, any thread).
  void close(const std::string& why);

  const std::string& peer() const { return peer_; }

 private:
  void on_frame(const gateway::link::FrameView& frame);
  void on_request(std::uint64_t correlation, std::string_view payload);
  void subscribe_jobs();
  void on_socket_closed(const std::string& why);

  // Declared first so that it is released last: the socket below must die before its io_context.
  std::shared_ptr<asio::io_context> io_;
  std::shared_ptr<gateway::link::FrameSocket> socket_;
  std::shared_ptr<CommandService> commands_;
  const std::string peer_;
  OnClosed on_closed_;               // IO thread
  std::uint64_t jobs_listener_ = 0;  // IO thread; 0 while not subscribed
  std::uint64_t requests_ = 0;       // IO thread; for the closing log line
};

}  // namespace tern::broker::command_api
