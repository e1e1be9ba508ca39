// The log's own MessagePack reader against nlohmann's from_msgpack: for every form of the format
// (including forms nlohmann's writer never chooses, such as a uint8 for a small number or a
// map16 of one entry), for damaged input, and for random values and random damage, the reader
// either builds exactly the value from_msgpack builds (same JSON types throughout) or refuses what
// from_msgpack refuses; well_formed() agrees with both.

#include "engine/records/msgpack.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tern::engine {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string as_string(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Equal values with equal JSON types all the way down (nlohmann's == finds 5u equal to 5).
::testing::AssertionResult same_json(const Json& ours, const Json& theirs) {
  if (ours.type() != theirs.type()) {
    return ::testing::AssertionFailure()
           << "types differ: " << ours.type_name() << " vs " << theirs.type_name() << " in "
           << ours.dump() << " vs " << theirs.dump();
  }
  if (ours.is_array()) {
    if (ours.size() != theirs.size()) return ::testing::AssertionFailure() << "array sizes differ";
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (auto same = same_json(ours[i], theirs[i]); !same) return same;
    }
    return ::testing::AssertionSuccess();
  }
  if (ours.is_object()) {
    if (ours.size() != theirs.size()) return ::testing::AssertionFailure() << "object sizes differ";
    for (auto it = ours.begin(); it != ours.end(); ++it) {
      if (!theirs.contains(it.key()))
        return ::testing::AssertionFailure() << "missing " << it.key();
      if (auto same = same_json(it.value(), theirs[it.key()]); !same) return same;
    }
    return ::testing::AssertionSuccess();
  }
  if (ours.is_number_float() && std::isnan(ours.get<double>())) {
    if (std::isnan(theirs.get<double>())) return ::testing::AssertionSuccess();
  }
  if (ours != theirs) {
    return ::testing::AssertionFailure() << ours.dump() << " vs " << theirs.dump();
  }
  return ::testing::AssertionSuccess();
}

// Reads `bytes` with both readers and checks they agree; returns whether it was accepted.
bool agree(const std::string& bytes, const std::string& what) {
  Json theirs = Json::from_msgpack(bytes, true, false);
  Json ours;
  bool read = msgpack::read(bytes, ours);
  bool accepted = !theirs.is_discarded();
  EXPECT_EQ(read, accepted) << what;
  EXPECT_EQ(msgpack::well_formed(bytes), accepted) << what;
  if (read && accepted) {
    EXPECT_TRUE(same_json(ours, theirs)) << what;
  }
  return accepted;
}

std::string hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Every form, written by hand: each must be accepted and read alike.
std::vector<Bytes> every_form() {
  std::vector<Bytes> forms{
      {0x00},
      {0x7f},
      {0xe0},
      {0xff},
      {0xc0},
      {0xc2},
      {0xc3},
      {0xcc, 0x05},
      {0xcc, 0xff},
      {0xcd, 0x01, 0x00},
      {0xce, 0x00, 0x00, 0x00, 0x07},
      {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
      {0xd0, 0x05},
      {0xd0, 0x80},
      {0xd1, 0x80, 0x00},
      {0xd2, 0xff, 0xff, 0xff, 0xfe},
      {0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0xca, 0x3f, 0xc0, 0x00, 0x00},
      {0xca, 0x7f, 0xc0, 0x00, 0x00},
      {0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a},
      {0xa0},
      {0xa3, 'a', 'b', 'c'},
      {0xd9, 0x02, 'h', 'i'},
      {0xda, 0x00, 0x01, 'x'},
      {0xdb, 0x00, 0x00, 0x00, 0x01, 'y'},
      {0xc4, 0x02, 0x01, 0x02},
      {0xc5, 0x00, 0x01, 0x09},
      {0xc6, 0x00, 0x00, 0x00, 0x00},
      {0xc7, 0x01, 0x05, 0xaa},
      {0xc8, 0x00, 0x02, 0xfb, 0x01, 0x02},
      {0xc9, 0x00, 0x00, 0x00, 0x00, 0x7f},
      {0xd4, 0x01, 0x11},
      {0xd5, 0x02, 0x11, 0x22},
      {0xd6, 0xff, 1, 2, 3, 4},
      {0xd7, 0x03, 1, 2, 3, 4, 5, 6, 7, 8},
      {0xd8, 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
      {0x90},
      {0x92, 0x01, 0xa1, 'z'},
      {0xdc, 0x00, 0x01, 0xc3},
      {0xdd, 0x00, 0x00, 0x00, 0x01, 0x05},
      {0x80},
      {0x81, 0xa1, 'k', 0x01},
      {0xde, 0x00, 0x01, 0xa1, 'k', 0xc0},
      {0xdf, 0x00, 0x00, 0x00, 0x01, 0xd9, 0x01, 'k', 0x92, 0x80, 0x90},
      // A duplicate key: the later value wins, as in from_msgpack.
      {0x82, 0xa1, 'k', 0x01, 0xa1, 'k', 0x02},
      // Keys out of order (the reader's insertion hint is only a hint).
      {0x83, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02, 0xa1, 'c', 0x03},
  };
  return forms;
}

TEST(MessagePackTest, ReadsEveryFormAsTheLibraryDoes) {
  for (const auto& form : every_form()) {
    EXPECT_TRUE(agree(as_string(form), hex(as_string(form))));
  }
}

TEST(MessagePackTest, RefusesWhatTheLibraryRefuses) {
  std::vector<Bytes> bad{
      {},                              // nothing
      {0xc1},                          // the never-used type byte
      {0x81, 0x01, 0x01},              // a map key that is not a string
      {0x81, 0xc0, 0x01},              // a nil key
      {0xc0, 0xc0},                    // trailing bytes
      {0xdd, 0xff, 0xff, 0xff, 0xff},  // a count far beyond the input
      {0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 'k'},
  };
  for (const auto& bytes : bad) {
    EXPECT_FALSE(agree(as_string(bytes), hex(as_string(bytes))));
  }
  // Every proper prefix of every form that is more than its type byte is truncated.
  for (const auto& form : every_form()) {
    std::string whole = as_string(form);
    for (std::size_t size = 0; size < whole.size(); ++size) {
      EXPECT_FALSE(agree(whole.substr(0, size), "prefix of " + hex(whole)));
    }
  }
}

// Random JSON documents of every kind of value, seeded.
Json random_json(std::mt19937_64& random, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 9 : 7);
  switch (kind(random)) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(random()) >> (random() % 64);
    case 3:
      return static_cast<std::uint64_t>(random()) >> (random() % 64);
    case 4:
      return std::bit_cast<double>(random());
    case 5:
      return static_cast<double>(static_cast<float>(static_cast<std::int32_t>(random()) / 7.0));
    case 6:
    case 7:
      return std::string(random() % 300, static_cast<char>('a' + random() % 26));
    case 8: {
      Json array = Json::array();
      for (std::size_t i = 0, n = random() % 20; i < n; ++i)
        array.push_back(random_json(random, depth - 1));
      return array;
    }
    default: {
      Json object = Json::object();
      for (std::size_t i = 0, n = random() % 20; i < n; ++i)
        object["key" + std::to_string(random() % 40)] = random_json(random, depth - 1);
      return object;
    }
  }
}

TEST(MessagePackTest, RandomValuesAndRandomDamageReadAsTheLibraryReadsThem) {
  std::mt19937_64 random(20261122);
  for (int round = 0; round < 400; ++round) {
    Json value = random_json(random, 4);
    std::string packed;
    msgpack::put(packed, value);
    auto theirs = Json::to_msgpack(value);
    ASSERT_EQ(packed, std::string(theirs.begin(), theirs.end()));
    ASSERT_TRUE(agree(packed, "round " + std::to_string(round)));
    // Damage: a flipped byte, a cut, or a byte inserted; both readers must still agree.
    for (int damage = 0; damage < 8 && !packed.empty(); ++damage) {
      std::string broken = packed;
      std::size_t at = random() % broken.size();
      switch (random() % 3) {
        case 0:
          broken[at] = static_cast<char>(random());
          break;
        case 1:
          broken.resize(at);
          break;
        default:
          broken.insert(broken.begin() + static_cast<std::ptrdiff_t>(at),
                        static_cast<char>(random()));
          break;
      }
      agree(broken, "round " + std::to_string(round) + " damage " + std::to_string(damage));
    }
  }
}

TEST(MessagePackTest, WriterPiecesWriteWhatTheLibraryWrites) {
  for (std::int64_t n :
       {std::int64_t{0}, std::int64_t{127}, std::int64_t{128}, std::int64_t{-1}, std::int64_t{-33},
        std::int64_t{-129}, std::int64_t{70000}, std::numeric_limits<std::int64_t>::min()}) {
    std::string ours;
    msgpack::put_signed(ours, n);
    auto theirs = Json::to_msgpack(Json(n));
    EXPECT_EQ(ours, std::string(theirs.begin(), theirs.end())) << n;
  }
  std::string ours;
  msgpack::put_map_header(ours, 2);
  msgpack::put_string(ours, "a");
  msgpack::put_float(ours, 0.5);
  msgpack::put_string(ours, "b");
  msgpack::put_array_header(ours, 3);
  msgpack::put_nil(ours);
  msgpack::put_bool(ours, true);
  msgpack::put_unsigned(ours, 300);
  auto theirs = Json::to_msgpack(Json{{"a", 0.5}, {"b", Json::array({nullptr, true, 300u})}});
  EXPECT_EQ(ours, std::string(theirs.begin(), theirs.end()));
}

}  // namespace
}  // namespace tern::engine
