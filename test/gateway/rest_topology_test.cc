// The REST port: GET /v2/topology's JSON shape, and JSON problem answers for anything else.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "gateway/gateway_server.h"
#include "gateway/static_topology.h"
#include "gateway/topology_codec.h"

namespace tern::gateway {
namespace {

using testing::sample_topology;
using testing::StaticTopology;

class RestTopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto topology = std::make_shared<StaticTopology>(sample_topology());
    auto server =
        GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, topology);
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server.value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->rest_port());
    client_->set_read_timeout(10, 0);
  }

  std::unique_ptr<GatewayServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(RestTopologyTest, TopologyHasTheRestApiShape) {
  auto response = client_->Get("/v2/topology");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");

  const auto body = nlohmann::json::parse(response->body);
  const auto expected = nlohmann::json::parse(R"({
    "brokers": [
      {"nodeId": 0, "host": "10.0.0.1", "port": 26501, "version": "0.1.0", "region": "east",
       "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"},
                      {"partitionId": 2, "role": "follower", "health": "unhealthy"}]},
      {"nodeId": 1, "host": "10.0.0.2", "port": 26511, "version": "0.1.0", "region": "west",
       "partitions": [{"partitionId": 1, "role": "inactive", "health": "dead"},
                      {"partitionId": 2, "role": "leader", "health": "healthy"}]}
    ],
    "clusterSize": 2,
    "partitionsCount": 2,
    "replicationFactor": 2,
    "gatewayVersion": ")" TERN_TEST_PROJECT_VERSION R"("
  })");
  EXPECT_EQ(body, expected) << body.dump(2);
}

TEST_F(RestTopologyTest, UnknownPathIsA404ProblemNamingThePath) {
  auto response = client_->Get("/v2/nothing-here");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/problem+json");
  const auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("title"), "Not Found");
  EXPECT_NE(body.at("detail").get<std::string>().find("GET /v2/nothing-here"), std::string::npos)
      << body.dump();
}

TEST_F(RestTopologyTest, WrongMethodOnTopologyIsAJsonProblem) {
  auto response = client_->Post("/v2/topology", "{}", "application/json");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->get_header_value("Allow"), "GET");
  const auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body.at("status"), response->status);
  EXPECT_NE(body.at("detail").get<std::string>().find("POST /v2/topology"), std::string::npos)
      << body.dump();
}

TEST(RestTopologyJson, EmptyClusterStillHasEveryField) {
  const auto body = to_rest_json(ClusterTopology{});
  for (const char* field :
       {"brokers", "clusterSize", "partitionsCount", "replicationFactor", "gatewayVersion"}) {
    EXPECT_TRUE(body.contains(field)) << field;
  }
  EXPECT_TRUE(body.at("brokers").is_array());
  EXPECT_TRUE(body.at("brokers").empty());
}

}  // namespace
}  // namespace tern::gateway
