// String built-ins. Positions and lengths count Unicode code points, not bytes. Regular
// expressions use std::regex (ECMAScript); their input and pattern sizes are bounded because
// backtracking regex engines can take exponential time.

#include <regex>

#include "engine/feel/builtin_support.h"

namespace tern::feel {
namespace {

using builtin::Args;
using builtin::Out;
using builtin::str;

constexpr std::size_t kMaxRegexInput = 10000;
constexpr std::size_t kMaxRegexPattern = 1000;

// Byte offsets of each code point's start, plus the end.
std::vector<std::size_t> code_point_offsets(const std::string& s) {
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

Out string_length(Args a, CallContext&) {
  auto s = str(a, 0);
  if (!s) return Value();
  return Value::number(Decimal(static_cast<std::int64_t>(code_point_count(*s))));
}

Out substring(Args a, CallContext&) {
  auto s = str(a, 0);
  auto start = builtin::integer(a, 1);
  if (!s || !start) return Value();
  auto offsets = code_point_offsets(*s);
  auto count = static_cast<std::int64_t>(offsets.size() - 1);
  std::int64_t from = *start > 0 ? *start - 1 : count + *start;
  if (*start == 0 || from < 0 || from > count) return Value();
  std::int64_t to = count;
  if (a.size() > 2) {
    auto length = builtin::integer(a, 2);
    if (!length || *length < 0) return Value();
    to = std::min(count, from + *length);
  }
  auto b = offsets[static_cast<std::size_t>(from)], e = offsets[static_cast<std::size_t>(to)];
  return Value::string(s->substr(b, e - b));
}

// Case mapping for the scripts process data mostly uses: ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic, one to one except upper-case sharp s ("SS"). Other code points stay as they are.
std::uint32_t to_upper(std::uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
    return c & ~1U;
  }
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 0) ? c - 1 : c;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

std::uint32_t to_lower(std::uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
    return c | 1U;
  }
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Value map_case(const std::string* s, bool upper) {
  if (!s) return {};
  std::string out;
  out.reserve(s->size());
  for (std::size_t i = 0; i < s->size();) {
    auto b0 = static_cast<unsigned char>((*s)[i]);
    // Only 2-byte sequences hold letters we map; everything else is copied as is.
    if (b0 >= 0xC0 && b0 < 0xE0 && i + 1 < s->size()) {
      std::uint32_t cp = ((b0 & 0x1FU) << 6) | (static_cast<unsigned char>((*s)[i + 1]) & 0x3FU);
      if (upper && cp == 0xDF) {
        out += "SS";  // sharp s has no single capital in common use; Java maps it the same way
      } else {
        append_utf8(out, upper ? to_upper(cp) : to_lower(cp));
      }
      i += 2;
    } else if (b0 < 0x80) {
      out += static_cast<char>(upper ? to_upper(b0) : to_lower(b0));
      ++i;
    } else {
      out += (*s)[i];
      ++i;
    }
  }
  return Value::string(std::move(out));
}

Out upper_case(Args a, CallContext&) {
  return map_case(str(a, 0), true);
}
Out lower_case(Args a, CallContext&) {
  return map_case(str(a, 0), false);
}

Out contains(Args a, CallContext&) {
  auto s = str(a, 0), m = str(a, 1);
  if (!s || !m) return Value();
  return Value::boolean(s->find(*m) != std::string::npos);
}
Out starts_with(Args a, CallContext&) {
  auto s = str(a, 0), m = str(a, 1);
  if (!s || !m) return Value();
  return Value::boolean(s->rfind(*m, 0) == 0);
}
Out ends_with(Args a, CallContext&) {
  auto s = str(a, 0), m = str(a, 1);
  if (!s || !m) return Value();
  return Value::boolean(s->size() >= m->size()
                        && s->compare(s->size() - m->size(), m->size(), *m) == 0);
}
Out substring_before(Args a, CallContext&) {
  auto s = str(a, 0), m = str(a, 1);
  if (!s || !m) return Value();
  auto p = s->find(*m);
  return Value::string(p == std::string::npos ? "" : s->substr(0, p));
}
Out substring_after(Args a, CallContext&) {
  auto s = str(a, 0), m = str(a, 1);
  if (!s || !m) return Value();
  auto p = s->find(*m);
  return Value::string(p == std::string::npos ? "" : s->substr(p + m->size()));
}

// Builds a regex from pattern and optional flags ("i" case-insensitive; "s", "m", "x" are
// accepted and have no std::regex equivalent beyond multiline).
tern::Result<std::optional<std::regex>, std::string> make_regex(Args a, std::size_t pattern_at,
                                                                std::size_t flags_at) {
  auto pattern = str(a, pattern_at);
  if (!pattern) return std::optional<std::regex>();
  if (pattern->size() > kMaxRegexPattern) {
    return tern::unexpected("regular expression longer than " + std::to_string(kMaxRegexPattern)
                            + " bytes");
  }
  auto flags = std::regex::ECMAScript;
  if (a.size() > flags_at) {
    auto f = str(a, flags_at);
    if (!f) return std::optional<std::regex>();
    if (f->find('i') != std::string::npos) flags |= std::regex::icase;
  }
  try {
    return std::optional<std::regex>(std::regex(*pattern, flags));
  } catch (const std::regex_error&) {
    return std::optional<std::regex>();  // an invalid pattern is FEEL's null
  }
}

Out matches(Args a, CallContext&) {
  auto s = str(a, 0);
  if (!s) return Value();
  if (s->size() > kMaxRegexInput)
    return tern::unexpected(std::string("input of 'matches' too long"));
  auto re = make_regex(a, 1, 2);
  if (!re) return tern::unexpected(re.error());
  if (!*re) return Value();
  try {
    return Value::boolean(std::regex_search(*s, **re));
  } catch (const std::regex_error&) {
    return tern::unexpected(std::string("regular expression too complex for the input"));
  }
}

Out replace(Args a, CallContext& ctx) {
  auto s = str(a, 0), replacement = str(a, 2);
  if (!s || !replacement) return Value();
  if (s->size() > kMaxRegexInput)
    return tern::unexpected(std::string("input of 'replace' too long"));
  auto re = make_regex(a, 1, 3);
  if (!re) return tern::unexpected(re.error());
  if (!*re) return Value();
  try {
    std::string out = std::regex_replace(*s, **re, *replacement);
    if (out.size() > ctx.limits().max_string_bytes) return builtin::too_long(ctx.limits());
    return Value::string(std::move(out));
  } catch (const std::regex_error&) {
    return tern::unexpected(std::string("regular expression too complex for the input"));
  }
}

Out split(Args a, CallContext& ctx) {
  auto s = str(a, 0);
  if (!s) return Value();
  if (s->size() > kMaxRegexInput) return tern::unexpected(std::string("input of 'split' too long"));
  auto re = make_regex(a, 1, 99);
  if (!re) return tern::unexpected(re.error());
  if (!*re) return Value();
  List parts;
  try {
    std::sregex_token_iterator it(s->begin(), s->end(), **re, -1), end;
    for (; it != end; ++it) {
      if (parts.size() >= ctx.limits().max_collection_size) return builtin::too_many(ctx.limits());
      parts.push_back(Value::string(it->str()));
    }
  } catch (const std::regex_error&) {
    return tern::unexpected(std::string("regular expression too complex for the input"));
  }
  // Like java.lang.String#split, a trailing empty part is not returned.
  return Value::list(std::move(parts));
}

Out string_join(Args a, CallContext& ctx) {
  auto items = builtin::list(a, 0);
  if (!items) return Value();
  std::string delimiter, prefix, suffix;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].is_null()) continue;
    if (!a[i].is(Kind::kString)) return Value();
  }
  if (auto d = str(a, 1)) delimiter = *d;
  if (auto p = str(a, 2)) prefix = *p;
  if (auto s = str(a, 3)) suffix = *s;
  std::string out = prefix;
  bool first = true;
  for (const auto& item : *items) {
    if (item.is_null()) continue;
    if (!item.is(Kind::kString)) return Value();
    if (!first) out += delimiter;
    first = false;
    out += item.as_string();
    if (out.size() > ctx.limits().max_string_bytes) return builtin::too_long(ctx.limits());
  }
  return Value::string(out + suffix);
}

Out to_string(Args a, CallContext& ctx) {
  if (a[0].is_null()) return Value();
  std::string out = a[0].to_string();
  if (out.size() > ctx.limits().max_string_bytes) return builtin::too_long(ctx.limits());
  return Value::string(std::move(out));
}

Out trim(Args a, CallContext&) {
  auto s = str(a, 0);
  if (!s) return Value();
  auto b = s->find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return Value::string("");
  auto e = s->find_last_not_of(" \t\r\n");
  return Value::string(s->substr(b, e - b + 1));
}

}  // namespace

void add_string_builtins(std::vector<Builtin>& t) {
  t.push_back({"string length", {"string"}, 1, 1, string_length});
  t.push_back({"substring", {"string", "start position", "length"}, 2, 3, substring});
  t.push_back({"upper case", {"string"}, 1, 1, upper_case});
  t.push_back({"lower case", {"string"}, 1, 1, lower_case});
  t.push_back({"contains", {"string", "match"}, 2, 2, contains});
  t.push_back({"starts with", {"string", "match"}, 2, 2, starts_with});
  t.push_back({"ends with", {"string", "match"}, 2, 2, ends_with});
  t.push_back({"substring before", {"string", "match"}, 2, 2, substring_before});
  t.push_back({"substring after", {"string", "match"}, 2, 2, substring_after});
  t.push_back({"matches", {"input", "pattern", "flags"}, 2, 3, matches});
  t.push_back({"replace", {"input", "pattern", "replacement", "flags"}, 3, 4, replace});
  t.push_back({"split", {"string", "delimiter"}, 2, 2, split});
  t.push_back({"string join", {"list", "delimiter", "prefix", "suffix"}, 1, 4, string_join});
  t.push_back({"string", {"from"}, 1, 1, to_string});
  t.push_back({"trim", {"string"}, 1, 1, trim});
}

}  // namespace tern::feel
