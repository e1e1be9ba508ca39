#pragma once

// ClusterTransport: carries every partition's Raft messages between brokers over TCP on the
// cluster port.
//
// One connection per pair of brokers carries both directions. Each broker dials every contact
// point and accepts what its peers dial; both sides open with a Hello naming their node id. When
// a pair ends up with two connections (both dialed), the one the lower node id dialed is kept by
// both ends; the other is retired without losing what was queued or in flight on it (goodbye,
// then half-close; frame_connection.h), and the dialer that opened it rests until the pair has no
// connection again, so the pair does not flap. A peer known only from its own dialing is reached
// on the connection it opened. A connection's writer drains its whole queue into one Frame
// (cluster.proto), so the messages of all partitions towards one broker travel together.
//
// Heartbeats: a plain Raft heartbeat or heartbeat response (nothing but partition, term and,
// for a heartbeat, commit) does not travel as a full message: it becomes one entry of the frame's
// HeartbeatBatch, waits up to `heartbeat_coalesce_ms` for the other partitions' (replicas tick on
// a shared clock, so a broker's leaders heartbeat together), and the receiver rebuilds the very
// message and hands it to the handler as before.
//
// Every frame is a 4-byte big-endian length and a serialized Frame. A length of 0 or above
// `max_frame_bytes`, an unparsable Frame, a bad Raft payload, or a message claiming another sender
// closes that connection (logged once); the broker carries on and the dialers reconnect.
// Outgoing queues are bounded (`max_queued_messages` per peer; the oldest is dropped, which Raft
// tolerates as message loss). A peer that cannot be reached is logged once when it becomes
// unreachable and once when it is back; redials back off exponentially up to
// `reconnect_max_ms`.
//
// Requests: request() sends a ClusterRequest for a topic (a named service) to one peer, on the
// pair's connection, and calls back exactly once: with the peer's response, or with
// an error when the peer is not connected, has no service for the topic, the connection closes
// before the answer, or `timeout` passes. A request may still have reached the peer when it
// failed (a timeout or a closed connection): the caller decides whether retrying is safe.
// set_request_handler() installs the service for a topic (any time, any thread); its handler
// runs on the IO thread, must not block, and answers through the Respond it gets, from any
// thread, at most once (an unanswered request times out at the requester).
//
// Threads: one IO thread owned by the transport runs all sockets; send() may be called from any
// thread (it posts). The handlers run on the IO thread and must not block.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"
#include "engine/records/record.h"
#include "raft/core/messages.h"

namespace tern::broker {

struct TransportOptions {
  NodeId self;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                   // 0: any free port (tests)
  std::vector<std::string> contact_points;  // "host:port" of the other brokers' cluster ports
  std::size_t max_frame_bytes = 16u << 20;
  std::size_t max_queued_messages = 4096;  // per peer
  std::size_t max_messages_per_frame = 512;
  // A plain heartbeat (or heartbeat response) waits this long for the other partitions' before
  // its frame goes out, unless another frame leaves first; see the class comment.
  int heartbeat_coalesce_ms = 10;
  int reconnect_min_ms = 50;
  int reconnect_max_ms = 2000;
  std::string command_address;  // "host:port" of this broker's command API, told to peers
};

// A connected peer as its hello describes it.
struct PeerInfo {
  std::string command_address;  // empty when the peer did not say
  std::string version;
};

// What the transport did with one peer, for tests, metrics and benchmarks.
struct PairStats {
  std::size_t open_connections = 0;      // greeted and not closed (a retiring one until it closes)
  std::uint64_t opened_connections = 0;  // greeted since start
  std::uint64_t frames_sent = 0;         // after the hello, on every connection with the peer
  std::uint64_t bytes_sent = 0;          // of those frames, length prefixes included
};

enum class RequestErrc {
  kNotConnected,  // no connection with the peer: the request was not sent
  kNoService,     // the peer has no handler for the topic: it did nothing
  kLost,          // the connection closed before the answer: the peer may have acted on it
  kTimeout,       // no answer in time: the peer may have acted on it
  kShutdown,      // this transport is shutting down
};

struct RequestError {
  RequestErrc code = RequestErrc::kNotConnected;
  std::string message;
};

std::string_view to_string(RequestErrc code);

class ClusterTransport {
 public:
  // The Raft messages of one partition that arrived in one frame, in the order sent.
  using Handler =
      std::function<void(NodeId from, PartitionId partition, std::vector<raft::Message> messages)>;
  using CommandHandler =
      std::function<void(NodeId from, PartitionId partition, engine::Record command)>;

  // Binds the port and starts dialing. The handler receives every well-formed Raft message (a
  // frame's messages of one partition in one call, so the receiver can hand them over at once),
  // the command handler every well-formed subscription command.
  static Result<std::unique_ptr<ClusterTransport>, std::string> start(
      TransportOptions options, Handler handler, CommandHandler command_handler = {});
  virtual ~ClusterTransport() = default;

  // Queues `message` for node `to`; dropped when that peer is not connected (Raft retries).
  virtual void send(NodeId to, PartitionId partition, const raft::Message& message) = 0;
  // Queues a command of the engine's message subscription protocol for node `to`'s replica of
  // `command.partition_id` (appended there if it leads); dropped like a Raft message when the
  // peer is not connected (the engine's sender retries until the protocol acknowledges it).
  virtual void send_command(NodeId to, const engine::Record& command) = 0;
  using ResponseCallback = std::function<void(Result<std::string, RequestError>)>;
  using Respond = std::function<void(std::string body)>;
  using RequestHandler = std::function<void(NodeId from, std::string body, Respond respond)>;

  // Sends `body` to the service `topic` of broker `to`; see the class comment. `done` runs on
  // the IO thread and must not block.
  virtual void request(NodeId to, std::string topic, std::string body,
                       std::chrono::milliseconds timeout, ResponseCallback done) = 0;
  // Installs (or, with an empty handler, removes) the service for `topic`.
  virtual void set_request_handler(const std::string& topic, RequestHandler handler) = 0;

  virtual std::uint16_t port() const = 0;
  // Peers with an established connection (either side dialed; hellos exchanged), ascending.
  virtual std::vector<NodeId> connected_peers() const = 0;
  // Connections and traffic per peer (every peer ever greeted), ascending.
  virtual std::map<NodeId, PairStats> pair_stats() const = 0;
  // What each peer said in its latest hello (kept after a disconnect: addresses rarely change).
  virtual std::map<NodeId, PeerInfo> peer_infos() const = 0;
  // Closes every connection and joins the IO thread; idempotent.
  virtual void shutdown() = 0;
};

}  // namespace tern::broker
