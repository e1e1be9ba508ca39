#pragma once

// The brokers hosting a partition, as DESIGN.md places them: partition p (1-based) on brokers
// (p-1+i) mod n for i = 0..r-1. Spelled out here so the tests check the daemon rather than share
// its code.

#include <vector>

namespace tern::test {

inline std::vector<int> replicas_of_partition(int partition, int brokers, int replication_factor) {
  std::vector<int> nodes;
  for (int i = 0; i < replication_factor; ++i)
    nodes.push_back((partition - 1 + i) % brokers);
  return nodes;
}

}  // namespace tern::test
