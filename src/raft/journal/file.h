#pragma once

// Thin POSIX file helpers for the journal: an owning descriptor and whole-buffer reads and writes
// that retry on EINTR and short transfers. Errors come back as strings naming the file and errno.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::raft::journal {

enum class OpenMode { kExisting, kCreate };

class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens read-write; kCreate creates the file when missing.
  static Result<File, std::string> open(const std::filesystem::path& path, OpenMode mode);

  bool is_open() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }

  Result<std::uint64_t, std::string> size() const;
  Result<void, std::string> read_at(std::uint64_t offset, char* out, std::size_t size) const;
  Result<void, std::string> write_at(std::uint64_t offset, std::string_view bytes);
  Result<void, std::string> truncate(std::uint64_t size);
  Result<void, std::string> sync();  // fdatasync
  Result<std::string, std::string> read_all() const;

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// kSkip is for tests and simulations only: writes reach the OS but are never forced to the device.
enum class Durability { kSync, kSkip };

// Makes a directory's entries (created, renamed, removed files) durable.
Result<void, std::string> sync_directory(const std::filesystem::path& dir);

// Writes `bytes` to `path` atomically: a temporary file, synced, renamed over, directory synced.
Result<void, std::string> write_file_atomically(const std::filesystem::path& path,
                                                std::string_view bytes,
                                                Durability durability = Durability::kSync);

}  // namespace tern::raft::journal
