#pragma once

// Sets up spdlog for a `ternd` process: one line per event on stderr, human-readable by default
// (logging.format: text) or one JSON object per line (logging.format: json) for log collectors.
// Called once on the main thread before any other thread starts.

#include <spdlog/formatter.h>

#include <memory>
#include <string>

#include "broker/config.h"

namespace tern::broker {

void setup_logging(const LoggingConfig& config, const std::string& process_name);

// The JSON-lines formatter: {"timestamp":"...Z","level":"info","logger":"...","thread":N,
// "message":"..."} followed by a newline. Exposed for tests.
std::unique_ptr<spdlog::formatter> make_json_formatter();

}  // namespace tern::broker
