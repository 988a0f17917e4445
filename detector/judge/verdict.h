// What the judge says about a check and about a release: the states of design §4 and the
// evidence every verdict carries (§4.4: explainable).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd {

enum class Verdict : std::uint8_t {
  kNotEvaluated,  // warm-up: too little data to say anything
  kInconclusive,  // the baseline is missing, so there is nothing to compare with
  kPass,
  kWarn,
  kFail,
};

enum class Decision : std::uint8_t { kContinue, kPromote, kRollback };

std::string_view VerdictName(Verdict v);    // "NOT_EVALUATED", "INCONCLUSIVE", "PASS", ...
std::string_view DecisionName(Decision d);  // "continue", "promote", "rollback"

// Evidence for one check. Counts and estimates only, never row values.
struct CheckEvidence {
  std::string check;  // e.g. "null_rate(email)"
  Verdict verdict = Verdict::kNotEvaluated;
  std::string_view method;    // "split", "paired", "rule", "slo" (static strings)
  bool non_inferior = false;  // shown no worse than the margin (counts towards PROMOTE)
  bool warn_only = false;     // severity warn: a failure shows WARN and never rolls back
  // empty_loads past its threshold while no baseline load with rows has arrived since the
  // canary's empty loads began: held (WARN), since an upstream outage would empty both arms.
  bool awaiting_baseline = false;

  // Sequential test: log e-values and the thresholds they are compared with.
  double log_e_regression = 0.0;
  double log_threshold = 0.0;
  double log_e_non_inferiority = 0.0;
  double log_promote_threshold = 0.0;
  // The margin's own test: evidence that the effect exceeds the margin, which a rollback also
  // needs. margin_tested false: no method chosen yet (the check has not compared anything).
  bool margin_tested = false;
  double log_e_beyond_margin = 0.0;
  double log_margin_threshold = 0.0;

  // Effect on the log scale, oriented so that positive is bad, and the practical margin.
  double effect_log = 0.0;
  double margin_log = 0.0;
  // The policy's absolute margin (a rate, or seconds of freshness) when it, not the relative one,
  // sets margin_log, else 0. Sentences state it as "+0.10pp" or "+60s": at a baseline rate near 0
  // the same margin read as a share was "126990%".
  double margin_absolute = 0.0;
  bool bad_down = false;  // the tested direction: the metric falling (rows) rather than rising

  // Estimates in natural units (a rate, rows per load, seconds) over the release's span.
  double canary_estimate = 0.0;
  double baseline_estimate = 0.0;
  std::string_view unit;  // "rate", "rows", "s", "share" (static strings)
  std::uint64_t canary_loads = 0;
  std::uint64_t baseline_loads = 0;
  std::uint64_t canary_rows = 0;
  std::uint64_t baseline_rows = 0;
  std::uint64_t observations = 0;  // scored comparisons that fed the e-process

  std::string sentence;  // one line a person on call can read
};

// The state of one (release, dataset) as the judge sees it after a report.
struct ReleaseDatasetView {
  std::string release;
  std::string dataset;
  Decision decision = Decision::kContinue;
  std::int64_t release_start_ms = 0;
  std::int64_t last_report_ms = 0;
  std::int64_t decided_at_ms = 0;  // report time of the decision; 0 while continuing
  std::string deciding_check;      // the failing check, or "all" on promote
  std::uint64_t canary_loads = 0;
  std::uint64_t baseline_loads = 0;
  std::vector<CheckEvidence> checks;
  std::string reason;  // one sentence summarizing the decision
};

}  // namespace canaryd
