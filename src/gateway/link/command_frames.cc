#include "gateway/link/command_frames.h"

namespace tern::gateway::link {
namespace {

std::uint64_t read_big_endian(const char* data, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

void append_big_endian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

bool known(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(FrameKind::kRequest)
         && kind <= static_cast<std::uint8_t>(FrameKind::kJobsAvailable);
}

}  // namespace

void append_header(std::string& out, FrameKind kind, std::uint64_t correlation,
                   std::size_t payload_bytes) {
  append_big_endian(out, kHeaderBytes - kLengthBytes + payload_bytes, kLengthBytes);
  out.push_back(static_cast<char>(kind));
  append_big_endian(out, correlation, 8);
}

std::string encode_empty_frame(FrameKind kind, std::uint64_t correlation) {
  std::string out;
  append_header(out, kind, correlation, 0);
  return out;
}

Parsed parse_frame(const char* data, std::size_t size) {
  Parsed parsed;
  if (size < kLengthBytes) return parsed;
  const std::uint64_t length = read_big_endian(data, kLengthBytes);
  if (length < kHeaderBytes - kLengthBytes) {
    parsed.error =
        "a command frame of " + std::to_string(length) + " bytes is shorter than its own header";
    return parsed;
  }
  if (length > kMaxFrameBytes) {
    parsed.error = "a command frame of " + std::to_string(length) + " bytes exceeds the limit of "
                   + std::to_string(kMaxFrameBytes);
    return parsed;
  }
  if (size < kLengthBytes + length) return parsed;
  const auto kind = static_cast<std::uint8_t>(data[kLengthBytes]);
  if (!known(kind)) {
    parsed.error = "a command frame has the unknown kind " + std::to_string(kind);
    return parsed;
  }
  parsed.frame = FrameView{
      .kind = static_cast<FrameKind>(kind),
      .correlation = read_big_endian(data + kLengthBytes + 1, 8),
      .payload = std::string_view(data + kHeaderBytes, length - (kHeaderBytes - kLengthBytes))};
  parsed.consumed = kLengthBytes + length;
  return parsed;
}

}  // namespace tern::gateway::link
