#pragma once

// Integers at the boundaries of every MessagePack integer form (fixint, int8/16/32/64,
// uint8/16/32/64), for the tests that compare the record codec's bytes with a reference.

#include <cstdint>
#include <limits>
#include <vector>

namespace tern::engine::test {

inline const std::vector<std::int64_t>& msgpack_boundary_integers() {
  static const std::vector<std::int64_t> kIntegers{
      0,
      1,
      127,
      128,
      255,
      256,
      65535,
      65536,
      4294967295,
      4294967296,
      2251799813685249,  // above 2^51: a key's partition bits in use
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      std::numeric_limits<std::int32_t>::min(),
      -2147483649,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max()};
  return kIntegers;
}

}  // namespace tern::engine::test
