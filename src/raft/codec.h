#pragma once

// The wire form of Raft messages: a compact little-endian binary encoding the broker's transport
// carries between replicas (it adds the partition id itself). Decoding checks every bound, count,
// enum and flag; malformed input yields a CodecError naming the problem, never a crash.

#include <string>
#include <string_view>

#include "common/result.h"
#include "raft/core/messages.h"

namespace tern::raft {

inline constexpr std::uint8_t kCodecVersion = 1;

struct CodecError {
  std::string message;
};

std::string encode_message(const Message& message);
Result<Message, CodecError> decode_message(std::string_view bytes);

}  // namespace tern::raft
