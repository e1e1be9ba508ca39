#pragma once

// The command stream: how a gateway reaches a broker's command port without gRPC. The gateway
// opens a TCP connection to the command port and writes kPreamble; the broker tells this stream
// from gRPC by those first bytes (gRPC opens with HTTP/2's "PRI * HTTP/2.0" preface) and serves
// both on the one port. After the preamble both sides write frames:
//
//   u32 length (big-endian; the bytes that follow it) | u8 kind | u64 correlation (big-endian) |
//   payload (length - 9 bytes, a protobuf message of command_api.proto)
//
//   kind            direction          correlation        payload
//   kRequest        gateway -> broker  chosen by gateway  BrokerRequest
//   kResponse       broker -> gateway  the request's      BrokerResponse
//   kSubscribeJobs  gateway -> broker  0                  none: push this gateway job wake-ups
//   kJobsAvailable  broker -> gateway  0                  JobAvailability
//
// Requests on one connection are answered in any order. A frame longer than kMaxFrameBytes, of an
// unknown kind, or whose payload does not parse closes the connection (the reader's side logs
// why); requests then in flight are answered UNAVAILABLE by the gateway, as a lost gRPC call is.
//
// Why not gRPC: the gateway's hop to a broker over gRPC cost about 0.25 ms of CPU on each side
// per command and 1.4 ms of latency at p50 (docs/benchmarks.md); a frame costs an encode, one
// send() and one read.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::gateway::link {

// The first bytes a gateway writes: the stream's name and version.
inline constexpr std::string_view kPreamble = "TERNCMD1";
// What every version of the preamble starts with (a broker names an unknown version).
inline constexpr std::string_view kPreambleFamily = "TERNCMD";
// gRPC's first bytes on a connection: HTTP/2's client preface begins with these.
inline constexpr std::string_view kHttp2PrefaceStart = "PRI ";

inline constexpr std::size_t kLengthBytes = 4;
inline constexpr std::size_t kHeaderBytes = kLengthBytes + 1 + 8;
// Deployments carry whole resources; the gateway accepts client messages up to 4 MiB, so a
// request is never near this.
inline constexpr std::size_t kMaxFrameBytes = 64 * 1024 * 1024;

enum class FrameKind : std::uint8_t {
  kRequest = 1,
  kResponse = 2,
  kSubscribeJobs = 3,
  kJobsAvailable = 4,
};

// One frame in a read buffer; `payload` points into that buffer.
struct FrameView {
  FrameKind kind;
  std::uint64_t correlation;
  std::string_view payload;
};

// Appends a frame's header for a payload of `payload_bytes` bytes to `out`; the payload follows.
void append_header(std::string& out, FrameKind kind, std::uint64_t correlation,
                   std::size_t payload_bytes);

// A frame of `kind` with `payload` (any protobuf message, or nothing), ready to send.
template <typename Message>
std::string encode_frame(FrameKind kind, std::uint64_t correlation, const Message& payload) {
  const std::size_t bytes = payload.ByteSizeLong();
  std::string out;
  out.reserve(kHeaderBytes + bytes);
  append_header(out, kind, correlation, bytes);
  payload.AppendToString(&out);
  return out;
}
std::string encode_empty_frame(FrameKind kind, std::uint64_t correlation);

// The outcome of looking at the start of a read buffer.
struct Parsed {
  std::optional<FrameView> frame;  // a whole frame, when there is one
  std::size_t consumed = 0;        // its bytes, header included
  std::string error;               // set when the bytes cannot be a frame: close the connection
};
// Reads the frame at the start of [data, data + size), if it is there whole.
Parsed parse_frame(const char* data, std::size_t size);

}  // namespace tern::gateway::link
