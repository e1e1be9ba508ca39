#include "broker/data_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

namespace tern::broker {
namespace {

constexpr const char* kKey = "data.directory";

ConfigError failure(std::string message) {
  return ConfigError{ConfigErrc::kDataDirectory, kKey, std::move(message)};
}

std::string errno_text(int error) {
  return std::strerror(error);
}

// The pid recorded by the current lock holder, if it can be read.
std::string holder_of(const std::filesystem::path& lock_path) {
  std::ifstream in(lock_path);
  std::string pid;
  if (in >> pid && !pid.empty()) return " (pid " + pid + ")";
  return "";
}

// Creates and deletes a probe file: permissions, read-only mounts and full quotas all show here.
Result<void, ConfigError> probe_writable(const std::filesystem::path& dir) {
  auto probe = dir / ".write-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return tern::unexpected(failure(dir.string() + " is not writable: " + errno_text(errno)));
  }
  bool written = ::write(fd, "ok", 2) == 2;
  int write_errno = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!written) {
    return tern::unexpected(failure(dir.string() + " is not writable: " + errno_text(write_errno)));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<DataDirectory>, ConfigError> DataDirectory::open(
    const std::filesystem::path& directory) {
  std::error_code ec;
  auto path = std::filesystem::absolute(directory, ec);
  if (ec) path = directory;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) {
    return tern::unexpected(failure(path.string() + " exists and is not a directory"));
  }
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return tern::unexpected(failure("cannot create " + path.string() + ": " + ec.message()));
  }
  if (auto writable = probe_writable(path); !writable) return tern::unexpected(writable.error());

  auto lock_path = path / kLockFileName;
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return tern::unexpected(
        failure("cannot open the lock file " + lock_path.string() + ": " + errno_text(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int lock_errno = errno;
    ::close(fd);
    if (lock_errno == EWOULDBLOCK) {
      return tern::unexpected(failure(path.string() + " is in use by another Tern broker"
                                      + holder_of(lock_path)
                                      + "; each broker needs its own data directory"));
    }
    return tern::unexpected(
        failure("cannot lock " + lock_path.string() + ": " + errno_text(lock_errno)));
  }
  // Record who holds the lock, so that the next one to try can name us.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0
      || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int write_errno = errno;
    ::close(fd);
    return tern::unexpected(failure("cannot write the lock file " + lock_path.string() + ": "
                                    + errno_text(write_errno)));
  }
  return std::unique_ptr<DataDirectory>(new DataDirectory(std::move(path), fd));
}

DataDirectory::DataDirectory(std::filesystem::path path, int lock_fd)
    : path_(std::move(path)), lock_fd_(lock_fd) {}

DataDirectory::~DataDirectory() {
  release();
}

void DataDirectory::release() {
  if (lock_fd_ < 0) return;
  ::flock(lock_fd_, LOCK_UN);
  ::close(lock_fd_);
  lock_fd_ = -1;
}

Result<std::filesystem::path, ConfigError> DataDirectory::partition_directory(
    PartitionId partition) const {
  auto dir = path_ / ("partition-" + std::to_string(partition.value()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tern::unexpected(failure("cannot create " + dir.string() + ": " + ec.message()));
  return dir;
}

}  // namespace tern::broker
