#include "raft/journal/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tern::raft::journal {
namespace {

std::string describe(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

Result<File, std::string> File::open(const std::filesystem::path& path, OpenMode mode) {
  int flags = O_RDWR | O_CLOEXEC | (mode == OpenMode::kCreate ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return unexpected(describe("cannot open", path));
  File file;
  file.fd_ = fd;
  file.path_ = path;
  return file;
}

Result<std::uint64_t, std::string> File::size() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return unexpected(describe("cannot stat", path_));
  return static_cast<std::uint64_t>(info.st_size);
}

Result<void, std::string> File::read_at(std::uint64_t offset, char* out, std::size_t size) const {
  while (size > 0) {
    ssize_t got = ::pread(fd_, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return unexpected(describe("cannot read", path_));
    if (got == 0) return unexpected("unexpected end of " + path_.string());
    out += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return {};
}

Result<void, std::string> File::write_at(std::uint64_t offset, std::string_view bytes) {
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t put = ::pwrite(fd_, at, left, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return unexpected(describe("cannot write", path_));
    at += put;
    left -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
  return {};
}

Result<void, std::string> File::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return unexpected(describe("cannot truncate", path_));
  }
  return {};
}

Result<void, std::string> File::sync() {
  if (::fdatasync(fd_) != 0) return unexpected(describe("cannot sync", path_));
  return {};
}

Result<std::string, std::string> File::read_all() const {
  auto bytes = size();
  if (!bytes.ok()) return unexpected(bytes.error());
  std::string out(*bytes, '\0');
  if (!out.empty()) {
    auto read = read_at(0, out.data(), out.size());
    if (!read.ok()) return unexpected(read.error());
  }
  return out;
}

Result<void, std::string> sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return unexpected(describe("cannot open directory", dir));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return unexpected(describe("cannot sync directory", dir));
  return {};
}

Result<void, std::string> write_file_atomically(const std::filesystem::path& path,
                                                std::string_view bytes, Durability durability) {
  bool sync = durability == Durability::kSync;
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    auto file = File::open(temporary, OpenMode::kCreate);
    if (!file.ok()) return unexpected(file.error());
    if (auto r = file->truncate(0); !r.ok()) return r;
    if (auto r = file->write_at(0, bytes); !r.ok()) return r;
    if (sync) {
      if (auto r = file->sync(); !r.ok()) return r;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return unexpected(describe("cannot rename into", path));
  }
  return sync ? sync_directory(path.parent_path()) : Result<void, std::string>{};
}

}  // namespace tern::raft::journal
