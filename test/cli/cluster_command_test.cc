// `tern cluster status|scale|failover|failback` run in process against the real management
// handlers served over HTTP, with a LocalTopologyManager whose changes a driver thread applies
// operation by operation while the CLI waits and reports progress.

#include "cli/cluster_command.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "broker/management/cluster_routes.h"
#include "broker/management/management_test_support.h"  // test/ on the include path
#include "cli/command.h"
#include "support/free_port.h"

namespace tern::cli {
namespace {

namespace bm = tern::broker::management;
using nlohmann::json;

// Serves ClusterRoutes on 127.0.0.1 and applies submitted changes in a driver thread.
class ManagementFixture {
 public:
  explicit ManagementFixture(broker::topology::ClusterTopology topology)
      : manager_(bm::testing::make_manager(std::move(topology))),
        probe_(std::make_shared<bm::testing::DeclaredProbe>()),
        routes_(manager_, probe_) {
    server_.Get("/actuator/cluster", [this](const httplib::Request& in, httplib::Response& out) {
      serve(routes_.get_cluster(convert(in, broker::HttpMethod::kGet)), out);
    });
    server_.Patch("/actuator/cluster", [this](const httplib::Request& in, httplib::Response& out) {
      serve(routes_.patch_cluster(convert(in, broker::HttpMethod::kPatch)), out);
    });
    port_ = tern::test::free_port();
    EXPECT_TRUE(server_.bind_to_port("127.0.0.1", port_));
    // Bound before the thread starts: connections queue in the backlog until it accepts.
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });
    driver_ = std::thread([this] {
      while (!stop_) {
        if (manager_->wait_for_change(std::chrono::milliseconds(50))) manager_->step();
      }
    });
  }

  ~ManagementFixture() {
    stop_ = true;
    driver_.join();
    // stop() is a no-op before the accept loop runs; wait for it so that join() returns.
    while (!server_.is_running())
      std::this_thread::yield();
    server_.stop();
    server_thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bm::LocalTopologyManager& manager() { return *manager_; }
  bm::testing::DeclaredProbe& probe() { return *probe_; }

 private:
  static broker::HttpRequest convert(const httplib::Request& in, broker::HttpMethod method) {
    broker::HttpRequest request;
    request.method = method;
    request.path = in.path;
    for (const auto& [key, value] : in.params)
      request.query[key] = value;
    request.body = in.body;
    return request;
  }
  static void serve(const broker::HttpResponse& response, httplib::Response& out) {
    out.status = response.status;
    out.set_content(response.body, response.content_type.c_str());
  }

  std::shared_ptr<bm::LocalTopologyManager> manager_;
  std::shared_ptr<bm::testing::DeclaredProbe> probe_;
  bm::ClusterRoutes routes_;
  httplib::Server server_;
  std::uint16_t port_ = 0;
  std::thread server_thread_;
  std::thread driver_;
  std::atomic<bool> stop_{false};
};

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun tern(const ManagementFixture& fixture, std::vector<std::string> args) {
  args.insert(args.begin(), {"--management", fixture.url()});
  std::ostringstream out, err;
  CliRun run;
  run.code = run_cli(args, {}, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

std::map<int, std::size_t> replica_counts(const broker::topology::ClusterTopology& topology) {
  std::map<int, std::size_t> counts;
  for (int p = 1; p <= topology.partition_count; ++p)
    counts[p] = topology.replicas_of(PartitionId(p)).size();
  return counts;
}

TEST(ClusterCli, StatusGroupsBrokersByRegion) {
  ManagementFixture fixture(bm::testing::region_cluster(4, 4, 2, 2));
  auto run = tern(fixture, {"cluster", "status"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("Region 0:\n  Broker 0  127.0.0.1:30000  ACTIVE"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Region 1:\n  Broker 1"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Partition 4: brokers [0,3]"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("UNDER-REPLICATED"), std::string::npos);
}

TEST(ClusterCli, FailoverThenFailbackOfRegionOne) {
  ManagementFixture fixture(bm::testing::region_cluster(4, 4, 4, 2));
  auto dry = tern(fixture, {"cluster", "failover", "--region", "1", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("Dry run: change 1 would run 6 operation(s)"), std::string::npos)
      << dry.out;
  EXPECT_EQ(fixture.manager().current().version, 1);

  auto failover = tern(fixture, {"cluster", "failover", "--region", "1"});
  ASSERT_EQ(failover.code, 0) << failover.err << failover.out;
  EXPECT_NE(failover.out.find("removing brokers [1,3]"), std::string::npos) << failover.out;
  EXPECT_NE(failover.out.find("change 1 completed"), std::string::npos) << failover.out;
  EXPECT_NE(failover.out.find("UNDER-REPLICATED (2 of 4)"), std::string::npos) << failover.out;
  auto degraded = fixture.manager().current();
  EXPECT_EQ(replica_counts(degraded), (std::map<int, std::size_t>{{1, 2}, {2, 2}, {3, 2}, {4, 2}}));
  EXPECT_EQ(degraded.brokers.size(), 2u);

  auto failback = tern(fixture, {"cluster", "failback", "--region", "1"});
  ASSERT_EQ(failback.code, 0) << failback.err << failback.out;
  EXPECT_NE(failback.out.find("Adding brokers [1,3] and restoring replication factor 4"),
            std::string::npos)
      << failback.out;
  EXPECT_NE(failback.out.find("change 2 completed"), std::string::npos) << failback.out;
  auto restored = fixture.manager().current();
  EXPECT_EQ(replica_counts(restored), (std::map<int, std::size_t>{{1, 4}, {2, 4}, {3, 4}, {4, 4}}));
  EXPECT_EQ(restored.brokers.at(NodeId(3)).region, "1");
}

TEST(ClusterCli, FailoverIsRefusedWhileTheRegionStillAnswers) {
  ManagementFixture fixture(bm::testing::region_cluster(4, 4, 4, 2));
  fixture.probe().set_alive(bm::testing::address_of(1), true);
  auto refused = tern(fixture, {"cluster", "failover", "--region", "1"});
  EXPECT_EQ(refused.code, kExitFailure);
  EXPECT_NE(refused.err.find("refused (409): broker 1 still answers"), std::string::npos)
      << refused.err;
  EXPECT_EQ(fixture.manager().current().brokers.size(), 4u);
  auto forced = tern(fixture, {"cluster", "failover", "--region", "1", "--allow-reachable"});
  EXPECT_EQ(forced.code, 0) << forced.err;
}

TEST(ClusterCli, ScaleUpAndDown) {
  ManagementFixture fixture(bm::testing::region_cluster(3, 6, 3, 1));
  auto up = tern(fixture, {"cluster", "scale", "--brokers", "0,1,2,3,4,5"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(fixture.manager().current().brokers.size(), 6u);
  for (const auto& [id, broker] : fixture.manager().current().brokers)
    EXPECT_EQ(broker.partitions.size(), 3u) << "broker " << id;
  auto down = tern(fixture, {"cluster", "scale", "--brokers=0,1,2"});
  ASSERT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(fixture.manager().current().brokers.size(), 3u);
  EXPECT_EQ(replica_counts(fixture.manager().current()),
            (std::map<int, std::size_t>{{1, 3}, {2, 3}, {3, 3}, {4, 3}, {5, 3}, {6, 3}}));
}

TEST(ClusterCli, BadRequestsAreExplained) {
  ManagementFixture fixture(bm::testing::region_cluster(3, 3, 3, 1));
  auto too_few = tern(fixture, {"cluster", "scale", "--brokers", "0,1"});
  EXPECT_EQ(too_few.code, kExitFailure);
  EXPECT_NE(too_few.err.find("replication factor 3 is larger than the 2 broker(s) left"),
            std::string::npos)
      << too_few.err;
  auto no_region = tern(fixture, {"cluster", "failover", "--region", "9"});
  EXPECT_EQ(no_region.code, kExitFailure);
  EXPECT_NE(no_region.err.find("no member broker is in region '9'"), std::string::npos);
  auto usage = tern(fixture, {"cluster", "teleport"});
  EXPECT_EQ(usage.code, kExitUsage);
  auto bad_flag = tern(fixture, {"cluster", "scale", "--brokers", "0,x"});
  EXPECT_EQ(bad_flag.code, kExitUsage);
  EXPECT_NE(bad_flag.err.find("'x' is not a number"), std::string::npos);
}

TEST(ClusterCli, UnreachableManagementEndpointIsReported) {
  std::ostringstream out, err;
  const std::string url = "http://127.0.0.1:" + std::to_string(tern::test::free_port());
  EXPECT_EQ(run_cli({"--management", url, "cluster", "status"}, {}, out, err), kExitFailure);
  EXPECT_NE(err.str().find("cannot reach " + url), std::string::npos) << err.str();
}

}  // namespace
}  // namespace tern::cli
