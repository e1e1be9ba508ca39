#include "raft/journal/format.h"

#include "raft/core/bytes.h"
#include "raft/core/crc32c.h"

namespace tern::raft::journal {
namespace {

constexpr std::string_view kSegmentMagic = "TJS1";
constexpr std::string_view kSnapshotMagic = "TSN1";

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |=
        static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]))
        << (8 * i);
  }
  return value;
}

}  // namespace

std::string encode_segment_header(LogIndex first) {
  ByteWriter out;
  for (char c : kSegmentMagic)
    out.put_u8(static_cast<std::uint8_t>(c));
  out.put_u64(first.value());
  std::string bytes = out.take();
  put_u32(bytes, crc32c(bytes));
  return bytes;
}

std::optional<LogIndex> decode_segment_header(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderBytes || bytes.substr(0, 4) != kSegmentMagic)
    return std::nullopt;
  if (crc32c(bytes.substr(0, 12)) != get_u32(bytes.substr(12, 4))) return std::nullopt;
  ByteReader in(bytes.substr(4, 8));
  return LogIndex(in.get_u64());
}

void encode_record(const Entry& entry, std::string& out) {
  ByteWriter payload;
  payload.put_u64(entry.term.value());
  payload.put_u64(entry.index.value());
  payload.put_u8(static_cast<std::uint8_t>(entry.type));
  std::string bytes = payload.take();
  bytes.append(entry.data);
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  put_u32(out, crc32c(bytes));
  out.append(bytes);
}

DecodedFrame decode_record(std::string_view bytes) {
  DecodedFrame frame;
  if (bytes.size() < kFrameHeaderBytes) {
    frame.status = FrameStatus::kTruncated;
    return frame;
  }
  std::uint64_t length = get_u32(bytes);
  if (length < kPayloadFixedBytes || length > kMaxRecordBytes) {
    frame.status = FrameStatus::kBadLength;
    return frame;
  }
  if (length > bytes.size() - kFrameHeaderBytes) {
    frame.status = FrameStatus::kTruncated;
    return frame;
  }
  std::string_view payload = bytes.substr(kFrameHeaderBytes, length);
  if (crc32c(payload) != get_u32(bytes.substr(4, 4))) {
    frame.status = FrameStatus::kBadChecksum;
    return frame;
  }
  ByteReader in(payload);
  frame.entry.term = Term(in.get_u64());
  frame.entry.index = LogIndex(in.get_u64());
  std::uint8_t type = in.get_u8();
  if (type > static_cast<std::uint8_t>(EntryType::kNoop)) {
    frame.status = FrameStatus::kBadPayload;
    return frame;
  }
  frame.entry.type = static_cast<EntryType>(type);
  frame.entry.data.assign(payload.substr(kPayloadFixedBytes));
  frame.bytes = kFrameHeaderBytes + length;
  return frame;
}

const char* frame_status_name(FrameStatus status) {
  switch (status) {
    case FrameStatus::kOk:
      return "ok";
    case FrameStatus::kTruncated:
      return "truncated record";
    case FrameStatus::kBadLength:
      return "impossible record length";
    case FrameStatus::kBadChecksum:
      return "record checksum mismatch";
    case FrameStatus::kBadPayload:
      return "malformed record payload";
  }
  return "unknown";
}

std::string encode_state_slot(const StateSlot& slot) {
  ByteWriter out;
  out.put_u64(slot.sequence);
  out.put_u64(slot.hard_state.term.value());
  out.put_u8(slot.hard_state.vote ? 1 : 0);
  out.put_i32(slot.hard_state.vote ? slot.hard_state.vote->value() : 0);
  out.put_u64(slot.hard_state.commit.value());
  out.put_u64(slot.flushed.value());
  std::string bytes = out.take();
  put_u32(bytes, crc32c(bytes));
  return bytes;
}

std::optional<StateSlot> decode_state_slot(std::string_view bytes) {
  constexpr std::size_t kBody = 8 + 8 + 1 + 4 + 8 + 8;
  if (bytes.size() < kBody + 4) return std::nullopt;
  if (crc32c(bytes.substr(0, kBody)) != get_u32(bytes.substr(kBody, 4))) return std::nullopt;
  ByteReader in(bytes.substr(0, kBody));
  StateSlot slot;
  slot.sequence = in.get_u64();
  slot.hard_state.term = Term(in.get_u64());
  bool has_vote = in.get_u8() != 0;
  std::int32_t vote = in.get_i32();
  if (has_vote) slot.hard_state.vote = NodeId(vote);
  slot.hard_state.commit = LogIndex(in.get_u64());
  slot.flushed = LogIndex(in.get_u64());
  if (slot.sequence == 0) return std::nullopt;  // an all-zero slot was never written
  return slot;
}

std::string encode_snapshot_file(const Snapshot& snapshot) {
  ByteWriter out;
  for (char c : kSnapshotMagic)
    out.put_u8(static_cast<std::uint8_t>(c));
  out.put_u64(snapshot.meta.index.value());
  out.put_u64(snapshot.meta.term.value());
  out.put_bytes(encode_configuration(snapshot.meta.configuration));
  out.put_bytes(snapshot.data);
  std::string bytes = out.take();
  put_u32(bytes, crc32c(bytes));
  return bytes;
}

std::optional<Snapshot> decode_snapshot_file(std::string_view bytes, std::string& error) {
  if (bytes.size() < 8 || bytes.substr(0, 4) != kSnapshotMagic) {
    error = "not a snapshot file";
    return std::nullopt;
  }
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (crc32c(body) != get_u32(bytes.substr(bytes.size() - 4))) {
    error = "snapshot file checksum mismatch";
    return std::nullopt;
  }
  ByteReader in(body.substr(4));
  Snapshot snapshot;
  snapshot.meta.index = LogIndex(in.get_u64());
  snapshot.meta.term = Term(in.get_u64());
  std::string config = in.get_bytes();
  snapshot.data = in.get_bytes();
  if (!in.ok() || !in.at_end()) {
    error = "snapshot file does not parse";
    return std::nullopt;
  }
  auto decoded = decode_configuration(config);
  if (!decoded.ok()) {
    error = "snapshot configuration: " + decoded.error().message;
    return std::nullopt;
  }
  snapshot.meta.configuration = std::move(*decoded);
  return snapshot;
}

}  // namespace tern::raft::journal
