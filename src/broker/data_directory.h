#pragma once

// The broker's data directory, held exclusively. open() creates the folder when missing, proves it
// is writable, and takes an flock on `<dir>/LOCK` (recording this process's pid in it) so that two
// brokers never share one directory; the lock lasts until release() or destruction, and the kernel
// drops it if the process dies, so a SIGKILLed broker never leaves a stale lock behind.
// Owned by the daemon's main thread.

#include <filesystem>
#include <memory>

#include "broker/config.h"
#include "common/result.h"
#include "common/strong_id.h"

namespace tern::broker {

class DataDirectory {
 public:
  static constexpr const char* kLockFileName = "LOCK";

  // Errors are kDataDirectory and name the key "data.directory".
  static Result<std::unique_ptr<DataDirectory>, ConfigError> open(
      const std::filesystem::path& directory);

  DataDirectory(const DataDirectory&) = delete;
  DataDirectory& operator=(const DataDirectory&) = delete;
  ~DataDirectory();

  const std::filesystem::path& path() const { return path_; }

  // `<dir>/partition-<p>`, created when missing.
  Result<std::filesystem::path, ConfigError> partition_directory(PartitionId partition) const;

  // Drops the lock; idempotent.
  void release();

 private:
  DataDirectory(std::filesystem::path path, int lock_fd);

  std::filesystem::path path_;
  int lock_fd_ = -1;
};

}  // namespace tern::broker
