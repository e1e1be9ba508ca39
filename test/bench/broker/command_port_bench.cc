// Prints the CPU time per command (user + system, the whole process: client and broker side
// together) of the command port's two protocols, in alternating rounds: gRPC
// (BrokerCommands.Execute, async client) and the command stream (FrameSocket), each keeping
// `window` requests in flight over loopback. The command is a job activation that finds no job,
// which the engine answers without a log entry, so the transport is most of what is measured.
//
// Usage: tern_command_port_bench [commands=20000] [rounds=3] [window=16]

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "broker/command_api/command_port.h"
#include "broker/command_api/command_service.h"
#include "command_api.grpc.pb.h"
#include "engine_partition_service.h"
#include "gateway/link/frame_socket.h"

namespace {

using tern::broker::command_api::CommandPort;
using tern::broker::command_api::CommandService;
using tern::gateway::link::FrameKind;

tern::command::BrokerRequest empty_activation() {
  tern::command::BrokerRequest request;
  request.set_partition_id(1);
  auto* activate = request.mutable_activate_jobs();
  activate->set_type("nothing-to-do");
  activate->set_worker("bench");
  activate->set_timeout(10'000);
  activate->set_maxjobstoactivate(1);
  return request;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Sends `commands` activations over gRPC, `window` in flight; returns when all are answered.
void run_grpc(std::uint16_t port, int commands, int window) {
  auto stub = tern::command::BrokerCommands::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  const tern::command::BrokerRequest request = empty_activation();
  grpc::CompletionQueue queue;
  struct Call {
    grpc::ClientContext context;
    tern::command::BrokerResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<tern::command::BrokerResponse>> reader;
  };
  int issued = 0;
  auto issue = [&] {
    auto* call = new Call;
    call->reader = stub->AsyncExecute(&call->context, request, &queue);
    call->reader->Finish(&call->response, &call->status, call);
    ++issued;
  };
  for (int i = 0; i < window && issued < commands; ++i)
    issue();
  int answered = 0;
  void* tag = nullptr;
  bool ok = false;
  while (answered < commands && queue.Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    if (!call->status.ok() || call->response.status() != tern::command::OK) {
      std::fprintf(stderr, "gRPC call failed: %s / %d\n", call->status.error_message().c_str(),
                   static_cast<int>(call->response.status()));
      std::exit(1);
    }
    delete call;
    ++answered;
    if (issued < commands) issue();
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

// The same over one command stream: each answer, read on the client's IO thread, sends the next.
void run_stream(std::uint16_t port, int commands, int window) {
  asio::io_context io;
  asio::ip::tcp::socket connected(io);
  connected.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(connected, asio::buffer(tern::gateway::link::kPreamble));
  auto socket = std::make_shared<tern::gateway::link::FrameSocket>(std::move(connected));
  const std::string frame =
      tern::gateway::link::encode_frame(FrameKind::kRequest, 0, empty_activation());
  int issued = 0;
  int answered = 0;
  std::string failure;
  auto issue = [&] {
    socket->send(frame);
    ++issued;
  };
  asio::post(io, [&] {
    socket->start(
        [&](const tern::gateway::link::FrameView& answer) {
          tern::command::BrokerResponse response;
          if (!response.ParseFromArray(answer.payload.data(),
                                       static_cast<int>(answer.payload.size()))
              || response.status() != tern::command::OK) {
            failure = "a bad answer";
            socket->close(failure);
            return;
          }
          if (++answered == commands) {
            socket->close("done");
            return;
          }
          if (issued < commands) issue();
        },
        [&](const std::string& why) {
          if (answered < commands && failure.empty()) failure = why;
        });
    for (int i = 0; i < window && issued < commands; ++i)
      issue();
  });
  io.run();
  if (!failure.empty()) {
    std::fprintf(stderr, "command stream failed: %s\n", failure.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int commands = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const int window = argc > 3 ? std::atoi(argv[3]) : 16;
  spdlog::set_level(spdlog::level::warn);

  auto partitions = std::make_shared<tern::gateway::testing::EnginePartitionService>(1);
  auto service = std::make_shared<CommandService>(partitions);
  grpc::ServerBuilder builder;
  builder.RegisterService(service.get());
  auto server = builder.BuildAndStart();
  auto port = CommandPort::start("127.0.0.1", 0, *server, service);
  if (!port) {
    std::fprintf(stderr, "%s\n", port.error().c_str());
    return 1;
  }

  // Warm up both paths (connections, allocator, engine state).
  run_grpc((*port)->port(), 2000, window);
  run_stream((*port)->port(), 2000, window);

  std::printf("%d commands per round, %d in flight; CPU = the whole process (client + broker)\n",
              commands, window);
  for (int round = 1; round <= rounds; ++round) {
    for (const bool stream : {false, true}) {
      const double cpu_before = cpu_seconds();
      const auto wall_before = std::chrono::steady_clock::now();
      if (stream) {
        run_stream((*port)->port(), commands, window);
      } else {
        run_grpc((*port)->port(), commands, window);
      }
      const double cpu = cpu_seconds() - cpu_before;
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
      std::printf("round %d %-14s %8.1f us CPU/command %9.0f commands/s\n", round,
                  stream ? "command stream" : "gRPC", 1e6 * cpu / commands, commands / wall);
    }
  }
  (*port)->shutdown();
  service->shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}
