#include "broker/management/membership_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tern::broker::management {
namespace {

using nlohmann::json;
namespace tp = tern::broker::topology;

std::string id_text(NodeId id) {
  return std::to_string(id.value());
}

}  // namespace

Result<std::optional<MembershipMarker>, std::string> read_membership_marker(
    const std::filesystem::path& data_directory) {
  const auto file = data_directory / kMembershipMarkerFile;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (ec) return tern::unexpected(file.string() + ": " + ec.message());
    return std::optional<MembershipMarker>{};
  }
  std::ifstream in(file);
  if (!in) return tern::unexpected(file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("nodeId")
      || !parsed["nodeId"].is_number_integer() || !parsed.contains("joinedByChange")
      || !parsed["joinedByChange"].is_number_integer()) {
    return tern::unexpected(file.string()
                            + ": not a membership marker ({\"nodeId\":..,\"joinedByChange\":..})");
  }
  return std::optional<MembershipMarker>{MembershipMarker{
      NodeId(parsed["nodeId"].get<std::int32_t>()), parsed["joinedByChange"].get<std::int64_t>()}};
}

Result<void, std::string> write_membership_marker(const std::filesystem::path& data_directory,
                                                  const MembershipMarker& marker) {
  const auto file = data_directory / kMembershipMarkerFile;
  const auto temporary = data_directory / (std::string(kMembershipMarkerFile) + ".tmp");
  const std::string text =
      json{{"nodeId", marker.node.value()}, {"joinedByChange", marker.joined_by_change}}.dump()
      + "\n";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tern::unexpected(temporary.string() + ": cannot be created");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())
                       && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return tern::unexpected(temporary.string() + ": cannot be written");
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return tern::unexpected(file.string() + ": " + ec.message());
  return {};
}

FencingDecision decide_fencing(const tp::ClusterTopology& topology, NodeId self,
                               const std::optional<MembershipMarker>& marker) {
  if (marker && marker->node != self) {
    return {tp::FencingVerdict::kFenced, "the data directory belongs to broker "
                                             + id_text(marker->node) + ", not to broker "
                                             + id_text(self)};
  }
  const auto verdict = tp::fencing_verdict(
      topology, self,
      marker ? std::optional<std::int64_t>(marker->joined_by_change) : std::nullopt);
  switch (verdict) {
    case tp::FencingVerdict::kMember:
      return {verdict, "broker " + id_text(self) + " is a member"};
    case tp::FencingVerdict::kUnknown:
      return {verdict, "broker " + id_text(self) + " is not a member yet; waiting to be added"};
    case tp::FencingVerdict::kFenced:
      break;
  }
  std::string reason = "broker " + id_text(self) + " was removed from the cluster";
  auto removed = topology.removed.find(self);
  if (removed != topology.removed.end()) {
    reason += " by change " + std::to_string(removed->second.removed_by_change);
  } else {
    reason += " and added again with a fresh disk";
  }
  reason += "; its data (member since change " + std::to_string(marker->joined_by_change)
            + ") is stale, so it will never vote again. Start it with an empty data directory "
              "to add it back";
  return {verdict, reason};
}

}  // namespace tern::broker::management
