#include "exporter/jsonl_exporter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "exporter/args.h"

namespace tern::exporter {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDefaultMaxFileSize = 64 * 1024 * 1024;
constexpr std::size_t kTailChunk = 64 * 1024;

// The rotated files of one partition by sequence number.
std::map<std::uint64_t, fs::path> rotated_files(const fs::path& directory,
                                                const std::string& prefix) {
  std::map<std::uint64_t, fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    std::string file = entry.path().filename().string();
    if (file.rfind(prefix, 0) != 0 || !file.ends_with(".jsonl")) continue;
    std::string digits = file.substr(prefix.size(), file.size() - prefix.size() - 6);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    out[std::stoull(digits)] = entry.path();
  }
  return out;
}

// Cuts anything after the last newline (a line torn by a crash) and returns the last complete
// line, if any. Reads backwards in chunks, so a large file costs only its tail.
ExporterResult<std::optional<std::string>> last_line_cutting_torn_tail(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unexpected(ExporterError{ExporterErrc::kIo, "cannot read " + path.string()});
  }
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(in.tellg());
  std::string tail;
  std::optional<std::size_t> last_newline;  // offset in the file
  std::size_t end = size;
  // Find the last newline, then the one before it.
  std::optional<std::size_t> previous_newline;
  while (end > 0) {
    std::size_t begin = end > kTailChunk ? end - kTailChunk : 0;
    std::string chunk(end - begin, '\0');
    in.seekg(static_cast<std::streamoff>(begin));
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    for (std::size_t i = chunk.size(); i-- > 0;) {
      if (chunk[i] != '\n') continue;
      if (!last_newline) {
        last_newline = begin + i;
      } else {
        previous_newline = begin + i;
        break;
      }
    }
    if (previous_newline) break;
    end = begin;
  }
  in.close();
  if (!last_newline) {
    if (size > 0) fs::resize_file(path, 0);
    return std::optional<std::string>();
  }
  if (*last_newline + 1 < size) {
    spdlog::warn("jsonl exporter: cutting a torn last line ({} bytes) from {}",
                 size - *last_newline - 1, path.string());
    std::error_code ec;
    fs::resize_file(path, *last_newline + 1, ec);
    if (ec) {
      return unexpected(ExporterError{ExporterErrc::kIo,
                                      "cannot truncate " + path.string() + ": " + ec.message()});
    }
  }
  std::size_t start = previous_newline ? *previous_newline + 1 : 0;
  std::ifstream again(path, std::ios::binary);
  std::string line(*last_newline - start, '\0');
  again.seekg(static_cast<std::streamoff>(start));
  again.read(line.data(), static_cast<std::streamsize>(line.size()));
  return std::optional<std::string>(std::move(line));
}

}  // namespace

JsonLinesExporter::~JsonLinesExporter() {
  close();
}

ExporterError JsonLinesExporter::io_error(const std::string& what) const {
  return ExporterError{ExporterErrc::kIo,
                       fmt::format("exporter '{}': {}: {}", name_, what, std::strerror(errno))};
}

ExporterResult<void> JsonLinesExporter::configure(const ExporterContext& context) {
  name_ = context.name;
  partition_ = context.partition;
  ArgsReader args(context.name, context.args);
  auto directory = args.required_string("directory");
  if (!directory) return unexpected(directory.error());
  auto max_size =
      args.integer_or("max-file-size-bytes", kDefaultMaxFileSize, 1024, std::int64_t{1} << 40);
  if (!max_size) return unexpected(max_size.error());
  auto max_rotated = args.integer_or("max-rotated-files", 0, 0, 1'000'000);
  if (!max_rotated) return unexpected(max_rotated.error());
  auto sync = args.boolean_or("sync", false);
  if (!sync) return unexpected(sync.error());
  if (auto unknown = args.reject_unknown(); !unknown) return unexpected(unknown.error());
  directory_ = *directory;
  max_file_size_bytes_ = *max_size;
  max_rotated_files_ = *max_rotated;
  sync_ = *sync;
  active_ = directory_ / fmt::format("partition-{}.jsonl", partition_.value());
  return {};
}

fs::path JsonLinesExporter::rotated_path(std::uint64_t sequence) const {
  return directory_ / fmt::format("partition-{}-{:06}.jsonl", partition_.value(), sequence);
}

ExporterResult<void> JsonLinesExporter::open(ExporterController& controller) {
  controller_ = &controller;
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) {
    return unexpected(ExporterError{
        ExporterErrc::kIo,
        "exporter '" + name_ + "': cannot create " + directory_.string() + ": " + ec.message()});
  }
  if (auto recovered = recover(); !recovered) return recovered;
  if (auto opened = open_active(); !opened) return opened;
  last_acknowledged_ = last_written_;
  if (last_written_ > Position(0)) controller.acknowledge(last_written_);
  return {};
}

ExporterResult<void> JsonLinesExporter::recover() {
  auto rotated = rotated_files(directory_, fmt::format("partition-{}-", partition_.value()));
  next_sequence_ = rotated.empty() ? 1 : rotated.rbegin()->first + 1;
  last_written_ = Position(0);
  // The newest line is in the active file, or in the newest rotated file when the active one is
  // empty (a crash right after rotating).
  std::vector<fs::path> candidates;
  if (fs::exists(active_)) candidates.push_back(active_);
  if (!rotated.empty()) candidates.push_back(rotated.rbegin()->second);
  for (const auto& path : candidates) {
    auto line = last_line_cutting_torn_tail(path);
    if (!line) return unexpected(line.error());
    if (!line->has_value()) continue;
    auto parsed = Json::parse(**line, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("position")
        || !parsed["position"].is_number_integer()) {
      return unexpected(ExporterError{
          ExporterErrc::kIo, "exporter '" + name_ + "': the last line of " + path.string()
                                 + " is not an exported record; move the file away to continue"});
    }
    last_written_ = Position(parsed["position"].get<std::int64_t>());
    break;
  }
  return {};
}

ExporterResult<void> JsonLinesExporter::open_active() {
  file_ = std::fopen(active_.c_str(), "ab");
  if (file_ == nullptr) return unexpected(io_error("cannot open " + active_.string()));
  std::error_code ec;
  auto size = fs::file_size(active_, ec);
  size_bytes_ = ec ? 0 : static_cast<std::int64_t>(size);
  return {};
}

ExporterResult<void> JsonLinesExporter::rotate() {
  if (std::fflush(file_) != 0) return unexpected(io_error("cannot write " + active_.string()));
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  fs::rename(active_, rotated_path(next_sequence_), ec);
  if (ec) {
    return unexpected(ExporterError{
        ExporterErrc::kIo,
        "exporter '" + name_ + "': cannot rotate " + active_.string() + ": " + ec.message()});
  }
  ++next_sequence_;
  remove_old_rotations();
  return open_active();
}

void JsonLinesExporter::remove_old_rotations() {
  if (max_rotated_files_ == 0) return;
  auto rotated = rotated_files(directory_, fmt::format("partition-{}-", partition_.value()));
  while (static_cast<std::int64_t>(rotated.size()) > max_rotated_files_) {
    std::error_code ec;
    fs::remove(rotated.begin()->second, ec);
    rotated.erase(rotated.begin());
  }
}

ExporterResult<void> JsonLinesExporter::export_record(const Record& record) {
  if (record.position <= last_written_) return {};  // written before a replay: skip
  line_ = engine::to_json(record).dump(-1, ' ', false, Json::error_handler_t::replace);
  line_.push_back('\n');
  auto length = static_cast<std::int64_t>(line_.size());
  if (size_bytes_ > 0 && size_bytes_ + length > max_file_size_bytes_) {
    if (auto rotated = rotate(); !rotated) return rotated;
  }
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) {
    return unexpected(io_error("cannot write " + active_.string()));
  }
  size_bytes_ += length;
  last_written_ = record.position;
  return {};
}

ExporterResult<void> JsonLinesExporter::flush() {
  if (file_ == nullptr || last_written_ == last_acknowledged_) return {};
  if (std::fflush(file_) != 0) return unexpected(io_error("cannot write " + active_.string()));
  if (sync_ && ::fdatasync(fileno(file_)) != 0) {
    return unexpected(io_error("cannot sync " + active_.string()));
  }
  last_acknowledged_ = last_written_;
  controller_->acknowledge(last_written_);
  return {};
}

void JsonLinesExporter::close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

}  // namespace tern::exporter
