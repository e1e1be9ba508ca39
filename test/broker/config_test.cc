// Configuration parsing: defaults, every key from YAML, the TERN_* environment overrides, and one
// test per validation rule asserting the message names the key and the problem.

#include "broker/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "broker/config_schema.h"
#include "support/temp_dir.h"

namespace tern::broker {
namespace {

using ::testing::HasSubstr;

LoadedConfig parse_ok(std::string_view yaml, const Environment& env = {}) {
  auto parsed = parse_config(yaml, env);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().to_string());
  return parsed.ok() ? *parsed : LoadedConfig{};
}

ConfigError parse_error(std::string_view yaml, const Environment& env = {}) {
  auto parsed = parse_config(yaml, env);
  EXPECT_FALSE(parsed.ok()) << "expected an error for:\n" << yaml;
  return parsed.ok() ? ConfigError{} : parsed.error();
}

TEST(Config, EmptyTextGivesTheDocumentedDefaults) {
  TernConfig config = parse_ok("").config;
  EXPECT_EQ(config.cluster.node_id, 0);
  EXPECT_EQ(config.cluster.size, 1);
  EXPECT_EQ(config.cluster.partitions, 1);
  EXPECT_EQ(config.cluster.replication_factor, 1);
  EXPECT_TRUE(config.cluster.contact_points.empty());
  EXPECT_EQ(config.cluster.region, "");
  EXPECT_EQ(config.network.host, "127.0.0.1");
  EXPECT_EQ(config.network.advertised_host, "");
  EXPECT_EQ(config.network.effective_advertised_host(), "127.0.0.1");
  EXPECT_EQ(config.network.command_port, 26501);
  EXPECT_EQ(config.network.cluster_port, 26502);
  EXPECT_EQ(config.network.monitoring_port, 9600);
  EXPECT_TRUE(config.gateway.enabled);
  EXPECT_EQ(config.gateway.port, 26500);
  EXPECT_EQ(config.gateway.rest_port, 8080);
  EXPECT_EQ(config.data.directory, "./data");
  EXPECT_EQ(config.data.snapshot_period_seconds, 300);
  EXPECT_EQ(config.data.snapshot_log_entries, 50000);
  EXPECT_EQ(config.threads.partition_threads, 2);
  EXPECT_EQ(config.threads.journal_writer_threads, 4);
  EXPECT_TRUE(config.exporters.empty());
  EXPECT_EQ(config.logging.level, LogLevel::kInfo);
  EXPECT_EQ(config.logging.format, LogFormat::kText);
}

TEST(Config, ReadsEveryKeyFromYaml) {
  TernConfig config = parse_ok(R"(
cluster:
  node-id: 2
  size: 3
  partitions: 6
  replication-factor: 3
  contact-points: ["10.0.0.1:26502", "10.0.0.2:26502"]
  region: eu-west
network:
  host: 0.0.0.0
  advertised-host: broker-2.tern
  command-port: 1001
  cluster-port: 1002
  monitoring-port: 1003
gateway:
  enabled: false
  port: 1004
  rest-port: 1005
data:
  directory: /var/lib/tern
  snapshot-period-seconds: 60
  snapshot-log-entries: 4000
threads:
  partition-threads: 1
  journal-writer-threads: 8
exporters:
  audit:
    type: jsonl
    args: {path: /var/log/tern.jsonl, "max-size": 10, flush: true, name: "007"}
logging:
  level: debug
  format: json
)")
                          .config;
  EXPECT_EQ(config.cluster.node_id, 2);
  EXPECT_EQ(config.cluster.size, 3);
  EXPECT_EQ(config.cluster.partitions, 6);
  EXPECT_EQ(config.cluster.replication_factor, 3);
  EXPECT_EQ(config.cluster.contact_points,
            (std::vector<std::string>{"10.0.0.1:26502", "10.0.0.2:26502"}));
  EXPECT_EQ(config.cluster.region, "eu-west");
  EXPECT_EQ(config.network.host, "0.0.0.0");
  EXPECT_EQ(config.network.effective_advertised_host(), "broker-2.tern");
  EXPECT_EQ(config.network.command_port, 1001);
  EXPECT_EQ(config.network.cluster_port, 1002);
  EXPECT_EQ(config.network.monitoring_port, 1003);
  EXPECT_FALSE(config.gateway.enabled);
  EXPECT_EQ(config.gateway.port, 1004);
  EXPECT_EQ(config.gateway.rest_port, 1005);
  EXPECT_EQ(config.data.directory, "/var/lib/tern");
  EXPECT_EQ(config.data.snapshot_period_seconds, 60);
  EXPECT_EQ(config.data.snapshot_log_entries, 4000);
  EXPECT_EQ(config.threads.partition_threads, 1);
  EXPECT_EQ(config.threads.journal_writer_threads, 8);
  ASSERT_EQ(config.exporters.count("audit"), 1u);
  const auto& audit = config.exporters.at("audit");
  EXPECT_EQ(audit.type, "jsonl");
  EXPECT_EQ(audit.args["path"], "/var/log/tern.jsonl");
  EXPECT_EQ(audit.args["max-size"], 10);
  EXPECT_EQ(audit.args["flush"], true);
  EXPECT_EQ(audit.args["name"], "007");  // quoted: stays a string
  EXPECT_EQ(config.logging.level, LogLevel::kDebug);
  EXPECT_EQ(config.logging.format, LogFormat::kJson);
}

TEST(Config, TheShippedExampleFilesParse) {
  for (const char* name : {"broker.yaml", "gateway.yaml"}) {
    auto loaded = load_config(std::filesystem::path(TERN_TEST_SOURCE_DIR) / "config" / name, {});
    EXPECT_TRUE(loaded.ok()) << name << ": " << (loaded.ok() ? "" : loaded.error().to_string());
  }
  auto gateway =
      load_config(std::filesystem::path(TERN_TEST_SOURCE_DIR) / "config/gateway.yaml", {});
  ASSERT_TRUE(gateway.ok());
  EXPECT_TRUE(validate_for_gateway(gateway->config).ok());
}

TEST(Config, LoadsAFileAndNamesAMissingOne) {
  test::TempDir dir;
  auto path = dir.path() / "tern.yaml";
  std::ofstream(path) << "cluster:\n  partitions: 4\n";
  auto loaded = load_config(path, {});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.cluster.partitions, 4);

  auto missing = load_config(dir.path() / "nope.yaml", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ConfigErrc::kUnreadableFile);
  EXPECT_THAT(missing.error().to_string(), HasSubstr("nope.yaml"));
  EXPECT_THAT(missing.error().to_string(), HasSubstr("cannot read"));
}

TEST(Config, WithoutAFileDefaultsAndEnvironmentApply) {
  auto loaded = load_config(std::nullopt, {{"TERN_CLUSTER_PARTITIONS", "5"}});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.cluster.partitions, 5);
}

TEST(Config, SyntaxErrorNamesTheLine) {
  auto error = parse_error("cluster:\n  size: [1, 2\n");
  EXPECT_EQ(error.code, ConfigErrc::kSyntax);
  EXPECT_THAT(error.message, HasSubstr("not valid YAML"));
  EXPECT_THAT(error.message, HasSubstr("line "));
}

TEST(Config, SyntaxErrorInAFileNamesTheFile) {
  test::TempDir dir;
  auto path = dir.path() / "broken.yaml";
  std::ofstream(path) << "cluster: {size: \n";
  auto loaded = load_config(path, {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ConfigErrc::kSyntax);
  EXPECT_THAT(loaded.error().to_string(), HasSubstr("broken.yaml: not valid YAML"));
}

TEST(Config, RootMustBeAMap) {
  auto error = parse_error("- just\n- a list\n");
  EXPECT_EQ(error.code, ConfigErrc::kWrongType);
  EXPECT_THAT(error.message, HasSubstr("map of sections"));
}

TEST(Config, UnknownSectionIsRejected) {
  auto error = parse_error("clusterr:\n  size: 1\n");
  EXPECT_EQ(error.code, ConfigErrc::kUnknownKey);
  EXPECT_EQ(error.to_string(),
            "clusterr: unknown key (sections are cluster, network, gateway, data, threads, "
            "exporters, logging)");
}

TEST(Config, UnknownKeyIsRejectedAndTheValidOnesListed) {
  auto error = parse_error("cluster:\n  nodeId: 1\n");
  EXPECT_EQ(error.code, ConfigErrc::kUnknownKey);
  EXPECT_EQ(error.key, "cluster.nodeId");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
  EXPECT_THAT(error.message, HasSubstr("node-id"));
}

TEST(Config, UnknownExporterKeyIsRejected) {
  auto error = parse_error("exporters:\n  audit:\n    type: jsonl\n    class: x\n");
  EXPECT_EQ(error.code, ConfigErrc::kUnknownKey);
  EXPECT_EQ(error.key, "exporters.audit.class");
}

TEST(Config, ExporterNeedsAType) {
  auto error = parse_error("exporters:\n  audit:\n    args: {a: 1}\n");
  EXPECT_EQ(error.to_string(), "exporters.audit.type: is required");
}

TEST(Config, SectionMustBeAMap) {
  auto error = parse_error("network: 8080\n");
  EXPECT_EQ(error.code, ConfigErrc::kWrongType);
  EXPECT_EQ(error.to_string(), "network: expected a map");
}

TEST(Config, WrongTypesNameKeyExpectedAndFound) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  for (const Case& c : {
           Case{"cluster: {size: three}", "cluster.size: expected an integer, got 'three'"},
           Case{"cluster: {node-id: 1.5}", "cluster.node-id: expected an integer, got '1.5'"},
           Case{"cluster: {partitions: [1]}",
                "cluster.partitions: expected an integer, got a list"},
           Case{"gateway: {enabled: maybe}",
                "gateway.enabled: expected a boolean (true or false), got 'maybe'"},
           Case{"network: {command-port: http}",
                "network.command-port: expected a port number, got 'http'"},
           Case{"cluster: {contact-points: a:1}",
                "cluster.contact-points: expected a list of strings, got 'a:1'"},
           Case{"cluster: {contact-points: [{a: 1}]}",
                "cluster.contact-points[0]: expected a string, got a map"},
           Case{"network: {host: {a: b}}", "network.host: expected a string, got a map"},
       }) {
    auto error = parse_error(c.yaml);
    EXPECT_EQ(error.code, ConfigErrc::kWrongType) << c.yaml;
    EXPECT_EQ(error.to_string(), c.message);
  }
}

TEST(Config, PortsMustBeInRange) {
  for (const char* port : {"0", "65536", "-1"}) {
    auto error = parse_error(std::string("network: {monitoring-port: ") + port + "}");
    EXPECT_EQ(error.code, ConfigErrc::kInvalidValue);
    EXPECT_EQ(error.to_string(),
              std::string("network.monitoring-port: port ") + port + " is not between 1 and 65535");
  }
}

TEST(Config, IntegersMustFitIn32Bits) {
  auto error = parse_error("cluster: {partitions: 99999999999}");
  EXPECT_EQ(error.to_string(),
            "cluster.partitions: 99999999999 is out of range for a 32-bit integer");
}

TEST(Config, ReplicationFactorGreaterThanSizeIsRejected) {
  auto error = parse_error("cluster: {size: 2, replication-factor: 3}");
  EXPECT_EQ(error.code, ConfigErrc::kInvalidValue);
  EXPECT_EQ(error.to_string(), "cluster.replication-factor: 3 is greater than cluster.size (2)");
}

TEST(Config, NodeIdAtOrAboveSizeJoinsARunningClusterAndANegativeOneIsRejected) {
  // cluster.size counts the initial members; a larger id is a broker added later.
  EXPECT_EQ(parse_ok("cluster: {size: 3, node-id: 3}").config.cluster.node_id, 3);

  auto negative = parse_error("cluster: {node-id: -1}");
  EXPECT_EQ(negative.code, ConfigErrc::kInvalidValue);
  EXPECT_EQ(negative.key, "cluster.node-id");
  EXPECT_THAT(negative.message, HasSubstr("-1 is negative"));
}

TEST(Config, RegionCountDerivesTheNodeIdFromThePodName) {
  // Pod tern-3 in region 1 of 2: id 3 * 2 + 1; the region label defaults to the index.
  auto loaded = parse_ok("cluster: {size: 8, region-count: 2, region-index: 1, pod-name: tern-3}");
  EXPECT_EQ(loaded.config.cluster.node_id, 7);
  EXPECT_EQ(loaded.config.cluster.region, "1");

  // Without pod-name the HOSTNAME variable (Kubernetes sets it to the pod name) is used, and an
  // explicit region label is kept.
  auto from_env = parse_ok("cluster: {size: 8, region-count: 2, region: eu-west}",
                           {{"HOSTNAME", "tern-broker-2"}});
  EXPECT_EQ(from_env.config.cluster.node_id, 4);
  EXPECT_EQ(from_env.config.cluster.region, "eu-west");

  // region-count 0 leaves node-id as written.
  EXPECT_EQ(
      parse_ok("cluster: {size: 3, node-id: 2}", {{"HOSTNAME", "tern-0"}}).config.cluster.node_id,
      2);
}

TEST(Config, RegionKeysAreChecked) {
  auto both = parse_error("cluster: {size: 4, node-id: 1, region-count: 2, pod-name: tern-0}");
  EXPECT_EQ(both.key, "cluster.node-id");
  EXPECT_THAT(both.message, HasSubstr("must not be set together with cluster.region-count"));

  auto no_pod = parse_error("cluster: {size: 4, region-count: 2}");
  EXPECT_EQ(no_pod.key, "cluster.pod-name");
  EXPECT_THAT(no_pod.message, HasSubstr("HOSTNAME"));

  auto bad_pod = parse_error("cluster: {size: 4, region-count: 2, pod-name: tern}");
  EXPECT_EQ(bad_pod.key, "cluster.pod-name");
  EXPECT_THAT(bad_pod.message, HasSubstr("does not end in '-<ordinal>'"));

  auto index = parse_error("cluster: {size: 4, region-count: 2, region-index: 2, pod-name: t-0}");
  EXPECT_EQ(index.key, "cluster.region-index");
  EXPECT_THAT(index.message, HasSubstr("2 is outside 0..1"));

  EXPECT_EQ(parse_error("cluster: {region-count: -1}").key, "cluster.region-count");

  // A derived id beyond the initial members (a StatefulSet scaled out) joins the running cluster.
  EXPECT_EQ(
      parse_ok("cluster: {size: 4, region-count: 2, pod-name: tern-2}").config.cluster.node_id, 4);
}

TEST(Config, SizesMustBePositive) {
  EXPECT_EQ(parse_error("cluster: {size: 0}").to_string(),
            "cluster.size: must be at least 1, got 0");
  EXPECT_EQ(parse_error("cluster: {partitions: 0}").to_string(),
            "cluster.partitions: must be at least 1, got 0");
  EXPECT_EQ(parse_error("cluster: {replication-factor: 0}").to_string(),
            "cluster.replication-factor: must be at least 1, got 0");
}

TEST(Config, ContactPointsMustBeHostColonPort) {
  auto error = parse_error("cluster: {contact-points: [\"a:1\", \"b\"]}");
  EXPECT_EQ(error.to_string(), "cluster.contact-points[1]: 'b' is not of the form host:port");
  auto bad_port = parse_error("cluster: {contact-points: [\"a:http\"]}");
  EXPECT_THAT(bad_port.to_string(), HasSubstr("cluster.contact-points[0]: 'a:http' has no valid"));
  auto ipv6 = parse_ok("cluster: {contact-points: [\"[::1]:26501\"]}");
  EXPECT_EQ(ipv6.config.cluster.contact_points.size(), 1u);
}

TEST(Config, LoggingValuesAreChecked) {
  EXPECT_EQ(parse_error("logging: {level: loud}").to_string(),
            "logging.level: 'loud' is not one of trace, debug, info, warn, error, off");
  EXPECT_EQ(parse_error("logging: {format: xml}").to_string(),
            "logging.format: 'xml' is not one of text, json");
}

TEST(Config, EmptyHostAndDataDirectoryAreRejected) {
  EXPECT_EQ(parse_error("network: {host: \"\"}").to_string(), "network.host: must not be empty");
  EXPECT_EQ(parse_error("data: {directory: \"\"}").to_string(),
            "data.directory: must not be empty");
}

TEST(Config, SnapshotTriggersMustBePositiveAndThePeriodAtMostADay) {
  EXPECT_EQ(parse_error("data: {snapshot-period-seconds: 0}").to_string(),
            "data.snapshot-period-seconds: must be between 1 and 86400 (a day), got 0");
  EXPECT_EQ(parse_error("data: {snapshot-period-seconds: 90000}").to_string(),
            "data.snapshot-period-seconds: must be between 1 and 86400 (a day), got 90000");
  EXPECT_EQ(parse_error("data: {snapshot-log-entries: -5}").to_string(),
            "data.snapshot-log-entries: must be at least 1, got -5");
  EXPECT_EQ(parse_ok("data: {snapshot-log-entries: 1}").config.data.snapshot_log_entries, 1);
}

TEST(Config, ThreadCountsAreBetweenOneAndSixtyFour) {
  EXPECT_EQ(parse_error("threads: {partition-threads: 0}").to_string(),
            "threads.partition-threads: must be between 1 and 64, got 0");
  EXPECT_EQ(parse_error("threads: {journal-writer-threads: 65}").to_string(),
            "threads.journal-writer-threads: must be between 1 and 64, got 65");
  EXPECT_EQ(parse_error("threads: {partition-threads: many}").code, ConfigErrc::kWrongType);
  EXPECT_EQ(parse_ok("threads: {partition-threads: 64}").config.threads.partition_threads, 64);
}

TEST(Config, StandaloneGatewayNeedsContactPoints) {
  auto config = parse_ok("").config;
  auto result = validate_for_gateway(config);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().key, "cluster.contact-points");
  EXPECT_THAT(result.error().message, HasSubstr("at least one contact point"));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Config, TheReferenceDocumentsEveryKeyAndVariable) {
  auto docs = read_file(std::filesystem::path(TERN_TEST_SOURCE_DIR) / "docs/configuration.md");
  ASSERT_FALSE(docs.empty());
  for (const auto& spec : config_keys()) {
    EXPECT_NE(docs.find("| `" + std::string(spec.path) + "` |"), std::string::npos)
        << spec.path << " is missing from docs/configuration.md";
    EXPECT_NE(docs.find("`" + env_name_for(spec.path) + "`"), std::string::npos)
        << env_name_for(spec.path) << " is missing from docs/configuration.md";
  }
}

TEST(Config, TheExampleFileShowsEveryKey) {
  auto example = YAML::LoadFile(std::string(TERN_TEST_SOURCE_DIR) + "/config/broker.yaml");
  for (const auto& spec : config_keys()) {
    auto dot = spec.path.find('.');
    auto section = std::string(spec.path.substr(0, dot));
    auto key = std::string(spec.path.substr(dot + 1));
    EXPECT_TRUE(example[section][key].IsDefined()) << spec.path << " is missing from broker.yaml";
  }
  EXPECT_TRUE(example["exporters"].IsDefined());
}

}  // namespace
}  // namespace tern::broker
