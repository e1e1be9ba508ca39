#pragma once

// The compiled form of a FEEL expression: an immutable tree built once by the parser and walked
// by the evaluator on every evaluation. Names are resolved as far as they can be at compile time
// (built-in functions are bound to their table entry). Shared read-only between threads.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/feel/value.h"

namespace tern::feel {
struct Builtin;
}

namespace tern::feel::detail {

enum class Op {
  kLiteral,  // literal
  kName,     // name
  kInput,    // `?` in unary tests
  kPath,     // kids[0] . name
  kFilter,   // kids[0] [ kids[1] ]
  kCall,     // builtin(kids...) or kids[0](kids[1..]) for a lambda held in a variable
  kList,     // [kids...]
  kContext,  // {names[i]: kids[i]}
  kRange,    // kids[0] .. kids[1], nulls for open ends (flags on the node)
  kNegate,   // - kids[0]
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kPower,
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kAnd,
  kOr,
  kIf,    // if kids[0] then kids[1] else kids[2]
  kFor,   // for names[i] in kids[i] return kids.back()
  kSome,  // some names[i] in kids[i] satisfies kids.back()
  kEvery,
  kBetween,     // kids[0] between kids[1] and kids[2]
  kIn,          // kids[0] in (kids[1..]) -- each a unary test
  kInstanceOf,  // kids[0] instance of name
  kLambda,      // function(names...) kids[0]
  kUnaryTest,   // a test against the input: `< kids[0]` (test_op), or an expression
  kNot,         // not(unary tests kids...) in unary tests
  kAny,         // `-` in unary tests
};

struct Node {
  Op op = Op::kLiteral;
  std::size_t pos = 0;
  Value literal;
  std::string name;
  std::vector<std::string> names;  // context keys, loop variables, parameters, argument names
  std::vector<std::unique_ptr<Node>> kids;
  const Builtin* builtin = nullptr;
  Op test_op = Op::kEqual;  // kUnaryTest: the comparison against the input
  bool start_inclusive = true;
  bool end_inclusive = true;
  bool integer_range = false;  // `for i in 1..3`: iterate the numbers of the range
  // kUnaryTest: the test mentions `?` (so a boolean is its verdict); kFor: the body reads
  // `partial` (so the results so far are published to it).
  bool uses_input = false;
};

using NodePtr = std::unique_ptr<Node>;

}  // namespace tern::feel::detail
