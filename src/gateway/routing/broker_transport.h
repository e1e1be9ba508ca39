#pragma once

namespace tern::gateway::routing {

// How the router reaches a broker that is not the one it is embedded in.
enum class BrokerTransport {
  // The command stream on the broker's command port (link/command_frames.h): one framed TCP
  // connection per broker, written straight from the thread that has the request or answer.
  kCommandStream,
  // gRPC (tern.command.BrokerCommands) on the same port, one channel per broker.
  kGrpc,
};

}  // namespace tern::gateway::routing
