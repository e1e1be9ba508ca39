#pragma once

// Keys carry their partition in the upper 13 bits, as Zeebe's do, so that a gateway can route a
// job or instance key to its partition without a lookup: key = partition << 51 | counter.

#include <cstdint>

#include "common/strong_id.h"
#include "engine/records/record.h"

namespace tern::engine {

inline constexpr int kPartitionBits = 13;
inline constexpr int kKeyBits = 64 - kPartitionBits;  // 51, as Zeebe
inline constexpr std::int64_t kCounterMask = (std::int64_t{1} << kKeyBits) - 1;

constexpr Key encode_key(PartitionId partition, std::int64_t counter) {
  return Key((static_cast<std::int64_t>(partition.value()) << kKeyBits) + counter);
}

constexpr PartitionId partition_of(Key key) {
  // Unsigned shift: partitions of 4096 and above set the sign bit (as in Zeebe).
  return PartitionId(
      static_cast<std::int32_t>(static_cast<std::uint64_t>(key.value()) >> kKeyBits));
}

constexpr std::int64_t counter_of(Key key) {
  return key.value() & kCounterMask;
}

}  // namespace tern::engine
