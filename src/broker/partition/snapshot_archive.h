#pragma once

// A snapshot folder (the engine's RocksDB checkpoint and its manifest) as one byte string, the
// form Raft stores and streams to lagging replicas in chunks. The format is deliberately plain:
// "TSNP" + version, then for each regular file (sorted by relative path) the path length, path,
// size and bytes, then a CRC32C of everything before it. Unpacking checks every length against the
// remaining bytes, refuses absolute paths and "..", and verifies the checksum, so a damaged
// archive is reported, never half-installed.

#include <filesystem>
#include <string>

#include "common/result.h"

namespace tern::broker {

struct ArchiveError {
  std::string message;
};

Result<std::string, ArchiveError> pack_directory(const std::filesystem::path& dir);
// Writes the archive's files into `dir` (created; should be empty).
Result<void, ArchiveError> unpack_directory(std::string_view archive,
                                            const std::filesystem::path& dir);

}  // namespace tern::broker
