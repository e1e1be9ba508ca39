#pragma once

// A `tern` subcommand. Each command lives in its own file and is listed once in commands.cc, so
// later commands (deploy, create, publish, jobs, cluster ...) plug in without touching main.

#include <string>
#include <vector>

#include "cli/cli_context.h"

namespace tern::cli {

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (unreachable, rejected, ...)
inline constexpr int kExitUsage = 2;    // the command line was wrong

class Command {
 public:
  virtual ~Command() = default;
  virtual std::string name() const = 0;
  // One line for `tern --help`.
  virtual std::string summary() const = 0;
  // Full help for `tern <command> --help`.
  virtual std::string usage() const = 0;
  virtual int run(Context& context, const std::vector<std::string>& args) const = 0;
};

// Every command, in the order `tern --help` lists them.
const std::vector<const Command*>& all_commands();

// Top-level help: usage, global options with their environment variables, the commands.
std::string general_help();

// Runs `tern <args...>` (without the program name): the whole CLI, minus process plumbing.
int run_cli(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
            std::ostream& err);

}  // namespace tern::cli
