#pragma once

// /metrics for a broker, in the Prometheus text exposition format (version 0.0.4). A few gauges
// that are real today: the build, uptime, and each hosted partition's role and health. Later
// stages add their own series.

#include <chrono>
#include <string>

#include "broker/broker_topology.h"

namespace tern::broker {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string broker_metrics_text(const BrokerSelfReport& self, std::chrono::seconds uptime);

}  // namespace tern::broker
