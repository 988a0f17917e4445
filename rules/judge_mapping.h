// From effective rules to the judge: the JudgeOptions it understands today, and per check what it
// does not understand yet (absolute limits, severity, critical, disabled checks, per-check
// margins, directions and warm-ups) so the judge can grow into them without the rules changing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detector/judge/judge_options.h"
#include "rules/rule_set.h"

namespace canaryd {

// What one check asks of the judge beyond JudgeOptions. Only the fields that differ from what
// the options already say are set.
struct CheckExtras {
  std::string check;  // "null_rate(email)"; "null_rate(*)" for every column not listed
  RuleMetric metric = RuleMetric::kRowCount;
  bool disabled = false;
  Severity severity = Severity::kFail;  // kWarn: never roll back on this check
  bool critical = false;                // limits (and shadow tolerance) decide on the first load
  std::vector<Limit> limits;            // absolute limits, judged on the canary alone
  int confirm_loads = 3;                // consecutive breaking loads before a limit fails
  std::optional<BadDirection> bad;      // when not the judge's built-in direction
  std::optional<Margin> margin;         // when not the JudgeOptions margin for the metric
  std::optional<int> warm_up_canary;    // when not JudgeOptions::min_canary_loads
  std::optional<int> warm_up_baseline;  // when not JudgeOptions::min_baseline_loads
};

struct JudgePlan {
  JudgeOptions options;
  // Checks the options alone do not express, in EffectiveRules::checks order. Empty: the
  // options are the whole truth.
  std::vector<CheckExtras> extras;
};

// base supplies what rules do not set (promote_alpha, scale floors, mixture, ...).
// Release-level: alpha, warm-up, canary_silent_after -> silent_min_ms, fleet freshness SLO ->
// freshness_slo_s / share. Margins: rates from null_rate(*), row_count and freshness from theirs.
JudgePlan PlanJudge(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                    const JudgeOptions& base = {});

// The options part alone.
JudgeOptions ToJudgeOptions(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                            const JudgeOptions& base = {});

}  // namespace canaryd
