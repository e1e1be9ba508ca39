// The differential test: every expression of corpus.json is evaluated by Tern and by feelin (an
// independent FEEL interpreter from the npm registry, installed into a temporary folder and run
// with Node.js); the results must agree, except for the deliberate differences listed with their
// reasons in differences.json. A listed difference that no longer differs fails the test too, so
// the list stays true.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "differential_support.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace tern::feel::test {
namespace {

constexpr const char* kFeelinVersion = "8.2.0";

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return nlohmann::json::parse(in);
}

std::filesystem::path feel_test_dir() {
  return tern::test::source_dir() / "test/engine/feel";
}

TEST(FeelDifferential, CorpusAgreesWithFeelin) {
  auto corpus = read_json(feel_test_dir() / "corpus.json");
  auto differences = read_json(feel_test_dir() / "differences.json");
  ASSERT_GE(corpus.size(), 300U);

  tern::test::TempDir dir;
  std::string install = "npm install --prefix '" + dir.path().string()
                        + "' --no-audit --no-fund --loglevel=error feelin@" + kFeelinVersion
                        + " > '" + (dir.path() / "npm.log").string() + "' 2>&1";
  if (std::system(install.c_str()) != 0) {
    std::ifstream log(dir.path() / "npm.log");
    std::stringstream text;
    text << log.rdbuf();
    FAIL() << "npm install of feelin@" << kFeelinVersion << " failed:\n" << text.str();
  }
  std::filesystem::copy_file(feel_test_dir() / "feelin_runner.mjs", dir.path() / "runner.mjs");
  auto feelin_out = dir.path() / "feelin.json";
  std::string run = "node '" + (dir.path() / "runner.mjs").string() + "' '"
                    + (feel_test_dir() / "corpus.json").string() + "' '" + feelin_out.string()
                    + "'";
  ASSERT_EQ(std::system(run.c_str()), 0) << "running feelin failed";
  auto feelin = read_json(feelin_out);
  ASSERT_EQ(feelin.size(), corpus.size());

  auto tern_results = nlohmann::json::array();
  std::size_t agreed = 0, listed = 0;
  std::map<std::string, bool> listed_seen;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const std::string expression = corpus[i]["expression"];
    auto ours = evaluate_normalised(expression, corpus[i]["context"]);
    tern_results.push_back(ours);
    bool same = equivalent(ours, feelin[i]);
    bool is_listed = differences.contains(expression);
    if (is_listed) {
      listed_seen[expression] = true;
      ++listed;
      EXPECT_FALSE(same) << "listed as a difference but now agrees: " << expression;
      continue;
    }
    if (same) {
      ++agreed;
    } else {
      ADD_FAILURE() << "differs: " << expression << "\n  tern:   " << ours.dump()
                    << "\n  feelin: " << feelin[i].dump();
    }
  }
  for (const auto& [expression, reason] : differences.items()) {
    EXPECT_TRUE(listed_seen.count(expression)) << "difference not in the corpus: " << expression;
    EXPECT_FALSE(reason.get<std::string>().empty())
        << "difference without a reason: " << expression;
  }
  std::ofstream(dir.path() / "tern.json") << tern_results.dump(1);
  std::printf("FEEL differential: %zu expressions, %zu agree, %zu listed differences\n",
              corpus.size(), agreed, listed);
}

}  // namespace
}  // namespace tern::feel::test
