#pragma once

// Small helpers for Tern's compact binary encodings (state entities): varints, zig-zag signed
// varints and length-prefixed bytes; the log's record codec uses them too. The reader never reads
// past its input; every read reports whether it succeeded, so a truncated or corrupt entry is
// detected, never misread.

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::engine::binary {

// The bytes go to a local buffer and reach `out` in one append: a push_back per byte (a size
// check and a store through the string's pointer each) was ~4% of the engine's CPU.
inline void put_varint(std::string& out, std::uint64_t value) {
  char bytes[10];
  std::size_t size = 0;
  while (value >= 0x80) {
    bytes[size++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[size++] = static_cast<char>(value);
  out.append(bytes, size);
}

// Zig-zag so that the frequent -1 ("none") costs one byte.
inline void put_signed(std::string& out, std::int64_t value) {
  put_varint(out,
             (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
}

inline void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes, std::size_t offset = 0)
      : bytes_(bytes), offset_(offset) {}

  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (offset_ >= bytes_.size()) return false;
      auto byte = static_cast<std::uint8_t>(bytes_[offset_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool signed_varint(std::int64_t& value) {
    std::uint64_t raw = 0;
    if (!varint(raw)) return false;
    value = static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
    return true;
  }
  template <typename Int>
  bool signed_as(Int& value) {
    std::int64_t wide = 0;
    if (!signed_varint(wide)) return false;
    value = static_cast<Int>(wide);
    return static_cast<std::int64_t>(value) == wide;
  }
  bool byte(std::uint8_t& value) {
    if (offset_ >= bytes_.size()) return false;
    value = static_cast<std::uint8_t>(bytes_[offset_++]);
    return true;
  }
  bool bytes(std::string_view& value) {
    std::uint64_t size = 0;
    if (!varint(size) || size > bytes_.size() - offset_) return false;
    value = bytes_.substr(offset_, size);
    offset_ += size;
    return true;
  }
  bool string(std::string& value) {
    std::string_view view;
    if (!bytes(view)) return false;
    value.assign(view);
    return true;
  }
  std::string_view rest() const { return bytes_.substr(offset_); }
  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t offset() const { return offset_; }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

}  // namespace tern::engine::binary
