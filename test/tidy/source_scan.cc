#include "tidy/source_scan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tern::test {
namespace fs = std::filesystem;

std::vector<fs::path> cpp_files_under(const fs::path& root) {
  std::vector<fs::path> files;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const auto extension = entry.path().extension();
    if (extension == ".h" || extension == ".cc" || extension == ".hpp" || extension == ".cpp") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<SourceHit> includes_of(const fs::path& file) {
  std::vector<SourceHit> result;
  std::ifstream in(file);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 8, "#include") != 0) continue;
    auto open = line.find_first_of("\"<", start + 8);
    if (open == std::string::npos) continue;
    auto close = line.find_first_of("\">", open + 1);
    if (close == std::string::npos) continue;
    result.push_back({file, number, line.substr(open + 1, close - open - 1)});
  }
  return result;
}

std::vector<SourceHit> lines_containing(const fs::path& file, const std::string& needle) {
  std::vector<SourceHit> result;
  std::ifstream in(file);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto comment = line.find("//");
    std::string code = comment == std::string::npos ? line : line.substr(0, comment);
    if (code.find(needle) != std::string::npos) result.push_back({file, number, line});
  }
  return result;
}

std::string describe(const std::vector<SourceHit>& hits) {
  std::ostringstream out;
  for (const auto& hit : hits)
    out << "\n  " << hit.file.string() << ":" << hit.line << ": " << hit.text;
  return out.str();
}

}  // namespace tern::test
