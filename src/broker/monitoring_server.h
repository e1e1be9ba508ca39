#pragma once

// The monitoring port (9600 by default) of `ternd broker` and `ternd gateway`: health probes and
// whatever routes other parts register (later: /actuator/cluster). The route table can grow while
// the server runs; handlers see plain request/response values, never the HTTP library.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include "broker/health.h"
#include "common/result.h"

namespace tern::broker {

enum class HttpMethod { kGet, kPost, kPut, kPatch, kDelete };

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;
  std::map<std::string, std::string> query;  // ?a=b&c -> {a: b, c: ""}
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Exact-path routes. Thread-safe: add() may run while requests are being served.
class RouteTable {
 public:
  // Replaces an existing route with the same method and path.
  void add(HttpMethod method, std::string path, HttpHandler handler);
  // The handler for a request, or nullptr; `path_known` says whether another method would match
  // (to answer 405 rather than 404).
  HttpHandler find(HttpMethod method, const std::string& path, bool& path_known) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::pair<std::string, HttpMethod>, HttpHandler> routes_;  // guarded by mutex_
};

// Registers /actuator/health and its liveness, readiness and startup groups: 200 {"status":"UP"}
// or 503 {"status":"DOWN", ...}.
void add_health_routes(RouteTable& routes, std::shared_ptr<const HealthRegistry> health);

class MonitoringServerImpl;

// Owns one listener thread and a small pool of HTTP workers. start() returns once the port is
// bound. shutdown() stops accepting, finishes in-flight requests and joins; idempotent, also run
// by the destructor.
class MonitoringServer {
 public:
  static Result<std::unique_ptr<MonitoringServer>, std::string> start(
      const std::string& host, std::uint16_t port, std::shared_ptr<const RouteTable> routes);

  MonitoringServer(const MonitoringServer&) = delete;
  MonitoringServer& operator=(const MonitoringServer&) = delete;
  ~MonitoringServer();

  void shutdown();
  std::uint16_t port() const;

 private:
  explicit MonitoringServer(std::unique_ptr<MonitoringServerImpl> impl);
  std::unique_ptr<MonitoringServerImpl> impl_;
};

}  // namespace tern::broker
