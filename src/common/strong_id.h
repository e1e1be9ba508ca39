#pragma once

// StrongId<Tag, Rep>: an integer with a meaning, so that a term cannot be passed where a log index
// is expected. Cheap (one integer), ordered, hashable and printable.

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace tern {

template <typename Tag, typename Rep = std::uint64_t>
class StrongId {
 public:
  using rep_type = Rep;

  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }

  constexpr auto operator<=>(const StrongId&) const = default;

  constexpr StrongId next() const { return StrongId(value_ + 1); }
  constexpr StrongId prev() const { return StrongId(value_ - 1); }

  friend std::ostream& operator<<(std::ostream& out, StrongId id) { return out << id.value_; }

 private:
  Rep value_{};
};

// Identities shared by several modules. Module-specific ones (Term, LogIndex, Key, Position) live
// in their module.
using NodeId = StrongId<struct NodeIdTag, std::int32_t>;
using PartitionId = StrongId<struct PartitionIdTag, std::int32_t>;

}  // namespace tern

template <typename Tag, typename Rep>
struct std::hash<tern::StrongId<Tag, Rep>> {
  std::size_t operator()(tern::StrongId<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
