#include "cli/cluster_command.h"

#include <charconv>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "cli/cluster_client.h"

namespace tern::cli {
namespace {

using nlohmann::json;

constexpr std::int64_t kDefaultTimeoutSeconds = 300;

// The options of the change subcommands; which are allowed depends on the subcommand.
struct Options {
  std::string subcommand;
  std::optional<std::string> region;
  std::optional<std::vector<std::int32_t>> brokers;
  std::optional<std::int32_t> replication_factor;
  bool dry_run = false;
  bool allow_reachable = false;
  bool no_wait = false;
  std::int64_t timeout_seconds = kDefaultTimeoutSeconds;
};

Result<std::int64_t, std::string> parse_number(const std::string& flag, const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return tern::unexpected(flag + ": '" + text + "' is not a number");
  }
  return value;
}

Result<std::vector<std::int32_t>, std::string> parse_ids(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    auto id = parse_number("--brokers", item);
    if (!id) return tern::unexpected(id.error());
    if (*id < 0) return tern::unexpected("--brokers: " + item + " is negative");
    ids.push_back(static_cast<std::int32_t>(*id));
  }
  if (ids.empty()) return tern::unexpected(std::string("--brokers needs ids like 0,1,2"));
  return ids;
}

Result<Options, std::string> parse_options(const std::vector<std::string>& args) {
  Options options;
  options.subcommand = args.front();
  const std::set<std::string> takes_value = {"--region", "--brokers", "--replication-factor",
                                             "--timeout"};
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    if (auto eq = flag.find('='); eq != std::string::npos && flag.rfind("--", 0) == 0) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (takes_value.count(flag)) {
      if (i + 1 >= args.size()) return tern::unexpected(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--dry-run") {
      options.dry_run = true;
    } else if (flag == "--allow-reachable") {
      options.allow_reachable = true;
    } else if (flag == "--no-wait") {
      options.no_wait = true;
    } else if (flag == "--region") {
      if (value.empty()) return tern::unexpected(std::string("--region needs a value"));
      options.region = value;
    } else if (flag == "--brokers") {
      auto ids = parse_ids(value);
      if (!ids) return tern::unexpected(ids.error());
      options.brokers = *ids;
    } else if (flag == "--replication-factor") {
      auto rf = parse_number(flag, value);
      if (!rf) return tern::unexpected(rf.error());
      options.replication_factor = static_cast<std::int32_t>(*rf);
    } else if (flag == "--timeout") {
      std::string seconds = value;
      if (!seconds.empty() && seconds.back() == 's') seconds.pop_back();
      auto timeout = parse_number(flag, seconds);
      if (!timeout || *timeout < 1) {
        return tern::unexpected("--timeout: '" + value + "' is not a positive number of seconds");
      }
      options.timeout_seconds = *timeout;
    } else {
      return tern::unexpected("unknown argument '" + args[i] + "'");
    }
  }
  return options;
}

int fail(Context& context, const std::string& message) {
  context.err << "tern cluster " << message << "\n";
  return kExitFailure;
}

Result<json, std::string> fetch_cluster(const ManagementClient& client) {
  auto answer = client.get("/actuator/cluster");
  if (!answer) return tern::unexpected(answer.error());
  if (answer->status != 200) {
    return tern::unexpected("GET /actuator/cluster answered " + std::to_string(answer->status)
                            + ": " + problem_detail(*answer));
  }
  return answer->body;
}

void print_plan(Context& context, const json& answer, bool dry_run) {
  const auto& planned = answer["plannedChanges"];
  context.out << (dry_run ? "Dry run: change " : "Change ") << answer["changeId"]
              << (dry_run ? " would run " : " runs ") << planned.size() << " operation(s):\n";
  for (const auto& operation : planned)
    context.out << "  " << describe_operation(operation) << "\n";
}

// Sends the change, prints the plan, waits for it and prints the topology it led to.
int submit_change(Context& context, const ManagementClient& client, const Options& options,
                  const json& body, std::string query) {
  if (options.dry_run) query += (query.empty() ? "?" : "&") + std::string("dryRun=true");
  auto answer = client.patch("/actuator/cluster" + query, body);
  if (!answer) return fail(context, options.subcommand + ": " + answer.error());
  if (answer->status != 200 && answer->status != 202) {
    return fail(context, options.subcommand + ": refused (" + std::to_string(answer->status)
                             + "): " + problem_detail(*answer));
  }
  print_plan(context, answer->body, options.dry_run);
  if (options.dry_run || options.no_wait) return kExitOk;
  const std::int64_t change_id = answer->body["changeId"].get<std::int64_t>();
  if (!wait_for_change(client, change_id, std::chrono::seconds(options.timeout_seconds),
                       context.out, context.err)) {
    return kExitFailure;
  }
  auto cluster = fetch_cluster(client);
  if (!cluster) return fail(context, options.subcommand + ": " + cluster.error());
  context.out << format_cluster(*cluster);
  return kExitOk;
}

std::vector<std::int32_t> brokers_of_region(const json& list, const std::string& region) {
  std::vector<std::int32_t> ids;
  for (const auto& broker : list) {
    if (broker.value("region", "") == region) ids.push_back(broker["id"].get<std::int32_t>());
  }
  return ids;
}

int run_failover(Context& context, const ManagementClient& client, const Options& options,
                 const json& cluster) {
  if (!options.region) return fail(context, "failover: --region is required");
  const auto lost = brokers_of_region(cluster["brokers"], *options.region);
  if (lost.empty()) {
    return fail(context, "failover: no member broker is in region '" + *options.region + "'");
  }
  context.out << "Region " << *options.region << ": removing brokers " << json(lost).dump()
              << " by force (the management endpoint checks first that none of them answers)\n";
  std::string query = "?force=true";
  if (options.allow_reachable) query += "&allowReachable=true";
  return submit_change(context, client, options, json{{"brokers", {{"remove", lost}}}}, query);
}

int run_failback(Context& context, const ManagementClient& client, const Options& options,
                 const json& cluster) {
  if (!options.region && !options.brokers) {
    return fail(context, "failback: --region (or --brokers) is required");
  }
  std::vector<std::int32_t> fresh;
  if (options.brokers) {
    fresh = *options.brokers;
  } else {
    fresh = brokers_of_region(cluster.value("removedBrokers", json::array()), *options.region);
    if (fresh.empty()) {
      return fail(context, "failback: no removed broker of region '" + *options.region
                               + "' is recorded; name the brokers with --brokers");
    }
  }
  const std::int32_t rf =
      options.replication_factor.value_or(cluster.value("replicationFactor", 1));
  context.out << "Adding brokers " << json(fresh).dump() << " and restoring replication factor "
              << rf << "\n";
  json body{{"brokers", {{"add", fresh}}}, {"partitions", {{"replicationFactor", rf}}}};
  return submit_change(context, client, options, body, "");
}

int run_scale(Context& context, const ManagementClient& client, const Options& options,
              const json& cluster) {
  if (!options.brokers && !options.replication_factor) {
    return fail(context, "scale: give --brokers and/or --replication-factor");
  }
  json body = json::object();
  if (options.brokers) {
    std::set<std::int32_t> wanted(options.brokers->begin(), options.brokers->end());
    std::set<std::int32_t> members;
    for (const auto& broker : cluster["brokers"])
      members.insert(broker["id"].get<std::int32_t>());
    json add = json::array(), remove = json::array();
    for (auto id : wanted) {
      if (!members.count(id)) add.push_back(id);
    }
    for (auto id : members) {
      if (!wanted.count(id)) remove.push_back(id);
    }
    body["brokers"] = {{"add", add}, {"remove", remove}};
  }
  if (options.replication_factor) {
    body["partitions"] = {{"replicationFactor", *options.replication_factor}};
  }
  return submit_change(context, client, options, body, "");
}

}  // namespace

std::string ClusterCommand::usage() const {
  return "Usage: tern [global options] cluster <subcommand> [options]\n"
         "\n"
         "Talks to the management endpoint (--management / TERN_MANAGEMENT_ADDRESS).\n"
         "\n"
         "Subcommands:\n"
         "  status                       the topology: brokers by region, partitions and their\n"
         "                               replicas, the last and the pending change\n"
         "  scale --brokers IDS          make the cluster exactly these brokers (e.g. 0,1,2,3),\n"
         "        [--replication-factor N]  moving replicas one at a time, quorum kept\n"
         "  failover --region R          force out the brokers of region R after a region loss;\n"
         "        [--allow-reachable]      refused while any of them still answers, unless\n"
         "                                 --allow-reachable (risk of a split brain)\n"
         "  failback --region R          add the brokers of region R back (fresh, empty disks)\n"
         "        [--brokers IDS] [--replication-factor N]  and restore the replication factor\n"
         "\n"
         "Options of the changes:\n"
         "  --dry-run        print the planned operations, change nothing\n"
         "  --no-wait        return once the change is accepted\n"
         "  --timeout S      how long to wait for the change (default 300s)\n"
         "\n"
         "Exits 0 when the change completed, 1 when it was refused, failed or timed out, 2 for a\n"
         "wrong command line.\n";
}

int ClusterCommand::run(Context& context, const std::vector<std::string>& args) const {
  if (args.empty()) {
    context.err << "tern cluster: a subcommand is needed (status, scale, failover, failback)\n";
    return kExitUsage;
  }
  const std::string& subcommand = args.front();
  if (subcommand != "status" && subcommand != "scale" && subcommand != "failover"
      && subcommand != "failback") {
    context.err << "tern cluster: unknown subcommand '" << subcommand
                << "' (status, scale, failover, failback)\n";
    return kExitUsage;
  }
  auto options = parse_options(args);
  if (!options) {
    context.err << "tern cluster " << subcommand << ": " << options.error() << "\n";
    return kExitUsage;
  }
  ManagementClient client(context.endpoints.management);
  auto cluster = fetch_cluster(client);
  if (!cluster) return fail(context, subcommand + ": " + cluster.error());
  if (subcommand == "status") {
    if (args.size() > 1) {
      context.err << "tern cluster status: unexpected argument '" << args[1] << "'\n";
      return kExitUsage;
    }
    context.out << format_cluster(*cluster);
    return kExitOk;
  }
  if (cluster->contains("pendingChange")) {
    return fail(context, subcommand + ": change " + (*cluster)["pendingChange"]["id"].dump()
                             + " is still in progress; wait for it (tern cluster status)");
  }
  if (subcommand == "scale") return run_scale(context, client, *options, *cluster);
  if (subcommand == "failover") return run_failover(context, client, *options, *cluster);
  return run_failback(context, client, *options, *cluster);
}

std::string format_cluster(const json& cluster) {
  std::ostringstream text;
  const int rf = cluster.value("replicationFactor", 0);
  text << "Topology version " << cluster.value("version", 0) << ", "
       << cluster.value("partitionCount", 0) << " partition(s), replication factor " << rf << "\n";
  std::map<std::string, std::vector<const json*>> by_region;
  std::map<int, std::vector<int>> replicas;
  // Held here: by_region points into it (value() would hand out a temporary copy).
  const json brokers_list = cluster.value("brokers", json::array());
  for (const auto& broker : brokers_list) {
    by_region[broker.value("region", "")].push_back(&broker);
    for (const auto& partition : broker.value("partitions", json::array()))
      replicas[partition.value("id", 0)].push_back(broker.value("id", -1));
  }
  for (const auto& [region, brokers] : by_region) {
    text << (region.empty() ? std::string("No region") : "Region " + region) << ":\n";
    for (const json* broker : brokers) {
      text << "  Broker " << broker->value("id", -1) << "  " << broker->value("address", "") << "  "
           << broker->value("state", "") << "  partitions:";
      for (const auto& partition : broker->value("partitions", json::array()))
        text << " " << partition.value("id", 0) << "(priority " << partition.value("priority", 0)
             << ")";
      text << "\n";
    }
  }
  text << "Partitions:\n";
  for (int p = 1; p <= cluster.value("partitionCount", 0); ++p) {
    const auto& on = replicas[p];
    text << "  Partition " << p << ": brokers " << json(on).dump();
    if (static_cast<int>(on.size()) < rf) {
      text << "  UNDER-REPLICATED (" << on.size() << " of " << rf << ")";
    }
    text << "\n";
  }
  const auto removed = cluster.value("removedBrokers", json::array());
  if (!removed.empty()) {
    text << "Removed brokers:";
    for (const auto& broker : removed)
      text << " " << broker.value("id", -1) << " (region " << broker.value("region", "") << ")";
    text << "\n";
  }
  if (cluster.contains("lastChange")) {
    const auto& last = cluster["lastChange"];
    text << "Last change: " << last.value("id", 0) << " " << last.value("status", "")
         << " (started " << last.value("startedAt", "?") << ", completed "
         << last.value("completedAt", "?") << ")\n";
  }
  if (cluster.contains("pendingChange")) {
    const auto& pending = cluster["pendingChange"];
    const auto done = pending.value("completed", json::array()).size();
    const auto total = done + pending.value("pending", json::array()).size();
    text << "Pending change: " << pending.value("id", 0) << " " << pending.value("status", "")
         << ", " << done << "/" << total << " operations done\n";
  }
  return text.str();
}

}  // namespace tern::cli
