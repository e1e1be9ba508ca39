#pragma once

// The `ternd` command line: `ternd --version`, `ternd --help`, `ternd broker [--config FILE]`,
// `ternd gateway [--config FILE]`, and `--help` on each command. Parsing is pure so that tests
// can check it; ternd_main.cc prints and exits (usage errors exit with status 2).

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::broker {

enum class Command { kHelp, kVersion, kBroker, kGateway };

struct CommandLine {
  Command command = Command::kHelp;
  // With kHelp: the command whose help was asked for (kHelp itself for the general help).
  Command help_topic = Command::kHelp;
  std::optional<std::filesystem::path> config_file;
};

struct UsageError {
  std::string message;             // "unknown option '--foo' for 'ternd broker'"
  Command topic = Command::kHelp;  // which usage text to print after it
};

// `args` excludes the program name.
Result<CommandLine, UsageError> parse_command_line(std::span<const std::string_view> args);

// The usage text for a topic (kHelp: the general one).
std::string usage_text(Command topic);

}  // namespace tern::broker
