// The ternd command line.

#include "broker/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace tern::broker {
namespace {

using ::testing::HasSubstr;

Result<CommandLine, UsageError> parse(std::vector<std::string_view> args) {
  return parse_command_line(args);
}

TEST(CommandLine, BrokerWithAndWithoutConfig) {
  auto plain = parse({"broker"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->command, Command::kBroker);
  EXPECT_FALSE(plain->config_file.has_value());

  auto with = parse({"broker", "--config", "/etc/tern/broker.yaml"});
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->config_file, std::filesystem::path("/etc/tern/broker.yaml"));

  auto equals = parse({"gateway", "--config=gw.yaml"});
  ASSERT_TRUE(equals.ok());
  EXPECT_EQ(equals->command, Command::kGateway);
  EXPECT_EQ(equals->config_file, std::filesystem::path("gw.yaml"));
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->command, Command::kHelp);
  EXPECT_EQ(parse({"-h"})->help_topic, Command::kHelp);
  EXPECT_EQ(parse({"--version"})->command, Command::kVersion);
  auto broker_help = parse({"broker", "--help"});
  ASSERT_TRUE(broker_help.ok());
  EXPECT_EQ(broker_help->command, Command::kHelp);
  EXPECT_EQ(broker_help->help_topic, Command::kBroker);
  EXPECT_THAT(usage_text(Command::kBroker), HasSubstr("ternd broker [--config FILE]"));
  EXPECT_THAT(usage_text(Command::kGateway), HasSubstr("ternd gateway [--config FILE]"));
  EXPECT_THAT(usage_text(Command::kHelp), HasSubstr("Commands:"));
}

TEST(CommandLine, UsageErrors) {
  struct Case {
    std::vector<std::string_view> args;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {{}, "no command given"},
           {{"brokr"}, "unknown command 'brokr'"},
           {{"--verbose"}, "unknown option '--verbose'"},
           {{"broker", "--port", "1"}, "unknown option '--port' for 'ternd broker'"},
           {{"gateway", "extra"}, "unexpected argument 'extra' for 'ternd gateway'"},
           {{"broker", "--config"}, "--config needs a file name for 'ternd broker'"},
           {{"broker", "--config=a", "--config=b"}, "--config given twice"},
           {{"--version", "x"}, "unexpected argument 'x'"},
       }) {
    auto result = parse(c.args);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.error().message, c.message);
  }
  EXPECT_EQ(parse({"broker", "--nope"}).error().topic, Command::kBroker);
}

}  // namespace
}  // namespace tern::broker
