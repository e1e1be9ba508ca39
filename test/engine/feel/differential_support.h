#pragma once

// Shared by the differential test: Tern's results in the same normalised JSON shape the
// feelin runner writes (feelin_runner.mjs), and the equivalence used to compare the two.

#include <nlohmann/json.hpp>
#include <string>

namespace tern::feel::test {

// {"t": type, "v": value}, or {"t": "error", "v": message} when Tern rejects the expression.
nlohmann::json evaluate_normalised(const std::string& expression, const nlohmann::json& context);

// Whether two normalised results agree. Numbers are compared as decimals, allowing for feelin's
// binary floating point: equal, or equal to 15 significant digits. Temporal values compare their
// ISO text. Both sides being errors agree whatever the messages say.
bool equivalent(const nlohmann::json& tern, const nlohmann::json& feelin);

}  // namespace tern::feel::test
