// The environment override rule: TERN_ + path upper-cased with '.' and '-' as '_', the
// environment winning over the file; lists comma-separated; unknown TERN_ variables.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/config.h"
#include "broker/config_schema.h"

namespace tern::broker {
namespace {

using ::testing::HasSubstr;

TEST(ConfigEnv, NamesFollowTheRule) {
  EXPECT_EQ(env_name_for("cluster.node-id"), "TERN_CLUSTER_NODE_ID");
  EXPECT_EQ(env_name_for("gateway.enabled"), "TERN_GATEWAY_ENABLED");
  EXPECT_EQ(env_name_for("network.advertised-host"), "TERN_NETWORK_ADVERTISED_HOST");
  EXPECT_EQ(env_name_for("cluster.contact-points"), "TERN_CLUSTER_CONTACT_POINTS");
}

TEST(ConfigEnv, EveryKeyCanBeOverridden) {
  Environment env = {
      {"TERN_CLUSTER_NODE_ID", "3"},
      {"TERN_CLUSTER_SIZE", "5"},
      {"TERN_CLUSTER_PARTITIONS", "7"},
      {"TERN_CLUSTER_REPLICATION_FACTOR", "3"},
      {"TERN_CLUSTER_CONTACT_POINTS", "a:1,b:2"},
      {"TERN_CLUSTER_REGION", "us-east"},
      {"TERN_CLUSTER_REGION_COUNT", "0"},
      {"TERN_CLUSTER_REGION_INDEX", "0"},
      {"TERN_CLUSTER_POD_NAME", "tern-7"},
      {"TERN_NETWORK_HOST", "0.0.0.0"},
      {"TERN_NETWORK_ADVERTISED_HOST", "broker-3"},
      {"TERN_NETWORK_COMMAND_PORT", "2001"},
      {"TERN_NETWORK_CLUSTER_PORT", "2002"},
      {"TERN_NETWORK_MONITORING_PORT", "2003"},
      {"TERN_GATEWAY_ENABLED", "false"},
      {"TERN_GATEWAY_PORT", "2004"},
      {"TERN_GATEWAY_REST_PORT", "2005"},
      {"TERN_DATA_DIRECTORY", "/srv/tern"},
      {"TERN_DATA_SNAPSHOT_PERIOD_SECONDS", "30"},
      {"TERN_DATA_SNAPSHOT_LOG_ENTRIES", "7000"},
      {"TERN_THREADS_PARTITION_THREADS", "3"},
      {"TERN_THREADS_JOURNAL_WRITER_THREADS", "5"},
      {"TERN_LOGGING_LEVEL", "warn"},
      {"TERN_LOGGING_FORMAT", "json"},
  };
  // The test names every key of the schema, so a new key without a test fails here.
  for (const auto& spec : config_keys()) {
    EXPECT_EQ(env.count(env_name_for(spec.path)), 1u) << spec.path << " has no override test";
  }
  auto parsed = parse_config("", env);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const TernConfig& config = parsed->config;
  EXPECT_EQ(config.cluster.node_id, 3);
  EXPECT_EQ(config.cluster.size, 5);
  EXPECT_EQ(config.cluster.partitions, 7);
  EXPECT_EQ(config.cluster.replication_factor, 3);
  EXPECT_EQ(config.cluster.contact_points, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(config.cluster.region, "us-east");
  EXPECT_EQ(config.cluster.region_count, 0);
  EXPECT_EQ(config.cluster.region_index, 0);
  EXPECT_EQ(config.cluster.pod_name, "tern-7");
  EXPECT_EQ(config.network.host, "0.0.0.0");
  EXPECT_EQ(config.network.advertised_host, "broker-3");
  EXPECT_EQ(config.network.command_port, 2001);
  EXPECT_EQ(config.network.cluster_port, 2002);
  EXPECT_EQ(config.network.monitoring_port, 2003);
  EXPECT_FALSE(config.gateway.enabled);
  EXPECT_EQ(config.gateway.port, 2004);
  EXPECT_EQ(config.gateway.rest_port, 2005);
  EXPECT_EQ(config.data.directory, "/srv/tern");
  EXPECT_EQ(config.data.snapshot_period_seconds, 30);
  EXPECT_EQ(config.data.snapshot_log_entries, 7000);
  EXPECT_EQ(config.threads.partition_threads, 3);
  EXPECT_EQ(config.threads.journal_writer_threads, 5);
  EXPECT_EQ(config.logging.level, LogLevel::kWarn);
  EXPECT_EQ(config.logging.format, LogFormat::kJson);
  EXPECT_TRUE(parsed->warnings.empty());
}

TEST(ConfigEnv, EnvironmentWinsOverTheFile) {
  auto parsed = parse_config("cluster: {size: 3, node-id: 1}\ngateway: {enabled: true}\n",
                             {{"TERN_CLUSTER_NODE_ID", "2"}, {"TERN_GATEWAY_ENABLED", "false"}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->config.cluster.node_id, 2);
  EXPECT_EQ(parsed->config.cluster.size, 3);  // from the file, not overridden
  EXPECT_FALSE(parsed->config.gateway.enabled);
}

TEST(ConfigEnv, ListsAreCommaSeparatedWithBlanksTrimmed) {
  auto parsed = parse_config("cluster: {contact-points: [\"x:1\"]}",
                             {{"TERN_CLUSTER_CONTACT_POINTS", " a:1 , b:2,,c:3 "}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->config.cluster.contact_points, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
}

TEST(ConfigEnv, AnEmptyListVariableClearsTheList) {
  auto parsed =
      parse_config("cluster: {contact-points: [\"x:1\"]}", {{"TERN_CLUSTER_CONTACT_POINTS", ""}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_TRUE(parsed->config.cluster.contact_points.empty());
}

TEST(ConfigEnv, WrongTypeNamesTheVariable) {
  auto parsed = parse_config("", {{"TERN_CLUSTER_NODE_ID", "three"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ConfigErrc::kWrongType);
  EXPECT_EQ(parsed.error().to_string(),
            "cluster.node-id (TERN_CLUSTER_NODE_ID): expected an integer, got 'three'");

  auto boolean = parse_config("", {{"TERN_GATEWAY_ENABLED", "yes please"}});
  ASSERT_FALSE(boolean.ok());
  EXPECT_EQ(boolean.error().to_string(),
            "gateway.enabled (TERN_GATEWAY_ENABLED): expected a boolean (true or false), got 'yes "
            "please'");
}

TEST(ConfigEnv, OverriddenValuesAreValidatedToo) {
  auto parsed = parse_config("", {{"TERN_CLUSTER_REPLICATION_FACTOR", "2"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().to_string(),
            "cluster.replication-factor: 2 is greater than cluster.size (1)");
}

TEST(ConfigEnv, UnknownVariableUnderASectionIsRejected) {
  auto parsed = parse_config("", {{"TERN_CLUSTER_NODEID", "3"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ConfigErrc::kUnknownKey);
  EXPECT_EQ(parsed.error().key, "TERN_CLUSTER_NODEID");
  EXPECT_THAT(parsed.error().message, HasSubstr("matches no configuration key"));

  auto logging = parse_config("", {{"TERN_LOGGING_COLOR", "true"}});
  ASSERT_FALSE(logging.ok());
  EXPECT_EQ(logging.error().key, "TERN_LOGGING_COLOR");
}

TEST(ConfigEnv, OtherTernVariablesOnlyWarn) {
  auto parsed = parse_config("", {{"TERN_SOURCE_DIR", "/src"}, {"PATH", "/bin"}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_EQ(parsed->warnings[0], "TERN_SOURCE_DIR is not a configuration key; ignored");
}

TEST(ConfigEnv, ExportersComeWholeFromTernExporters) {
  auto parsed =
      parse_config("exporters: {old: {type: jsonl}}",
                   {{"TERN_EXPORTERS", "{audit: {type: jsonl, args: {path: /tmp/a.jsonl}}}"}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->config.exporters.size(), 1u);
  EXPECT_EQ(parsed->config.exporters.at("audit").args["path"], "/tmp/a.jsonl");

  auto broken = parse_config("", {{"TERN_EXPORTERS", "{audit: "}});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ConfigErrc::kSyntax);
  EXPECT_EQ(broken.error().key, "exporters (TERN_EXPORTERS)");
}

}  // namespace
}  // namespace tern::broker
