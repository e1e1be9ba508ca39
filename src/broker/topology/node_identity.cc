#include "broker/topology/node_identity.h"

#include <charconv>
#include <limits>

namespace tern::broker::topology {

Result<std::int32_t, std::string> pod_ordinal(std::string_view pod_name) {
  const auto dash = pod_name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == pod_name.size()) {
    return tern::unexpected("pod name '" + std::string(pod_name)
                            + "' does not end in '-<ordinal>' as StatefulSet pods do");
  }
  const std::string_view digits = pod_name.substr(dash + 1);
  std::int32_t ordinal = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ordinal);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.front() == '-'
      || digits.front() == '+') {
    return tern::unexpected("pod name '" + std::string(pod_name) + "': '" + std::string(digits)
                            + "' after the last '-' is not an ordinal");
  }
  return ordinal;
}

Result<std::int32_t, std::string> node_id_from_pod(std::string_view pod_name,
                                                   std::int32_t region_count,
                                                   std::int32_t region_index) {
  if (region_count < 1) {
    return tern::unexpected("region count must be at least 1, got " + std::to_string(region_count));
  }
  if (region_index < 0 || region_index >= region_count) {
    return tern::unexpected("region index " + std::to_string(region_index) + " is outside 0.."
                            + std::to_string(region_count - 1));
  }
  auto ordinal = pod_ordinal(pod_name);
  if (!ordinal) return tern::unexpected(ordinal.error());
  const std::int64_t id = std::int64_t{*ordinal} * region_count + region_index;
  if (id > std::numeric_limits<std::int32_t>::max()) {
    return tern::unexpected("pod name '" + std::string(pod_name) + "': node id "
                            + std::to_string(id) + " is too large");
  }
  return static_cast<std::int32_t>(id);
}

std::int32_t region_of(std::int32_t node_id, std::int32_t region_count) {
  return region_count < 1 ? 0 : node_id % region_count;
}

}  // namespace tern::broker::topology
