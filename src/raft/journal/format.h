#pragma once

// The journal's on-disk formats (see journal.h): segment headers, record frames, state slots and
// the snapshot file. Pure encode/decode; decoders check every bound and checksum.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "raft/core/messages.h"
#include "raft/core/types.h"

namespace tern::raft::journal {

inline constexpr std::uint64_t kSegmentHeaderBytes = 16;
inline constexpr std::uint64_t kFrameHeaderBytes = 8;
inline constexpr std::uint64_t kPayloadFixedBytes = 17;  // term, index, type
inline constexpr std::uint64_t kMaxRecordBytes = 256ull << 20;
inline constexpr std::uint64_t kStateSlotBytes = 4096;

std::string encode_segment_header(LogIndex first);
std::optional<LogIndex> decode_segment_header(std::string_view bytes);

// Appends one framed record to `out`.
void encode_record(const Entry& entry, std::string& out);

enum class FrameStatus { kOk, kTruncated, kBadLength, kBadChecksum, kBadPayload };
struct DecodedFrame {
  FrameStatus status = FrameStatus::kOk;
  Entry entry;
  std::uint64_t bytes = 0;  // frame length including its header
};
// Decodes the record starting at `bytes` (which may run on past it).
DecodedFrame decode_record(std::string_view bytes);
const char* frame_status_name(FrameStatus status);

struct StateSlot {
  std::uint64_t sequence = 0;
  HardState hard_state;
  LogIndex flushed;
};
std::string encode_state_slot(const StateSlot& slot);
std::optional<StateSlot> decode_state_slot(std::string_view bytes);

std::string encode_snapshot_file(const Snapshot& snapshot);
// nullopt (with `error` set) when the file fails its checksum or does not parse.
std::optional<Snapshot> decode_snapshot_file(std::string_view bytes, std::string& error);

}  // namespace tern::raft::journal
