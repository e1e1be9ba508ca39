#include "cli/cli_context.h"

#include <cstdlib>

namespace tern::cli {
namespace {

struct GlobalOption {
  const char* flag;
  std::string Endpoints::*field;
};

constexpr GlobalOption kGlobalOptions[] = {
    {"--address", &Endpoints::address},
    {"--management", &Endpoints::management},
    {"--rest", &Endpoints::rest},
};

constexpr const char* kEnvNames[] = {"TERN_ADDRESS", "TERN_MANAGEMENT_ADDRESS",
                                     "TERN_REST_ADDRESS"};

}  // namespace

EnvLookup process_env() {
  EnvLookup env;
  for (const char* name : kEnvNames) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      env[name] = value;
    }
  }
  return env;
}

tern::Result<Invocation, std::string> parse_invocation(const std::vector<std::string>& args,
                                                       const EnvLookup& env) {
  Invocation invocation;
  if (auto it = env.find("TERN_ADDRESS"); it != env.end())
    invocation.endpoints.address = it->second;
  if (auto it = env.find("TERN_MANAGEMENT_ADDRESS"); it != env.end()) {
    invocation.endpoints.management = it->second;
  }
  if (auto it = env.find("TERN_REST_ADDRESS"); it != env.end()) {
    invocation.endpoints.rest = it->second;
  }

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      invocation.help = true;
      continue;
    }
    if (arg == "--version") {
      invocation.version = true;
      continue;
    }
    bool matched = false;
    for (const GlobalOption& option : kGlobalOptions) {
      const std::string flag = option.flag;
      std::string value;
      if (arg == flag) {
        if (i + 1 >= args.size()) return tern::unexpected(flag + " needs a value");
        value = args[++i];
      } else if (arg.rfind(flag + "=", 0) == 0) {
        value = arg.substr(flag.size() + 1);
      } else {
        continue;
      }
      if (value.empty()) return tern::unexpected(flag + " needs a non-empty value");
      invocation.endpoints.*option.field = value;
      matched = true;
      break;
    }
    if (matched) continue;
    if (invocation.command.empty()) {
      if (arg.rfind("-", 0) == 0) return tern::unexpected("unknown option '" + arg + "'");
      invocation.command = arg;
    } else {
      invocation.command_args.push_back(arg);
    }
  }

  const std::string& address = invocation.endpoints.address;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return tern::unexpected("gateway address '" + address + "' is not of the form host:port");
  }
  return invocation;
}

}  // namespace tern::cli
