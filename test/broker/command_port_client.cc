#include "command_port_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/eventually.h"

namespace tern::broker::command_api::test_support {

using gateway::link::FrameKind;

FramedClient::FramedClient(std::uint16_t port, std::string_view preamble) {
  asio::ip::tcp::socket socket(io_);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(preamble));
  socket_ = std::make_shared<gateway::link::FrameSocket>(std::move(socket));
  asio::post(io_, [this] {
    socket_->start(
        [this](const gateway::link::FrameView& frame) {
          std::lock_guard lock(mutex_);
          frames_.push_back(Frame{frame.kind, frame.correlation, std::string(frame.payload)});
        },
        [this](const std::string& error) {
          std::lock_guard lock(mutex_);
          closed_ = true;
          error_ = error;
        });
  });
  // The socket's read keeps run() going until the connection closes.
  thread_ = std::thread([this] { io_.run(); });
}

FramedClient::~FramedClient() {
  socket_->close("the test is done with it");
  thread_.join();
}

bool FramedClient::send(FrameKind kind, std::uint64_t correlation,
                        const google::protobuf::Message& payload) {
  return socket_->send(gateway::link::encode_frame(kind, correlation, payload));
}

bool FramedClient::send_empty(FrameKind kind) {
  return socket_->send(gateway::link::encode_empty_frame(kind, 0));
}

bool FramedClient::send_raw(std::string bytes) {
  return socket_->send(std::move(bytes));
}

std::optional<FramedClient::Frame> FramedClient::take(FrameKind kind, std::uint64_t correlation,
                                                      std::chrono::milliseconds timeout) {
  std::optional<Frame> found;
  tern::test::eventually(
      [&] {
        std::lock_guard lock(mutex_);
        for (auto it = frames_.begin(); it != frames_.end(); ++it) {
          if (it->kind == kind && it->correlation == correlation) {
            found = std::move(*it);
            frames_.erase(it);
            return true;
          }
        }
        return closed_;
      },
      timeout, std::chrono::milliseconds(2));
  return found;
}

std::optional<tern::command::BrokerResponse> FramedClient::response(
    std::uint64_t correlation, std::chrono::milliseconds timeout) {
  auto frame = take(FrameKind::kResponse, correlation, timeout);
  if (!frame) return std::nullopt;
  tern::command::BrokerResponse response;
  if (!response.ParseFromString(frame->payload)) return std::nullopt;
  return response;
}

std::optional<tern::command::JobAvailability> FramedClient::jobs_available(
    std::chrono::milliseconds timeout) {
  auto frame = take(FrameKind::kJobsAvailable, 0, timeout);
  if (!frame) return std::nullopt;
  tern::command::JobAvailability wakeup;
  if (!wakeup.ParseFromString(frame->payload)) return std::nullopt;
  return wakeup;
}

bool FramedClient::wait_closed(std::chrono::milliseconds timeout) {
  return tern::test::eventually(
      [&] {
        std::lock_guard lock(mutex_);
        return closed_;
      },
      timeout, std::chrono::milliseconds(2));
}

std::string FramedClient::error() const {
  std::lock_guard lock(mutex_);
  return closed_ ? error_ : std::string();
}

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("cannot open a socket");
  const int on = 1;
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot connect to the command port");
  }
}

RawClient::~RawClient() {
  ::close(fd_);
}

bool RawClient::write(std::string_view bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
         == static_cast<ssize_t>(bytes.size());
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd polled{fd_, POLLIN, 0};
    const int ready = ::poll(&polled, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;
    char skipped[256];
    const ssize_t got = ::recv(fd_, skipped, sizeof skipped, MSG_DONTWAIT);
    if (got <= 0) return true;  // end of stream, or reset
  }
}

}  // namespace tern::broker::command_api::test_support
