#pragma once

// Vocabulary of the Raft core: terms, log indexes, entries and the state that must be durable.
// Everything here is a plain value; nothing owns resources or touches IO.

#include <cstdint>
#include <optional>
#include <string>

#include "common/strong_id.h"

namespace tern::raft {

using Term = StrongId<struct TermTag, std::uint64_t>;
using LogIndex = StrongId<struct LogIndexTag, std::uint64_t>;

// What an entry carries. Payloads of kNormal entries are opaque to Raft; kConfiguration entries
// carry an encoded Configuration (configuration.h); a leader appends one kNoop at the start of its
// term so that it can commit entries of earlier terms (§5.4.2).
enum class EntryType : std::uint8_t { kNormal = 0, kConfiguration = 1, kNoop = 2 };

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// Bytes an entry is accounted as when batches are bounded (payload plus a fixed header).
inline std::size_t entry_size_bytes(const Entry& entry) {
  return entry.data.size() + 24;
}

// The state Raft must persist before it answers anyone (§5.1, Figure 2): the current term, the vote
// cast in it, and (as an optimisation that spares replaying unknown entries) the commit index.
struct HardState {
  Term term;
  std::optional<NodeId> vote;
  LogIndex commit;

  bool operator==(const HardState&) const = default;
};

}  // namespace tern::raft
