#pragma once

// FrameSocket: one command-stream connection (command_frames.h), at either end.
//
// Reading: on the socket's executor, which hands every whole frame to `on_frame` (the frame's
// payload points into the read buffer and is valid during the call only).
//
// Writing: send() is called from any thread, typically the partition strand that produced an
// answer or the gRPC thread that received a client's call. It writes from that thread when the
// socket takes the bytes at once, which saves a hand-off to the IO thread per frame. When the
// kernel's buffer is full it queues the rest, and the IO thread writes the queue in order; until
// the queue is empty every further send() only appends to it, so frames never interleave.
//
// Closing: close() is idempotent and thread-safe. The first caller's error is reported once
// through `on_close`, on the IO thread; send() then returns false. A read error, the peer's end
// of stream, a malformed frame, or more than kMaxQueuedBytes waiting because the peer does not
// read, each closes it.
//
// Threads: the socket's executor must run on one thread. Held by shared_ptr by its own pending
// operations; the owner closes it and lets the executor run out to release it.

#include <asio.hpp>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/link/command_frames.h"

namespace tern::gateway::link {

class FrameSocket : public std::enable_shared_from_this<FrameSocket> {
 public:
  using OnFrame = std::function<void(const FrameView& frame)>;
  using OnClose = std::function<void(const std::string& error)>;

  // Bytes waiting for a peer that does not read, past which the connection is given up.
  static constexpr std::size_t kMaxQueuedBytes = 2 * kMaxFrameBytes;

  // Sets TCP_NODELAY, keep-alive probes and a user time-out: a peer whose host vanished is
  // noticed within about 15 s, whether or not anything is being sent.
  explicit FrameSocket(asio::ip::tcp::socket socket);

  // Starts reading. Call once, on the executor's thread.
  void start(OnFrame on_frame, OnClose on_close);
  // Writes (or queues) the encoded frame(s) `bytes`; false when the connection is closed.
  bool send(std::string bytes);
  void close(const std::string& error);
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void read_more();
  void on_read(const asio::error_code& error, std::size_t bytes);
  void write_queued();  // IO thread: start writing whatever is queued
  void on_written(const asio::error_code& error);

  asio::ip::tcp::socket socket_;
  const int fd_;
  OnFrame on_frame_;
  OnClose on_close_;

  // Reading (IO thread only): what the socket delivered and no frame consumed yet,
  // [read_begin_, read_end_) of in_.
  std::vector<char> in_;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;

  std::mutex mutex_;  // orders direct writes, queueing and closing
  std::atomic<bool> closed_{false};
  bool queue_active_ = false;  // the IO thread owns writing until the queue is empty; mutex_
  std::string queued_;         // bytes waiting for the IO thread; mutex_
  std::string writing_;        // the IO thread's write in flight
};

}  // namespace tern::gateway::link
