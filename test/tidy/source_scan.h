#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tern::test {

// One line of a source file that matched a rule, for a readable failure message.
struct SourceHit {
  std::filesystem::path file;
  int line = 0;
  std::string text;
};

// Every C++ source or header under `root` (recursively), sorted so output is stable.
std::vector<std::filesystem::path> cpp_files_under(const std::filesystem::path& root);

// The targets of `#include "..."` and `#include <...>` lines in a file, with their line numbers.
std::vector<SourceHit> includes_of(const std::filesystem::path& file);

// Lines (outside // comments) that contain `needle`.
std::vector<SourceHit> lines_containing(const std::filesystem::path& file,
                                        const std::string& needle);

std::string describe(const std::vector<SourceHit>& hits);

}  // namespace tern::test
