#include "broker/transport/frame_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "cluster.pb.h"
#include "common/version.h"
#include "engine/records/record_codec.h"
#include "raft/codec.h"

namespace tern::broker {
namespace {

constexpr std::uint32_t kProtocolVersion = 1;
// The read buffer's usual size (a burst of frames usually fits) and the least room a read gets.
constexpr std::size_t kReadChunkBytes = 64 * 1024;
constexpr std::size_t kMinReadRoomBytes = 16 * 1024;

std::size_t frame_length(const char* header) {
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i)
    size = (size << 8) | static_cast<unsigned char>(header[i]);
  return size;
}

// The frame serialized right behind its length prefix (no second copy of the body).
std::string framed(const cluster::Frame& frame) {
  const std::size_t size = frame.ByteSizeLong();
  std::string out(4 + size, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + 4));
  return out;
}

}  // namespace

FrameConnection::FrameConnection(asio::ip::tcp::socket socket, Options options, Origin origin)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      origin_(origin),
      heartbeat_timer_(socket_.get_executor()) {}

void FrameConnection::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  cluster::Frame hello;
  hello.mutable_hello()->set_node_id(options_.self.value());
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_command_address(options_.command_address);
  hello.mutable_hello()->set_version(std::string(kVersion));
  hello_ = framed(hello);
  write_more();
  read_more();
}

void FrameConnection::queue(PartitionId partition, std::string payload, Kind kind) {
  push(Outgoing{partition, std::move(payload), kind});
}

void FrameConnection::queue_heartbeat(PartitionId partition, Beat beat, raft::Term term,
                                      raft::LogIndex commit) {
  if (closed_) return;
  if (retiring_) {
    ++dropped_;
    return;
  }
  if (beat == Beat::kHeartbeat) {
    heartbeats_[partition.value()] = {term, commit};
  } else {
    heartbeat_responses_[partition.value()] = term;
  }
  if (options_.heartbeat_coalesce_ms <= 0) heartbeats_due_ = true;
  write_more();
}

void FrameConnection::arm_heartbeat_timer() {
  if (heartbeat_timer_armed_) return;
  heartbeat_timer_armed_ = true;
  heartbeat_timer_.expires_after(std::chrono::milliseconds(options_.heartbeat_coalesce_ms));
  heartbeat_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    self->heartbeat_timer_armed_ = false;
    if (ec || self->closed_) return;
    if (self->heartbeats_.empty() && self->heartbeat_responses_.empty()) return;  // went along
    self->heartbeats_due_ = true;
    self->write_more();
  });
}

void FrameConnection::queue_request(std::uint64_t correlation, std::string topic,
                                    std::string body) {
  push(Outgoing{PartitionId(0), std::move(body), Kind::kRequest, correlation, std::move(topic)});
}

void FrameConnection::queue_response(std::uint64_t correlation, std::string body,
                                     std::string error) {
  push(Outgoing{PartitionId(0), std::move(body), Kind::kResponse, correlation, std::move(error)});
}

void FrameConnection::push(Outgoing outgoing) {
  if (closed_) return;
  if (retiring_) {  // the transport sends on the successor; a late item has nowhere to go
    ++dropped_;
    return;
  }
  if (queue_.size() >= options_.max_queued_messages) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(std::move(outgoing));
  write_more();
}

void FrameConnection::close(const std::string& error) {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  heartbeat_timer_.cancel();
  queue_.clear();
  heartbeats_.clear();
  heartbeat_responses_.clear();
  if (!error.empty()) {
    spdlog::warn("cluster: closing connection{}: {}",
                 peer_ ? " with broker " + std::to_string(peer_->value()) : std::string(), error);
  }
  if (handlers_.close) handlers_.close(peer_.value_or(NodeId(-1)), error);
}

void FrameConnection::retire(FrameConnection& successor) {
  if (retiring_ || closed_) return;
  for (auto& outgoing : queue_)
    successor.push(std::move(outgoing));
  queue_.clear();
  for (const auto& [partition, beat] : heartbeats_) {
    successor.queue_heartbeat(PartitionId(partition), Beat::kHeartbeat, beat.first, beat.second);
  }
  for (const auto& [partition, term] : heartbeat_responses_)
    successor.queue_heartbeat(PartitionId(partition), Beat::kResponse, term, raft::LogIndex(0));
  heartbeats_.clear();
  heartbeat_responses_.clear();
  retiring_ = true;
  write_more();
}

void FrameConnection::on_end_of_stream() {
  if (!peer_said_goodbye_) return close();  // the peer went away: a lost connection
  peer_finished_ = true;
  // Both halves done: close. Otherwise keep writing until this side retires too.
  if (goodbye_written_ && !write_in_flight_) close();
}

void FrameConnection::read_more() {
  // A partial frame left over moves to the front; the buffer has room for the whole of it (its
  // length is known once its header is in, and was checked) and for a read's worth more.
  if (read_begin_ > 0) {
    std::memmove(in_.data(), in_.data() + read_begin_, read_end_ - read_begin_);
    read_end_ -= read_begin_;
    read_begin_ = 0;
  }
  std::size_t want = read_end_ + kMinReadRoomBytes;
  if (read_end_ >= 4) want = std::max(want, 4 + frame_length(in_.data()));
  if (in_.size() < want) in_.resize(std::max(want, kReadChunkBytes));
  socket_.async_read_some(
      asio::buffer(in_.data() + read_end_, in_.size() - read_end_),
      [self = shared_from_this()](std::error_code ec, std::size_t bytes) {
        if (ec == asio::error::eof) {
          if (self->read_end_ != self->read_begin_) {
            return self->close("end of stream inside a frame");
          }
          return self->on_end_of_stream();
        }
        if (ec) return self->close(self->closed_ ? "" : ec.message());
        self->read_end_ += bytes;
        if (!self->handle_buffered()) return;
        // A large buffer grown for one big frame is given back once it is consumed.
        if (self->read_begin_ == self->read_end_ && self->in_.size() > 4 * kReadChunkBytes) {
          std::vector<char>().swap(self->in_);
          self->read_begin_ = self->read_end_ = 0;
        }
        self->read_more();
      });
}

bool FrameConnection::handle_buffered() {
  while (!closed_ && read_end_ - read_begin_ >= 4) {
    const std::size_t size = frame_length(in_.data() + read_begin_);
    if (size == 0 || size > options_.max_frame_bytes) {
      close("frame of " + std::to_string(size) + " bytes is outside 1.."
            + std::to_string(options_.max_frame_bytes));
      return false;
    }
    if (read_end_ - read_begin_ < 4 + size) break;  // the rest of the frame is still coming
    const char* body = in_.data() + read_begin_ + 4;
    read_begin_ += 4 + size;
    handle_frame(body, size);
  }
  if (read_begin_ == read_end_) read_begin_ = read_end_ = 0;
  return !closed_;
}

void FrameConnection::handle_frame(const char* data, std::size_t size) {
  inbound_.clear();  // what a frame that closed the connection left
  cluster::Frame frame;
  if (!frame.ParseFromArray(data, static_cast<int>(size))) return close("unparsable frame");
  if (!peer_) {
    if (!frame.has_hello()) return close("the first frame carries no hello");
    if (frame.hello().protocol_version() != kProtocolVersion) {
      return close("unsupported protocol version "
                   + std::to_string(frame.hello().protocol_version()));
    }
    peer_ = NodeId(frame.hello().node_id());
    if (handlers_.hello) {
      handlers_.hello(PeerHello{*peer_, frame.hello().command_address(), frame.hello().version()});
    }
    if (closed_) return;
  } else if (frame.has_hello()) {
    return close("a second hello");
  }
  if (peer_said_goodbye_ && frame.ByteSizeLong() > 0) return close("a frame after the goodbye");
  if (frame.goodbye()) peer_said_goodbye_ = true;
  for (auto& request : *frame.mutable_requests()) {
    if (handlers_.request) {
      handlers_.request(*peer_, request.correlation_id(), std::move(*request.mutable_topic()),
                        std::move(*request.mutable_body()));
    } else {
      queue_response(request.correlation_id(), {},
                     "broker " + std::to_string(options_.self.value()) + " serves no requests");
    }
    if (closed_) return;
  }
  for (auto& response : *frame.mutable_responses()) {
    if (handlers_.response) {
      handlers_.response(*peer_, response.correlation_id(), std::move(*response.mutable_body()),
                         std::move(*response.mutable_error()));
    }
    if (closed_) return;
  }
  for (const auto& item : frame.messages()) {
    if (!item.command().empty()) {
      if (!item.payload().empty()) return close("a partition message carries both kinds");
      auto command = engine::decode_record(item.command());
      if (!command) return close("bad subscription command: " + command.error().message);
      if (!command->is_command() || command->partition_id.value() != item.partition_id()) {
        return close("subscription command for partition "
                     + std::to_string(command->partition_id.value()) + " is not a command of "
                     + "partition " + std::to_string(item.partition_id()));
      }
      if (handlers_.command) {
        handlers_.command(*peer_, PartitionId(item.partition_id()), std::move(*command));
      }
      if (closed_) return;
      continue;
    }
    auto message = raft::decode_message(item.payload());
    if (!message) return close("bad Raft message: " + message.error().message);
    if (message->from != *peer_ || message->to != options_.self) {
      return close("message from " + std::to_string(message->from.value()) + " to "
                   + std::to_string(message->to.value()) + " on the connection of broker "
                   + std::to_string(peer_->value()));
    }
    collect(PartitionId(item.partition_id()), std::move(*message));
  }
  if (frame.has_heartbeats()) collect_heartbeats(frame.heartbeats(), raft::MessageType::kHeartbeat);
  if (closed_) return;
  if (frame.has_heartbeat_responses()) {
    collect_heartbeats(frame.heartbeat_responses(), raft::MessageType::kHeartbeatResponse);
  }
  if (closed_) return;
  auto inbound = std::move(inbound_);
  inbound_.clear();
  for (auto& [partition, messages] : inbound) {
    handlers_.messages(*peer_, partition, std::move(messages));
    if (closed_) return;
  }
}

void FrameConnection::collect(PartitionId partition, raft::Message message) {
  auto it = std::find_if(inbound_.begin(), inbound_.end(),
                         [partition](const auto& batch) { return batch.first == partition; });
  if (it == inbound_.end()) {
    inbound_.emplace_back(partition, std::vector<raft::Message>{});
    it = std::prev(inbound_.end());
  }
  it->second.push_back(std::move(message));
}

// Each entry becomes the Raft message it abbreviates, handed over exactly as a full one would be.
void FrameConnection::collect_heartbeats(const cluster::HeartbeatBatch& batch,
                                         raft::MessageType type) {
  const bool responses = type == raft::MessageType::kHeartbeatResponse;
  const auto count = static_cast<std::size_t>(batch.partition_ids_size());
  if (static_cast<std::size_t>(batch.terms_size()) != count
      || static_cast<std::size_t>(batch.commits_size()) != (responses ? 0 : count)) {
    return close(std::string("malformed heartbeat") + (responses ? " response" : "") + " batch: "
                 + std::to_string(count) + " partitions, " + std::to_string(batch.terms_size())
                 + " terms, " + std::to_string(batch.commits_size()) + " commits");
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto index = static_cast<int>(i);
    if (batch.partition_ids(index) < 0) {
      return close("heartbeat for partition " + std::to_string(batch.partition_ids(index)));
    }
    raft::Message message;
    message.type = type;
    message.from = *peer_;
    message.to = options_.self;
    message.term = raft::Term(batch.terms(index));
    if (!responses) message.commit = raft::LogIndex(batch.commits(index));
    collect(PartitionId(batch.partition_ids(index)), std::move(message));
  }
}

// Every waiting heartbeat goes along with whatever frame is written.
void FrameConnection::take_heartbeats(cluster::Frame& frame) {
  for (const auto& [partition, beat] : heartbeats_) {
    auto* batch = frame.mutable_heartbeats();
    batch->add_partition_ids(partition);
    batch->add_terms(beat.first.value());
    batch->add_commits(beat.second.value());
  }
  for (const auto& [partition, term] : heartbeat_responses_) {
    auto* batch = frame.mutable_heartbeat_responses();
    batch->add_partition_ids(partition);
    batch->add_terms(term.value());
  }
  heartbeats_.clear();
  heartbeat_responses_.clear();
  heartbeats_due_ = false;
}

void FrameConnection::release_writes() {
  writes_held_ = false;
  write_more();
}

void FrameConnection::write_more() {
  if (closed_ || write_in_flight_ || writes_held_) return;
  hello_sent_ = hello_.empty();
  const bool heartbeats_waiting = !heartbeats_.empty() || !heartbeat_responses_.empty();
  if (!hello_.empty()) {
    writing_ = std::move(hello_);
    hello_.clear();
  } else if (queue_.empty() && !(heartbeats_waiting && heartbeats_due_)) {
    if (heartbeats_waiting) return arm_heartbeat_timer();
    if (!retiring_ || goodbye_written_) return;
    cluster::Frame goodbye;
    goodbye.set_goodbye(true);
    writing_ = framed(goodbye);
    goodbye_written_ = true;
  } else {
    cluster::Frame frame;
    // Room for the heartbeats that go along (a generous bound per entry).
    std::size_t bytes = (heartbeats_.size() + heartbeat_responses_.size()) * 32;
    std::size_t items = 0;
    while (!queue_.empty() && items < options_.max_messages_per_frame) {
      auto& next = queue_.front();
      const std::size_t size = next.payload.size() + next.topic.size() + 16;
      if (items > 0 && bytes + size > options_.max_frame_bytes) break;
      bytes += size;
      ++items;
      switch (next.kind) {
        case Kind::kRequest: {
          auto* request = frame.add_requests();
          request->set_correlation_id(next.correlation);
          request->set_topic(std::move(next.topic));
          request->set_body(std::move(next.payload));
          break;
        }
        case Kind::kResponse: {
          auto* response = frame.add_responses();
          response->set_correlation_id(next.correlation);
          response->set_body(std::move(next.payload));
          response->set_error(std::move(next.topic));
          break;
        }
        case Kind::kCommand:
        case Kind::kRaft: {
          auto* item = frame.add_messages();
          item->set_partition_id(next.partition.value());
          if (next.kind == Kind::kCommand) {
            item->set_command(std::move(next.payload));
          } else {
            item->set_payload(std::move(next.payload));
          }
          break;
        }
      }
      queue_.pop_front();
    }
    take_heartbeats(frame);
    writing_ = framed(frame);
  }
  write_in_flight_ = true;
  asio::async_write(
      socket_, asio::buffer(writing_),
      [self = shared_from_this(), hello = !hello_sent_](std::error_code ec, std::size_t bytes) {
        self->write_in_flight_ = false;
        if (ec) return self->close(self->retiring_ ? "" : ec.message());
        if (!hello && self->handlers_.written) self->handlers_.written(bytes);
        if (self->goodbye_written_) {
          // The last frame: stop sending; the peer's end of stream closes it.
          std::error_code ignored;
          self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
          if (self->peer_finished_) self->close();
          return;
        }
        self->write_more();
      });
}

}  // namespace tern::broker
