// The Raft core must stay a pure state machine: it includes only the standard library, src/common
// and itself — no IO, clocks, threads, randomness sources or logging.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "support/paths.h"

namespace tern::raft {
namespace {

TEST(RaftCorePurity, IncludesOnlyTheStandardLibraryAndCommon) {
  const std::set<std::string> banned = {"thread",     "mutex",   "chrono",
                                        "random",     "fstream", "iostream",
                                        "filesystem", "future",  "condition_variable",
                                        "ctime",      "atomic"};
  const std::regex include_line(R"re(^\s*#\s*include\s*([<"])([^>"]+)[>"])re");
  auto core = test::source_dir() / "src" / "raft" / "core";
  ASSERT_TRUE(std::filesystem::exists(core)) << core;
  int files = 0;
  for (const auto& item : std::filesystem::directory_iterator(core)) {
    std::ifstream in(item.path());
    std::string line;
    ++files;
    while (std::getline(in, line)) {
      std::smatch match;
      if (!std::regex_search(line, match, include_line)) continue;
      std::string header = match[2];
      if (match[1] == "\"") {
        EXPECT_TRUE(header.rfind("raft/core/", 0) == 0 || header.rfind("common/", 0) == 0)
            << item.path().filename() << " includes " << header;
      } else {
        EXPECT_EQ(banned.count(header), 0u)
            << item.path().filename() << " includes <" << header << ">";
        EXPECT_EQ(header.find('/'), std::string::npos)  // no third-party <lib/header.h>
            << item.path().filename() << " includes <" << header << ">";
        EXPECT_EQ(header.find(".h"), std::string::npos)
            << item.path().filename() << " includes <" << header << ">";
      }
    }
  }
  EXPECT_GT(files, 10);
}

}  // namespace
}  // namespace tern::raft
