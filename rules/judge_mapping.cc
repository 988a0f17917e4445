#include "rules/judge_mapping.h"

namespace canaryd {

JudgeOptions ToJudgeOptions(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                            const JudgeOptions& base) {
  JudgeOptions options = base;
  options.alpha = rules.alpha;
  options.min_canary_loads = rules.warm_up_canary;
  options.min_baseline_loads = rules.warm_up_baseline;
  options.silent_min_ms = rules.canary_silent_ms;
  options.silent_min_share = rules.canary_min_share;
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
    options.freshness_margin_absolute_s = freshness->margin.absolute;
  }
  return options;
}

CheckPolicy ToCheckPolicy(const EffectiveCheck& check) {
  CheckPolicy policy;
  policy.enabled = check.enabled;
  policy.rolls_back = check.severity == Severity::kFail;
  policy.critical = check.critical;
  // schema compares fingerprints: it has no direction.
  policy.bad_up = check.metric == RuleMetric::kSchema || check.bad != BadDirection::kDown;
  policy.bad_down = check.metric != RuleMetric::kSchema && check.bad != BadDirection::kUp;
  policy.margin_relative = check.margin.relative;
  policy.margin_absolute = check.margin.absolute;
  policy.warm_up_canary = check.warm_up_canary;
  policy.warm_up_baseline = check.warm_up_baseline;
  policy.confirm_loads = check.LimitConfirmLoads();
  policy.limits.assign(check.limits.begin(), check.limits.end());
  return policy;
}

RulesCheckPolicies::RulesCheckPolicies(std::shared_ptr<const RuleSet> rules, std::string dataset)
    : rules_(std::move(rules)),
      dataset_(std::move(dataset)),
      resolved_(rules_->Resolve(dataset_)) {}

CheckPolicy RulesCheckPolicies::For(std::string_view check) const {
  if (const EffectiveCheck* found = resolved_.Find(check)) return ToCheckPolicy(*found);
  constexpr std::string_view kNullRate = "null_rate(";
  if (check.starts_with(kNullRate) && check.ends_with(")")) {
    const std::string column(check.substr(kNullRate.size(), check.size() - kNullRate.size() - 1));
    const EffectiveRules with_column = rules_->Resolve(dataset_, std::span(&column, 1));
    return ToCheckPolicy(with_column.NullRateFor(column));
  }
  return ToCheckPolicy(*resolved_.Find("null_rate(*)"));  // unreachable for known checks
}

JudgeOptions JudgeOptionsFor(const std::shared_ptr<const RuleSet>& rules,
                             const std::string& dataset, const JudgeOptions& base) {
  JudgeOptions options = ToJudgeOptions(rules->Resolve(dataset), rules->fleet_freshness(), base);
  options.checks = std::make_shared<const RulesCheckPolicies>(rules, dataset);
  return options;
}

}  // namespace canaryd
