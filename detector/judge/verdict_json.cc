#include "detector/judge/verdict_json.h"

#include <cmath>

#include "detector/timestamp.h"

namespace canaryd {
namespace {
// JSON has no infinity; evidence can be astronomically large on the log scale but stays finite.
double Finite(double x) { return std::isfinite(x) ? x : (x > 0 ? 1e308 : -1e308); }
}  // namespace

nlohmann::ordered_json ToJson(const CheckEvidence& e) {
  nlohmann::ordered_json j = {
      {"check", e.check},
      {"verdict", VerdictName(e.verdict)},
      {"method", e.method},
      {"sentence", e.sentence},
      {"canary_loads", e.canary_loads},
      {"baseline_loads", e.baseline_loads},
  };
  if (e.method == "rule") return j;
  j["unit"] = e.unit;
  j["canary_estimate"] = Finite(e.canary_estimate);
  // An absolute limit judges the canary alone: no baseline, no e-value.
  if (e.method == "limit") return j;
  j["baseline_estimate"] = Finite(e.baseline_estimate);
  if (e.method == "slo") {
    j["log_e_value"] = Finite(e.log_e_regression);
    j["log_threshold"] = Finite(e.log_threshold);
    return j;
  }
  j["canary_rows"] = e.canary_rows;
  j["baseline_rows"] = e.baseline_rows;
  j["observations"] = e.observations;
  j["effect_log"] = Finite(e.effect_log);
  j["margin_log"] = Finite(e.margin_log);
  j["log_e_value"] = Finite(e.log_e_regression);
  j["log_threshold"] = Finite(e.log_threshold);
  j["log_e_non_inferiority"] = Finite(e.log_e_non_inferiority);
  j["log_promote_threshold"] = Finite(e.log_promote_threshold);
  j["non_inferior"] = e.non_inferior;
  if (e.margin_tested) {
    j["log_e_beyond_margin"] = Finite(e.log_e_beyond_margin);
    j["log_margin_threshold"] = Finite(e.log_margin_threshold);
  }
  return j;
}

nlohmann::ordered_json ToJson(const ReleaseDatasetView& v) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckEvidence& e : v.checks) checks.push_back(ToJson(e));
  nlohmann::ordered_json j = {
      {"release", v.release},
      {"dataset", v.dataset},
      {"decision", DecisionName(v.decision)},
      {"release_start", FormatTimestampMs(v.release_start_ms)},
      {"last_report", FormatTimestampMs(v.last_report_ms)},
      {"canary_loads", v.canary_loads},
      {"baseline_loads", v.baseline_loads},
      {"checks", std::move(checks)},
  };
  if (v.decision != Decision::kContinue) {
    j["decided_at"] = FormatTimestampMs(v.decided_at_ms);
    j["deciding_check"] = v.deciding_check;
    j["reason"] = v.reason;
  }
  return j;
}

}  // namespace canaryd
