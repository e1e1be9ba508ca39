#include "broker/command_line.h"

namespace tern::broker {
namespace {

constexpr std::string_view kGeneralUsage = R"(Usage: ternd <command> [options]

Tern: a Raft-replicated, partitioned BPMN workflow broker speaking Zeebe's gateway protocol.

Commands:
  broker     run a broker (with an embedded gateway unless gateway.enabled is false)
  gateway    run a standalone gateway that joins the cluster through contact points

Options:
  -h, --help     show this help (or a command's help: ternd broker --help)
  --version      print the version and exit
)";

constexpr std::string_view kBrokerUsage = R"(Usage: ternd broker [--config FILE]

Runs a broker: it hosts the partitions placed on cluster.node-id, serves the command API on
network.command-port, the health endpoints on network.monitoring-port and, when gateway.enabled is
true (the default), the client gateway on gateway.port and gateway.rest-port.

Options:
  --config FILE  the YAML configuration (defaults and TERN_* variables apply without it)
  -h, --help     show this help

Every key can be overridden with an environment variable: TERN_ + the key's path upper-cased with
'.' and '-' as '_' (TERN_CLUSTER_NODE_ID=3). See docs/configuration.md.
)";

constexpr std::string_view kGatewayUsage = R"(Usage: ternd gateway [--config FILE]

Runs a standalone gateway: it learns the cluster by polling the command API of the brokers listed
in cluster.contact-points (host:port of their command ports), serves clients on gateway.port and
gateway.rest-port, and the health endpoints on network.monitoring-port.

Options:
  --config FILE  the YAML configuration (defaults and TERN_* variables apply without it)
  -h, --help     show this help
)";

std::string_view name_of(Command command) {
  return command == Command::kGateway ? "ternd gateway" : "ternd broker";
}

Result<CommandLine, UsageError> parse_command_options(Command command,
                                                      std::span<const std::string_view> args) {
  CommandLine line;
  line.command = command;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      return CommandLine{Command::kHelp, command, std::nullopt};
    }
    if (arg == "--config" || arg.rfind("--config=", 0) == 0) {
      std::string_view value;
      if (arg == "--config") {
        if (i + 1 == args.size()) {
          return tern::unexpected(UsageError{
              "--config needs a file name for '" + std::string(name_of(command)) + "'", command});
        }
        value = args[++i];
      } else {
        value = arg.substr(std::string_view("--config=").size());
      }
      if (value.empty()) {
        return tern::unexpected(UsageError{"--config needs a file name", command});
      }
      if (line.config_file) {
        return tern::unexpected(UsageError{"--config given twice", command});
      }
      line.config_file = std::filesystem::path(std::string(value));
      continue;
    }
    if (!arg.empty() && arg.front() == '-') {
      return tern::unexpected(UsageError{
          "unknown option '" + std::string(arg) + "' for '" + std::string(name_of(command)) + "'",
          command});
    }
    return tern::unexpected(UsageError{"unexpected argument '" + std::string(arg) + "' for '"
                                           + std::string(name_of(command)) + "'",
                                       command});
  }
  return line;
}

}  // namespace

Result<CommandLine, UsageError> parse_command_line(std::span<const std::string_view> args) {
  if (args.empty()) return tern::unexpected(UsageError{"no command given", Command::kHelp});
  std::string_view first = args.front();
  if (first == "-h" || first == "--help" || first == "help") {
    if (args.size() > 1) {
      return tern::unexpected(UsageError{"unexpected argument '" + std::string(args[1]) + "'"});
    }
    return CommandLine{};
  }
  if (first == "--version" || first == "version") {
    if (args.size() > 1) {
      return tern::unexpected(UsageError{"unexpected argument '" + std::string(args[1]) + "'"});
    }
    return CommandLine{Command::kVersion, Command::kHelp, std::nullopt};
  }
  if (first == "broker") return parse_command_options(Command::kBroker, args.subspan(1));
  if (first == "gateway") return parse_command_options(Command::kGateway, args.subspan(1));
  if (!first.empty() && first.front() == '-') {
    return tern::unexpected(UsageError{"unknown option '" + std::string(first) + "'"});
  }
  return tern::unexpected(UsageError{"unknown command '" + std::string(first) + "'"});
}

std::string usage_text(Command topic) {
  switch (topic) {
    case Command::kBroker:
      return std::string(kBrokerUsage);
    case Command::kGateway:
      return std::string(kGatewayUsage);
    case Command::kHelp:
    case Command::kVersion:
      break;
  }
  return std::string(kGeneralUsage);
}

}  // namespace tern::broker
