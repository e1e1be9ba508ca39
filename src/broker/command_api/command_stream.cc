#include "broker/command_api/command_stream.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace tern::broker::command_api {

using gateway::link::FrameKind;
using gateway::link::FrameView;

namespace {

// A request and its answer live together until the command is done.
struct Call {
  tern::command::BrokerRequest request;
  tern::command::BrokerResponse response;
};

}  // namespace

CommandStreamSession::CommandStreamSession(std::shared_ptr<asio::io_context> io,
                                           asio::ip::tcp::socket socket,
                                           std::shared_ptr<CommandService> commands,
                                           std::string peer)
    : io_(std::move(io)),
      socket_(std::make_shared<gateway::link::FrameSocket>(std::move(socket))),
      commands_(std::move(commands)),
      peer_(std::move(peer)) {}

void CommandStreamSession::start(OnClosed on_closed) {
  on_closed_ = std::move(on_closed);
  spdlog::info("command port: gateway {} opened a command stream", peer_);
  // Weak: the socket's callbacks must not keep the session (and so the socket) alive.
  std::weak_ptr<CommandStreamSession> weak = weak_from_this();
  socket_->start(
      [weak](const FrameView& frame) {
        if (auto self = weak.lock()) self->on_frame(frame);
      },
      [weak](const std::string& why) {
        if (auto self = weak.lock()) self->on_socket_closed(why);
      });
}

void CommandStreamSession::close(const std::string& why) {
  socket_->close(why);
}

void CommandStreamSession::on_frame(const FrameView& frame) {
  switch (frame.kind) {
    case FrameKind::kRequest:
      on_request(frame.correlation, frame.payload);
      return;
    case FrameKind::kSubscribeJobs:
      subscribe_jobs();
      return;
    case FrameKind::kResponse:
    case FrameKind::kJobsAvailable:
      socket_->close("the gateway sent a frame of kind "
                     + std::to_string(static_cast<int>(frame.kind))
                     + ", which only a broker sends");
      return;
  }
  socket_->close("a command frame has the unknown kind "
                 + std::to_string(static_cast<int>(frame.kind)));
}

void CommandStreamSession::on_request(std::uint64_t correlation, std::string_view payload) {
  auto call = std::make_shared<Call>();
  if (!call->request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    socket_->close("the payload of request frame " + std::to_string(correlation) + " ("
                   + std::to_string(payload.size()) + " bytes) is not a BrokerRequest");
    return;
  }
  ++requests_;
  // `done` runs on the partition strand that finished the command (or here, for a request refused
  // at once) and writes the answer from that thread.
  commands_->execute(
      call->request, &call->response, [self = shared_from_this(), call, correlation] {
        self->socket_->send(
            gateway::link::encode_frame(FrameKind::kResponse, correlation, call->response));
      });
}

void CommandStreamSession::subscribe_jobs() {
  if (jobs_listener_ != 0) return;  // subscribed already: one wake-up per job is enough
  std::weak_ptr<CommandStreamSession> weak = weak_from_this();
  jobs_listener_ =
      commands_->add_jobs_listener([weak](PartitionId partition, const std::string& type) {
        auto self = weak.lock();
        if (!self) return;
        tern::command::JobAvailability wakeup;
        wakeup.set_partition_id(partition.value());
        wakeup.set_job_type(type);
        self->socket_->send(gateway::link::encode_frame(FrameKind::kJobsAvailable, 0, wakeup));
      });
  spdlog::debug("command port: gateway {} subscribed to job wake-ups", peer_);
}

void CommandStreamSession::on_socket_closed(const std::string& why) {
  if (jobs_listener_ != 0) {
    commands_->remove_jobs_listener(jobs_listener_);
    jobs_listener_ = 0;
  }
  spdlog::info("command port: the command stream of gateway {} closed after {} request(s): {}",
               peer_, requests_, why);
  if (auto on_closed = std::move(on_closed_)) on_closed(why);
}

}  // namespace tern::broker::command_api
