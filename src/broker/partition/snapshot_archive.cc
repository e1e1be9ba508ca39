#include "broker/partition/snapshot_archive.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "raft/core/crc32c.h"

namespace tern::broker {
namespace {

constexpr std::string_view kMagic = "TSNP";
constexpr std::uint8_t kVersion = 1;
constexpr std::uint64_t kMaxPathBytes = 4096;

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

bool get_u64(std::string_view in, std::size_t& offset, std::uint64_t& value) {
  if (in.size() - offset < 8) return false;
  value = 0;
  for (int i = 0; i < 8; ++i)
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  offset += 8;
  return true;
}

ArchiveError fail(std::string message) {
  return ArchiveError{std::move(message)};
}

}  // namespace

Result<std::string, ArchiveError> pack_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(std::filesystem::relative(it->path(), dir));
  }
  if (ec) return unexpected(fail("cannot list " + dir.string() + ": " + ec.message()));
  std::sort(files.begin(), files.end());
  std::string out(kMagic);
  out.push_back(static_cast<char>(kVersion));
  put_u64(out, files.size());
  for (const auto& relative : files) {
    std::ifstream in(dir / relative, std::ios::binary);
    if (!in) return unexpected(fail("cannot read " + (dir / relative).string()));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string name = relative.generic_string();
    put_u64(out, name.size());
    out += name;
    put_u64(out, bytes.size());
    out += bytes;
  }
  std::uint32_t crc = raft::crc32c(out);
  put_u64(out, crc);
  return out;
}

Result<void, ArchiveError> unpack_directory(std::string_view archive,
                                            const std::filesystem::path& dir) {
  if (archive.size() < kMagic.size() + 1 + 16 || archive.substr(0, kMagic.size()) != kMagic) {
    return unexpected(fail("not a snapshot archive (bad magic or too short)"));
  }
  std::string_view body = archive.substr(0, archive.size() - 8);
  std::size_t crc_offset = body.size();
  std::uint64_t stored_crc = 0;
  get_u64(archive, crc_offset, stored_crc);
  if (stored_crc != raft::crc32c(body))
    return unexpected(fail("snapshot archive checksum mismatch"));
  if (static_cast<std::uint8_t>(body[kMagic.size()]) != kVersion) {
    return unexpected(fail("unsupported snapshot archive version "
                           + std::to_string(static_cast<int>(body[kMagic.size()]))));
  }
  std::size_t offset = kMagic.size() + 1;
  std::uint64_t count = 0;
  if (!get_u64(body, offset, count)) return unexpected(fail("truncated file count"));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unexpected(fail("cannot create " + dir.string() + ": " + ec.message()));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t name_size = 0;
    if (!get_u64(body, offset, name_size) || name_size == 0 || name_size > kMaxPathBytes
        || name_size > body.size() - offset) {
      return unexpected(fail("bad path length of file " + std::to_string(i)));
    }
    std::filesystem::path name(std::string(body.substr(offset, name_size)));
    offset += name_size;
    if (name.is_absolute()
        || std::any_of(name.begin(), name.end(), [](const auto& part) { return part == ".."; })) {
      return unexpected(fail("refusing path " + name.string() + " outside the snapshot"));
    }
    std::uint64_t size = 0;
    if (!get_u64(body, offset, size) || size > body.size() - offset) {
      return unexpected(fail("bad size of " + name.string()));
    }
    auto target = dir / name;
    std::filesystem::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(body.data() + offset, static_cast<std::streamsize>(size));
    if (!out.flush()) return unexpected(fail("cannot write " + target.string()));
    offset += size;
  }
  if (offset != body.size()) return unexpected(fail("trailing bytes after the last file"));
  return {};
}

}  // namespace tern::broker
