#include "gateway/link/frame_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tern::gateway::link {
namespace {

// The read buffer's usual size (a burst of frames usually fits) and the least room a read gets.
constexpr std::size_t kReadChunkBytes = 64 * 1024;
constexpr std::size_t kMinReadRoomBytes = 16 * 1024;

void enable_keepalive(int fd) {
  const int on = 1;
  const int idle_s = 5;
  const int interval_s = 2;
  const int probes = 5;
  // Best effort: without them the connection still works, it only notices a vanished peer late.
  (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  // Keep-alive probes only run on an idle connection; with requests unacknowledged the kernel
  // would retransmit for many minutes before giving up on a peer whose host vanished.
  const unsigned int user_timeout_ms = 15'000;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

}  // namespace

FrameSocket::FrameSocket(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), fd_(socket_.native_handle()) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  enable_keepalive(fd_);
}

void FrameSocket::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  in_.resize(kReadChunkBytes);
  read_more();
}

bool FrameSocket::send(std::string bytes) {
  std::unique_lock lock(mutex_);
  if (closed()) return false;
  if (queue_active_) {
    if (queued_.size() + bytes.size() > kMaxQueuedBytes) {
      lock.unlock();
      close("the peer does not read: more than " + std::to_string(kMaxQueuedBytes)
            + " bytes wait to be sent");
      return false;
    }
    queued_ += bytes;
    return true;
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t written =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (written > 0) {
      sent += static_cast<std::size_t>(written);
      continue;
    }
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    const std::string why = written < 0 ? std::strerror(errno) : "no progress";
    lock.unlock();
    close("cannot write to the connection: " + why);
    return false;
  }
  if (sent == bytes.size()) return true;
  queued_.assign(bytes, sent);
  queue_active_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_queued(); });
  return true;
}

void FrameSocket::write_queued() {
  {
    std::lock_guard lock(mutex_);
    if (closed()) return;
    writing_.clear();
    writing_.swap(queued_);
    if (writing_.empty()) {
      queue_active_ = false;
      return;
    }
  }
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                      self->on_written(error);
                    });
}

void FrameSocket::on_written(const asio::error_code& error) {
  if (error) {
    close("cannot write to the connection: " + error.message());
    return;
  }
  write_queued();
}

void FrameSocket::close(const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  }
  // The socket itself is touched on its executor only (its reads are pending there).
  asio::post(socket_.get_executor(), [self = shared_from_this(), error] {
    asio::error_code ignored;
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    self->socket_.close(ignored);
    if (auto on_close = std::move(self->on_close_)) on_close(error);
    self->on_frame_ = nullptr;
  });
}

void FrameSocket::read_more() {
  // Make room: move a partial frame to the front, and grow for a frame larger than the buffer.
  if (read_begin_ > 0 && in_.size() - read_end_ < kMinReadRoomBytes) {
    std::memmove(in_.data(), in_.data() + read_begin_, read_end_ - read_begin_);
    read_end_ -= read_begin_;
    read_begin_ = 0;
  }
  std::size_t wanted = read_end_ + kMinReadRoomBytes;
  if (read_end_ - read_begin_ >= kLengthBytes) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < kLengthBytes; ++i)
      length = (length << 8) | static_cast<unsigned char>(in_[read_begin_ + i]);
    // parse_frame() has refused lengths past the limit already.
    wanted = std::max(wanted, read_begin_ + kLengthBytes + length);
  }
  if (in_.size() < wanted) in_.resize(std::max(wanted, 2 * in_.size()));
  socket_.async_read_some(
      asio::buffer(in_.data() + read_end_, in_.size() - read_end_),
      [self = shared_from_this()](const asio::error_code& error, std::size_t bytes) {
        self->on_read(error, bytes);
      });
}

void FrameSocket::on_read(const asio::error_code& error, std::size_t bytes) {
  if (error) {
    close(error == asio::error::eof ? "the peer closed the connection"
                                    : "cannot read from the connection: " + error.message());
    return;
  }
  read_end_ += bytes;
  while (!closed()) {
    const Parsed parsed = parse_frame(in_.data() + read_begin_, read_end_ - read_begin_);
    if (!parsed.error.empty()) {
      close(parsed.error);
      return;
    }
    if (!parsed.frame) break;
    on_frame_(*parsed.frame);
    read_begin_ += parsed.consumed;
  }
  if (closed()) return;
  if (read_begin_ == read_end_) {
    read_begin_ = read_end_ = 0;
    // A large frame grew the buffer; give the memory back once it has been handled.
    if (in_.size() > 16 * kReadChunkBytes) {
      in_.resize(kReadChunkBytes);
      in_.shrink_to_fit();
    }
  }
  read_more();
}

}  // namespace tern::gateway::link
