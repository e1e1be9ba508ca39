#include "engine/feel/decimal.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tern::feel {
namespace {

// An unsigned 256-bit magnitude: room for the exact product of two 34-digit coefficients and for a
// coefficient scaled up by 10^40 while aligning or dividing.
struct U256 {
  std::array<std::uint64_t, 4> w{};  // little-endian limbs

  static U256 of(UInt128 v) {
    U256 r;
    r.w[0] = static_cast<std::uint64_t>(v);
    r.w[1] = static_cast<std::uint64_t>(v >> 64);
    return r;
  }
  bool is_zero() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
  bool fits_u128() const { return (w[2] | w[3]) == 0; }
  UInt128 low() const { return (static_cast<UInt128>(w[1]) << 64) | w[0]; }

  void mul_small(std::uint64_t m) {
    UInt128 carry = 0;
    for (auto& limb : w) {
      UInt128 t = static_cast<UInt128>(limb) * m + carry;
      limb = static_cast<std::uint64_t>(t);
      carry = t >> 64;
    }
  }
  std::uint64_t divmod_small(std::uint64_t d) {
    UInt128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      UInt128 cur = (rem << 64) | w[static_cast<std::size_t>(i)];
      w[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(cur / d);
      rem = cur % d;
    }
    return static_cast<std::uint64_t>(rem);
  }
  void add(const U256& o) {
    UInt128 carry = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      UInt128 t = static_cast<UInt128>(w[i]) + o.w[i] + carry;
      w[i] = static_cast<std::uint64_t>(t);
      carry = t >> 64;
    }
  }
  void sub(const U256& o) {  // requires *this >= o
    std::uint64_t borrow = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      UInt128 t = static_cast<UInt128>(w[i]) - o.w[i] - borrow;
      w[i] = static_cast<std::uint64_t>(t);
      borrow = (t >> 64) != 0 ? 1 : 0;
    }
  }
  int compare(const U256& o) const {
    for (int i = 3; i >= 0; --i) {
      auto a = w[static_cast<std::size_t>(i)];
      auto b = o.w[static_cast<std::size_t>(i)];
      if (a != b) return a < b ? -1 : 1;
    }
    return 0;
  }
  bool bit(int i) const { return (w[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1U; }
  void scale10(int k) {
    for (; k > 0; --k)
      mul_small(10);
  }
};

U256 mul_wide(UInt128 a, UInt128 b) {
  std::uint64_t a0 = static_cast<std::uint64_t>(a), a1 = static_cast<std::uint64_t>(a >> 64);
  std::uint64_t b0 = static_cast<std::uint64_t>(b), b1 = static_cast<std::uint64_t>(b >> 64);
  U256 r;
  auto add_at = [&r](std::size_t pos, UInt128 v) {
    for (std::size_t i = pos; i < 4 && v != 0; ++i) {
      UInt128 t = static_cast<UInt128>(r.w[i]) + static_cast<std::uint64_t>(v);
      r.w[i] = static_cast<std::uint64_t>(t);
      v = (v >> 64) + (t >> 64);
    }
  };
  add_at(0, static_cast<UInt128>(a0) * b0);
  add_at(1, static_cast<UInt128>(a0) * b1);
  add_at(1, static_cast<UInt128>(a1) * b0);
  add_at(2, static_cast<UInt128>(a1) * b1);
  return r;
}

// Long division of a 256-bit magnitude by a divisor below 2^120; returns the remainder.
UInt128 divmod_wide(U256& n, UInt128 d) {
  U256 q;
  UInt128 rem = 0;
  for (int i = 255; i >= 0; --i) {
    rem = (rem << 1) | (n.bit(i) ? 1U : 0U);
    if (rem >= d) {
      rem -= d;
      q.w[static_cast<std::size_t>(i / 64)] |= (std::uint64_t{1} << (i % 64));
    }
  }
  n = q;
  return rem;
}

constexpr UInt128 pow10_128(int k) {
  UInt128 r = 1;
  for (int i = 0; i < k; ++i)
    r *= 10;
  return r;
}
constexpr UInt128 kCoefficientLimit = pow10_128(Decimal::kMaxDigits);  // exclusive
constexpr std::int32_t kMinExponent = -Decimal::kMaxExponent - Decimal::kMaxDigits;

// Whether dropping digits (last dropped `digit`, `sticky` for any further non-zero) from a
// magnitude of the given sign and parity should round the kept part away from zero.
bool round_away(int digit, bool sticky, bool negative, bool odd, Decimal::Rounding mode) {
  bool inexact = digit != 0 || sticky;
  switch (mode) {
    case Decimal::Rounding::kHalfEven:
      return digit > 5 || (digit == 5 && (sticky || odd));
    case Decimal::Rounding::kHalfUp:
      return digit >= 5;
    case Decimal::Rounding::kHalfDown:
      return digit > 5 || (digit == 5 && sticky);
    case Decimal::Rounding::kUp:
      return inexact;
    case Decimal::Rounding::kDown:
      return false;
    case Decimal::Rounding::kFloor:
      return inexact && negative;
    case Decimal::Rounding::kCeiling:
      return inexact && !negative;
  }
  return false;
}

// Drops `drop` low digits of `mag` (plus an incoming sticky bit), rounding by `mode`.
void drop_digits(U256& mag, int drop, bool& sticky, bool negative, Decimal::Rounding mode) {
  if (drop <= 0) return;
  int digit = 0;
  for (int i = 0; i < drop; ++i) {
    if (digit != 0) sticky = true;
    digit = static_cast<int>(mag.divmod_small(10));
  }
  bool odd = (mag.w[0] & 1U) != 0;
  if (round_away(digit, sticky, negative, odd, mode)) mag.add(U256::of(1));
  sticky = false;
}

// Builds a normalised Decimal from sign, wide magnitude and exponent: rounds to 34 digits
// half-even (an incoming `sticky` says non-zero digits were already dropped below the
// magnitude), strips trailing zeros, checks the exponent range.
std::optional<Decimal> finish(bool negative, U256 mag, std::int64_t exponent, bool sticky) {
  while (!mag.fits_u128() || mag.low() >= kCoefficientLimit) {
    drop_digits(mag, 1, sticky, negative, Decimal::Rounding::kHalfEven);
    ++exponent;
  }
  if (exponent < kMinExponent) {
    auto shift = kMinExponent - exponent;
    if (shift > 40) return Decimal(0);
    drop_digits(mag, static_cast<int>(shift), sticky, negative, Decimal::Rounding::kHalfEven);
    exponent = kMinExponent;
  }
  UInt128 c = mag.low();
  if (c == 0) return Decimal(0);
  while (c % 10 == 0) {
    c /= 10;
    ++exponent;
  }
  if (exponent > Decimal::kMaxExponent) return std::nullopt;
  Int128 signed_c = negative ? -static_cast<Int128>(c) : static_cast<Int128>(c);
  return Decimal::make(signed_c, static_cast<std::int32_t>(exponent));
}

UInt128 magnitude(Int128 c) {
  return c < 0 ? static_cast<UInt128>(-c) : static_cast<UInt128>(c);
}

int digit_count(UInt128 v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

}  // namespace

Decimal::Decimal(std::int64_t value) : coefficient_(value), exponent_(0) {
  while (coefficient_ != 0 && coefficient_ % 10 == 0) {
    coefficient_ /= 10;
    ++exponent_;
  }
}

std::optional<Decimal> Decimal::make(Int128 coefficient, std::int32_t exponent) {
  UInt128 mag = magnitude(coefficient);
  if (mag < kCoefficientLimit && (mag == 0 || mag % 10 != 0) && exponent >= kMinExponent
      && exponent <= kMaxExponent) {
    Decimal d;
    d.coefficient_ = coefficient;
    d.exponent_ = mag == 0 ? 0 : exponent;
    return d;
  }
  return finish(coefficient < 0, U256::of(mag), exponent, false);
}

std::optional<Decimal> Decimal::parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  U256 mag;
  int kept = 0;
  bool sticky = false;
  std::int64_t exponent = 0;
  bool any_digit = false, seen_point = false;
  for (; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (ch < '0' || ch > '9') break;
    any_digit = true;
    int digit = ch - '0';
    if (kept == 0 && digit == 0) {
      if (seen_point) --exponent;
      continue;
    }
    if (kept < 70) {
      mag.mul_small(10);
      mag.add(U256::of(static_cast<UInt128>(digit)));
      ++kept;
      if (seen_point) --exponent;
    } else {
      if (digit != 0) sticky = true;
      if (!seen_point) ++exponent;
    }
  }
  if (!any_digit) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i == text.size()) return std::nullopt;
    std::int64_t e = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      e = e * 10 + (text[i] - '0');
      if (e > 100000) return std::nullopt;
    }
    exponent += exp_negative ? -e : e;
  }
  if (i != text.size()) return std::nullopt;
  if (mag.is_zero()) return Decimal(0);
  return finish(negative, mag, exponent, sticky);
}

std::optional<Decimal> Decimal::from_double(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return parse(buffer);
}

std::optional<std::int64_t> Decimal::to_int64() const {
  if (exponent_ < 0) return std::nullopt;
  Int128 v = coefficient_;
  for (std::int32_t i = 0; i < exponent_; ++i) {
    v *= 10;
    if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  }
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

double Decimal::to_double() const {
  std::string digits;
  UInt128 mag = magnitude(coefficient_);
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  std::string text = (coefficient_ < 0 ? "-" : "") + digits + "e" + std::to_string(exponent_);
  return std::strtod(text.c_str(), nullptr);
}

std::string Decimal::to_string() const {
  std::string digits;
  UInt128 mag = magnitude(coefficient_);
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  std::string sign = coefficient_ < 0 ? "-" : "";
  auto length = static_cast<std::int64_t>(digits.size());
  // Plain notation while it stays readable; scientific beyond (as BigDecimal prints them).
  if (exponent_ > 64 || exponent_ + length < -64) {
    std::string mantissa = digits.substr(0, 1);
    if (length > 1) mantissa += "." + digits.substr(1);
    auto adjusted = exponent_ + length - 1;
    return sign + mantissa + "E" + (adjusted >= 0 ? "+" : "") + std::to_string(adjusted);
  }
  if (exponent_ >= 0) return sign + digits + std::string(static_cast<std::size_t>(exponent_), '0');
  auto point = length + exponent_;
  if (point > 0) {
    return sign + digits.substr(0, static_cast<std::size_t>(point)) + "."
           + digits.substr(static_cast<std::size_t>(point));
  }
  return sign + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
}

Decimal Decimal::negate() const {
  Decimal d = *this;
  d.coefficient_ = -d.coefficient_;
  return d;
}

std::optional<Decimal> Decimal::add(const Decimal& other) const {
  if (other.is_zero()) return *this;
  if (is_zero()) return other;
  const Decimal* hi = this;  // the operand with the larger exponent
  const Decimal* lo = &other;
  if (hi->exponent_ < lo->exponent_) std::swap(hi, lo);
  std::int64_t shift = static_cast<std::int64_t>(hi->exponent_) - lo->exponent_;
  U256 a = U256::of(magnitude(hi->coefficient_));
  U256 b = U256::of(magnitude(lo->coefficient_));
  std::int64_t exponent = lo->exponent_;
  bool sticky = false;
  if (shift > 40) {
    // The smaller operand lies wholly below the rounding digit: it only breaks ties.
    a.scale10(40);
    exponent = static_cast<std::int64_t>(hi->exponent_) - 40;
    b = U256::of(0);
    sticky = true;
    if (hi->is_negative() != lo->is_negative()) {
      // Subtracting a tiny amount: step the scaled magnitude down and let sticky stand for the
      // rest, which rounds correctly because the scaled part ends in 40 zeros.
      a.sub(U256::of(1));
    }
    return finish(hi->is_negative(), a, exponent, sticky);
  }
  a.scale10(static_cast<int>(shift));
  if (hi->is_negative() == lo->is_negative()) {
    a.add(b);
    return finish(hi->is_negative(), a, exponent, false);
  }
  int cmp = a.compare(b);
  if (cmp == 0) return Decimal(0);
  if (cmp > 0) {
    a.sub(b);
    return finish(hi->is_negative(), a, exponent, false);
  }
  b.sub(a);
  return finish(lo->is_negative(), b, exponent, false);
}

std::optional<Decimal> Decimal::subtract(const Decimal& other) const {
  return add(other.negate());
}

std::optional<Decimal> Decimal::multiply(const Decimal& other) const {
  if (is_zero() || other.is_zero()) return Decimal(0);
  U256 product = mul_wide(magnitude(coefficient_), magnitude(other.coefficient_));
  return finish(is_negative() != other.is_negative(), product,
                static_cast<std::int64_t>(exponent_) + other.exponent_, false);
}

std::optional<Decimal> Decimal::divide(const Decimal& other) const {
  if (other.is_zero()) return std::nullopt;
  if (is_zero()) return Decimal(0);
  UInt128 a = magnitude(coefficient_), b = magnitude(other.coefficient_);
  int k = kMaxDigits + 1 + digit_count(b) - digit_count(a);
  if (k < 0) k = 0;
  U256 n = U256::of(a);
  n.scale10(k);
  UInt128 rem = divmod_wide(n, b);
  return finish(is_negative() != other.is_negative(), n,
                static_cast<std::int64_t>(exponent_) - other.exponent_ - k, rem != 0);
}

std::optional<Decimal> Decimal::modulo(const Decimal& divisor) const {
  auto quotient = divide(divisor);
  if (!quotient) return std::nullopt;
  auto floored = quotient->round(0, Rounding::kFloor);
  if (!floored) return std::nullopt;
  auto product = divisor.multiply(*floored);
  if (!product) return std::nullopt;
  return subtract(*product);
}

std::optional<Decimal> Decimal::power(const Decimal& exponent) const {
  auto n = exponent.to_int64();
  if (!n) {
    double r = std::pow(to_double(), exponent.to_double());
    return from_double(r);
  }
  if (*n < -999999999 || *n > 999999999) return std::nullopt;
  std::int64_t count = *n < 0 ? -*n : *n;
  Decimal result(1), base = *this;
  while (count > 0) {
    if (count & 1) {
      auto r = result.multiply(base);
      if (!r) return std::nullopt;
      result = *r;
    }
    count >>= 1;
    if (count > 0) {
      auto b = base.multiply(base);
      if (!b) return std::nullopt;
      base = *b;
    }
  }
  if (*n < 0) return Decimal(1).divide(result);
  return result;
}

std::optional<Decimal> Decimal::round(std::int32_t scale, Rounding mode) const {
  std::int64_t drop = -static_cast<std::int64_t>(exponent_) - scale;
  if (drop <= 0 || is_zero()) return *this;
  U256 mag = U256::of(magnitude(coefficient_));
  bool sticky = false;
  if (drop > 40) {
    // Everything is dropped: the result is 0 or one unit at `scale`, by mode.
    bool away = round_away(0, true, is_negative(), false, mode);
    if (!away) return Decimal(0);
    return finish(is_negative(), U256::of(1), -static_cast<std::int64_t>(scale), false);
  }
  drop_digits(mag, static_cast<int>(drop), sticky, is_negative(), mode);
  return finish(is_negative(), mag, -static_cast<std::int64_t>(scale), false);
}

std::optional<Decimal> Decimal::sqrt() const {
  if (is_negative()) return std::nullopt;
  return from_double(std::sqrt(to_double()));
}

std::strong_ordering Decimal::compare(const Decimal& other) const {
  if (signum() != other.signum()) return signum() <=> other.signum();
  if (is_zero()) return std::strong_ordering::equal;
  // Same sign: compare magnitudes by adjusted exponent first, then aligned coefficients.
  UInt128 a = magnitude(coefficient_), b = magnitude(other.coefficient_);
  std::int64_t adj_a = exponent_ + digit_count(a), adj_b = other.exponent_ + digit_count(b);
  std::strong_ordering mag_order = std::strong_ordering::equal;
  if (adj_a != adj_b) {
    mag_order = adj_a <=> adj_b;
  } else {
    U256 wa = U256::of(a), wb = U256::of(b);
    if (exponent_ > other.exponent_) wa.scale10(exponent_ - other.exponent_);
    if (other.exponent_ > exponent_) wb.scale10(other.exponent_ - exponent_);
    int c = wa.compare(wb);
    mag_order = c < 0 ? std::strong_ordering::less
                      : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
  }
  if (is_negative()) return 0 <=> mag_order;
  return mag_order;
}

}  // namespace tern::feel
