#pragma once

// FEEL's operators on values: arithmetic on numbers, strings, dates, times and durations, and
// the calendar helpers the temporal built-ins share. A combination FEEL does not define yields
// null; only a broken limit is an error (the message says which).

#include <string>

#include "common/result.h"
#include "engine/feel/ast.h"
#include "engine/feel/feel.h"
#include "engine/feel/value.h"

namespace tern::feel {

// op is one of kAdd, kSubtract, kMultiply, kDivide, kPower.
tern::Result<Value, std::string> arithmetic(detail::Op op, const Value& a, const Value& b,
                                            const Limits& limits);
Value negate(const Value& v);

// Calendar arithmetic: months added with the day clamped to the month's length.
Date add_months(const Date& date, std::int64_t months);
DateTime add_months(const DateTime& dt, std::int64_t months);
// Adds an exact duration, keeping the zone (a zone id's offset is re-resolved at the new instant).
std::optional<DateTime> add_duration(const DateTime& dt, const DaysTimeDuration& d);
// The span between two date-times, nullopt when one has a zone and the other not.
std::optional<DaysTimeDuration> between(const DateTime& from, const DateTime& to);
DateTime at_midnight(const Date& date);

// Whether `v` lies in `range` (nullopt when incomparable).
std::optional<bool> range_contains(const Range& range, const Value& v);

}  // namespace tern::feel
