// From effective rules to the judge: the release-wide JudgeOptions, and per check the
// CheckPolicy the judge applies (severity, critical, off, direction, margin, warm-up, limits).
#pragma once

#include <memory>
#include <string>

#include "detector/judge/check_policy.h"
#include "detector/judge/judge_options.h"
#include "rules/rule_set.h"

namespace canaryd {

// base supplies what rules do not set (promote_alpha, scale floors, mixture, ...).
// Release-level: alpha, warm-up, canary_silent_after -> silent_min_ms, fleet freshness SLO ->
// freshness_slo_s / share. Margins: rates from null_rate(*), row_count and freshness from theirs
// (the defaults of the fields; each check's own policy is what the judge uses). `checks` is left
// as base has it.
JudgeOptions ToJudgeOptions(const EffectiveRules& rules, const FleetFreshnessSlo& fleet,
                            const JudgeOptions& base = {});

// One check's policy as the judge reads it.
CheckPolicy ToCheckPolicy(const EffectiveCheck& check);

// The policies of one dataset from a shared RuleSet: every null_rate column is resolved on
// demand, so a column that first appears mid-release still gets its own rule or a matching glob.
class RulesCheckPolicies : public CheckPolicySource {
 public:
  RulesCheckPolicies(std::shared_ptr<const RuleSet> rules, std::string dataset);
  CheckPolicy For(std::string_view check) const override;

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::string dataset_;
  EffectiveRules resolved_;  // without columns: every check but the null_rate columns
};

// Options and policies together: what a release of `dataset` is judged with.
JudgeOptions JudgeOptionsFor(const std::shared_ptr<const RuleSet>& rules,
                             const std::string& dataset, const JudgeOptions& base = {});

}  // namespace canaryd
