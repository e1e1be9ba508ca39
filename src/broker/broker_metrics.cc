#include "broker/broker_metrics.h"

#include <string_view>

namespace tern::broker {
namespace {

void header(std::string& out, std::string_view name, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" gauge\n");
}

// Label values here are versions, regions and fixed words; escape the three characters the
// format reserves anyway.
std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string broker_metrics_text(const BrokerSelfReport& self, std::chrono::seconds uptime) {
  std::string out;
  header(out, "tern_build_info", "Always 1; labels carry the version, node id and region.");
  out += "tern_build_info{version=\"" + escape_label(self.version) + "\",node_id=\""
         + std::to_string(self.node_id) + "\",region=\"" + escape_label(self.region) + "\"} 1\n";
  header(out, "tern_uptime_seconds", "Seconds since the broker started.");
  out += "tern_uptime_seconds " + std::to_string(uptime.count()) + "\n";
  header(out, "tern_partitions_hosted", "Partition replicas hosted by this broker.");
  out += "tern_partitions_hosted " + std::to_string(self.partitions.size()) + "\n";
  header(out, "tern_partition_role",
         "1 for the role each hosted partition is in (leader, follower, inactive).");
  for (const auto& partition : self.partitions) {
    out += "tern_partition_role{partition=\"" + std::to_string(partition.id.value()) + "\",role=\""
           + std::string(to_string(partition.role)) + "\"} 1\n";
  }
  header(out, "tern_partition_healthy", "1 when a hosted partition is healthy, else 0.");
  for (const auto& partition : self.partitions) {
    out += "tern_partition_healthy{partition=\"" + std::to_string(partition.id.value()) + "\"} "
           + (partition.health == PartitionHealth::kHealthy ? "1" : "0") + "\n";
  }
  return out;
}

}  // namespace tern::broker
