#pragma once

// What the client commands (deploy, create, publish, jobs, ...) share: a Gateway stub for the
// configured address, an argument parser for `<positional...> --flag value --switch`, and
// printing of responses (JSON, as zbctl prints them) and of gRPC errors.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/result.h"
#include "gateway.grpc.pb.h"

namespace tern::cli {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --name value
  std::set<std::string> switches;             // --name

  bool has(const std::string& name) const { return switches.contains(name); }
  std::string value_or(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

// `value_flags` take a value (--name VALUE or --name=VALUE); `switch_flags` stand alone. Any
// other --flag is an error naming it.
tern::Result<ParsedArgs, std::string> parse_args(const std::vector<std::string>& args,
                                                 const std::set<std::string>& value_flags,
                                                 const std::set<std::string>& switch_flags);

// A whole number for option `name`, or an error naming it.
tern::Result<std::int64_t, std::string> parse_int(const std::string& name, const std::string& text);

std::unique_ptr<gateway_protocol::Gateway::Stub> gateway_stub(const Context& context);
std::unique_ptr<grpc::ClientContext> client_context(std::chrono::milliseconds timeout);

// Prints `message` as JSON (field names as in the protocol) followed by a newline.
void print_json(std::ostream& out, const google::protobuf::Message& message);
// Prints "tern <what>: <gRPC code>: <message>" and returns kExitFailure.
int report_failure(const Context& context, const std::string& what, const grpc::Status& status);
// Prints "tern <command>: <problem>" plus a usage hint and returns kExitUsage.
int usage_error(const Context& context, const std::string& command, const std::string& problem);

inline constexpr auto kCommandTimeout = std::chrono::milliseconds(20'000);

}  // namespace tern::cli
