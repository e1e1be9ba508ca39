#include "engine/records/msgpack.h"

#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <type_traits>

namespace tern::engine::msgpack {

namespace {

// Big-endian, as MessagePack stores numbers.
template <typename Int>
void put_big_endian(std::string& out, Int value) {
  auto bits = static_cast<std::make_unsigned_t<Int>>(value);
  char bytes[sizeof(Int)];
  for (std::size_t i = 0; i < sizeof(Int); ++i)
    bytes[i] = static_cast<char>(bits >> (8 * (sizeof(Int) - 1 - i)));
  out.append(bytes, sizeof(Int));
}

void put_tag(std::string& out, std::uint8_t tag) {
  out.push_back(static_cast<char>(tag));
}

// A tag and its big-endian payload in one append.
template <typename Int>
void put_tagged(std::string& out, std::uint8_t tag, Int value) {
  auto bits = static_cast<std::make_unsigned_t<Int>>(value);
  char bytes[1 + sizeof(Int)];
  bytes[0] = static_cast<char>(tag);
  for (std::size_t i = 0; i < sizeof(Int); ++i)
    bytes[1 + i] = static_cast<char>(bits >> (8 * (sizeof(Int) - 1 - i)));
  out.append(bytes, sizeof(bytes));
}

// A container's header: the fix form up to 15 entries, else 16 or 32 bits.
void put_container(std::string& out, std::size_t size, std::uint8_t fix_tag, std::uint8_t tag16) {
  if (size <= 15) {
    put_tag(out, static_cast<std::uint8_t>(fix_tag | size));
  } else if (size <= 0xffff) {
    put_tag(out, tag16);
    put_big_endian(out, static_cast<std::uint16_t>(size));
  } else {
    put_tag(out, static_cast<std::uint8_t>(tag16 + 1));
    put_big_endian(out, static_cast<std::uint32_t>(size));
  }
}

// The reading side: a bounds-checked cursor over the bytes.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes)
      : at_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(at_ + bytes.size()) {}

  bool at_end() const { return at_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - at_); }

  bool byte(std::uint8_t& value) {
    if (at_ == end_) return false;
    value = *at_++;
    return true;
  }
  template <typename Int>
  bool number(Int& value) {
    if (remaining() < sizeof(Int)) return false;
    std::make_unsigned_t<Int> bits = 0;
    for (std::size_t i = 0; i < sizeof(Int); ++i)
      bits = static_cast<std::make_unsigned_t<Int>>((bits << 8) | at_[i]);
    at_ += sizeof(Int);
    value = static_cast<Int>(bits);
    return true;
  }
  // A length of the width given by `Int`.
  template <typename Int>
  bool length(std::size_t& value) {
    Int raw = 0;
    if (!number(raw)) return false;
    value = raw;
    return true;
  }
  // How far the cursor has moved past `start` (the bytes it was made over).
  std::size_t consumed(std::string_view start) const {
    return static_cast<std::size_t>(at_ - reinterpret_cast<const unsigned char*>(start.data()));
  }
  bool take(std::size_t size, const unsigned char*& data) {
    if (remaining() < size) return false;
    data = at_;
    at_ += size;
    return true;
  }

 private:
  const unsigned char* at_;
  const unsigned char* end_;
};

enum class Kind {
  kNil,
  kFalse,
  kTrue,
  kUnsigned,
  kSigned,
  kFloat32,
  kFloat64,
  kString,
  kBinary,
  kExt,
  kArray,
  kMap,
  kInvalid
};

// What a type byte announces: its kind and, for fixed forms, the count or width it carries.
struct Head {
  Kind kind = Kind::kInvalid;
  std::size_t size = 0;        // fix forms: the length or count itself; numbers: the width
  std::size_t size_bytes = 0;  // variable forms: the width of the length that follows
};

Head head_of(std::uint8_t tag) {
  if (tag <= 0x7f) return {Kind::kUnsigned, 0, 0};  // positive fixint, the tag is the value
  if (tag >= 0xe0) return {Kind::kSigned, 0, 0};    // negative fixint
  if (tag <= 0x8f) return {Kind::kMap, tag & 0x0fu, 0};
  if (tag <= 0x9f) return {Kind::kArray, tag & 0x0fu, 0};
  if (tag <= 0xbf) return {Kind::kString, tag & 0x1fu, 0};
  switch (tag) {
    case 0xc0:
      return {Kind::kNil, 0, 0};
    case 0xc2:
      return {Kind::kFalse, 0, 0};
    case 0xc3:
      return {Kind::kTrue, 0, 0};
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return {Kind::kBinary, 0, std::size_t{1} << (tag - 0xc4)};
    case 0xc7:
    case 0xc8:
    case 0xc9:
      return {Kind::kExt, 0, std::size_t{1} << (tag - 0xc7)};
    case 0xca:
      return {Kind::kFloat32, 4, 0};
    case 0xcb:
      return {Kind::kFloat64, 8, 0};
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      return {Kind::kUnsigned, std::size_t{1} << (tag - 0xcc), 0};
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      return {Kind::kSigned, std::size_t{1} << (tag - 0xd0), 0};
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return {Kind::kExt, std::size_t{1} << (tag - 0xd4), 0};  // fixext: the data's size
    case 0xd9:
    case 0xda:
    case 0xdb:
      return {Kind::kString, 0, std::size_t{1} << (tag - 0xd9)};
    case 0xdc:
    case 0xdd:
      return {Kind::kArray, 0, std::size_t{2} << (tag - 0xdc)};
    case 0xde:
    case 0xdf:
      return {Kind::kMap, 0, std::size_t{2} << (tag - 0xde)};
    default:
      return {};  // 0xc1 is never used
  }
}

// The length or count of a string, binary, ext, array or map: inline in fix forms, else read.
bool read_size(Cursor& in, const Head& head, std::size_t& size) {
  switch (head.size_bytes) {
    case 0:
      size = head.size;
      return true;
    case 1:
      return in.length<std::uint8_t>(size);
    case 2:
      return in.length<std::uint16_t>(size);
    default:
      return in.length<std::uint32_t>(size);
  }
}

// Reads the unsigned or signed integer of `tag` (fixints carry it in the tag).
template <typename Int>
bool read_integer(Cursor& in, std::uint8_t tag, const Head& head, Int& value) {
  if (head.size == 0) {
    value = static_cast<Int>(
        static_cast<std::conditional_t<std::is_signed_v<Int>, std::int8_t, std::uint8_t>>(tag));
    return true;
  }
  switch (head.size) {
    case 1: {
      std::conditional_t<std::is_signed_v<Int>, std::int8_t, std::uint8_t> raw = 0;
      if (!in.number(raw)) return false;
      value = raw;
      return true;
    }
    case 2: {
      std::conditional_t<std::is_signed_v<Int>, std::int16_t, std::uint16_t> raw = 0;
      if (!in.number(raw)) return false;
      value = raw;
      return true;
    }
    case 4: {
      std::conditional_t<std::is_signed_v<Int>, std::int32_t, std::uint32_t> raw = 0;
      if (!in.number(raw)) return false;
      value = raw;
      return true;
    }
    default:
      return in.number(value);
  }
}

// Containers claim at least one byte per element: a count beyond what is left is refused before
// anything is reserved for it.
bool plausible(const Cursor& in, std::size_t count, std::size_t bytes_per_element) {
  return count <= in.remaining() / bytes_per_element;
}

bool read_key(Cursor& in, std::string& key) {
  std::uint8_t tag = 0;
  if (!in.byte(tag)) return false;
  Head head = head_of(tag);
  std::size_t size = 0;
  const unsigned char* data = nullptr;
  if (head.kind != Kind::kString || !read_size(in, head, size) || !in.take(size, data)) {
    return false;
  }
  key.assign(reinterpret_cast<const char*>(data), size);
  return true;
}

bool parse(Cursor& in, Json& out) {
  std::uint8_t tag = 0;
  if (!in.byte(tag)) return false;
  Head head = head_of(tag);
  switch (head.kind) {
    case Kind::kNil:
      out = nullptr;
      return true;
    case Kind::kFalse:
    case Kind::kTrue:
      out = head.kind == Kind::kTrue;
      return true;
    case Kind::kUnsigned: {
      std::uint64_t value = 0;
      if (!read_integer(in, tag, head, value)) return false;
      out = value;
      return true;
    }
    case Kind::kSigned: {
      std::int64_t value = 0;
      if (!read_integer(in, tag, head, value)) return false;
      out = value;
      return true;
    }
    case Kind::kFloat32: {
      std::uint32_t bits = 0;
      if (!in.number(bits)) return false;
      out = static_cast<double>(std::bit_cast<float>(bits));
      return true;
    }
    case Kind::kFloat64: {
      std::uint64_t bits = 0;
      if (!in.number(bits)) return false;
      out = std::bit_cast<double>(bits);
      return true;
    }
    case Kind::kString: {
      std::size_t size = 0;
      const unsigned char* data = nullptr;
      if (!read_size(in, head, size) || !in.take(size, data)) return false;
      out = Json::string_t(reinterpret_cast<const char*>(data), size);
      return true;
    }
    case Kind::kBinary:
    case Kind::kExt: {
      std::size_t size = 0;
      std::int8_t subtype = 0;
      const unsigned char* data = nullptr;
      if (!read_size(in, head, size)) return false;
      if (head.kind == Kind::kExt && !in.number(subtype)) return false;
      if (!in.take(size, data)) return false;
      Json::binary_t::container_type bytes(data, data + size);
      out = head.kind == Kind::kExt
                ? Json::binary(std::move(bytes), static_cast<std::uint8_t>(subtype))
                : Json::binary(std::move(bytes));
      return true;
    }
    case Kind::kArray: {
      std::size_t count = 0;
      if (!read_size(in, head, count) || !plausible(in, count, 1)) return false;
      out = Json::array();
      auto& elements = out.get_ref<Json::array_t&>();
      elements.resize(count);
      for (auto& element : elements) {
        if (!parse(in, element)) return false;
      }
      return true;
    }
    case Kind::kMap: {
      std::size_t count = 0;
      if (!read_size(in, head, count) || !plausible(in, count, 2)) return false;
      out = Json::object();
      auto& members = out.get_ref<Json::object_t&>();
      for (std::size_t i = 0; i < count; ++i) {
        std::string key;
        if (!read_key(in, key)) return false;
        // Keys written from a JSON object arrive in its order: the hint makes each insert O(1).
        // A duplicate key finds the earlier entry, whose value the later one replaces.
        auto it = members.emplace_hint(members.end(), std::move(key), nullptr);
        if (!parse(in, it->second)) return false;
      }
      return true;
    }
    case Kind::kInvalid:
      return false;
  }
  return false;
}

// parse() without building anything.
bool skip(Cursor& in) {
  std::uint8_t tag = 0;
  if (!in.byte(tag)) return false;
  Head head = head_of(tag);
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  switch (head.kind) {
    case Kind::kNil:
    case Kind::kFalse:
    case Kind::kTrue:
      return true;
    case Kind::kUnsigned:
    case Kind::kSigned:
    case Kind::kFloat32:
    case Kind::kFloat64:
      return in.take(head.size, data);
    case Kind::kString:
    case Kind::kBinary:
      return read_size(in, head, size) && in.take(size, data);
    case Kind::kExt:
      return read_size(in, head, size) && in.take(size + 1, data);  // the subtype, the data
    case Kind::kArray:
      if (!read_size(in, head, size) || !plausible(in, size, 1)) return false;
      for (std::size_t i = 0; i < size; ++i) {
        if (!skip(in)) return false;
      }
      return true;
    case Kind::kMap:
      if (!read_size(in, head, size) || !plausible(in, size, 2)) return false;
      for (std::size_t i = 0; i < size; ++i) {
        std::uint8_t key_tag = 0;
        if (!in.byte(key_tag)) return false;
        Head key = head_of(key_tag);
        std::size_t key_size = 0;
        if (key.kind != Kind::kString || !read_size(in, key, key_size) || !in.take(key_size, data)
            || !skip(in)) {
          return false;
        }
      }
      return true;
    case Kind::kInvalid:
      return false;
  }
  return false;
}

}  // namespace

void put_nil(std::string& out) {
  put_tag(out, 0xc0);
}

void put_bool(std::string& out, bool value) {
  put_tag(out, value ? 0xc3 : 0xc2);
}

void put_unsigned(std::string& out, std::uint64_t value) {
  if (value < 128) {
    put_tag(out, static_cast<std::uint8_t>(value));
  } else if (value <= 0xff) {
    put_tagged(out, 0xcc, static_cast<std::uint8_t>(value));
  } else if (value <= 0xffff) {
    put_tagged(out, 0xcd, static_cast<std::uint16_t>(value));
  } else if (value <= 0xffffffff) {
    put_tagged(out, 0xce, static_cast<std::uint32_t>(value));
  } else {
    put_tagged(out, 0xcf, value);
  }
}

void put_signed(std::string& out, std::int64_t value) {
  if (value >= 0) {
    put_unsigned(out, static_cast<std::uint64_t>(value));
  } else if (value >= -32) {
    put_big_endian(out, static_cast<std::int8_t>(value));  // negative fixint
  } else if (value >= std::numeric_limits<std::int8_t>::min()) {
    put_tagged(out, 0xd0, static_cast<std::int8_t>(value));
  } else if (value >= std::numeric_limits<std::int16_t>::min()) {
    put_tagged(out, 0xd1, static_cast<std::int16_t>(value));
  } else if (value >= std::numeric_limits<std::int32_t>::min()) {
    put_tagged(out, 0xd2, static_cast<std::int32_t>(value));
  } else {
    put_tagged(out, 0xd3, value);
  }
}

void put_float(std::string& out, double value) {
  // The smaller float when it holds the value exactly.
  auto narrow = static_cast<float>(value);
  if (value >= static_cast<double>(std::numeric_limits<float>::lowest())
      && value <= static_cast<double>(std::numeric_limits<float>::max())
      && std::equal_to<double>()(static_cast<double>(narrow), value)) {
    put_tag(out, 0xca);
    put_big_endian(out, std::bit_cast<std::uint32_t>(narrow));
  } else {
    put_tag(out, 0xcb);
    put_big_endian(out, std::bit_cast<std::uint64_t>(value));
  }
}

void put_string(std::string& out, std::string_view text) {
  std::size_t size = text.size();
  if (size <= 31) {
    // The common case (names, ids, types): header and text in one growth of `out`.
    std::size_t at = out.size();
    out.resize(at + 1 + size);
    out[at] = static_cast<char>(0xa0 | size);
    if (size > 0) std::memcpy(&out[at + 1], text.data(), size);
    return;
  }
  if (size <= 0xff) {
    put_tag(out, 0xd9);
    put_big_endian(out, static_cast<std::uint8_t>(size));
  } else if (size <= 0xffff) {
    put_tag(out, 0xda);
    put_big_endian(out, static_cast<std::uint16_t>(size));
  } else {
    put_tag(out, 0xdb);
    put_big_endian(out, static_cast<std::uint32_t>(size));
  }
  out.append(text);
}

void put_array_header(std::string& out, std::size_t size) {
  put_container(out, size, 0x90, 0xdc);
}

void put_map_header(std::string& out, std::size_t size) {
  put_container(out, size, 0x80, 0xde);
}

void put(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      put_nil(out);
      break;
    case Json::value_t::boolean:
      put_bool(out, value.get<bool>());
      break;
    case Json::value_t::number_integer:
      put_signed(out, value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      put_unsigned(out, value.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      put_float(out, value.get<double>());
      break;
    case Json::value_t::string:
      put_string(out, value.get_ref<const std::string&>());
      break;
    case Json::value_t::array:
      put_array_header(out, value.size());
      for (const auto& element : value.get_ref<const Json::array_t&>())
        put(out, element);
      break;
    case Json::value_t::object:
      put_map_header(out, value.size());
      for (const auto& [name, element] : value.get_ref<const Json::object_t&>()) {
        put_string(out, name);
        put(out, element);
      }
      break;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      // Never in a record value; the library's writer encodes them as it always has.
      Json::to_msgpack(value, nlohmann::detail::output_adapter<char>(out));
      break;
  }
}

bool read(std::string_view bytes, Json& value) {
  Cursor in(bytes);
  return parse(in, value) && in.at_end();
}

bool well_formed(std::string_view bytes) {
  Cursor in(bytes);
  return skip(in) && in.at_end();
}

namespace {

// The element starting at `offset` of `bytes`: its tag and head are read on open(), and the
// cursor stands after them; consumed() is how far the element reached, for the caller's offset.
class ElementAt {
 public:
  ElementAt(std::string_view bytes, std::size_t offset)
      : rest_(offset <= bytes.size() ? bytes.substr(offset) : std::string_view()),
        in_(rest_),
        valid_(offset <= bytes.size()) {}

  bool open() {
    if (!valid_ || !in_.byte(tag_)) return false;
    head_ = head_of(tag_);
    return true;
  }
  Cursor& in() { return in_; }
  std::uint8_t tag() const { return tag_; }
  const Head& head() const { return head_; }
  std::size_t consumed() const { return in_.consumed(rest_); }

 private:
  std::string_view rest_;
  Cursor in_;
  bool valid_;
  std::uint8_t tag_ = 0;
  Head head_;
};

}  // namespace

bool read_map_header(std::string_view bytes, std::size_t& offset, std::size_t& count) {
  ElementAt element(bytes, offset);
  std::size_t size = 0;
  if (!element.open() || element.head().kind != Kind::kMap
      || !read_size(element.in(), element.head(), size)) {
    return false;
  }
  count = size;
  offset += element.consumed();
  return true;
}

bool read_string(std::string_view bytes, std::size_t& offset, std::string_view& text) {
  ElementAt element(bytes, offset);
  std::size_t size = 0;
  const unsigned char* data = nullptr;
  if (!element.open() || element.head().kind != Kind::kString
      || !read_size(element.in(), element.head(), size) || !element.in().take(size, data)) {
    return false;
  }
  text = std::string_view(reinterpret_cast<const char*>(data), size);
  offset += element.consumed();
  return true;
}

bool read_int64(std::string_view bytes, std::size_t& offset, std::int64_t& value) {
  ElementAt element(bytes, offset);
  if (!element.open()) return false;
  const Head& head = element.head();
  if (head.kind == Kind::kSigned) {
    if (!read_integer(element.in(), element.tag(), head, value)) return false;
  } else if (head.kind == Kind::kUnsigned) {
    std::uint64_t unsigned_value = 0;
    if (!read_integer(element.in(), element.tag(), head, unsigned_value)
        || unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return false;
    }
    value = static_cast<std::int64_t>(unsigned_value);
  } else {
    return false;
  }
  offset += element.consumed();
  return true;
}

}  // namespace tern::engine::msgpack
