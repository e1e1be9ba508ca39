// The architecture's rules that a compiler does not check (docs/architecture.md): which module may
// include which, what the pure Raft core may not touch, and where printing to stdout is allowed.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/paths.h"
#include "tidy/source_scan.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

bool starts_with_any(const std::string& text, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Every include under `folder` whose target starts with one of `banned`.
std::vector<SourceHit> banned_includes(const fs::path& folder,
                                       const std::vector<std::string>& banned,
                                       const std::vector<std::string>& exempt_subfolders = {}) {
  std::vector<SourceHit> hits;
  for (const auto& file : cpp_files_under(folder)) {
    auto relative = fs::relative(file, folder).string();
    if (starts_with_any(relative, exempt_subfolders)) continue;
    for (auto& include : includes_of(file)) {
      if (starts_with_any(include.text, banned)) hits.push_back(include);
    }
  }
  return hits;
}

const fs::path kSrc = source_dir() / "src";

TEST(Tidy, RaftCoreIsPure) {
  // The core is a deterministic state machine: no IO, no threads, no clocks, no libraries.
  auto hits = banned_includes(kSrc / "raft" / "core",
                              {"asio", "grpc", "rocksdb", "spdlog", "thread", "mutex", "chrono",
                               "random", "fstream", "filesystem", "future", "condition_variable",
                               "unistd.h", "sys/", "engine/", "broker/", "gateway/", "exporter/"});
  EXPECT_TRUE(hits.empty()) << "the Raft core must stay pure:" << describe(hits);
}

TEST(Tidy, RaftDoesNotKnowTheEngineOrTheServers) {
  auto hits = banned_includes(kSrc / "raft",
                              {"engine/", "broker/", "gateway/", "exporter/", "rocksdb", "grpc"});
  EXPECT_TRUE(hits.empty()) << "src/raft may not depend on these:" << describe(hits);
}

TEST(Tidy, EngineDoesNotKnowRaftOrSockets) {
  auto hits = banned_includes(kSrc / "engine", {"raft/", "broker/", "gateway/", "exporter/", "asio",
                                                "grpc", "httplib", "sys/socket.h"});
  EXPECT_TRUE(hits.empty()) << "src/engine may not depend on these:" << describe(hits);
}

TEST(Tidy, FeelStandsAlone) {
  auto hits = banned_includes(kSrc / "engine" / "feel", {"engine/", "rocksdb", "spdlog"});
  // feel's own headers are included as "engine/feel/..."; those are fine.
  std::erase_if(hits, [](const SourceHit& hit) { return hit.text.rfind("engine/feel/", 0) == 0; });
  EXPECT_TRUE(hits.empty()) << "FEEL must not depend on the rest of the engine:" << describe(hits);
}

TEST(Tidy, GatewayDoesNotKnowEngineInternals) {
  auto hits = banned_includes(kSrc / "gateway", {"engine/", "raft/", "rocksdb"});
  EXPECT_TRUE(hits.empty()) << "the gateway talks to brokers, not to the engine:" << describe(hits);
}

TEST(Tidy, ExporterDoesNotKnowEngineInternalsOrRaft) {
  auto hits = banned_includes(
      kSrc / "exporter", {"raft/", "broker/", "gateway/", "engine/processing/", "engine/state/",
                          "engine/processors/", "engine/appliers/"});
  EXPECT_TRUE(hits.empty()) << "exporters see records only:" << describe(hits);
}

TEST(Tidy, OnlyCommandLineProgramsPrintToStdout) {
  // Daemons log through spdlog; printing is for the CLI and the binaries' usage text.
  std::vector<SourceHit> hits;
  for (const auto& file : cpp_files_under(kSrc)) {
    auto relative = fs::relative(file, kSrc).string();
    if (relative.rfind("cli/", 0) == 0 || relative.find("_main.cc") != std::string::npos) continue;
    for (const char* needle : {"std::cout", "printf(", "puts("}) {
      for (auto& hit : lines_containing(file, needle)) {
        // snprintf/fprintf(stderr) for assertions are allowed; bare printf is not.
        if (hit.text.find("snprintf") != std::string::npos) continue;
        if (hit.text.find("fprintf(stderr") != std::string::npos) continue;
        if (hit.text.find("fputs(") != std::string::npos
            && hit.text.find("stderr") != std::string::npos)
          continue;
        hits.push_back(hit);
      }
    }
  }
  EXPECT_TRUE(hits.empty()) << "use spdlog outside the CLI:" << describe(hits);
}

TEST(Tidy, EveryModuleHasAReadme) {
  std::vector<std::string> missing;
  for (const auto& entry : fs::directory_iterator(kSrc)) {
    if (!entry.is_directory()) continue;
    if (cpp_files_under(entry.path()).empty()) continue;
    if (!fs::exists(entry.path() / "README.md"))
      missing.push_back(entry.path().filename().string());
  }
  std::string names;
  for (const auto& name : missing)
    names += " " + name;
  EXPECT_TRUE(missing.empty()) << "modules without a README.md:" << names;
}

}  // namespace
}  // namespace tern::test
