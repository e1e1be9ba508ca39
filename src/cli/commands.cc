#include <algorithm>
#include <ostream>
#include <sstream>

#include "cli/client_commands.h"
#include "cli/cluster_command.h"
#include "cli/command.h"
#include "cli/status_command.h"
#include "common/version.h"

namespace tern::cli {

const std::vector<const Command*>& all_commands() {
  static const StatusCommand status;
  static const ClusterCommand cluster;
  static const DeployCommand deploy;
  static const CreateCommand create;
  static const CancelCommand cancel;
  static const SetCommand set;
  static const ResolveCommand resolve;
  static const PublishCommand publish;
  static const ActivateCommand activate;
  static const CompleteCommand complete;
  static const FailCommand fail;
  static const std::vector<const Command*> commands = {&status,   &deploy,  &create,  &cancel,
                                                       &set,      &resolve, &publish, &activate,
                                                       &complete, &fail,    &cluster};
  return commands;
}

std::string general_help() {
  std::ostringstream help;
  help << "tern - the command-line client of a Tern cluster\n"
          "\n"
          "Usage:\n"
          "  tern [global options] <command> [arguments]\n"
          "\n"
          "Commands:\n";
  for (const Command* command : all_commands()) {
    std::string name = command->name();
    name.resize(std::max<std::size_t>(name.size() + 2, 12), ' ');
    help << "  " << name << command->summary() << "\n";
  }
  help << "\n"
          "Global options:\n"
          "  --address host:port   the gateway's gRPC endpoint (env TERN_ADDRESS; default "
       << kDefaultAddress
       << ")\n"
          "  --management URL      the management (monitoring) endpoint (env "
          "TERN_MANAGEMENT_ADDRESS; default "
       << kDefaultManagement
       << ")\n"
          "  --rest URL            the gateway's REST endpoint (env TERN_REST_ADDRESS; default "
       << kDefaultRest
       << ")\n"
          "  -h, --help            show this help, or a command's help after its name\n"
          "                        (also: tern help [command])\n"
          "  --version             print the version of tern\n"
          "\n"
          "Run 'tern <command> --help' for a command's details.\n";
  return help.str();
}

int run_cli(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
            std::ostream& err) {
  auto invocation = parse_invocation(args, env);
  if (!invocation) {
    err << "tern: " << invocation.error() << "\nRun 'tern --help' for usage.\n";
    return kExitUsage;
  }
  if (invocation->version) {
    out << "tern " << tern::kVersion << "\n";
    return kExitOk;
  }
  if (invocation->command.empty()) {
    if (invocation->help) {
      out << general_help();
      return kExitOk;
    }
    err << general_help();
    return kExitUsage;
  }
  // `tern help [command]`, as zbctl users type it.
  if (invocation->command == "help") {
    if (invocation->command_args.empty()) {
      out << general_help();
      return kExitOk;
    }
    invocation->command = invocation->command_args.front();
    invocation->command_args.clear();
    invocation->help = true;
  }
  for (const Command* command : all_commands()) {
    if (command->name() != invocation->command) continue;
    if (invocation->help) {
      out << command->usage();
      return kExitOk;
    }
    Context context{invocation->endpoints, out, err};
    return command->run(context, invocation->command_args);
  }
  err << "tern: unknown command '" << invocation->command << "'\nRun 'tern --help' for usage.\n";
  return kExitUsage;
}

}  // namespace tern::cli
