#pragma once

// The management endpoint as `tern cluster` sees it: JSON over HTTP to /actuator/cluster, and
// waiting for a cluster change to finish while reporting its progress.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace tern::cli {

struct ManagementAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer was not JSON
};

// One HTTP client per command run; errors are "cannot reach <url>: <why>".
class ManagementClient {
 public:
  explicit ManagementClient(std::string base_url) : base_url_(std::move(base_url)) {}

  Result<ManagementAnswer, std::string> get(const std::string& path) const;
  Result<ManagementAnswer, std::string> patch(const std::string& path_and_query,
                                              const nlohmann::json& body) const;
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
};

// The reason in a problem answer ({"detail": ...}), or the raw body.
std::string problem_detail(const ManagementAnswer& answer);

// "PARTITION_JOIN broker 3 partition 2 priority 1" for one planned operation.
std::string describe_operation(const nlohmann::json& operation);

// Polls GET /actuator/cluster until change `change_id` completed (true), failed or the timeout
// passed (false, with the reason on `err`), printing a line each time its progress moves.
bool wait_for_change(const ManagementClient& client, std::int64_t change_id,
                     std::chrono::seconds timeout, std::ostream& out, std::ostream& err);

}  // namespace tern::cli
