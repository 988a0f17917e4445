// Values as people write them in rules files: durations (15m, 900s, 1h30m), percentages (0.5%),
// margins (+20%, +0.1pp), alpha (0.01 or 1%), row counts (0, 10k, 1.5M) and load counts (3 loads).
// Each parser takes the whole value and says precisely what is wrong with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/outcome.hpp>

namespace canaryd {

struct UnitError {
  std::string message;
  std::string hint;
  std::size_t offset = 0;  // where in the value the problem starts
};

template <class T>
using UnitResult =
    BOOST_OUTCOME_V2_NAMESPACE::basic_result<T, UnitError,
                                             BOOST_OUTCOME_V2_NAMESPACE::policy::terminate>;

// Milliseconds. Units ms, s, m, h, d (and their spelled-out forms), combinable: "1h30m",
// "1h 30m", "1.5h". A bare number is an error: 900 could be seconds or minutes.
UnitResult<std::int64_t> ParseDurationMs(std::string_view text);

// A fraction: "0.5%" -> 0.005. "0" is accepted bare; any other bare number is ambiguous (0.5 could
// mean 0.5% or 50%) and an error.
UnitResult<double> ParsePercent(std::string_view text);

// One margin term: relative ("+20%", "x1.2" -> 0.2), absolute in percentage points ("+0.1pp"
// -> 0.001, for rates) or absolute as a duration ("+30s", "+1m30s" -> 30, 90 seconds, for
// freshness). Margins are how much worse the canary may be, so they are never negative.
enum class MarginKind : std::uint8_t { kRelative, kPoints, kSeconds };
struct MarginTerm {
  MarginKind kind = MarginKind::kRelative;
  double value = 0.0;  // a fraction, a rate, or seconds
  bool absolute() const { return kind != MarginKind::kRelative; }
};
UnitResult<MarginTerm> ParseMarginTerm(std::string_view text);

// The false-rollback budget: "0.01" or "1%", strictly between 0 and 1.
UnitResult<double> ParseAlpha(std::string_view text);

// The smallest share of runs a canary gets: "2%" or "0.02", strictly between 0 and 1.
UnitResult<double> ParseCanaryShare(std::string_view text);

// Rows: "0", "120345", "10k", "1.5M", "2B", "1_000_000".
UnitResult<double> ParseRowCount(std::string_view text);

// A number of loads, 1..10000: "3" or "3 loads".
UnitResult<int> ParseLoads(std::string_view text);

// "15m", "1h30m", "900ms": the shortest way to write a duration back.
std::string FormatDurationMs(std::int64_t ms);
// "0.5%", "20%", "0.1pp": fractions back as people wrote them.
std::string FormatPercent(double fraction);

}  // namespace canaryd
