// SHA-256 against the FIPS 180-4 example vectors, and the resource checksum built on it.

#include "engine/bpmn/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::engine::bpmn {
namespace {

TEST(BpmnChecksum, KnownVectors) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding spills into a second block.
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(BpmnChecksum, ResourceChecksumIsStableAndSensitive) {
  std::string model = "<bpmn:definitions/>";
  std::string checksum = resource_checksum(model);
  EXPECT_EQ(checksum.size(), 32u);
  EXPECT_EQ(checksum, resource_checksum(model));
  EXPECT_NE(checksum, resource_checksum(model + " "));
}

}  // namespace
}  // namespace tern::engine::bpmn
