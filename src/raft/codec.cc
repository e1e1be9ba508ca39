#include "raft/codec.h"

#include "raft/core/bytes.h"

namespace tern::raft {
namespace {

constexpr std::uint8_t kFlagReject = 1;
constexpr std::uint8_t kFlagForce = 2;
constexpr std::uint8_t kFlagSnapshot = 4;
constexpr std::uint8_t kKnownFlags = kFlagReject | kFlagForce | kFlagSnapshot;
constexpr std::size_t kMinEntryBytes = 8 + 8 + 1 + 4;

}  // namespace

std::string encode_message(const Message& message) {
  ByteWriter out;
  out.put_u8(kCodecVersion);
  out.put_u8(static_cast<std::uint8_t>(message.type));
  out.put_i32(message.from.value());
  out.put_i32(message.to.value());
  out.put_u64(message.term.value());
  out.put_u64(message.index.value());
  out.put_u64(message.log_term.value());
  out.put_u64(message.commit.value());
  std::uint8_t flags = (message.reject ? kFlagReject : 0) | (message.force ? kFlagForce : 0)
                       | (message.snapshot ? kFlagSnapshot : 0);
  out.put_u8(flags);
  out.put_u64(message.reject_hint.value());
  out.put_u64(message.hint_term.value());
  out.put_u64(message.snapshot_offset);
  out.put_u32(static_cast<std::uint32_t>(message.entries.size()));
  for (const Entry& entry : message.entries) {
    out.put_u64(entry.term.value());
    out.put_u64(entry.index.value());
    out.put_u8(static_cast<std::uint8_t>(entry.type));
    out.put_bytes(entry.data);
  }
  if (message.snapshot) {
    const SnapshotChunk& chunk = *message.snapshot;
    out.put_u64(chunk.meta.index.value());
    out.put_u64(chunk.meta.term.value());
    out.put_bytes(encode_configuration(chunk.meta.configuration));
    out.put_u64(chunk.offset);
    out.put_u64(chunk.total_bytes);
    out.put_bytes(chunk.data);
    out.put_u32(chunk.chunk_crc);
    out.put_u32(chunk.snapshot_crc);
    out.put_u8(chunk.last ? 1 : 0);
  }
  return out.take();
}

Result<Message, CodecError> decode_message(std::string_view bytes) {
  auto fail = [](std::string what) { return unexpected(CodecError{std::move(what)}); };
  ByteReader in(bytes);
  std::uint8_t version = in.get_u8();
  if (!in.ok()) return fail("empty raft message");
  if (version != kCodecVersion) {
    return fail("unsupported raft message version " + std::to_string(version));
  }
  Message message;
  std::uint8_t type = in.get_u8();
  if (in.ok() && type > kMaxMessageType) {
    return fail("unknown raft message type " + std::to_string(type));
  }
  message.type = static_cast<MessageType>(type);
  message.from = NodeId(in.get_i32());
  message.to = NodeId(in.get_i32());
  message.term = Term(in.get_u64());
  message.index = LogIndex(in.get_u64());
  message.log_term = Term(in.get_u64());
  message.commit = LogIndex(in.get_u64());
  std::uint8_t flags = in.get_u8();
  if (in.ok() && (flags & ~kKnownFlags) != 0) {
    return fail("unknown raft message flags " + std::to_string(flags));
  }
  message.reject = (flags & kFlagReject) != 0;
  message.force = (flags & kFlagForce) != 0;
  message.reject_hint = LogIndex(in.get_u64());
  message.hint_term = Term(in.get_u64());
  message.snapshot_offset = in.get_u64();
  std::uint32_t count = in.get_count(kMinEntryBytes);
  if (!in.ok()) return fail("raft message header is truncated or its entry count is impossible");
  message.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    Entry entry;
    entry.term = Term(in.get_u64());
    entry.index = LogIndex(in.get_u64());
    std::uint8_t entry_type = in.get_u8();
    if (in.ok() && entry_type > static_cast<std::uint8_t>(EntryType::kNoop)) {
      return fail("entry " + std::to_string(i) + " has unknown type " + std::to_string(entry_type));
    }
    entry.type = static_cast<EntryType>(entry_type);
    entry.data = in.get_bytes();
    if (!in.ok()) return fail("entry " + std::to_string(i) + " is truncated");
    message.entries.push_back(std::move(entry));
  }
  if ((flags & kFlagSnapshot) != 0) {
    SnapshotChunk chunk;
    chunk.meta.index = LogIndex(in.get_u64());
    chunk.meta.term = Term(in.get_u64());
    std::string config = in.get_bytes();
    chunk.offset = in.get_u64();
    chunk.total_bytes = in.get_u64();
    chunk.data = in.get_bytes();
    chunk.chunk_crc = in.get_u32();
    chunk.snapshot_crc = in.get_u32();
    std::uint8_t last = in.get_u8();
    if (!in.ok()) return fail("snapshot chunk is truncated");
    if (last > 1) return fail("snapshot chunk has an invalid last flag");
    chunk.last = last == 1;
    auto decoded = decode_configuration(config);
    if (!decoded.ok()) return fail("snapshot chunk configuration: " + decoded.error().message);
    chunk.meta.configuration = std::move(*decoded);
    message.snapshot = std::move(chunk);
  }
  if (!in.at_end()) {
    return fail(std::to_string(in.remaining()) + " trailing bytes after the raft message");
  }
  return message;
}

}  // namespace tern::raft
