#include "broker/monitoring_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace tern::broker {
namespace {

// Two workers are plenty for probes and operators, and keep the daemon lean.
constexpr std::size_t kWorkerThreads = 2;

HttpResponse json_response(const HealthReport& report) {
  return HttpResponse{report.up ? 200 : 503, "application/json", report.body.dump()};
}

}  // namespace

void RouteTable::add(HttpMethod method, std::string path, HttpHandler handler) {
  std::unique_lock lock(mutex_);
  routes_[{std::move(path), method}] = std::move(handler);
}

HttpHandler RouteTable::find(HttpMethod method, const std::string& path, bool& path_known) const {
  std::shared_lock lock(mutex_);
  path_known = false;
  for (auto candidate : {HttpMethod::kGet, HttpMethod::kPost, HttpMethod::kPut, HttpMethod::kPatch,
                         HttpMethod::kDelete}) {
    if (routes_.count({path, candidate}) != 0) path_known = true;
  }
  auto it = routes_.find({path, method});
  return it == routes_.end() ? HttpHandler() : it->second;
}

void add_health_routes(RouteTable& routes, std::shared_ptr<const HealthRegistry> health) {
  routes.add(HttpMethod::kGet, "/actuator/health",
             [health](const HttpRequest&) { return json_response(health->health()); });
  routes.add(HttpMethod::kGet, "/actuator/health/liveness",
             [health](const HttpRequest&) { return json_response(health->liveness()); });
  routes.add(HttpMethod::kGet, "/actuator/health/readiness",
             [health](const HttpRequest&) { return json_response(health->readiness()); });
  routes.add(HttpMethod::kGet, "/actuator/health/startup",
             [health](const HttpRequest&) { return json_response(health->startup()); });
}

class MonitoringServerImpl {
 public:
  explicit MonitoringServerImpl(std::shared_ptr<const RouteTable> routes)
      : routes_(std::move(routes)) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    // The library's default sets SO_REUSEPORT, which would let a second process bind the same
    // port and silently share its traffic; SO_REUSEADDR alone still allows a quick restart.
    server_.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    auto dispatch_as = [this](HttpMethod method) {
      return [this, method](const httplib::Request& request, httplib::Response& response) {
        dispatch(method, request, request.body, response);
      };
    };
    // Methods with a body read it here rather than in the library, which answers a request with
    // neither Content-Length nor chunked encoding "400 Bad Request" before any handler runs: that
    // is what `curl -X POST http://broker:9600/actuator/rebalance` sends, and such a request has
    // no body at all (RFC 9112 §6.3).
    auto dispatch_with_body = [this](HttpMethod method) {
      return [this, method](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& content) {
        std::string body;
        if (request.has_header("Content-Length")
            || request.get_header_value("Transfer-Encoding") == "chunked") {
          content([&body](const char* data, std::size_t length) {
            body.append(data, length);
            return true;
          });
        }
        dispatch(method, request, body, response);
      };
    };
    server_.Get(".*", dispatch_as(HttpMethod::kGet));
    server_.Post(".*", dispatch_with_body(HttpMethod::kPost));
    server_.Put(".*", dispatch_with_body(HttpMethod::kPut));
    server_.Patch(".*", dispatch_with_body(HttpMethod::kPatch));
    server_.Delete(".*", dispatch_as(HttpMethod::kDelete));
  }

  Result<void, std::string> bind_and_listen(const std::string& host, std::uint16_t port) {
    int bound =
        port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
      return tern::unexpected("cannot listen on " + host + ":" + std::to_string(port));
    }
    port_ = static_cast<std::uint16_t>(bound);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_ = true;
    });
    // The socket already accepts connections; what remains is for the accept loop to be marked
    // running, without which stop() would be ignored. The library offers no callback for it.
    while (!server_.is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return {};
  }

  void shutdown() {
    std::call_once(stopped_, [this] {
      server_.stop();
      if (thread_.joinable()) thread_.join();
    });
  }

  std::uint16_t port() const { return port_; }

 private:
  void dispatch(HttpMethod method, const httplib::Request& request, const std::string& body,
                httplib::Response& response) {
    bool path_known = false;
    auto handler = routes_->find(method, request.path, path_known);
    if (!handler) {
      int status = path_known ? 405 : 404;
      nlohmann::json problem = {{"status", status},
                                {"error", path_known ? "Method Not Allowed" : "Not Found"},
                                {"path", request.path}};
      response.status = status;
      response.set_content(problem.dump(), "application/json");
      return;
    }
    HttpRequest plain{method, request.path, {}, body};
    for (const auto& [key, value] : request.params)
      plain.query.emplace(key, value);
    HttpResponse answer = handler(plain);
    response.status = answer.status;
    response.set_content(answer.body, answer.content_type.c_str());
  }

  std::shared_ptr<const RouteTable> routes_;
  httplib::Server server_;
  std::thread thread_;
  std::once_flag stopped_;
  std::atomic<bool> listen_returned_{false};
  std::uint16_t port_ = 0;
};

Result<std::unique_ptr<MonitoringServer>, std::string> MonitoringServer::start(
    const std::string& host, std::uint16_t port, std::shared_ptr<const RouteTable> routes) {
  auto impl = std::make_unique<MonitoringServerImpl>(std::move(routes));
  if (auto listening = impl->bind_and_listen(host, port); !listening) {
    return tern::unexpected(listening.error());
  }
  return std::unique_ptr<MonitoringServer>(new MonitoringServer(std::move(impl)));
}

MonitoringServer::MonitoringServer(std::unique_ptr<MonitoringServerImpl> impl)
    : impl_(std::move(impl)) {}

MonitoringServer::~MonitoringServer() {
  shutdown();
}

void MonitoringServer::shutdown() {
  impl_->shutdown();
}

std::uint16_t MonitoringServer::port() const {
  return impl_->port();
}

}  // namespace tern::broker
