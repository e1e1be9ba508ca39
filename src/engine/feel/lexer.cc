#include "engine/feel/lexer.h"

#include <array>

namespace tern::feel::detail {
namespace {

bool is_name_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool is_name_part(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads \uXXXX at `i` (pointing at the 'u'); -1 when malformed.
long read_u4(std::string_view s, std::size_t i) {
  long v = 0;
  for (std::size_t k = 1; k <= 4; ++k) {
    if (i + k >= s.size()) return -1;
    int h = hex_value(s[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

tern::Result<Token, SyntaxError> read_string(std::string_view s, std::size_t& i) {
  Token token{TokenKind::kString, "", i};
  ++i;  // opening quote
  while (i < s.size() && s[i] != '"') {
    char c = s[i];
    if (c != '\\') {
      token.text += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) break;
    char e = s[i + 1];
    switch (e) {
      case '"':
      case '\\':
      case '\'':
      case '/':
        token.text += e;
        i += 2;
        continue;
      case 'n':
        token.text += '\n';
        i += 2;
        continue;
      case 't':
        token.text += '\t';
        i += 2;
        continue;
      case 'r':
        token.text += '\r';
        i += 2;
        continue;
      case 'u': {
        long cp = read_u4(s, i + 1);
        if (cp < 0) return tern::unexpected(SyntaxError{i, "malformed \\u escape in string"});
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
          long low = read_u4(s, i + 1);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(token.text, static_cast<std::uint32_t>(cp));
        continue;
      }
      default:
        return tern::unexpected(
            SyntaxError{i, std::string("unknown escape sequence '\\") + e + "' in string"});
    }
  }
  if (i >= s.size()) return tern::unexpected(SyntaxError{token.pos, "unterminated string"});
  ++i;  // closing quote
  return token;
}

constexpr std::array<std::string_view, 17> kKeywords = {
    "and",   "or",        "if",       "then", "else",    "for",  "in",    "return", "some",
    "every", "satisfies", "instance", "of",   "between", "true", "false", "null"};

}  // namespace

bool is_keyword(std::string_view word) {
  for (auto k : kKeywords) {
    if (k == word) return true;
  }
  return word == "function";
}

tern::Result<std::vector<Token>, SyntaxError> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && (s[i + 1] == '/' || s[i + 1] == '*')) {
      if (s[i + 1] == '/') {
        while (i < s.size() && s[i] != '\n')
          ++i;
      } else {
        auto end = s.find("*/", i + 2);
        if (end == std::string_view::npos) {
          return tern::unexpected(SyntaxError{i, "unterminated comment"});
        }
        i = end + 2;
      }
      continue;
    }
    std::size_t start = i;
    if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      while (i < s.size() && is_digit(s[i]))
        ++i;
      if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
        ++i;
        while (i < s.size() && is_digit(s[i]))
          ++i;
      } else if (i < s.size() && s[i] == '.' && start == i) {
        ++i;
        while (i < s.size() && is_digit(s[i]))
          ++i;
      }
      tokens.push_back({TokenKind::kNumber, std::string(s.substr(start, i - start)), start});
      continue;
    }
    if (c == '"') {
      auto token = read_string(s, i);
      if (!token) return tern::unexpected(token.error());
      tokens.push_back(std::move(*token));
      continue;
    }
    if (c == '`') {
      auto end = s.find('`', i + 1);
      if (end == std::string_view::npos) {
        return tern::unexpected(SyntaxError{i, "unterminated `name`"});
      }
      tokens.push_back({TokenKind::kBacktickName, std::string(s.substr(i + 1, end - i - 1)), i});
      i = end + 1;
      continue;
    }
    if (is_name_start(c)) {
      while (i < s.size() && is_name_part(s[i]))
        ++i;
      tokens.push_back({TokenKind::kWord, std::string(s.substr(start, i - start)), start});
      continue;
    }
    static constexpr std::array<std::string_view, 5> kTwo = {"**", "!=", "<=", ">=", ".."};
    bool matched = false;
    for (auto op : kTwo) {
      if (s.substr(i, 2) == op) {
        tokens.push_back({TokenKind::kSymbol, std::string(op), start});
        i += 2;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (std::string_view("+-*/=<>()[]{},.:@?").find(c) != std::string_view::npos) {
      tokens.push_back({TokenKind::kSymbol, std::string(1, c), start});
      ++i;
      continue;
    }
    return tern::unexpected(SyntaxError{i, std::string("unexpected character '") + c + "'"});
  }
  tokens.push_back({TokenKind::kEnd, "", s.size()});
  return tokens;
}

}  // namespace tern::feel::detail
