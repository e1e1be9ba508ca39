#include "gateway/rest_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "gateway/topology_codec.h"

namespace tern::gateway {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kProblemJson = "application/problem+json";
// Handlers are tiny reads of an in-memory topology; a few workers are plenty and keep the thread
// count low on small machines.
constexpr std::size_t kWorkerThreads = 4;

// An RFC 7807 problem document, the error shape of the REST API.
std::string problem(int status, const std::string& title, const std::string& detail,
                    const std::string& instance) {
  return nlohmann::ordered_json{{"type", "about:blank"},
                                {"title", title},
                                {"status", status},
                                {"detail", detail},
                                {"instance", instance}}
      .dump();
}

}  // namespace

RestServer::RestServer(std::unique_ptr<httplib::Server> server, std::uint16_t port)
    : server_(std::move(server)), port_(port) {}

tern::Result<std::unique_ptr<RestServer>, std::string> RestServer::start(
    const std::string& host, std::uint16_t port, std::shared_ptr<const TopologySource> topology) {
  auto server = std::make_unique<httplib::Server>();
  // httplib's default sets SO_REUSEPORT, which lets a second server bind a taken port without an
  // error; SO_REUSEADDR alone still allows a quick restart while refusing a real clash.
  server->set_socket_options([](int socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };

  server->Get("/v2/topology", [topology](const httplib::Request&, httplib::Response& response) {
    response.set_content(to_rest_json(topology->current()).dump(), kJson);
  });
  // The topology is read-only: other methods get 405 naming the one that works.
  const auto read_only = [](const httplib::Request& request, httplib::Response& response) {
    response.status = 405;
    response.set_header("Allow", "GET");
    response.set_content(
        problem(405, "Method Not Allowed",
                request.method + " " + request.path + " is not supported; use GET", request.path),
        kProblemJson);
  };
  server->Post("/v2/topology", read_only);
  server->Put("/v2/topology", read_only);
  server->Patch("/v2/topology", read_only);
  server->Delete("/v2/topology", read_only);
  // Any other request (unknown path, or a method the path does not take) ends here with the
  // status httplib chose; give it a JSON problem body naming what was asked.
  server->set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 404) {
      response.set_content(problem(404, "Not Found",
                                   "no resource " + request.method + " " + request.path
                                       + " on this gateway (known: GET /v2/topology)",
                                   request.path),
                           kProblemJson);
    } else if (response.body.empty()) {
      response.set_content(problem(response.status, "Request failed",
                                   "the request " + request.method + " " + request.path
                                       + " failed with status " + std::to_string(response.status),
                                   request.path),
                           kProblemJson);
    }
  });
  server->set_exception_handler([](const httplib::Request& request, httplib::Response& response,
                                   std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("REST {} {} failed: {}", request.method, request.path, what);
    response.status = 500;
    response.set_content(problem(500, "Internal Server Error", what, request.path), kProblemJson);
  });

  int bound = port;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return tern::unexpected("cannot listen for REST on " + host + ":" + std::to_string(port)
                            + " (address in use or not available)");
  }

  std::unique_ptr<RestServer> rest(
      new RestServer(std::move(server), static_cast<std::uint16_t>(bound)));
  RestServer* self = rest.get();
  rest->listener_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listener_done_.store(true);
  });
  // httplib's stop() only acts once the accept loop reports running; wait for that (it is
  // immediate) so that a shutdown right after start cannot be missed and hang the join.
  while (!self->server_->is_running() && !self->listener_done_.load())
    std::this_thread::yield();
  spdlog::info("REST API listening on {}:{}", host, bound);
  return rest;
}

RestServer::~RestServer() {
  shutdown();
}

void RestServer::shutdown() {
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

}  // namespace tern::gateway
