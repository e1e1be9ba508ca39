#include "broker/transport/cluster_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "broker/config_validation.h"
#include "broker/thread_name.h"
#include "broker/transport/frame_connection.h"
#include "cluster.pb.h"
#include "engine/records/record_codec.h"
#include "raft/codec.h"

namespace tern::broker {
namespace {

using asio::ip::tcp;

// One contact point: dials, says hello and learns the peer's node id. Lives on the IO thread.
// Its connection carries the pair's traffic unless the peer's own dialed connection wins (see
// on_greeted); the dialer then rests (`dormant`) until the pair has no connection again.
struct Dialer {
  std::string address;
  HostPort target;
  std::shared_ptr<FrameConnection> connection;  // set while connecting or connected, not retired
  std::optional<NodeId> peer;                   // known once the peer's hello arrived
  bool reachable = true;                        // for logging transitions only
  bool is_self = false;
  bool dormant = false;
  int backoff_ms = 0;
  std::unique_ptr<asio::steady_timer> timer;
};

// The pair's connection: the one every message, request and response towards the peer goes on.
// Every other greeted connection with the peer is retired (it only drains what the peer still
// sends on it).
struct Link {
  std::shared_ptr<FrameConnection> active;
};

// A Raft message, heartbeat or subscription command a sender handed over, on its way to the IO
// thread (ClusterTransportImpl::enqueue).
struct Outgoing {
  enum Kind { kRaft, kHeartbeat, kCommand };
  NodeId to;
  PartitionId partition;
  std::string payload;  // kRaft, kCommand: encoded
  Kind kind = kRaft;
  FrameConnection::Beat beat = FrameConnection::Beat::kHeartbeat;  // kHeartbeat
  raft::Term term{0};                                              // kHeartbeat
  raft::LogIndex commit{0};                                        // kHeartbeat
};

// How many peers' worth of queued messages the outbox holds at most.
constexpr std::size_t kOutboxPeers = 8;

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
    thread_ = std::thread([this] {
      set_thread_name("tern-cluster-io");
      io_.run();
    });
    return {};
  }

  void send(NodeId to, PartitionId partition, const raft::Message& message) override {
    if (auto beat = plain_heartbeat(message, to)) {
      return enqueue(
          Outgoing{to, partition, {}, Outgoing::kHeartbeat, *beat, message.term, message.commit});
    }
    enqueue(Outgoing{to, partition, raft::encode_message(message), Outgoing::kRaft});
  }

  void send_command(NodeId to, const engine::Record& command) override {
    enqueue(Outgoing{to, command.partition_id, engine::encode_record(command), Outgoing::kCommand});
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

  std::map<NodeId, PairStats> pair_stats() const override {
    std::lock_guard lock(peers_mutex_);
    return pair_stats_;
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
      for (auto& dialer : dialers_)
        dialer->timer->cancel();
      for (auto& weak : connections_) {
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
    return {options_.self,
            options_.max_frame_bytes,
            options_.max_queued_messages,
            options_.max_messages_per_frame,
            options_.command_address,
            options_.heartbeat_coalesce_ms};
  }

  // A heartbeat (or response) that says nothing beyond what a HeartbeatBatch entry carries.
  std::optional<FrameConnection::Beat> plain_heartbeat(const raft::Message& message,
                                                       NodeId to) const {
    FrameConnection::Beat beat;
    if (message.type == raft::MessageType::kHeartbeat) {
      beat = FrameConnection::Beat::kHeartbeat;
    } else if (message.type == raft::MessageType::kHeartbeatResponse) {
      beat = FrameConnection::Beat::kResponse;
    } else {
      return std::nullopt;
    }
    raft::Message compact;
    compact.type = message.type;
    compact.from = options_.self;
    compact.to = to;
    compact.term = message.term;
    if (beat == FrameConnection::Beat::kHeartbeat) compact.commit = message.commit;
    if (!(message == compact)) return std::nullopt;
    return beat;
  }

  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept();
        return;
      }
      std::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto connection = std::make_shared<FrameConnection>(std::move(socket), connection_options(),
                                                          FrameConnection::Origin::kAccepted);
      FrameConnection::Handlers handlers = common_handlers(connection);
      handlers.close = [this, raw = connection.get()](NodeId peer, const std::string&) {
        on_closed(raw, peer);
      };
      handlers.hello = [this, weak = std::weak_ptr<FrameConnection>(connection)](
                           const FrameConnection::PeerHello& hello) {
        auto self = weak.lock();
        if (!self) return;
        if (hello.node == options_.self) return self->close();  // this broker dialed itself
        remember(hello);
        on_greeted(self, hello.node);
      };
      connection->start(std::move(handlers));
      std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
      connections_.push_back(connection);
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
    auto connection = std::make_shared<FrameConnection>(std::move(socket), connection_options(),
                                                        FrameConnection::Origin::kDialed);
    dialer.connection = connection;
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    connections_.push_back(connection);
    FrameConnection::Handlers handlers = common_handlers(connection);
    handlers.close = [this, &dialer, raw = connection.get()](NodeId peer,
                                                             const std::string& error) {
      const bool retired = raw->retired();
      on_closed(raw, peer);
      if (dialer.connection.get() != raw) return;
      dialer.connection.reset();
      if (retired) return;
      on_dial_failed(dialer, error);
    };
    handlers.hello = [this, &dialer,
                      raw = connection.get()](const FrameConnection::PeerHello& hello) {
      NodeId peer = hello.node;
      if (dialer.connection.get() != raw) return;
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
      remember(hello);
      on_greeted(dialer.connection, peer);
    };
    connection->start(std::move(handlers));
  }

  void on_dial_failed(Dialer& dialer, const std::string& error) {
    if (stopped_ || dialer.is_self || dialer.dormant) return;
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
      if (!ec && !dialer.dormant) dial(dialer);
    });
  }

  // A connection with `peer` is greeted: keep one per pair. The connection the lower node id
  // dialed wins (both ends decide alike, so neither flaps); between two of the same kind the newer
  // wins (the peer redialed: the older one is probably dead). The loser is retired, its unsent
  // messages and waiting requests move to the winner, and its dialer rests.
  void on_greeted(const std::shared_ptr<FrameConnection>& connection, NodeId peer) {
    counted_.insert(connection.get());
    {
      std::lock_guard lock(peers_mutex_);
      PairStats& stats = pair_stats_[peer];
      ++stats.open_connections;
      ++stats.opened_connections;
    }
    Link& link = links_[peer];
    if (!link.active || link.active->closed()) {
      link.active = connection;
      update_connected();
      return;
    }
    if (link.active == connection) return;
    if (lower_dialed(*connection, peer) || !lower_dialed(*link.active, peer)) {
      std::shared_ptr<FrameConnection> loser = std::exchange(link.active, connection);
      for (auto& [correlation, pending] : requests_) {
        if (pending.connection == loser.get()) pending.connection = connection.get();
      }
      retire(*loser, *connection);
    } else {
      retire(*connection, *link.active);
    }
    update_connected();
  }

  bool lower_dialed(const FrameConnection& connection, NodeId peer) const {
    const bool dialed_here = connection.origin() == FrameConnection::Origin::kDialed;
    return dialed_here == (options_.self < peer);
  }

  void retire(FrameConnection& loser, FrameConnection& winner) {
    spdlog::debug("cluster: broker {} and this broker keep one connection; retiring the one {}",
                  loser.peer() ? loser.peer()->value() : -1,
                  loser.origin() == FrameConnection::Origin::kDialed ? "this broker dialed"
                                                                     : "the peer dialed");
    for (auto& dialer : dialers_) {
      if (dialer->connection.get() != &loser) continue;
      dialer->connection.reset();
      dialer->dormant = true;
      dialer->timer->cancel();
    }
    loser.retire(winner);
  }

  // A connection closed. Retired ones only drained; losing the pair's connection fails the
  // requests waiting on it and wakes the resting dialers towards that peer.
  void on_closed(const FrameConnection* connection, NodeId peer) {
    if (counted_.erase(connection) > 0) {
      std::lock_guard lock(peers_mutex_);
      --pair_stats_[peer].open_connections;
    }
    if (connection->retired()) return;
    fail_requests_on(connection);
    auto it = links_.find(peer);
    if (it == links_.end() || it->second.active.get() != connection) return;
    links_.erase(it);
    update_connected();
    const bool dialed_here =
        std::any_of(dialers_.begin(), dialers_.end(),
                    [peer](const auto& dialer) { return dialer->peer == peer; });
    if (!dialed_here) {
      // No contact point of this broker leads there: the peer's own dialer reconnects (and logs).
      spdlog::info("cluster: the connection with broker {} closed; it reconnects when it can",
                   peer.value());
    }
    for (auto& dialer : dialers_) {
      if (!dialer->dormant || dialer->peer != peer) continue;
      dialer->dormant = false;
      dialer->backoff_ms = options_.reconnect_min_ms;
      dial(*dialer);
    }
  }

  // What every connection does with Raft messages, commands, requests and responses.
  FrameConnection::Handlers common_handlers(const std::shared_ptr<FrameConnection>& connection) {
    FrameConnection::Handlers handlers;
    handlers.written = [this, raw = connection.get()](std::size_t bytes) {
      if (!raw->peer()) return;
      std::lock_guard lock(peers_mutex_);
      PairStats& stats = pair_stats_[*raw->peer()];
      ++stats.frames_sent;
      stats.bytes_sent += bytes;
    };
    handlers.messages = [this](NodeId from, PartitionId partition,
                               std::vector<raft::Message> messages) {
      handler_(from, partition, std::move(messages));
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

  // Hands a request to its service; the answer goes back on the pair's connection (the one the
  // request came on, unless that one was retired meanwhile).
  void serve(const std::weak_ptr<FrameConnection>& weak, NodeId from, std::uint64_t correlation,
             const std::string& topic, std::string body) {
    std::shared_ptr<RequestHandler> service;
    {
      std::lock_guard lock(services_mutex_);
      if (auto it = services_.find(topic); it != services_.end()) service = it->second;
    }
    if (!service) {
      if (auto connection = answer_path(weak, from)) {
        connection->queue_response(
            correlation, {},
            "broker " + std::to_string(options_.self.value()) + " has no service '" + topic + "'");
      }
      return;
    }
    // Holds the io_context, not the transport: a late answer after shutdown is simply dropped.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    // The transport outlives the io_context's handlers (shutdown joins the IO thread before the
    // transport goes), so a posted answer may use `this`; after io_.stop() it is never run.
    Respond respond = [this, io = io_holder_, weak, from, correlation,
                       answered](std::string answer) {
      if (answered->exchange(true)) return;
      asio::post(*io, [this, weak, from, correlation, answer = std::move(answer)]() mutable {
        if (auto connection = answer_path(weak, from)) {
          connection->queue_response(correlation, answer, {});
        }
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

  // Hands `outgoing` to the IO thread. A sender's burst (a Ready's appends to every follower, a
  // heartbeat round) costs one post and one wake-up of the IO thread, not one per message, and
  // its messages towards one peer leave in one frame.
  void enqueue(Outgoing outgoing) {
    {
      std::lock_guard lock(outbox_mutex_);
      if (outbox_.size() >= options_.max_queued_messages * kOutboxPeers) {
        // Bounded like a connection's queue: the oldest goes (Raft retries, the subscription
        // protocol resends).
        outbox_.erase(outbox_.begin());
        ++outbox_dropped_;
      }
      outbox_.push_back(std::move(outgoing));
      if (outbox_posted_) return;
      outbox_posted_ = true;
    }
    asio::post(io_, [this] { drain_outbox(); });
  }

  // On the IO thread: every queued message to its peer's connection, in the order sent; each
  // connection writes once at the end, so the burst shares its frames.
  void drain_outbox() {
    std::vector<Outgoing> batch;
    {
      std::lock_guard lock(outbox_mutex_);
      batch.swap(outbox_);
      outbox_posted_ = false;
    }
    std::vector<std::shared_ptr<FrameConnection>> touched;
    for (auto& item : batch) {
      auto connection = connection_to(item.to);
      if (!connection) continue;  // not connected: dropped (see send())
      if (std::find(touched.begin(), touched.end(), connection) == touched.end()) {
        connection->hold_writes();
        touched.push_back(connection);
      }
      switch (item.kind) {
        case Outgoing::kHeartbeat:
          connection->queue_heartbeat(item.partition, item.beat, item.term, item.commit);
          break;
        case Outgoing::kRaft:
          connection->queue(item.partition, std::move(item.payload));
          break;
        case Outgoing::kCommand:
          connection->queue(item.partition, std::move(item.payload),
                            FrameConnection::Kind::kCommand);
          break;
      }
    }
    for (auto& connection : touched)
      connection->release_writes();
  }

  // The pair's connection with `peer`, if there is one.
  std::shared_ptr<FrameConnection> connection_to(NodeId peer) {
    auto it = links_.find(peer);
    if (it == links_.end() || it->second.active->closed()) return nullptr;
    return it->second.active;
  }

  std::shared_ptr<FrameConnection> answer_path(const std::weak_ptr<FrameConnection>& weak,
                                               NodeId peer) {
    auto connection = weak.lock();
    if (connection && !connection->retired() && !connection->closed()) return connection;
    return connection_to(peer);
  }

  void remember(const FrameConnection::PeerHello& hello) {
    if (hello.node == options_.self) return;
    std::lock_guard lock(peers_mutex_);
    peer_infos_[hello.node] = PeerInfo{hello.command_address, hello.version};
  }

  void update_connected() {
    std::lock_guard lock(peers_mutex_);
    connected_.clear();
    for (const auto& [peer, link] : links_)
      connected_.push_back(peer);  // the map is ordered: ascending
  }

  TransportOptions options_;
  Handler handler_;
  CommandHandler command_handler_;
  std::shared_ptr<asio::io_context> io_holder_;  // shared with the Respond callbacks
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<Dialer>> dialers_;
  std::vector<std::weak_ptr<FrameConnection>> connections_;  // every one, for shutdown
  std::map<NodeId, Link> links_;                             // IO thread only
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex peers_mutex_;
  std::vector<NodeId> connected_;                     // guarded by peers_mutex_
  std::map<NodeId, PeerInfo> peer_infos_;             // guarded by peers_mutex_
  std::map<NodeId, PairStats> pair_stats_;            // guarded by peers_mutex_
  std::set<const FrameConnection*> counted_;          // greeted, not closed; IO thread only
  std::map<std::uint64_t, PendingRequest> requests_;  // IO thread only
  std::uint64_t next_correlation_ = 0;                // IO thread only
  std::mutex services_mutex_;
  std::map<std::string, std::shared_ptr<RequestHandler>> services_;  // guarded by services_mutex_
  // What senders queued for the IO thread; one post drains it. Bounded at
  // max_queued_messages * kOutboxPeers.
  std::mutex outbox_mutex_;
  std::vector<Outgoing> outbox_;      // guarded by outbox_mutex_
  bool outbox_posted_ = false;        // guarded by outbox_mutex_: a drain is on its way
  std::uint64_t outbox_dropped_ = 0;  // guarded by outbox_mutex_
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
