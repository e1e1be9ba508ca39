#pragma once

#include <filesystem>

namespace tern::test {

// The root of the Tern source tree this test was built from.
std::filesystem::path source_dir();

// `../shared` beside the project: the design and the BPMN corpus (`shared_dir() / "bpmn-corpus"`).
// Honours TERN_SHARED_DIR when set.
std::filesystem::path shared_dir();

// The folder holding the project's binaries (ternd, tern): the running test's own folder.
std::filesystem::path binary_dir();

}  // namespace tern::test
