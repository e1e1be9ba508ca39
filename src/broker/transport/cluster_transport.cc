#include "broker/transport/cluster_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "broker/config_validation.h"
#include "broker/transport/frame_connection.h"
#include "cluster.pb.h"
#include "engine/records/record_codec.h"
#include "raft/codec.h"

namespace tern::broker {
namespace {

using asio::ip::tcp;

// One contact point: dials, says hello, learns the peer's node id, and carries what this broker
// sends to that peer. Lives on the IO thread.
struct Dialer {
  std::string address;
  HostPort target;
  std::shared_ptr<FrameConnection> connection;  // set while connected
  std::optional<NodeId> peer;                   // known once the peer's hello arrived
  bool reachable = true;                        // for logging transitions only
  bool is_self = false;
  bool greeted = false;  // the current connection's hello arrived
  int backoff_ms = 0;
  std::unique_ptr<asio::steady_timer> timer;
};

// A request waiting for its response, on the IO thread.
struct PendingRequest {
  NodeId peer;
  const FrameConnection* connection = nullptr;  // the one it was sent on (identity only)
  ClusterTransport::ResponseCallback done;
  std::unique_ptr<asio::steady_timer> timer;
};

class ClusterTransportImpl final : public ClusterTransport {
 public:
  ClusterTransportImpl(TransportOptions options, Handler handler, CommandHandler command_handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        command_handler_(std::move(command_handler)),
        io_holder_(std::make_shared<asio::io_context>()),
        io_(*io_holder_),
        acceptor_(io_) {}

  ~ClusterTransportImpl() override { shutdown(); }

  Result<void, std::string> start() {
    std::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return unexpected("cluster host " + options_.host + ": " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return unexpected("cannot listen on " + options_.host + ":" + std::to_string(options_.port)
                        + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    for (const auto& point : options_.contact_points) {
      auto parsed = parse_host_port(point);
      if (!parsed) return unexpected("contact point " + point + ": " + parsed.error());
      auto dialer = std::make_unique<Dialer>();
      dialer->address = point;
      dialer->target = *parsed;
      dialer->backoff_ms = options_.reconnect_min_ms;
      dialer->timer = std::make_unique<asio::steady_timer>(io_);
      dialers_.push_back(std::move(dialer));
    }
    accept();
    for (auto& dialer : dialers_)
      dial(*dialer);
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  void send(NodeId to, PartitionId partition, const raft::Message& message) override {
    std::string payload = raft::encode_message(message);
    asio::post(io_, [this, to, partition, payload = std::move(payload)]() mutable {
      for (auto& dialer : dialers_) {
        if (dialer->greeted && dialer->peer == to && dialer->connection) {
          dialer->connection->queue(partition, std::move(payload));
          return;
        }
      }
    });
  }

  void send_command(NodeId to, const engine::Record& command) override {
    std::string payload = engine::encode_record(command);
    asio::post(io_, [this, to, partition = command.partition_id,
                     payload = std::move(payload)]() mutable {
      for (auto& dialer : dialers_) {
        if (dialer->greeted && dialer->peer == to && dialer->connection) {
          dialer->connection->queue(partition, std::move(payload), FrameConnection::Kind::kCommand);
          return;
        }
      }
    });
  }

  void request(NodeId to, std::string topic, std::string body, std::chrono::milliseconds timeout,
               ResponseCallback done) override {
    asio::post(io_, [this, to, topic = std::move(topic), body = std::move(body), timeout,
                     done = std::move(done)]() mutable {
      if (stopped_) {
        return done(unexpected(RequestError{RequestErrc::kShutdown, "the transport is stopping"}));
      }
      std::shared_ptr<FrameConnection> connection = connection_to(to);
      if (!connection) {
        return done(unexpected(RequestError{
            RequestErrc::kNotConnected,
            "broker " + std::to_string(to.value()) + " is not connected to this broker"}));
      }
      const std::uint64_t correlation = ++next_correlation_;
      PendingRequest pending{to, connection.get(), std::move(done),
                             std::make_unique<asio::steady_timer>(io_, timeout)};
      pending.timer->async_wait([this, correlation, to, topic, timeout](std::error_code ec) {
        if (ec) return;
        finish_request(correlation,
                       unexpected(RequestError{RequestErrc::kTimeout,
                                               "broker " + std::to_string(to.value())
                                                   + " did not answer '" + topic + "' within "
                                                   + std::to_string(timeout.count()) + " ms"}));
      });
      requests_.emplace(correlation, std::move(pending));
      connection->queue_request(correlation, topic, std::move(body));
    });
  }

  void set_request_handler(const std::string& topic, RequestHandler handler) override {
    std::lock_guard lock(services_mutex_);
    if (handler) {
      services_[topic] = std::make_shared<RequestHandler>(std::move(handler));
    } else {
      services_.erase(topic);
    }
  }

  std::uint16_t port() const override { return port_; }

  std::vector<NodeId> connected_peers() const override {
    std::lock_guard lock(peers_mutex_);
    return connected_;
  }

  std::map<NodeId, PeerInfo> peer_infos() const override {
    std::lock_guard lock(peers_mutex_);
    return peer_infos_;
  }

  void shutdown() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      std::error_code ec;
      acceptor_.close(ec);
      for (auto& dialer : dialers_) {
        dialer->timer->cancel();
        if (dialer->connection) dialer->connection->close();
      }
      for (auto& weak : inbound_) {
        if (auto connection = weak.lock()) connection->close();
      }
      auto requests = std::move(requests_);
      requests_.clear();
      for (auto& [correlation, pending] : requests) {
        pending.timer->cancel();
        pending.done(unexpected(RequestError{RequestErrc::kShutdown, "the transport is stopping"}));
      }
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  }

 private:
  FrameConnection::Options connection_options() const {
    return {options_.self, options_.max_frame_bytes, options_.max_queued_messages,
            options_.max_messages_per_frame, options_.command_address};
  }

  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept();
        return;
      }
      std::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto connection = std::make_shared<FrameConnection>(std::move(socket), connection_options());
      FrameConnection::Handlers handlers = common_handlers(connection);
      handlers.close = [this, raw = connection.get()](NodeId, const std::string&) {
        fail_requests_on(raw);
      };
      handlers.hello = [this](const FrameConnection::PeerHello& hello) { remember(hello); };
      connection->start(std::move(handlers));
      std::erase_if(inbound_, [](const auto& weak) { return weak.expired(); });
      inbound_.push_back(connection);
      accept();
    });
  }

  void dial(Dialer& dialer) {
    if (stopped_ || dialer.is_self) return;
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(
        dialer.target.host, std::to_string(dialer.target.port),
        [this, &dialer, resolver](std::error_code ec, tcp::resolver::results_type results) {
          if (ec) return on_dial_failed(dialer, "cannot resolve: " + ec.message());
          auto socket = std::make_shared<tcp::socket>(io_);
          asio::async_connect(*socket, results,
                              [this, &dialer, socket](std::error_code error, const tcp::endpoint&) {
                                if (error) return on_dial_failed(dialer, error.message());
                                on_connected(dialer, std::move(*socket));
                              });
        });
  }

  void on_connected(Dialer& dialer, tcp::socket socket) {
    std::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<FrameConnection>(std::move(socket), connection_options());
    dialer.connection = connection;
    dialer.greeted = false;
    FrameConnection::Handlers handlers = common_handlers(connection);
    handlers.close = [this, &dialer, raw = connection.get()](NodeId, const std::string& error) {
      fail_requests_on(raw);
      if (dialer.connection.get() != raw) return;
      dialer.connection.reset();
      dialer.greeted = false;
      update_connected();
      on_dial_failed(dialer, error);
    };
    handlers.hello = [this, &dialer](const FrameConnection::PeerHello& hello) {
      NodeId peer = hello.node;
      if (peer == options_.self) {
        spdlog::info("cluster: contact point {} is this broker; not dialing it", dialer.address);
        dialer.is_self = true;
        dialer.connection->close();
        return;
      }
      dialer.backoff_ms = options_.reconnect_min_ms;
      if (!dialer.reachable || dialer.peer != peer) {
        spdlog::info("cluster: connected to broker {} at {}", peer.value(), dialer.address);
      }
      dialer.reachable = true;
      dialer.peer = peer;
      dialer.greeted = true;
      remember(hello);
      update_connected();
    };
    connection->start(std::move(handlers));
  }

  void on_dial_failed(Dialer& dialer, const std::string& error) {
    if (stopped_ || dialer.is_self) return;
    if (dialer.reachable) {
      spdlog::warn(
          "cluster: broker at {}{} is unreachable ({}); retrying with back-off up to {} ms",
          dialer.address, dialer.peer ? " (node " + std::to_string(dialer.peer->value()) + ")" : "",
          error.empty() ? "connection closed" : error, options_.reconnect_max_ms);
      dialer.reachable = false;
    }
    dialer.timer->expires_after(std::chrono::milliseconds(dialer.backoff_ms));
    dialer.backoff_ms = std::min(dialer.backoff_ms * 2, options_.reconnect_max_ms);
    dialer.timer->async_wait([this, &dialer](std::error_code ec) {
      if (!ec) dial(dialer);
    });
  }

  // What every connection does with Raft messages, commands, requests and responses.
  FrameConnection::Handlers common_handlers(const std::shared_ptr<FrameConnection>& connection) {
    FrameConnection::Handlers handlers;
    handlers.message = [this](NodeId from, PartitionId partition, raft::Message message) {
      handler_(from, partition, std::move(message));
    };
    handlers.command = [this](NodeId from, PartitionId partition, engine::Record command) {
      if (command_handler_) command_handler_(from, partition, std::move(command));
    };
    handlers.request = [this, weak = std::weak_ptr<FrameConnection>(connection)](
                           NodeId from, std::uint64_t correlation, std::string topic,
                           std::string body) { serve(weak, from, correlation, topic, body); };
    handlers.response = [this](NodeId from, std::uint64_t correlation, std::string body,
                               std::string error) {
      auto it = requests_.find(correlation);
      if (it == requests_.end() || it->second.peer != from) return;  // late, after a timeout
      if (!error.empty()) {
        return finish_request(correlation,
                              unexpected(RequestError{RequestErrc::kNoService, std::move(error)}));
      }
      finish_request(correlation, std::move(body));
    };
    return handlers;
  }

  // Hands a request to its service; the answer goes back on the connection it came on.
  void serve(const std::weak_ptr<FrameConnection>& weak, NodeId from, std::uint64_t correlation,
             const std::string& topic, std::string body) {
    std::shared_ptr<RequestHandler> service;
    {
      std::lock_guard lock(services_mutex_);
      if (auto it = services_.find(topic); it != services_.end()) service = it->second;
    }
    if (!service) {
      if (auto connection = weak.lock()) {
        connection->queue_response(
            correlation, {},
            "broker " + std::to_string(options_.self.value()) + " has no service '" + topic + "'");
      }
      return;
    }
    // Holds the io_context, not the transport: a late answer after shutdown is simply dropped.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Respond respond = [io = io_holder_, weak, correlation, answered](std::string answer) {
      if (answered->exchange(true)) return;
      asio::post(*io, [weak, correlation, answer = std::move(answer)]() mutable {
        if (auto connection = weak.lock()) connection->queue_response(correlation, answer, {});
      });
    };
    (*service)(from, std::move(body), std::move(respond));
  }

  void finish_request(std::uint64_t correlation, Result<std::string, RequestError> result) {
    auto it = requests_.find(correlation);
    if (it == requests_.end()) return;
    PendingRequest pending = std::move(it->second);
    requests_.erase(it);
    pending.timer->cancel();
    pending.done(std::move(result));
  }

  void fail_requests_on(const FrameConnection* connection) {
    std::vector<std::uint64_t> lost;
    for (const auto& [correlation, pending] : requests_) {
      if (pending.connection == connection) lost.push_back(correlation);
    }
    for (auto correlation : lost) {
      NodeId peer = requests_.at(correlation).peer;
      finish_request(correlation, unexpected(RequestError{RequestErrc::kLost,
                                                          "the connection with broker "
                                                              + std::to_string(peer.value())
                                                              + " closed before it answered"}));
    }
  }

  // An established connection with `peer`: the one this broker dialed, else one the peer dialed.
  std::shared_ptr<FrameConnection> connection_to(NodeId peer) {
    for (auto& dialer : dialers_) {
      if (dialer->greeted && dialer->peer == peer && dialer->connection) return dialer->connection;
    }
    for (auto& weak : inbound_) {
      auto connection = weak.lock();
      if (connection && connection->peer() == peer && !connection->closed()) return connection;
    }
    return nullptr;
  }

  void remember(const FrameConnection::PeerHello& hello) {
    if (hello.node == options_.self) return;
    std::lock_guard lock(peers_mutex_);
    peer_infos_[hello.node] = PeerInfo{hello.command_address, hello.version};
  }

  void update_connected() {
    std::lock_guard lock(peers_mutex_);
    connected_.clear();
    for (const auto& d : dialers_) {
      if (d->connection && d->greeted && d->peer) connected_.push_back(*d->peer);
    }
    std::sort(connected_.begin(), connected_.end());
  }

  TransportOptions options_;
  Handler handler_;
  CommandHandler command_handler_;
  std::shared_ptr<asio::io_context> io_holder_;  // shared with the Respond callbacks
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<Dialer>> dialers_;
  std::vector<std::weak_ptr<FrameConnection>> inbound_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex peers_mutex_;
  std::vector<NodeId> connected_;                     // guarded by peers_mutex_
  std::map<NodeId, PeerInfo> peer_infos_;             // guarded by peers_mutex_
  std::map<std::uint64_t, PendingRequest> requests_;  // IO thread only
  std::uint64_t next_correlation_ = 0;                // IO thread only
  std::mutex services_mutex_;
  std::map<std::string, std::shared_ptr<RequestHandler>> services_;  // guarded by services_mutex_
};

}  // namespace

std::string_view to_string(RequestErrc code) {
  switch (code) {
    case RequestErrc::kNotConnected:
      return "NOT_CONNECTED";
    case RequestErrc::kNoService:
      return "NO_SERVICE";
    case RequestErrc::kLost:
      return "LOST";
    case RequestErrc::kTimeout:
      return "TIMEOUT";
    case RequestErrc::kShutdown:
      return "SHUTDOWN";
  }
  return "UNKNOWN";
}

Result<std::unique_ptr<ClusterTransport>, std::string> ClusterTransport::start(
    TransportOptions options, Handler handler, CommandHandler command_handler) {
  auto transport = std::make_unique<ClusterTransportImpl>(std::move(options), std::move(handler),
                                                          std::move(command_handler));
  if (auto started = transport->start(); !started) return unexpected(started.error());
  return std::unique_ptr<ClusterTransport>(std::move(transport));
}

}  // namespace tern::broker
