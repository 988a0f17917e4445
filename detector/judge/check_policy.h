// What a dataset's rules ask of one check beyond the release-wide JudgeOptions: whether it runs,
// what a failure does, which way is worse, how much worse matters, its warm-up, and absolute
// limits on the canary alone. The rules file (rules/) supplies policies through a
// CheckPolicySource; without one every check gets BuiltInPolicy, which is exactly the judge's
// JudgeOptions behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd {

struct JudgeOptions;

enum class LimitOp : std::uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };
std::string_view LimitOpText(LimitOp op);  // "<", "<=", ">", ">=", "="

// A limit that holds whatever the baseline does: "null_rate(email) < 2%", "freshness p95 < 15m".
struct AbsoluteLimit {
  // Empty: every canary load must keep the limit. Set: this quantile (0.95 for p95) of the
  // canary's loads since the release started must.
  std::optional<double> quantile;
  LimitOp op = LimitOp::kLess;
  double value = 0.0;  // rates as fractions, row_count in rows, freshness in seconds
  std::string text;    // as written, for messages: "freshness p95 < 15m"

  bool Holds(double observed) const;
  bool BoundsAbove() const;  // <, <=, =
  bool BoundsBelow() const;  // >, >=, =
  bool operator==(const AbsoluteLimit&) const = default;
};

struct CheckPolicy {
  bool enabled = true;
  // false (severity warn): a failing check shows WARN, never rolls back and does not hold
  // promotion back.
  bool rolls_back = true;
  // Limits fail on the first breaking load and, in shadow mode, one paired load beyond the
  // tolerance is a regression.
  bool critical = false;
  // Which way is worse in natural units (a rate or freshness going up, rows going down): one or
  // both may be set; both gives the check one test per direction.
  bool bad_up = true;
  bool bad_down = false;
  // The practical margin: the larger of the two applies. absolute is in rate units for rates
  // (0.001 = +0.1pp) and in seconds for freshness; other checks have none.
  double margin_relative = 0.0;
  double margin_absolute = 0.0;
  int warm_up_canary = 3;
  int warm_up_baseline = 3;
  int confirm_loads = 3;  // consecutive breaking loads before a limit fails (1 when critical)
  std::vector<AbsoluteLimit> limits;
  bool operator==(const CheckPolicy&) const = default;
};

// The judge's own behaviour for a check: "null_rate(email)", "duplicate_rate", "row_count",
// "freshness", "schema".
CheckPolicy BuiltInPolicy(std::string_view check, const JudgeOptions& options);

// Per-dataset check policies. Called on a shard thread when a release first sees a metric;
// must be thread-safe (an immutable source is).
class CheckPolicySource {
 public:
  virtual ~CheckPolicySource() = default;
  virtual CheckPolicy For(std::string_view check) const = 0;
};

}  // namespace canaryd
