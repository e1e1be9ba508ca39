#pragma once

// Start-up check that every port this process will listen on is free, before anything starts, so
// that a clash is reported as the configuration key it concerns rather than as a half-started
// daemon.

#include <vector>

#include "broker/config.h"
#include "broker/config_validation.h"
#include "common/result.h"

namespace tern::broker {

// Fails on the first port that is configured twice or cannot be bound, e.g.
// "network.command-port: 127.0.0.1:26501 is already in use". The probe binds with SO_REUSEADDR,
// as the servers do, so a port held only by TIME_WAIT connections counts as free.
Result<void, ConfigError> check_ports_available(const std::vector<ListenPort>& ports);

}  // namespace tern::broker
