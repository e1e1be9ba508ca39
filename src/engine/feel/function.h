#pragma once

// Function values: a built-in (`string length`) or a user lambda (`function(a, b) a < b`) with
// the local variables it closed over. Internal to the evaluator; immutable once built.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/feel/value.h"

namespace tern::feel {

struct Builtin;
namespace detail {
struct Node;
}

struct Function {
  const Builtin* builtin = nullptr;  // set for built-ins
  std::vector<std::string> params;   // user lambdas: parameter names
  const detail::Node* body = nullptr;
  std::shared_ptr<const void> owner;  // keeps the tree holding `body` alive
  std::vector<std::pair<std::string, Value>> captured;

  std::string describe() const;
};

}  // namespace tern::feel
