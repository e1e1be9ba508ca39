#pragma once

// FrameConnection: one TCP connection of the cluster transport, speaking length-prefixed
// cluster.proto Frames. It sends its Hello first, expects the peer's Hello as the first frame,
// then delivers every partition message, request and response it reads and writes what is
// queued, draining the queue into one frame per write. Any malformed input closes it (see
// cluster_transport.h).
//
// Retiring (when the transport keeps another connection with the same peer): the unsent queue
// moves to the successor, a last frame says `goodbye`, then this side shuts its sending half. It
// keeps reading — the peer may still be writing until it retires the connection too — and closes
// once the peer's goodbye and end of stream arrived. A peer's goodbye alone does not stop this
// side from writing: the peer reads until this side retires as well. End of stream without a
// goodbye is a lost connection.
//
// Thread: the transport's IO thread only. Kept alive by its own pending operations
// (shared_from_this); close() is idempotent and reports once through on_close.

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/strong_id.h"
#include "engine/records/record.h"
#include "raft/core/messages.h"

namespace tern::cluster {
class Frame;
class HeartbeatBatch;
}  // namespace tern::cluster

namespace tern::broker {

class FrameConnection : public std::enable_shared_from_this<FrameConnection> {
 public:
  struct Options {
    NodeId self;
    std::size_t max_frame_bytes;
    std::size_t max_queued_messages;
    std::size_t max_messages_per_frame;
    std::string command_address;     // announced in this side's hello
    int heartbeat_coalesce_ms = 10;  // how long a heartbeat waits for others (0: not at all)
  };
  // What a peer announces about itself in its hello.
  struct PeerHello {
    NodeId node;
    std::string command_address;
    std::string version;
  };
  // The Raft messages of one partition in one frame (heartbeats last), in the order sent.
  using OnMessages = std::function<void(NodeId, PartitionId, std::vector<raft::Message>)>;
  using OnCommand = std::function<void(NodeId, PartitionId, engine::Record)>;
  using OnClose = std::function<void(NodeId peer, const std::string& error)>;
  using OnHello = std::function<void(const PeerHello& peer)>;
  using OnRequest = std::function<void(NodeId from, std::uint64_t correlation, std::string topic,
                                       std::string body)>;
  using OnResponse = std::function<void(NodeId from, std::uint64_t correlation, std::string body,
                                        std::string error)>;
  using OnWritten = std::function<void(std::size_t bytes)>;
  struct Handlers {
    OnWritten written;  // after each frame following the hello went out; may be empty
    OnMessages messages;
    OnCommand command;
    OnClose close;
    OnHello hello;
    OnRequest request;    // may be empty: requests are then answered "no service"
    OnResponse response;  // may be empty: responses are then dropped
  };

  // Which side opened the TCP connection (decides which of two connections a pair keeps).
  enum class Origin { kDialed, kAccepted };

  FrameConnection(asio::ip::tcp::socket socket, Options options, Origin origin);

  void start(Handlers handlers);
  // Queues one encoded Raft message (or, with `kind` kCommand, one encoded subscription command
  // record); the oldest is dropped past the bound.
  enum class Kind { kRaft, kCommand, kRequest, kResponse };
  void queue(PartitionId partition, std::string payload, Kind kind = Kind::kRaft);
  // Queues a plain Raft heartbeat (commit set) or heartbeat response (no commit) of `partition`
  // from this broker to the peer, sent as a compact entry of the frame's HeartbeatBatch. It waits
  // up to `heartbeat_coalesce_ms` for other partitions' heartbeats unless another frame goes out
  // first; a newer one of the same partition replaces one still waiting.
  enum class Beat { kHeartbeat, kResponse };
  void queue_heartbeat(PartitionId partition, Beat beat, raft::Term term, raft::LogIndex commit);
  // Queues a request (answered on this connection) or the response to one; bounded like the rest.
  void queue_request(std::uint64_t correlation, std::string topic, std::string body);
  void queue_response(std::uint64_t correlation, std::string body, std::string error);
  // Between hold_writes() and release_writes() queued items only gather (a sender's burst then
  // leaves in one frame); release_writes() starts the write. Not nested.
  void hold_writes() { writes_held_ = true; }
  void release_writes();
  void close(const std::string& error = {});
  // Moves every unsent item to `successor` (in order), says goodbye and stops sending; see the
  // file comment. Anything queued here afterwards is dropped. Idempotent.
  void retire(FrameConnection& successor);
  // The peer's id once its hello arrived.
  std::optional<NodeId> peer() const { return peer_; }
  Origin origin() const { return origin_; }
  bool closed() const { return closed_; }
  bool retired() const { return retiring_; }

  std::uint64_t dropped_messages() const { return dropped_; }

 private:
  void read_more();
  // Handles every complete frame in the read buffer; false once the connection closed.
  bool handle_buffered();
  void handle_frame(const char* data, std::size_t size);
  void write_more();
  void arm_heartbeat_timer();
  void take_heartbeats(cluster::Frame& frame);
  void collect_heartbeats(const cluster::HeartbeatBatch& batch, raft::MessageType type);
  void collect(PartitionId partition, raft::Message message);
  void on_end_of_stream();

  asio::ip::tcp::socket socket_;
  Options options_;
  Origin origin_;
  struct Outgoing {
    PartitionId partition;
    std::string payload;  // the Raft message, command record, request body or response body
    Kind kind;
    std::uint64_t correlation = 0;  // kRequest, kResponse
    std::string topic;              // kRequest: the service; kResponse: the error, if any
  };
  void push(Outgoing outgoing);

  Handlers handlers_;
  std::optional<NodeId> peer_;
  // What the socket delivered and no frame consumed yet: [read_begin_, read_end_) of in_. One
  // read takes whatever the socket holds (many frames, or part of one), so a burst costs one
  // receive rather than two per frame.
  std::vector<char> in_;
  // The frame being handled, its Raft messages per partition: delivered together once the whole
  // frame checked out, so a partition's strand gets one hand-over per frame.
  std::vector<std::pair<PartitionId, std::vector<raft::Message>>> inbound_;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;
  std::deque<Outgoing> queue_;
  // Heartbeats waiting to go: partition -> (term, commit); responses: partition -> term. One per
  // partition, so bounded by the partitions of the pair.
  std::map<std::int32_t, std::pair<raft::Term, raft::LogIndex>> heartbeats_;
  std::map<std::int32_t, raft::Term> heartbeat_responses_;
  asio::steady_timer heartbeat_timer_;
  bool heartbeat_timer_armed_ = false;
  bool heartbeats_due_ = false;
  std::string hello_;  // this side's hello, written before anything else
  std::string writing_;
  bool write_in_flight_ = false;
  bool writes_held_ = false;
  bool hello_sent_ = false;  // the write in flight (or the last one) is not the hello
  bool closed_ = false;
  bool retiring_ = false;         // this side retired the connection
  bool goodbye_written_ = false;  // ... and its goodbye frame went out
  bool peer_said_goodbye_ = false;
  bool peer_finished_ = false;  // end of stream after the peer's goodbye
  std::uint64_t dropped_ = 0;
};

}  // namespace tern::broker
