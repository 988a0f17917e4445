// What the rules mean for one dataset: precedence, inheritance, column expansion, limits.
#include "rules/rule_set.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using ::canaryd::testing::Parse;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> CheckNames(const EffectiveRules& rules) {
  std::vector<std::string> names;
  for (const EffectiveCheck& c : rules.checks) names.push_back(c.Name());
  return names;
}

TEST(RuleSetBuiltIn, MatchesTheJudgesDefaults) {
  RuleSet rules;
  EffectiveRules r = rules.Resolve("analytics.orders");
  EXPECT_DOUBLE_EQ(r.alpha, 0.01);
  EXPECT_EQ(r.warm_up_canary, 3);
  EXPECT_EQ(r.warm_up_baseline, 3);
  EXPECT_EQ(r.canary_silent_ms, 10 * 60 * 1000);
  EXPECT_THAT(CheckNames(r),
              ElementsAre("null_rate(*)", "duplicate_rate", "row_count", "freshness", "schema"));
  const EffectiveCheck& rate = r.checks[0];
  EXPECT_TRUE(rate.enabled);
  EXPECT_EQ(rate.bad, BadDirection::kUp);
  EXPECT_DOUBLE_EQ(rate.margin.relative, 0.2);
  EXPECT_DOUBLE_EQ(rate.margin.absolute, 0.001);
  EXPECT_EQ(rate.severity, Severity::kFail);
  EXPECT_FALSE(rate.critical);
  EXPECT_EQ(r.Find("row_count")->bad, BadDirection::kDown);
  EXPECT_DOUBLE_EQ(r.Find("row_count")->margin.relative, 0.1);
  EXPECT_DOUBLE_EQ(r.Find("freshness")->margin.relative, 0.2);
  EXPECT_DOUBLE_EQ(r.Find("freshness")->margin.absolute, 30);
  EXPECT_THAT(r.applied, ElementsAre("built-in", "defaults"));
  EXPECT_THAT(r.errors, IsEmpty());
}

TEST(RuleSetResolve, DefaultsInheritIntoEveryDataset) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  alpha: 0.5%
  warm_up: 5
  canary_silent_after: 30m
  severity: warn
  checks:
    - row_count: {margin: 25%}
    - duplicate_rate = 0
datasets:
  - name: analytics.orders
    checks:
      - row_count > 0
)");
  for (const char* dataset : {"analytics.orders", "anything.else"}) {
    EffectiveRules r = rules.Resolve(dataset);
    EXPECT_DOUBLE_EQ(r.alpha, 0.005) << dataset;
    EXPECT_EQ(r.warm_up_canary, 5);
    EXPECT_EQ(r.canary_silent_ms, 30 * 60 * 1000);
    const EffectiveCheck& rows = *r.Find("row_count");
    EXPECT_DOUBLE_EQ(rows.margin.relative, 0.25);
    EXPECT_EQ(rows.bad, BadDirection::kDown);  // built-in, untouched
    EXPECT_EQ(rows.severity, Severity::kWarn);
    EXPECT_EQ(rows.warm_up_canary, 5);
    EXPECT_THAT(r.Find("duplicate_rate")->limits, SizeIs(1));
  }
  EXPECT_THAT(rules.Resolve("analytics.orders").Find("row_count")->limits, SizeIs(1));
  EXPECT_THAT(rules.Resolve("anything.else").Find("row_count")->limits, IsEmpty());
  EXPECT_EQ(rules.Resolve("analytics.orders").Find("row_count")->sources,
            (std::vector<SourcePos>{{8, 7}, {13, 9}}));
}

TEST(RuleSetResolve, ExactNameBeatsGlobBeatsTagWhateverTheFileOrder) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - name: analytics.orders
    alpha: 0.1%
    checks:
      - row_count: {margin: 30%}
  - name: "analytics.*"
    alpha: 0.2%
    tags: [critical]
    checks:
      - row_count: {margin: 20%, severity: warn}
  - tag: critical
    alpha: 0.3%
    canary_silent_after: 5m
    checks:
      - row_count: {margin: 10%, critical: true, bad: both}
)");
  EffectiveRules exact = rules.Resolve("analytics.orders");
  EXPECT_DOUBLE_EQ(exact.alpha, 0.001);
  EXPECT_EQ(exact.canary_silent_ms, 5 * 60 * 1000);
  const EffectiveCheck& rows = *exact.Find("row_count");
  EXPECT_DOUBLE_EQ(rows.margin.relative, 0.3);
  EXPECT_EQ(rows.severity, Severity::kWarn);
  EXPECT_TRUE(rows.critical);
  EXPECT_EQ(rows.bad, BadDirection::kBoth);
  EXPECT_THAT(exact.applied,
              ElementsAre("built-in", "defaults", "tag critical (line 12)",
                          "name analytics.* (line 7)", "name analytics.orders (line 3)"));
  EXPECT_THAT(exact.tags, ElementsAre("critical"));

  EffectiveRules glob = rules.Resolve("analytics.customers");
  EXPECT_DOUBLE_EQ(glob.alpha, 0.002);
  EXPECT_DOUBLE_EQ(glob.Find("row_count")->margin.relative, 0.2);

  EffectiveRules none = rules.Resolve("staging.orders");
  EXPECT_DOUBLE_EQ(none.alpha, 0.01);
  EXPECT_THAT(none.tags, IsEmpty());
}

TEST(RuleSetResolve, LaterBeatsEarlierWithinAKind) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - {name: "a.*", alpha: 1%}
  - {name: "*.x", alpha: 2%}
  - {name: a.x, alpha: 3%, tags: [t, u]}
  - {name: a.x, alpha: 4%}
  - {tag: u, canary_silent_after: 1m}
  - {tag: t, canary_silent_after: 2m}
)");
  EXPECT_DOUBLE_EQ(rules.Resolve("a.x").alpha, 0.04);
  EXPECT_DOUBLE_EQ(rules.Resolve("a.y").alpha, 0.01);
  EXPECT_DOUBLE_EQ(rules.Resolve("b.x").alpha, 0.02);
  EXPECT_EQ(rules.Resolve("a.x").canary_silent_ms, 2 * 60 * 1000);
}

TEST(RuleSetResolve, SelectorWithNamesAndGlobsCountsAsExactForItsNames) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - {name: [a.x, "b.*"], alpha: 1%}
  - {name: "a.*", alpha: 2%}
)");
  EXPECT_DOUBLE_EQ(rules.Resolve("a.x").alpha, 0.01);  // exact beats the later glob
  EXPECT_DOUBLE_EQ(rules.Resolve("b.y").alpha, 0.01);
  EXPECT_DOUBLE_EQ(rules.Resolve("a.y").alpha, 0.02);
}

TEST(RuleSetResolve, NullRateStarExpandsToEveryColumnSeen) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(*): {margin: +1pp}
    - null_rate(*) < 50%
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 2%
      - null_rate(tmp_*): off
)");
  const std::vector<std::string> seen{"email", "customer_id", "tmp_a", "tmp_b"};
  EffectiveRules r = rules.Resolve("analytics.customers", seen);
  EXPECT_THAT(CheckNames(r), ElementsAre("null_rate(*)", "null_rate(customer_id)",
                                         "null_rate(email)", "null_rate(tmp_a)", "null_rate(tmp_b)",
                                         "duplicate_rate", "row_count", "freshness", "schema"));
  const EffectiveCheck& id = r.NullRateFor("customer_id");
  EXPECT_DOUBLE_EQ(id.margin.absolute, 0.01);
  EXPECT_DOUBLE_EQ(id.margin.relative, 0.0);
  ASSERT_THAT(id.limits, SizeIs(1));
  EXPECT_DOUBLE_EQ(id.limits[0].value, 0.5);
  const EffectiveCheck& email = r.NullRateFor("email");
  ASSERT_THAT(email.limits, SizeIs(1));  // the exact column's limit replaced the wildcard's
  EXPECT_DOUBLE_EQ(email.limits[0].value, 0.02);
  EXPECT_FALSE(r.NullRateFor("tmp_a").enabled);
  EXPECT_TRUE(r.NullRateFor("not_seen").enabled);
  EXPECT_EQ(r.NullRateFor("not_seen").column, "*");
  EXPECT_THAT(r.errors, IsEmpty());
}

TEST(RuleSetResolve, NamedColumnsAreListedEvenBeforeTheyAreSeen) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 2%
)");
  EffectiveRules r = rules.Resolve("analytics.customers");
  EXPECT_THAT(CheckNames(r), ElementsAre("null_rate(*)", "null_rate(email)", "duplicate_rate",
                                         "row_count", "freshness", "schema"));
  EXPECT_THAT(r.errors, IsEmpty());
}

TEST(RuleSetResolve, WithinAScopeExactColumnBeatsGlobBeatsStar) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(email): {margin: +3pp}
    - null_rate(e*): {margin: +2pp}
    - null_rate(*): {margin: +1pp}
)");
  EffectiveRules r = rules.Resolve("d", std::vector<std::string>{"email", "eta", "x"});
  EXPECT_DOUBLE_EQ(r.NullRateFor("email").margin.absolute, 0.03);
  EXPECT_DOUBLE_EQ(r.NullRateFor("eta").margin.absolute, 0.02);
  EXPECT_DOUBLE_EQ(r.NullRateFor("x").margin.absolute, 0.01);
}

TEST(RuleSetResolve, AMoreSpecificScopeBeatsAMoreSpecificColumn) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(email): {margin: +3pp}
datasets:
  - name: d
    checks:
      - null_rate(*): {margin: +1pp}
)");
  EXPECT_DOUBLE_EQ(rules.Resolve("d").NullRateFor("email").margin.absolute, 0.01);
}

TEST(RuleSetResolve, ColumnsThatDoNotExistForANamedDatasetAreErrors) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(never_there) < 1%
datasets:
  - name: analytics.customers
    checks:
      - null_rate(emial) < 2%
      - null_rate(zzz_*) < 2%
      - null_rate(*) < 90%
  - name: "analytics.*"
    checks:
      - null_rate(qqq_*) < 2%
)");
  const std::vector<std::string> seen{"email", "customer_id"};
  EffectiveRules r = rules.Resolve("analytics.customers", seen);
  ASSERT_THAT(r.errors, SizeIs(2));
  EXPECT_EQ(FormatRuleError(r.errors[0]),
            "r.yaml:8:9: column 'emial' is not among the columns seen for analytics.customers "
            "(did you mean 'email'?)");
  EXPECT_EQ(FormatRuleError(r.errors[1]),
            "r.yaml:9:9: column glob 'zzz_*' matches none of the columns seen for "
            "analytics.customers (columns seen: customer_id, email)");
  // No columns known yet: nothing to check against.
  EXPECT_THAT(rules.Resolve("analytics.customers").errors, IsEmpty());
}

TEST(RuleSetResolve, DisabledChecksStayListedAndCanBeReenabled) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(*): off
    - freshness: off
datasets:
  - name: d
    checks:
      - null_rate(email) < 1%
      - freshness: on
)");
  EffectiveRules r = rules.Resolve("d", std::vector<std::string>{"email", "phone"});
  EXPECT_FALSE(r.NullRateFor("phone").enabled);
  EXPECT_TRUE(r.NullRateFor("email").enabled);
  EXPECT_TRUE(r.Find("freshness")->enabled);
  EXPECT_FALSE(rules.Resolve("other").Find("freshness")->enabled);
}

TEST(RuleSetResolve, AbsoluteLimitsSitAlongsideTheBaselineComparison) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - row_count > 0
    - row_count: {margin: 5%}
    - freshness p95 < 15m
    - freshness < 1h
datasets:
  - name: d
    checks:
      - row_count >= 1k
      - freshness p95 < 10m
)");
  EffectiveRules r = rules.Resolve("d");
  const EffectiveCheck& rows = *r.Find("row_count");
  EXPECT_DOUBLE_EQ(rows.margin.relative, 0.05);
  ASSERT_THAT(rows.limits, SizeIs(1));
  EXPECT_EQ(rows.limits[0].op, LimitOp::kGreaterEqual);
  EXPECT_DOUBLE_EQ(rows.limits[0].value, 1000);
  const EffectiveCheck& fresh = *r.Find("freshness");
  ASSERT_THAT(fresh.limits, SizeIs(2));  // each load < 1h stays; p95 replaced
  EXPECT_FALSE(fresh.limits[0].quantile);
  EXPECT_DOUBLE_EQ(fresh.limits[0].value, 3600);
  EXPECT_DOUBLE_EQ(*fresh.limits[1].quantile, 0.95);
  EXPECT_DOUBLE_EQ(fresh.limits[1].value, 600);
}

TEST(RuleSetResolve, EqualityLimitReplacesBothSides) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - duplicate_rate < 1%
    - duplicate_rate >= 0%
datasets:
  - name: d
    checks:
      - duplicate_rate = 0
)");
  const EffectiveCheck dup = *rules.Resolve("d").Find("duplicate_rate");
  ASSERT_THAT(dup.limits, SizeIs(1));
  EXPECT_EQ(dup.limits[0].op, LimitOp::kEqual);
}

TEST(RuleSetResolve, CriticalFailsLimitsOnTheFirstLoadAndSeverityCanWarn) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  confirm_loads: 4
  checks:
    - row_count > 0
datasets:
  - {name: [a, b, c], tags: [critical]}
  - tag: critical
    critical: true
  - name: b
    severity: warn
  - name: c
    checks:
      - row_count: {critical: false}
)");
  EXPECT_EQ(rules.Resolve("x").Find("row_count")->LimitConfirmLoads(), 4);
  const EffectiveCheck a = *rules.Resolve("a").Find("row_count");
  EXPECT_TRUE(a.critical);
  EXPECT_EQ(a.LimitConfirmLoads(), 1);
  EXPECT_EQ(a.severity, Severity::kFail);
  const EffectiveCheck b = *rules.Resolve("b").Find("row_count");
  EXPECT_TRUE(b.critical);
  EXPECT_EQ(b.severity, Severity::kWarn);
  EXPECT_FALSE(rules.Resolve("c").Find("row_count")->critical);
}

TEST(RuleSetResolve, PerCheckWarmUpOverridesTheDatasets) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  warm_up: {canary: 4, baseline: 6}
  checks:
    - freshness: {warm_up: 10}
)");
  EffectiveRules r = rules.Resolve("d");
  EXPECT_EQ(r.warm_up_canary, 4);
  EXPECT_EQ(r.warm_up_baseline, 6);
  EXPECT_EQ(r.Find("row_count")->warm_up_canary, 4);
  EXPECT_EQ(r.Find("freshness")->warm_up_canary, 10);
  EXPECT_EQ(r.Find("freshness")->warm_up_baseline, 10);
}

TEST(RuleSetResolve, UnmatchedDatasetsGetDefaultsOnly) {
  RuleSet rules = Parse(R"(
version: 1
defaults: {alpha: 2%}
datasets:
  - {name: "*", alpha: 5%}
)");
  EXPECT_DOUBLE_EQ(rules.ResolveUnmatched().alpha, 0.02);
  EXPECT_DOUBLE_EQ(rules.Resolve("x").alpha, 0.05);
}

TEST(RuleSetTags, TagsComeFromNameAndGlobSelectors) {
  RuleSet rules = Parse(R"(
version: 1
fleet:
  freshness_slo: {tag: critical}
datasets:
  - {name: "marts.*", tags: [critical, marts]}
  - {name: marts.orders, tags: [finance, critical]}
)");
  EXPECT_THAT(rules.TagsOf("marts.orders"), ElementsAre("critical", "finance", "marts"));
  EXPECT_THAT(rules.TagsOf("staging.orders"), IsEmpty());
  EXPECT_TRUE(rules.InFleetFreshnessSlo("marts.inventory"));
  EXPECT_FALSE(rules.InFleetFreshnessSlo("staging.orders"));
  EXPECT_THAT(rules.NamedDatasets(), ElementsAre("marts.orders"));
}

TEST(Limit, HoldsAsWritten) {
  Limit below{std::nullopt, LimitOp::kLess, 0.02, "", {}};
  EXPECT_TRUE(below.Holds(0.019));
  EXPECT_FALSE(below.Holds(0.02));
  Limit at_most{std::nullopt, LimitOp::kLessEqual, 0.02, "", {}};
  EXPECT_TRUE(at_most.Holds(0.02));
  Limit above{std::nullopt, LimitOp::kGreater, 0, "", {}};
  EXPECT_FALSE(above.Holds(0));
  EXPECT_TRUE(above.Holds(1));
  Limit at_least{std::nullopt, LimitOp::kGreaterEqual, 5, "", {}};
  EXPECT_TRUE(at_least.Holds(5));
  Limit equal{std::nullopt, LimitOp::kEqual, 0, "", {}};
  EXPECT_TRUE(equal.Holds(0));
  EXPECT_FALSE(equal.Holds(1e-9));
  EXPECT_TRUE(equal.BoundsAbove());
  EXPECT_TRUE(equal.BoundsBelow());
}

TEST(FormatMargin, WritesBothTerms) {
  EXPECT_EQ(FormatMargin({0.2, 0.001}, RuleMetric::kNullRate), "+20% or +0.1pp");
  EXPECT_EQ(FormatMargin({0.1, 0}, RuleMetric::kRowCount), "+10%");
  EXPECT_EQ(FormatMargin({0, 0.01}, RuleMetric::kDuplicateRate), "+1pp");
  EXPECT_EQ(FormatMargin({0.2, 60}, RuleMetric::kFreshness), "+20% or +1m");
  EXPECT_EQ(FormatMargin({0, 90}, RuleMetric::kFreshness), "+1m30s");
}

}  // namespace
}  // namespace canaryd
