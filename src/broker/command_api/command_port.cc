#include "broker/command_api/command_port.h"

#include <fcntl.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/command_api/command_stream.h"
#include "broker/thread_name.h"
#include "gateway/link/command_frames.h"

namespace tern::broker::command_api {

using asio::ip::tcp;
using gateway::link::kHttp2PrefaceStart;
using gateway::link::kPreamble;
using gateway::link::kPreambleFamily;

namespace {

// A peer whose first bytes came in pieces is looked at again this soon (the socket stays readable
// while peeked bytes wait, so waiting for readability would spin).
constexpr auto kPeekRetry = std::chrono::milliseconds(2);
// After a failed accept (e.g. out of file descriptors), the next attempt waits this long.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

std::string describe(const tcp::socket& socket) {
  asio::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return "an unknown peer";
  const std::string address = remote.address().to_string();
  return (remote.address().is_v6() ? "[" + address + "]" : address) + ":"
         + std::to_string(remote.port());
}

}  // namespace

Opening classify_opening(std::string_view first) {
  if (first.starts_with(kHttp2PrefaceStart)) return Opening::kGrpc;
  if (first.size() >= kPreamble.size() && first.starts_with(kPreambleFamily)) {
    return first.substr(0, kPreamble.size()) == kPreamble ? Opening::kCommandStream
                                                          : Opening::kOtherVersion;
  }
  if (kHttp2PrefaceStart.starts_with(first) || kPreambleFamily.starts_with(first)
      || first.starts_with(kPreambleFamily)) {
    return Opening::kNeedMore;
  }
  return Opening::kNeither;
}

// A connection not told apart yet.
struct CommandPort::Pending {
  Pending(tcp::socket accepted, asio::io_context& io)
      : socket(std::move(accepted)), deadline(io), retry(io), peer(describe(socket)) {}
  tcp::socket socket;
  asio::steady_timer deadline;  // kPreambleTimeout after the accept
  asio::steady_timer retry;     // kPeekRetry, while the first bytes are incomplete
  std::string peer;
};

CommandPort::CommandPort(grpc::Server& server, std::shared_ptr<CommandService> commands)
    : grpc_server_(server),
      commands_(std::move(commands)),
      io_(std::make_shared<asio::io_context>(1)),
      acceptor_(*io_),
      accept_retry_(*io_) {}

Result<std::unique_ptr<CommandPort>, std::string> CommandPort::start(
    const std::string& host, std::uint16_t port, grpc::Server& server,
    std::shared_ptr<CommandService> commands) {
  std::unique_ptr<CommandPort> started(new CommandPort(server, std::move(commands)));
  if (auto bound = started->bind(host, port); !bound) return tern::unexpected(bound.error());
  started->accept_next();
  started->thread_ = std::thread([io = started->io_] {
    set_thread_name("tern-cmd-io");
    io->run();
  });
  return started;
}

Result<void, std::string> CommandPort::bind(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string address = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  asio::error_code ec;
  tcp::resolver resolver(*io_);
  const auto endpoints = resolver.resolve(
      host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return tern::unexpected("cannot listen on " + address + ": cannot resolve '" + host
                            + "': " + (ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR lets a restarted broker bind past its old TIME_WAIT connections; it does not let
  // two listeners share the port on Linux (SO_REUSEPORT would, and is not set).
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return tern::unexpected("cannot listen on " + address + ": " + ec.message());
  port_ = acceptor_.local_endpoint(ec).port();
  return {};
}

void CommandPort::accept_next() {
  acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
    if (stopping_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("command port: cannot accept a connection: {}", ec.message());
      accept_retry_.expires_after(kAcceptRetry);
      accept_retry_.async_wait([this](const asio::error_code& waited) {
        if (!waited && !stopping_) accept_next();
      });
      return;
    }
    auto pending = std::make_shared<Pending>(std::move(socket), *io_);
    pending_.insert(pending);
    pending->deadline.expires_after(kPreambleTimeout);
    pending->deadline.async_wait([this, pending](const asio::error_code& waited) {
      if (waited) return;  // told apart (or shut down) in time
      drop(pending, "it sent no preamble within "
                        + std::to_string(std::chrono::seconds(kPreambleTimeout).count()) + " s");
    });
    wait_readable(pending);
    accept_next();
  });
}

void CommandPort::wait_readable(const std::shared_ptr<Pending>& pending) {
  pending->socket.async_wait(tcp::socket::wait_read, [this, pending](const asio::error_code& ec) {
    if (ec) return;  // closed by drop() or shutdown
    peek(pending);
  });
}

void CommandPort::peek(const std::shared_ptr<Pending>& pending) {
  if (!pending_.contains(pending)) return;
  char first[kPreamble.size()];
  const ssize_t got =
      ::recv(pending->socket.native_handle(), first, sizeof first, MSG_PEEK | MSG_DONTWAIT);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      wait_readable(pending);
      return;
    }
    drop(pending, std::string("cannot read from it: ") + std::strerror(errno));
    return;
  }
  if (got == 0) {
    drop(pending, "it closed the connection before saying anything");
    return;
  }
  const std::string_view seen(first, static_cast<std::size_t>(got));
  switch (classify_opening(seen)) {
    case Opening::kGrpc:
      hand_to_grpc(pending);
      return;
    case Opening::kCommandStream:
      start_session(pending);
      return;
    case Opening::kOtherVersion:
      drop(pending, "it opened a command stream of the unknown version '"
                        + std::string(seen.substr(kPreambleFamily.size()))
                        + "' (this broker speaks '" + std::string(kPreamble) + "')");
      return;
    case Opening::kNeither:
      drop(pending, "it speaks neither gRPC nor a Tern command stream");
      return;
    case Opening::kNeedMore:
      pending->retry.expires_after(kPeekRetry);
      pending->retry.async_wait([this, pending](const asio::error_code& ec) {
        if (!ec) peek(pending);
      });
      return;
  }
}

bool CommandPort::finish(const std::shared_ptr<Pending>& pending) {
  if (pending_.erase(pending) == 0) return false;
  pending->deadline.cancel();
  pending->retry.cancel();
  return true;
}

void CommandPort::hand_to_grpc(const std::shared_ptr<Pending>& pending) {
  if (!finish(pending)) return;
  asio::error_code ec;
  const int fd = pending->socket.release(ec);
  if (ec || fd < 0) {
    spdlog::warn("command port: cannot hand the gRPC connection of {} over: {}", pending->peer,
                 ec.message());
    return;
  }
  // gRPC expects a non-blocking socket; commands are small, so no Nagle delay either.
  const int flags = ::fcntl(fd, F_GETFL, 0);
  const int on = 1;
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
      || ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) {
    spdlog::warn("command port: cannot prepare the gRPC connection of {}: {}", pending->peer,
                 std::strerror(errno));
    ::close(fd);
    return;
  }
  spdlog::debug("command port: {} speaks gRPC", pending->peer);
  grpc::AddInsecureChannelFromFd(&grpc_server_, fd);  // gRPC owns the fd from here
}

void CommandPort::start_session(const std::shared_ptr<Pending>& pending) {
  if (!commands_) {
    drop(pending,
         "it opened a command stream, which this command port does not serve (no "
         "command service)");
    return;
  }
  if (!finish(pending)) return;
  char preamble[kPreamble.size()];
  // Peeked whole already, so this takes exactly the preamble and leaves the first frame.
  const ssize_t got =
      ::recv(pending->socket.native_handle(), preamble, sizeof preamble, MSG_DONTWAIT);
  if (got != static_cast<ssize_t>(sizeof preamble)) {
    spdlog::info("command port: closed the connection of {}: cannot read its preamble",
                 pending->peer);
    return;  // the socket closes with `pending`
  }
  const std::uint64_t id = next_session_++;
  auto session = std::make_shared<CommandStreamSession>(io_, std::move(pending->socket), commands_,
                                                        pending->peer);
  sessions_.emplace(id, session);
  open_streams_.fetch_add(1, std::memory_order_acq_rel);
  session->start([this, id](const std::string&) {
    sessions_.erase(id);
    open_streams_.fetch_sub(1, std::memory_order_acq_rel);
  });
}

void CommandPort::drop(const std::shared_ptr<Pending>& pending, const std::string& why) {
  if (!finish(pending)) return;
  spdlog::info("command port: closed the connection of {}: {}", pending->peer, why);
  asio::error_code ignored;
  pending->socket.shutdown(tcp::socket::shutdown_both, ignored);
  pending->socket.close(ignored);
}

void CommandPort::stop_on_io_thread() {
  stopping_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (const auto& pending : std::set(pending_)) {
    finish(pending);
    pending->socket.close(ignored);
  }
  // Each session's close ends on this thread (its on_closed erases it), after which run() ends.
  for (const auto& [id, session] : sessions_)
    session->close("the broker shuts down");
}

void CommandPort::shutdown() {
  std::call_once(stopped_, [this] {
    if (!thread_.joinable()) return;
    asio::post(*io_, [this] { stop_on_io_thread(); });
    thread_.join();
    sessions_.clear();
    pending_.clear();
  });
}

CommandPort::~CommandPort() {
  shutdown();
}

}  // namespace tern::broker::command_api
