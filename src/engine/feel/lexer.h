#pragma once

// Splits FEEL source into tokens. Strings are unescaped here (\", \\, \n, \t, \r, \uXXXX with
// surrogate pairs) into UTF-8. Words are kept whole; whether adjacent words form one name
// ("string length", "order total") is the parser's decision.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::feel::detail {

enum class TokenKind { kNumber, kString, kWord, kBacktickName, kSymbol, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // number text, unescaped string, word, or the symbol itself
  std::size_t pos = 0;
};

struct SyntaxError {
  std::size_t pos = 0;
  std::string message;
};

tern::Result<std::vector<Token>, SyntaxError> tokenize(std::string_view source);

// Reserved words never taken as part of a name.
bool is_keyword(std::string_view word);

}  // namespace tern::feel::detail
