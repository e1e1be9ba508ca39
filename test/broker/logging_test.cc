// JSON log lines: one object per line, escaped, with the documented fields.

#include "broker/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace tern::broker {
namespace {

TEST(Logging, JsonFormatWritesOneObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("broker", sink);
  logger.set_formatter(make_json_formatter());
  logger.info("partition {} is \"leader\"\nnext", 1);
  logger.warn("second");
  logger.flush();

  std::istringstream lines(out.str());
  std::string first;
  std::string second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  std::string rest;
  EXPECT_FALSE(std::getline(lines, rest)) << "a message with a newline must stay on one line";

  auto a = nlohmann::json::parse(first);
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["logger"], "broker");
  EXPECT_EQ(a["message"], "partition 1 is \"leader\"\nnext");
  ASSERT_TRUE(a["timestamp"].is_string());
  auto timestamp = a["timestamp"].get<std::string>();
  EXPECT_EQ(timestamp.size(), std::string("2026-01-01T00:00:00.000Z").size()) << timestamp;
  EXPECT_EQ(timestamp.back(), 'Z');
  EXPECT_TRUE(a["thread"].is_number());
  EXPECT_EQ(nlohmann::json::parse(second)["level"], "warning");
}

TEST(Logging, InvalidUtf8DoesNotThrow) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("broker", sink);
  logger.set_formatter(make_json_formatter());
  logger.info("bad byte \xff here");
  logger.flush();
  auto line = nlohmann::json::parse(out.str());
  EXPECT_NE(line["message"].get<std::string>().find("bad byte"), std::string::npos);
}

TEST(Logging, SetupAppliesTheLevel) {
  setup_logging(LoggingConfig{LogLevel::kWarn, LogFormat::kJson}, "test");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_EQ(spdlog::default_logger()->name(), "test");
  setup_logging(LoggingConfig{LogLevel::kDebug, LogFormat::kText}, "test");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
}

}  // namespace
}  // namespace tern::broker
