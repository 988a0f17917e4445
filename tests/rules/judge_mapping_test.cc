#include "rules/judge_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using ::canaryd::testing::Parse;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(JudgeMapping, BuiltInRulesAreExactlyTheJudgesDefaults) {
  RuleSet rules;
  JudgePlan plan = PlanJudge(rules.Resolve("d"), rules.fleet_freshness());
  const JudgeOptions defaults;
  EXPECT_EQ(plan.options.alpha, defaults.alpha);
  EXPECT_EQ(plan.options.min_canary_loads, defaults.min_canary_loads);
  EXPECT_EQ(plan.options.min_baseline_loads, defaults.min_baseline_loads);
  EXPECT_EQ(plan.options.rate_margin_relative, defaults.rate_margin_relative);
  EXPECT_EQ(plan.options.rate_margin_absolute, defaults.rate_margin_absolute);
  EXPECT_EQ(plan.options.row_count_margin_relative, defaults.row_count_margin_relative);
  EXPECT_EQ(plan.options.freshness_margin_relative, defaults.freshness_margin_relative);
  EXPECT_EQ(plan.options.silent_min_ms, defaults.silent_min_ms);
  EXPECT_EQ(plan.options.freshness_slo_s, defaults.freshness_slo_s);
  EXPECT_EQ(plan.options.freshness_slo_share, defaults.freshness_slo_share);
  EXPECT_THAT(plan.extras, IsEmpty());
}

TEST(JudgeMapping, ReleaseLevelSettingsBecomeOptions) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  alpha: 0.5%
  warm_up: {canary: 4, baseline: 6}
  canary_silent_after: 20m
  checks:
    - null_rate(*): {margin: [+30%, +0.2pp]}
    - row_count: {margin: 5%}
    - freshness: {margin: 50%}
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
  EXPECT_DOUBLE_EQ(o.rate_margin_relative, 0.3);
  EXPECT_DOUBLE_EQ(o.rate_margin_absolute, 0.002);
  EXPECT_DOUBLE_EQ(o.row_count_margin_relative, 0.05);
  EXPECT_DOUBLE_EQ(o.freshness_margin_relative, 0.5);
  EXPECT_DOUBLE_EQ(o.freshness_slo_s, 600);
  EXPECT_DOUBLE_EQ(o.freshness_slo_share, 0.99);
  EXPECT_DOUBLE_EQ(o.promote_alpha, 0.1);  // not a rules knob: from base
  // duplicate_rate keeps the built-in rate margin, which the options no longer say.
  JudgePlan plan = PlanJudge(rules.Resolve("d"), rules.fleet_freshness(), base);
  ASSERT_THAT(plan.extras, SizeIs(1));
  EXPECT_EQ(plan.extras[0].check, "duplicate_rate");
  EXPECT_DOUBLE_EQ(plan.extras[0].margin->relative, 0.2);
}

TEST(JudgeMapping, WhatTheJudgeDoesNotSupportYetIsListedPerCheck) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 2%
      - null_rate(phone): off
      - null_rate(discount): {margin: +1pp}
      - row_count: {bad: both, critical: true}
      - freshness: {severity: warn, warm_up: 8}
      - schema: {severity: warn}
)");
  JudgePlan plan = PlanJudge(rules.Resolve("analytics.customers"), rules.fleet_freshness());
  ASSERT_THAT(plan.extras, SizeIs(6));
  const CheckExtras& discount = plan.extras[0];
  EXPECT_EQ(discount.check, "null_rate(discount)");
  EXPECT_DOUBLE_EQ(discount.margin->absolute, 0.01);
  const CheckExtras& email = plan.extras[1];
  EXPECT_EQ(email.check, "null_rate(email)");
  ASSERT_THAT(email.limits, SizeIs(1));
  EXPECT_EQ(email.confirm_loads, 3);
  EXPECT_FALSE(email.margin);
  EXPECT_TRUE(plan.extras[2].disabled);
  const CheckExtras& rows = plan.extras[3];
  EXPECT_EQ(rows.check, "row_count");
  EXPECT_EQ(*rows.bad, BadDirection::kBoth);
  EXPECT_TRUE(rows.critical);
  EXPECT_EQ(rows.confirm_loads, 1);
  const CheckExtras& fresh = plan.extras[4];
  EXPECT_EQ(fresh.severity, Severity::kWarn);
  EXPECT_EQ(*fresh.warm_up_canary, 8);
  EXPECT_EQ(*fresh.warm_up_baseline, 8);
  EXPECT_EQ(plan.extras[5].check, "schema");
  EXPECT_EQ(plan.extras[5].severity, Severity::kWarn);
}

}  // namespace
}  // namespace canaryd
