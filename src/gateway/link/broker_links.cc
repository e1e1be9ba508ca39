#include "gateway/link/broker_links.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <optional>
#include <utility>
#include <vector>

#include "gateway/link/command_frames.h"
#include "gateway/link/frame_socket.h"

namespace tern::gateway::link {
namespace {

namespace tc = tern::command;

struct HostPort {
  std::string host;
  std::string port;
};

std::optional<HostPort> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return HostPort{std::move(host), address.substr(colon + 1)};
}

}  // namespace

// One broker address's connection and the requests waiting on it. Its state is guarded by
// `mutex_`; connecting and the socket's callbacks run on the IO thread.
class BrokerLinks::Link : public std::enable_shared_from_this<BrokerLinks::Link> {
 public:
  Link(asio::io_context& io, std::string address, const JobsAvailable& on_jobs)
      : io_(io), address_(std::move(address)), on_jobs_(on_jobs), resolver_(io), timer_(io) {}

  void execute(const tc::BrokerRequest& request, tc::BrokerResponse* response, Done done) {
    const std::uint64_t correlation = next_correlation_.fetch_add(1, std::memory_order_relaxed);
    std::string frame = encode_frame(FrameKind::kRequest, correlation, request);
    std::unique_lock lock(mutex_);
    if (stopped_) {
      lock.unlock();
      done("the gateway is shutting down");
      return;
    }
    in_flight_.emplace(correlation, Waiting{response, std::move(done)});
    if (socket_) {
      // Outside the lock: the preamble went out before socket_ was set. A closed socket refuses
      // the frame; its close then fails every request in flight, this one too.
      std::shared_ptr<FrameSocket> socket = socket_;
      lock.unlock();
      socket->send(std::move(frame));
      return;
    }
    unsent_ += frame;
    if (!connecting_) {
      connecting_ = true;
      asio::post(io_, [self = shared_from_this()] { self->connect(); });
    }
  }

  bool connected() const {
    std::lock_guard lock(mutex_);
    return socket_ != nullptr;
  }

  // On the IO thread: closes the connection (or the attempt) for good.
  void stop() {
    std::shared_ptr<FrameSocket> socket;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      socket = socket_;
    }
    asio::error_code ignored;
    resolver_.cancel();
    timer_.cancel();
    if (connecting_socket_) connecting_socket_->close(ignored);
    if (socket) socket->close("the gateway is shutting down");
    fail_all("the gateway is shutting down");
  }

 private:
  struct Waiting {
    tc::BrokerResponse* response;
    Done done;
  };

  void connect() {
    const auto host_port = split_address(address_);
    if (!host_port) {
      connect_failed("'" + address_ + "' is not of the form host:port");
      return;
    }
    timed_out_ = false;
    timer_.expires_after(kConnectTimeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (error) return;  // cancelled: the attempt ended first
      self->timed_out_ = true;
      self->resolver_.cancel();
      asio::error_code ignored;
      if (self->connecting_socket_) self->connecting_socket_->close(ignored);
    });
    resolver_.async_resolve(
        host_port->host, host_port->port,
        [self = shared_from_this()](const asio::error_code& resolve_error,
                                    asio::ip::tcp::resolver::results_type endpoints) {
          if (resolve_error) {
            self->timer_.cancel();
            self->connect_failed(self->timed_out_
                                     ? "no address within the time-out"
                                     : "cannot resolve it: " + resolve_error.message());
            return;
          }
          self->connecting_socket_.emplace(self->io_);
          asio::async_connect(
              *self->connecting_socket_, endpoints,
              [self](const asio::error_code& error, const asio::ip::tcp::endpoint&) {
                self->timer_.cancel();
                if (error) {
                  self->connecting_socket_.reset();
                  self->connect_failed(self->timed_out_ ? "no connection within the time-out"
                                                        : error.message());
                  return;
                }
                self->connected_now();
              });
        });
  }

  void connected_now() {
    auto socket = std::make_shared<FrameSocket>(std::move(*connecting_socket_));
    connecting_socket_.reset();
    std::weak_ptr<FrameSocket> weak = socket;
    socket->start([self = shared_from_this()](const FrameView& frame) { self->on_frame(frame); },
                  [self = shared_from_this(), weak](const std::string& error) {
                    self->on_close(weak, error);
                  });
    std::lock_guard lock(mutex_);
    connecting_ = false;
    if (stopped_) {
      socket->close("the gateway is shutting down");
      return;
    }
    // Sent under the lock: no request frame may overtake the preamble.
    std::string first(kPreamble);
    first += encode_empty_frame(FrameKind::kSubscribeJobs, 0);
    first += std::exchange(unsent_, std::string());
    socket->send(std::move(first));
    socket_ = std::move(socket);
    spdlog::debug("gateway: command stream to the broker at {} open", address_);
  }

  void connect_failed(const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      connecting_ = false;
      unsent_.clear();
    }
    spdlog::info("gateway: cannot connect to the broker at {}: {}", address_, why);
    fail_all("cannot connect to it: " + why);
  }

  void on_frame(const FrameView& frame) {
    switch (frame.kind) {
      case FrameKind::kResponse:
        return on_response(frame);
      case FrameKind::kJobsAvailable: {
        tc::JobAvailability wakeup;
        if (!wakeup.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
          return protocol_error("a job wake-up that does not parse");
        }
        on_jobs_(wakeup.job_type(), wakeup.partition_id());
        return;
      }
      case FrameKind::kRequest:
      case FrameKind::kSubscribeJobs:
        return protocol_error("a frame of kind " + std::to_string(static_cast<int>(frame.kind))
                              + ", which only a gateway sends");
    }
  }

  void on_response(const FrameView& frame) {
    std::optional<Waiting> waiting;
    {
      std::lock_guard lock(mutex_);
      auto it = in_flight_.find(frame.correlation);
      if (it != in_flight_.end()) {
        waiting = std::move(it->second);
        in_flight_.erase(it);
      }
    }
    if (!waiting) {
      return protocol_error("an answer to request " + std::to_string(frame.correlation)
                            + ", which is not waiting");
    }
    if (!waiting->response->ParseFromArray(frame.payload.data(),
                                           static_cast<int>(frame.payload.size()))) {
      waiting->done("its answer does not parse");
      return protocol_error("an answer that does not parse");
    }
    waiting->done(std::string());
  }

  void protocol_error(const std::string& what) {
    std::shared_ptr<FrameSocket> socket;
    {
      std::lock_guard lock(mutex_);
      socket = socket_;
    }
    if (socket) socket->close("the broker sent " + what);
  }

  void on_close(const std::weak_ptr<FrameSocket>& closed, const std::string& error) {
    {
      std::lock_guard lock(mutex_);
      if (socket_ && socket_ == closed.lock()) socket_.reset();
      // Stopping failed the requests itself, and no request is accepted after it.
      if (stopped_) return;
    }
    spdlog::info("gateway: command stream to the broker at {} lost: {}", address_, error);
    fail_all("the connection was lost: " + error);
  }

  void fail_all(const std::string& why) {
    std::map<std::uint64_t, Waiting> failed;
    {
      std::lock_guard lock(mutex_);
      failed.swap(in_flight_);
    }
    for (auto& [correlation, waiting] : failed)
      waiting.done(why);
  }

  asio::io_context& io_;
  const std::string address_;
  const JobsAvailable on_jobs_;
  asio::ip::tcp::resolver resolver_;                        // IO thread
  asio::steady_timer timer_;                                // IO thread: the connect time-out
  std::optional<asio::ip::tcp::socket> connecting_socket_;  // IO thread
  bool timed_out_ = false;                                  // IO thread: the attempt's
  std::atomic<std::uint64_t> next_correlation_{1};

  mutable std::mutex mutex_;
  std::shared_ptr<FrameSocket> socket_;         // guarded by mutex_
  bool connecting_ = false;                     // guarded by mutex_
  bool stopped_ = false;                        // guarded by mutex_
  std::string unsent_;                          // frames waiting for the connection; mutex_
  std::map<std::uint64_t, Waiting> in_flight_;  // by correlation; guarded by mutex_
};

BrokerLinks::BrokerLinks(JobsAvailable on_jobs)
    : work_(asio::make_work_guard(io_)), on_jobs_(std::move(on_jobs)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tern-gw-link");
    io_.run();
  });
}

BrokerLinks::~BrokerLinks() {
  shutdown();
}

void BrokerLinks::execute(const std::string& address, const tc::BrokerRequest& request,
                          tc::BrokerResponse* response, Done done) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      auto& slot = links_[address];
      if (!slot) slot = std::make_shared<Link>(io_, address, on_jobs_);
      link = slot;
    }
  }
  if (!link) {
    done("the gateway is shutting down");
    return;
  }
  link->execute(request, response, std::move(done));
}

std::size_t BrokerLinks::open_connections() const {
  std::lock_guard lock(mutex_);
  std::size_t open = 0;
  for (const auto& [address, link] : links_)
    open += link->connected() ? 1 : 0;
  return open;
}

void BrokerLinks::shutdown() {
  std::map<std::string, std::shared_ptr<Link>> links;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    links = links_;
  }
  asio::post(io_, [links] {
    for (const auto& [address, link] : links)
      link->stop();
  });
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tern::gateway::link
