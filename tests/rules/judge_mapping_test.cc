#include "rules/judge_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using ::canaryd::testing::Parse;
using ::testing::SizeIs;

std::shared_ptr<const RuleSet> Shared(RuleSet rules) {
  return std::make_shared<const RuleSet>(std::move(rules));
}

TEST(JudgeMapping, BuiltInRulesAreExactlyTheJudgesDefaults) {
  RuleSet rules;
  const JudgeOptions options = ToJudgeOptions(rules.Resolve("d"), rules.fleet_freshness());
  const JudgeOptions defaults;
  EXPECT_EQ(options.alpha, defaults.alpha);
  EXPECT_EQ(options.min_canary_loads, defaults.min_canary_loads);
  EXPECT_EQ(options.min_baseline_loads, defaults.min_baseline_loads);
  EXPECT_EQ(options.rate_margin_relative, defaults.rate_margin_relative);
  EXPECT_EQ(options.rate_margin_absolute, defaults.rate_margin_absolute);
  EXPECT_EQ(options.row_count_margin_relative, defaults.row_count_margin_relative);
  EXPECT_EQ(options.freshness_margin_relative, defaults.freshness_margin_relative);
  EXPECT_EQ(options.freshness_margin_absolute_s, defaults.freshness_margin_absolute_s);
  EXPECT_EQ(options.silent_min_ms, defaults.silent_min_ms);
  EXPECT_EQ(options.freshness_slo_s, defaults.freshness_slo_s);
  EXPECT_EQ(options.freshness_slo_share, defaults.freshness_slo_share);
  // Every check's policy from the built-in rules is the judge's own behaviour.
  const RulesCheckPolicies policies(Shared(RuleSet()), "d");
  for (const char* check :
       {"null_rate(email)", "null_rate(*)", "duplicate_rate", "row_count", "freshness", "schema"}) {
    EXPECT_EQ(policies.For(check), BuiltInPolicy(check, defaults)) << check;
  }
}

TEST(JudgeMapping, ReleaseLevelSettingsBecomeOptions) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  alpha: 0.5%
  warm_up: {canary: 4, baseline: 6}
  canary_silent_after: 20m
  canary_min_share: 1%
  checks:
    - null_rate(*): {margin: [+30%, +0.2pp]}
    - row_count: {margin: 5%}
    - freshness: {margin: [50%, +2m]}
fleet:
  freshness_slo: {within: 10m, target: 99%}
datasets:
  - {name: d, tags: [critical]}
)");
  JudgeOptions base;
  base.promote_alpha = 0.1;
  JudgeOptions o = ToJudgeOptions(rules.Resolve("d"), rules.fleet_freshness(), base);
  EXPECT_DOUBLE_EQ(o.alpha, 0.005);
  EXPECT_EQ(o.min_canary_loads, 4);
  EXPECT_EQ(o.min_baseline_loads, 6);
  EXPECT_EQ(o.silent_min_ms, 20 * 60 * 1000);
  EXPECT_DOUBLE_EQ(o.silent_min_share, 0.01);
  EXPECT_DOUBLE_EQ(o.rate_margin_relative, 0.3);
  EXPECT_DOUBLE_EQ(o.rate_margin_absolute, 0.002);
  EXPECT_DOUBLE_EQ(o.row_count_margin_relative, 0.05);
  EXPECT_DOUBLE_EQ(o.freshness_margin_relative, 0.5);
  EXPECT_DOUBLE_EQ(o.freshness_margin_absolute_s, 120);
  EXPECT_DOUBLE_EQ(o.freshness_slo_s, 600);
  EXPECT_DOUBLE_EQ(o.freshness_slo_share, 0.99);
  EXPECT_DOUBLE_EQ(o.promote_alpha, 0.1);  // not a rules knob: from base
  // duplicate_rate keeps the built-in rate margin in its own policy; columns take null_rate(*).
  const RulesCheckPolicies policies(Shared(rules), "d");
  EXPECT_DOUBLE_EQ(policies.For("duplicate_rate").margin_relative, 0.2);
  EXPECT_DOUBLE_EQ(policies.For("null_rate(anything)").margin_relative, 0.3);
  EXPECT_DOUBLE_EQ(policies.For("null_rate(anything)").margin_absolute, 0.002);
  EXPECT_EQ(policies.For("row_count").warm_up_canary, 4);
  const JudgeOptions with_checks = JudgeOptionsFor(Shared(rules), "d", base);
  ASSERT_NE(with_checks.checks, nullptr);
  EXPECT_DOUBLE_EQ(with_checks.checks->For("freshness").margin_relative, 0.5);
  EXPECT_DOUBLE_EQ(with_checks.checks->For("freshness").margin_absolute, 120);
}

TEST(JudgeMapping, EveryCheckSettingBecomesItsPolicy) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 2%
      - null_rate(phone): off
      - null_rate(discount): {margin: +1pp}
      - null_rate(tmp_*): {severity: warn}
      - row_count: {bad: both, critical: true}
      - freshness p95 < 15m:
          severity: warn
          warm_up: 8
      - schema: {severity: warn}
)");
  const RulesCheckPolicies policies(Shared(rules), "analytics.customers");
  const CheckPolicy email = policies.For("null_rate(email)");
  ASSERT_THAT(email.limits, SizeIs(1));
  EXPECT_EQ(email.limits[0].op, LimitOp::kLess);
  EXPECT_DOUBLE_EQ(email.limits[0].value, 0.02);
  EXPECT_EQ(email.limits[0].text, "null_rate(email) < 2%");
  EXPECT_EQ(email.confirm_loads, 3);
  EXPECT_TRUE(email.rolls_back);
  EXPECT_FALSE(policies.For("null_rate(phone)").enabled);
  EXPECT_DOUBLE_EQ(policies.For("null_rate(discount)").margin_absolute, 0.01);
  // A column the file never names takes a matching glob's rule, resolved when it appears.
  EXPECT_FALSE(policies.For("null_rate(tmp_load)").rolls_back);
  EXPECT_TRUE(policies.For("null_rate(other)").rolls_back);
  const CheckPolicy rows = policies.For("row_count");
  EXPECT_TRUE(rows.bad_up);
  EXPECT_TRUE(rows.bad_down);
  EXPECT_TRUE(rows.critical);
  EXPECT_EQ(rows.confirm_loads, 1);
  const CheckPolicy fresh = policies.For("freshness");
  EXPECT_FALSE(fresh.rolls_back);
  EXPECT_EQ(fresh.warm_up_canary, 8);
  EXPECT_EQ(fresh.warm_up_baseline, 8);
  ASSERT_THAT(fresh.limits, SizeIs(1));
  EXPECT_DOUBLE_EQ(*fresh.limits[0].quantile, 0.95);
  EXPECT_DOUBLE_EQ(fresh.limits[0].value, 900);
  EXPECT_FALSE(policies.For("schema").rolls_back);
}

}  // namespace
}  // namespace canaryd
