// The monitoring HTTP server: health probes with their status codes, added routes, 404/405.

#include "broker/monitoring_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "broker/health.h"

namespace tern::broker {
namespace {

class MonitoringServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add_health_routes(*routes_, health_);
    auto started = MonitoringServer::start("127.0.0.1", 0, routes_);
    ASSERT_TRUE(started.ok()) << started.error();
    server_ = std::move(*started);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // Status code and parsed JSON body of a GET.
  std::pair<int, nlohmann::json> get(const std::string& path) {
    auto response = client_->Get(path.c_str());
    EXPECT_TRUE(response) << "no answer for " << path;
    if (!response) return {0, nullptr};
    return {response->status, nlohmann::json::parse(response->body, nullptr, false)};
  }

  std::shared_ptr<HealthRegistry> health_ = std::make_shared<HealthRegistry>();
  std::shared_ptr<RouteTable> routes_ = std::make_shared<RouteTable>();
  std::unique_ptr<MonitoringServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(MonitoringServerTest, BeforeStartOnlyLivenessIsUp) {
  health_->set_component("partition-1", ComponentStatus::kUp);
  EXPECT_EQ(get("/actuator/health/liveness"),
            std::make_pair(200, nlohmann::json{{"status", "UP"}}));
  auto [startup_code, startup] = get("/actuator/health/startup");
  EXPECT_EQ(startup_code, 503);
  EXPECT_EQ(startup["status"], "DOWN");
  auto [ready_code, ready] = get("/actuator/health/readiness");
  EXPECT_EQ(ready_code, 503);
  EXPECT_EQ(ready["details"]["reason"], "starting");
  EXPECT_EQ(get("/actuator/health").first, 503);
}

TEST_F(MonitoringServerTest, AfterStartEverythingIsUp) {
  health_->set_component("partition-1", ComponentStatus::kUp, {{"role", "leader"}});
  health_->mark_started();
  for (const char* path :
       {"/actuator/health/liveness", "/actuator/health/readiness", "/actuator/health/startup"}) {
    EXPECT_EQ(get(path), std::make_pair(200, nlohmann::json{{"status", "UP"}})) << path;
  }
  auto [code, body] = get("/actuator/health");
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body["status"], "UP");
  EXPECT_EQ(body["components"]["partition-1"]["status"], "UP");
  EXPECT_EQ(body["components"]["partition-1"]["details"]["role"], "leader");
}

TEST_F(MonitoringServerTest, AnUnhealthyComponentTurnsHealthDownButNotLiveness) {
  health_->set_component("partition-2", ComponentStatus::kDown, {{"reason", "no leader"}});
  health_->mark_started();
  auto [code, body] = get("/actuator/health");
  EXPECT_EQ(code, 503);
  EXPECT_EQ(body["components"]["partition-2"]["status"], "DOWN");
  EXPECT_EQ(body["components"]["partition-2"]["details"]["reason"], "no leader");
  EXPECT_EQ(get("/actuator/health/liveness").first, 200);
  EXPECT_EQ(get("/actuator/health/readiness").first, 200);
}

TEST_F(MonitoringServerTest, ADeadComponentFailsLiveness) {
  health_->set_component("journal", ComponentStatus::kDead);
  auto [code, body] = get("/actuator/health/liveness");
  EXPECT_EQ(code, 503);
  EXPECT_EQ(body["details"]["dead"], nlohmann::json::array({"journal"}));
}

TEST_F(MonitoringServerTest, ChecksAreEvaluatedOnEveryProbe) {
  auto up = std::make_shared<std::atomic<bool>>(false);
  health_->set_check("cluster", [up] {
    return ComponentHealth{*up ? ComponentStatus::kUp : ComponentStatus::kDown};
  });
  health_->mark_started();
  EXPECT_EQ(get("/actuator/health").first, 503);
  *up = true;
  EXPECT_EQ(get("/actuator/health").first, 200);
}

TEST_F(MonitoringServerTest, ShuttingDownTurnsReadinessDown) {
  health_->mark_started();
  health_->mark_shutting_down();
  auto [code, body] = get("/actuator/health/readiness");
  EXPECT_EQ(code, 503);
  EXPECT_EQ(body["details"]["reason"], "shutting down");
  EXPECT_EQ(get("/actuator/health/liveness").first, 200);
}

TEST_F(MonitoringServerTest, RoutesCanBeAddedWhileRunning) {
  EXPECT_EQ(get("/actuator/cluster").first, 404);
  routes_->add(HttpMethod::kGet, "/actuator/cluster", [](const HttpRequest& request) {
    nlohmann::json body = {{"dryRun", request.query.count("dryRun") == 1}};
    return HttpResponse{200, "application/json", body.dump()};
  });
  routes_->add(HttpMethod::kPatch, "/actuator/cluster", [](const HttpRequest& request) {
    return HttpResponse{202, "application/json", request.body};
  });
  auto [code, body] = get("/actuator/cluster?dryRun=true");
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body["dryRun"], true);
  auto patched = client_->Patch("/actuator/cluster", "{\"a\":1}", "application/json");
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->status, 202);
  EXPECT_EQ(patched->body, "{\"a\":1}");
  auto deleted = client_->Delete("/actuator/cluster");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 405);
}

// What `curl -X POST http://broker:9600/actuator/rebalance` sends: no body, so no Content-Length.
TEST_F(MonitoringServerTest, APostWithoutABodyReachesItsRoute) {
  routes_->add(HttpMethod::kPost, "/actuator/rebalance", [](const HttpRequest& request) {
    return HttpResponse{202, "application/json", "{\"body\":\"" + request.body + "\"}"};
  });
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  const std::string request =
      "POST /actuator/rebalance HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string answer;
  asio::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  EXPECT_NE(answer.find("{\"body\":\"\"}"), std::string::npos) << answer;
  // With a body, the body arrives.
  auto posted = client_->Post("/actuator/rebalance", "x", "text/plain");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 202);
  EXPECT_EQ(posted->body, "{\"body\":\"x\"}");
}

TEST(MonitoringServer, ATakenPortIsAnError) {
  auto routes = std::make_shared<RouteTable>();
  auto first = MonitoringServer::start("127.0.0.1", 0, routes);
  ASSERT_TRUE(first.ok());
  auto second = MonitoringServer::start("127.0.0.1", (*first)->port(), routes);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "cannot listen on 127.0.0.1:" + std::to_string((*first)->port()));
  (*first)->shutdown();
  (*first)->shutdown();  // idempotent
}

}  // namespace
}  // namespace tern::broker
