#pragma once

// The two ways `ternd` runs. Each returns the process's exit status: 0 after an orderly shutdown,
// 1 when the configuration (or the machine: ports, data directory) stops start-up, with one line
// on stderr naming the key and the problem. The caller has blocked the shutdown signals.

#include <string>

#include "broker/command_line.h"
#include "broker/config.h"

namespace tern::broker {

int run_broker(const CommandLine& command_line);
int run_gateway(const CommandLine& command_line);

// Prints "ternd: configuration error: <key>: <message>" to stderr; returns 1.
int report_config_error(const ConfigError& error);

// Prints "ternd: <message>" to stderr (for a server that failed to start); returns 1.
int report_start_failure(const std::string& key, const std::string& message);

}  // namespace tern::broker
