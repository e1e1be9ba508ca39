#pragma once

// A stable content checksum of a deployed resource: SHA-256 (FIPS 180-4). Deploying a resource
// whose checksum equals the latest version's keeps that version instead of creating a new one.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::engine::bpmn {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
std::string to_hex(const Sha256Digest& digest);  // 64 lowercase hex characters

// The checksum as stored on records: the raw 32 bytes as a string.
inline std::string resource_checksum(std::string_view resource) {
  Sha256Digest digest = sha256(resource);
  return std::string(digest.begin(), digest.end());
}

}  // namespace tern::engine::bpmn
