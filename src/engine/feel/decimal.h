#pragma once

// Decimal: FEEL's number. A signed coefficient of at most 34 decimal digits and a base-10 exponent,
// rounded half-even like IEEE 754 DECIMAL128, so that money arithmetic is exact
// (0.1 + 0.2 = 0.3). Values are kept normalised (no trailing zeros in the coefficient, zero has
// exponent 0), which makes equality structural and printing canonical.
//
// Immutable value type; any thread. Operations that would leave the exponent range (±6144) or
// divide by zero return std::nullopt: FEEL turns those into null.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::feel {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

class Decimal {
 public:
  static constexpr int kMaxDigits = 34;
  static constexpr std::int32_t kMaxExponent = 6144;

  enum class Rounding { kHalfEven, kHalfUp, kHalfDown, kUp, kDown, kFloor, kCeiling };

  constexpr Decimal() = default;
  Decimal(std::int64_t value);  // NOLINT: implicit, numbers read naturally in tests and callers

  // Parses FEEL / JSON number text: "-12.50", "1e3", ".5". Nullopt when malformed.
  static std::optional<Decimal> parse(std::string_view text);
  // The nearest decimal to a double (shortest round-trip form); nullopt for NaN/inf.
  static std::optional<Decimal> from_double(double value);
  // Coefficient * 10^exponent, rounded to 34 digits.
  static std::optional<Decimal> make(Int128 coefficient, std::int32_t exponent);

  Int128 coefficient() const { return coefficient_; }
  std::int32_t exponent() const { return exponent_; }
  bool is_zero() const { return coefficient_ == 0; }
  bool is_negative() const { return coefficient_ < 0; }
  bool is_integer() const { return exponent_ >= 0; }
  int signum() const { return coefficient_ < 0 ? -1 : (coefficient_ > 0 ? 1 : 0); }

  // The value as an int64 when it is an integer in range.
  std::optional<std::int64_t> to_int64() const;
  double to_double() const;
  // Plain notation, no exponent: "1.5", "-0.001", "1000000".
  std::string to_string() const;

  Decimal negate() const;
  Decimal abs() const { return is_negative() ? negate() : *this; }
  std::optional<Decimal> add(const Decimal& other) const;
  std::optional<Decimal> subtract(const Decimal& other) const;
  std::optional<Decimal> multiply(const Decimal& other) const;
  std::optional<Decimal> divide(const Decimal& other) const;
  // FEEL modulo: the result takes the sign of the divisor (floored division).
  std::optional<Decimal> modulo(const Decimal& divisor) const;
  // Integer exponents only (FEEL allows others, which we evaluate through double).
  std::optional<Decimal> power(const Decimal& exponent) const;
  // Round to `scale` digits after the point (negative scale rounds left of it).
  std::optional<Decimal> round(std::int32_t scale, Rounding mode) const;
  std::optional<Decimal> sqrt() const;

  friend bool operator==(const Decimal& a, const Decimal& b) {
    return a.coefficient_ == b.coefficient_ && a.exponent_ == b.exponent_;
  }
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
    return a.compare(b);
  }

 private:
  std::strong_ordering compare(const Decimal& other) const;

  Int128 coefficient_ = 0;
  std::int32_t exponent_ = 0;
};

}  // namespace tern::feel
