#include "rules/judge_mapping.h"

namespace canaryd {
namespace {

BadDirection JudgeDirection(RuleMetric metric) {
  // The judge orients every metric so that up is worse, except row_count (fewer rows).
  return metric == RuleMetric::kRowCount ? BadDirection::kDown : BadDirection::kUp;
}

Margin JudgeMargin(RuleMetric metric, const JudgeOptions& options) {
  switch (metric) {
    case RuleMetric::kNullRate:
    case RuleMetric::kDuplicateRate:
      return {options.rate_margin_relative, options.rate_margin_absolute};
    case RuleMetric::kRowCount:
      return {options.row_count_margin_relative, 0};
    case RuleMetric::kFreshness:
      return {options.freshness_margin_relative, 0};
    case RuleMetric::kSchema:
      break;
  }
  return {};
}

}  // namespace

JudgeOptions ToJudgeOptions(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                            const JudgeOptions& base) {
  JudgeOptions options = base;
  options.alpha = rules.alpha;
  options.min_canary_loads = rules.warm_up_canary;
  options.min_baseline_loads = rules.warm_up_baseline;
  options.silent_min_ms = rules.canary_silent_ms;
  options.freshness_slo_s = static_cast<double>(fleet.within_ms) / 1000.0;
  options.freshness_slo_share = fleet.target;
  if (const EffectiveCheck* rate = rules.Find("null_rate(*)")) {
    options.rate_margin_relative = rate->margin.relative;
    options.rate_margin_absolute = rate->margin.absolute;
  }
  if (const EffectiveCheck* rows = rules.Find("row_count")) {
    options.row_count_margin_relative = rows->margin.relative;
  }
  if (const EffectiveCheck* freshness = rules.Find("freshness")) {
    options.freshness_margin_relative = freshness->margin.relative;
  }
  return options;
}

JudgePlan PlanJudge(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                    const JudgeOptions& base) {
  JudgePlan plan;
  plan.options = ToJudgeOptions(rules, fleet, base);
  const JudgeOptions& options = plan.options;
  for (const EffectiveCheck& check : rules.checks) {
    CheckExtras extras;
    extras.check = check.Name();
    extras.metric = check.metric;
    extras.disabled = !check.enabled;
    extras.severity = check.severity;
    extras.critical = check.critical && check.metric != RuleMetric::kSchema;
    extras.limits = check.limits;
    extras.confirm_loads = check.LimitConfirmLoads();
    if (check.metric != RuleMetric::kSchema) {
      if (check.bad != JudgeDirection(check.metric)) extras.bad = check.bad;
      if (!(check.margin == JudgeMargin(check.metric, options))) extras.margin = check.margin;
      if (check.warm_up_canary != options.min_canary_loads) {
        extras.warm_up_canary = check.warm_up_canary;
      }
      if (check.warm_up_baseline != options.min_baseline_loads) {
        extras.warm_up_baseline = check.warm_up_baseline;
      }
    }
    const bool needed = extras.disabled || extras.severity != Severity::kFail || extras.critical ||
                        !extras.limits.empty() || extras.bad || extras.margin ||
                        extras.warm_up_canary || extras.warm_up_baseline;
    if (needed) plan.extras.push_back(std::move(extras));
  }
  return plan;
}

}  // namespace canaryd
