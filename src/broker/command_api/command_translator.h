#pragma once

// Translation between the command API's typed requests/responses (command_api.proto, which wraps
// the client protocol's messages) and engine command records / engine responses. The only place
// where the client protocol meets engine record shapes; pure functions, usable from any thread.

#include <string>

#include "command_api.pb.h"
#include "common/result.h"
#include "engine/processing/sinks.h"
#include "engine/records/record.h"

namespace tern::broker::command_api {

enum class TranslateErrorCode {
  kInvalid,      // malformed request (bad JSON, missing command, out-of-range value)
  kUnsupported,  // the engine does not implement this command yet
};

struct TranslateError {
  TranslateErrorCode code;
  std::string message;
};

// A command record to submit (value type, intent, key, value); request and position are left
// for the PartitionService to set.
struct Translated {
  engine::Record command;
  // false for completions and cancellations, which back-pressure never refuses (as Zeebe).
  bool backpressure = true;
};

Result<Translated, TranslateError> to_command(const tern::command::BrokerRequest& request,
                                              PartitionId partition);

// Fills `out` from the engine's answer to `request`: OK with the typed result for an accepted
// command, REJECTED with type and reason for a rejection.
void to_response(const tern::command::BrokerRequest& request, const engine::Response& response,
                 tern::command::BrokerResponse& out);

// Parses a client's JSON-object variables document ("" = empty object).
Result<engine::Json, std::string> parse_variables(const std::string& text, std::string_view what);

}  // namespace tern::broker::command_api
