#pragma once

// Recursive-descent parser from tokens to the tree in ast.h. Built-in function names are bound
// here, so calling an unknown function is a compile error rather than a surprise at run time.
// Nesting is bounded by `max_depth` so that hostile input cannot exhaust the stack.

#include <cstddef>
#include <string_view>

#include "common/result.h"
#include "engine/feel/ast.h"
#include "engine/feel/lexer.h"

namespace tern::feel::detail {

tern::Result<NodePtr, SyntaxError> parse_expression(std::string_view source, std::size_t max_depth);

// Unary tests: `-`, `not(...)`, or comma-separated tests; the root is a kIn over kInput.
tern::Result<NodePtr, SyntaxError> parse_unary_tests(std::string_view source,
                                                     std::size_t max_depth);

}  // namespace tern::feel::detail
