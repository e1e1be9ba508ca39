#pragma once

// What every `tern` command gets: where the cluster's endpoints are, and where to print.

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace tern::cli {

inline constexpr const char* kDefaultAddress = "127.0.0.1:26500";
inline constexpr const char* kDefaultManagement = "http://127.0.0.1:9600";
inline constexpr const char* kDefaultRest = "http://127.0.0.1:8080";

// The endpoints, resolved from flags, then the environment, then the defaults.
struct Endpoints {
  std::string address = kDefaultAddress;        // gateway gRPC, host:port (--address, TERN_ADDRESS)
  std::string management = kDefaultManagement;  // --management, TERN_MANAGEMENT_ADDRESS
  std::string rest = kDefaultRest;              // --rest, TERN_REST_ADDRESS
};

struct Context {
  Endpoints endpoints;
  std::ostream& out;
  std::ostream& err;
};

// Global options, then the command name and its own arguments.
struct Invocation {
  Endpoints endpoints;
  bool help = false;
  bool version = false;
  std::string command;
  std::vector<std::string> command_args;
};

// Reads the environment through `getenv` so that tests can pass their own.
using EnvLookup = std::map<std::string, std::string>;

// Parses `tern [global options] <command> [args]`. Global options may also follow the command
// (`tern status --address h:p`), as users type them either way. Errors name the bad option.
tern::Result<Invocation, std::string> parse_invocation(const std::vector<std::string>& args,
                                                       const EnvLookup& env);

// The process environment's TERN_* variables, for parse_invocation.
EnvLookup process_env();

}  // namespace tern::cli
