#pragma once

// ByteWriter / ByteReader: the little-endian framing shared by the message codec and the
// configuration payload. The reader checks every bound and latches the first failure, so decoders
// read straight through and test `ok()` once; malformed input can never read out of range.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tern::raft {

class ByteWriter {
 public:
  void put_u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void put_u32(std::uint32_t value) { put_fixed(value, 4); }
  void put_u64(std::uint64_t value) { put_fixed(value, 8); }
  void put_i32(std::int32_t value) { put_u32(static_cast<std::uint32_t>(value)); }
  void put_bytes(std::string_view bytes) {
    put_u32(static_cast<std::uint32_t>(bytes.size()));
    out_.append(bytes);
  }

  std::string take() { return std::move(out_); }
  const std::string& view() const { return out_; }

 private:
  void put_fixed(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i)
      out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }

  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  std::uint8_t get_u8() { return static_cast<std::uint8_t>(get_fixed(1)); }
  std::uint32_t get_u32() { return static_cast<std::uint32_t>(get_fixed(4)); }
  std::uint64_t get_u64() { return get_fixed(8); }
  std::int32_t get_i32() { return static_cast<std::int32_t>(get_u32()); }
  std::string get_bytes() {
    std::uint32_t size = get_u32();
    if (!ok_ || size > in_.size() - pos_) {
      fail();
      return {};
    }
    std::string out(in_.substr(pos_, size));
    pos_ += size;
    return out;
  }

  // A count of items that each take at least `min_item_bytes`; a count the remaining input cannot
  // hold fails here, so a hostile count never makes the decoder reserve huge memory.
  std::uint32_t get_count(std::size_t min_item_bytes) {
    std::uint32_t count = get_u32();
    if (ok_ && min_item_bytes > 0 && count > remaining() / min_item_bytes) fail();
    return ok_ ? count : 0;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }

 private:
  std::uint64_t get_fixed(std::size_t width) {
    if (!ok_ || width > in_.size() - pos_) {
      fail();
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += width;
    return value;
  }
  void fail() {
    ok_ = false;
    pos_ = in_.size();
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tern::raft
