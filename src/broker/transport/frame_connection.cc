#include "broker/transport/frame_connection.h"

#include <spdlog/spdlog.h>

#include "cluster.pb.h"
#include "common/version.h"
#include "engine/records/record_codec.h"
#include "raft/codec.h"

namespace tern::broker {
namespace {

constexpr std::uint32_t kProtocolVersion = 1;

std::string framed(const cluster::Frame& frame) {
  std::string body = frame.SerializeAsString();
  std::string out(4, '\0');
  auto size = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  return out + body;
}

}  // namespace

FrameConnection::FrameConnection(asio::ip::tcp::socket socket, Options options)
    : socket_(std::move(socket)), options_(options) {}

void FrameConnection::start(OnMessage on_message, OnCommand on_command, OnClose on_close,
                            OnHello on_hello) {
  on_message_ = std::move(on_message);
  on_command_ = std::move(on_command);
  on_close_ = std::move(on_close);
  on_hello_ = std::move(on_hello);
  cluster::Frame hello;
  hello.mutable_hello()->set_node_id(options_.self.value());
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_command_address(options_.command_address);
  hello.mutable_hello()->set_version(std::string(kVersion));
  hello_ = framed(hello);
  write_more();
  read_header();
}

void FrameConnection::queue(PartitionId partition, std::string payload, Kind kind) {
  if (closed_) return;
  if (queue_.size() >= options_.max_queued_messages) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(Outgoing{partition, std::move(payload), kind});
  write_more();
}

void FrameConnection::close(const std::string& error) {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  if (!error.empty()) {
    spdlog::warn("cluster: closing connection{}: {}",
                 peer_ ? " with broker " + std::to_string(peer_->value()) : std::string(), error);
  }
  if (on_close_) on_close_(peer_.value_or(NodeId(-1)), error);
}

void FrameConnection::read_header() {
  asio::async_read(
      socket_, asio::buffer(header_), [self = shared_from_this()](std::error_code ec, std::size_t) {
        if (ec) return self->close(ec == asio::error::eof ? "" : ec.message());
        std::uint32_t size = 0;
        for (unsigned char byte : self->header_)
          size = (size << 8) | byte;
        if (size == 0 || size > self->options_.max_frame_bytes) {
          return self->close("frame of " + std::to_string(size) + " bytes is outside 1.."
                             + std::to_string(self->options_.max_frame_bytes));
        }
        self->read_body(size);
      });
}

void FrameConnection::read_body(std::size_t size) {
  body_.resize(size);
  asio::async_read(socket_, asio::buffer(body_),
                   [self = shared_from_this()](std::error_code ec, std::size_t) {
                     if (ec) return self->close(ec.message());
                     self->handle_frame();
                     if (!self->closed_) self->read_header();
                   });
}

void FrameConnection::handle_frame() {
  cluster::Frame frame;
  if (!frame.ParseFromString(body_)) return close("unparsable frame");
  if (!peer_) {
    if (!frame.has_hello()) return close("the first frame carries no hello");
    if (frame.hello().protocol_version() != kProtocolVersion) {
      return close("unsupported protocol version "
                   + std::to_string(frame.hello().protocol_version()));
    }
    peer_ = NodeId(frame.hello().node_id());
    if (on_hello_)
      on_hello_(PeerHello{*peer_, frame.hello().command_address(), frame.hello().version()});
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
      if (on_command_) on_command_(*peer_, PartitionId(item.partition_id()), std::move(*command));
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
    on_message_(*peer_, PartitionId(item.partition_id()), std::move(*message));
    if (closed_) return;
  }
}

void FrameConnection::write_more() {
  if (closed_ || write_in_flight_) return;
  if (!hello_.empty()) {
    writing_ = std::move(hello_);
    hello_.clear();
  } else {
    if (queue_.empty()) return;
    cluster::Frame frame;
    std::size_t bytes = 0;
    while (!queue_.empty()
           && static_cast<std::size_t>(frame.messages_size()) < options_.max_messages_per_frame) {
      auto& next = queue_.front();
      if (frame.messages_size() > 0 && bytes + next.payload.size() + 16 > options_.max_frame_bytes)
        break;
      bytes += next.payload.size() + 16;
      auto* item = frame.add_messages();
      item->set_partition_id(next.partition.value());
      if (next.kind == Kind::kCommand) {
        item->set_command(std::move(next.payload));
      } else {
        item->set_payload(std::move(next.payload));
      }
      queue_.pop_front();
    }
    writing_ = framed(frame);
  }
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      self->write_in_flight_ = false;
                      if (ec) return self->close(ec.message());
                      self->write_more();
                    });
}

}  // namespace tern::broker
