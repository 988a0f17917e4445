#include "detector/judge/evidence_text.h"

#include <cmath>
#include <cstdio>

namespace canaryd {

std::string FormatDuration(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(s / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  }
  return buf;
}

std::string FormatEstimate(double value, std::string_view unit) {
  char buf[64];
  if (unit == "rate" || unit == "share") {
    std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * value);
  } else if (unit == "rows") {
    std::snprintf(buf, sizeof buf, "%.0f rows", value);
  } else if (unit == "s") {
    std::snprintf(buf, sizeof buf, "%.0fs", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", value);
  }
  return buf;
}

std::string FormatEvidence(double log_e) {
  char buf[32];
  const double e = std::exp(std::min(log_e, 700.0));
  if (e < 1e6) {
    std::snprintf(buf, sizeof buf, e < 10 ? "%.2g" : "%.0f", e);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g", e);
  }
  return buf;
}

namespace {
// "+0.1pp", "+30s", "20%", "-10%": a check that is bad when the metric falls reads its margin as a
// share less.
std::string MarginText(const CheckEvidence& e) {
  const double share = e.bad_down ? -std::expm1(-e.margin_log) : std::expm1(e.margin_log);
  char margin[32];
  if (e.margin_absolute > 0 && e.unit == "s") {
    std::snprintf(margin, sizeof margin, "%s%.0fs", e.bad_down ? "-" : "+", e.margin_absolute);
  } else if (e.margin_absolute > 0) {
    std::snprintf(margin, sizeof margin, "%s%.2gpp", e.bad_down ? "-" : "+",
                  100.0 * e.margin_absolute);
  } else {
    std::snprintf(margin, sizeof margin, "%.0f%%", 100.0 * share);
  }
  return margin;
}
}  // namespace

std::string SentenceFor(const CheckEvidence& e) {
  const std::string head = e.check + " " + FormatEstimate(e.canary_estimate, e.unit) + " vs " +
                           FormatEstimate(e.baseline_estimate, e.unit) + " baseline over " +
                           std::to_string(e.canary_loads) + " canary loads";
  const std::string needed = FormatEvidence(e.log_threshold);
  switch (e.verdict) {
    case Verdict::kNotEvaluated:
      return e.check + ": warming up (" + std::to_string(e.canary_loads) + " canary, " +
             std::to_string(e.baseline_loads) + " baseline loads so far)";
    case Verdict::kInconclusive:
      return e.check + ": no baseline loads since the release started; nothing to compare with";
    case Verdict::kFail:
      return head + "; evidence " + FormatEvidence(e.log_e_regression) + " >= " + needed +
             " needed; rollback";
    case Verdict::kWarn:
      // Past the threshold a WARN is a warn-only check's failure, or evidence whose effect is
      // still inside the margin; "of 600 needed" read as if it had not got there.
      if (e.log_e_regression >= e.log_threshold) {
        return head + "; evidence " + FormatEvidence(e.log_e_regression) + " >= " + needed +
               (e.warn_only           ? " needed; warning only (severity warn)"
                : e.awaiting_baseline ? " needed; waiting for a baseline load with rows (an "
                                        "upstream outage would empty both arms)"
                : e.margin_tested
                    ? " needed, not shown beyond the " + MarginText(e) + " margin (evidence " +
                          FormatEvidence(e.log_e_beyond_margin) + " of " +
                          FormatEvidence(e.log_margin_threshold) + "); watching"
                    : " needed, effect inside the margin; watching");
      }
      return head + "; evidence " + FormatEvidence(e.log_e_regression) + " of " + needed +
             " needed; watching";
    case Verdict::kPass:
      if (e.non_inferior) {
        const std::string margin = MarginText(e);
        if (e.log_e_non_inferiority < e.log_promote_threshold) {
          // Shown by the count alone (ReleaseJudge::NonInferior): not one in n canary rows makes
          // a rate above the absolute margin unlikely, whatever the e-value says.
          return head + "; shown no worse than the " + margin + " margin (none in " +
                 std::to_string(e.canary_rows) + " canary rows)";
        }
        return head + "; shown no worse than the " + margin + " margin (evidence " +
               FormatEvidence(e.log_e_non_inferiority) +
               " >= " + FormatEvidence(e.log_promote_threshold) + ")";
      }
      return head + "; no evidence of regression (" + FormatEvidence(e.log_e_regression) + " of " +
             needed + " needed)";
  }
  return head;
}

std::string SloSentence(const CheckEvidence& e, double slo_s, double slo_share) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "freshness_slo %.1f%% of canary loads within %s vs %.1f%% baseline (target "
                "%.0f%%) over %llu canary loads%s",
                100.0 * e.canary_estimate,
                FormatDuration(static_cast<std::int64_t>(slo_s * 1000)).c_str(),
                100.0 * e.baseline_estimate, 100.0 * slo_share,
                static_cast<unsigned long long>(e.canary_loads),
                e.verdict == Verdict::kWarn ? "; below target (warning)" : "");
  return buf;
}

}  // namespace canaryd
