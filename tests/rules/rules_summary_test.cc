#include "rules/rules_summary.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using ::canaryd::testing::Parse;
using ::testing::HasSubstr;

constexpr const char* kRules = R"(
version: 1
defaults:
  alpha: 0.5%
datasets:
  - name: analytics.customers
    tags: [critical]
    description: one row per customer
    checks:
      - null_rate(email) < 2%
      - null_rate(phone): off
      - row_count: {bad: both, margin: 15%}
  - name: "staging.*"
    severity: warn
    warm_up: {canary: 5}
  - tag: critical
    critical: true
    checks:
      - freshness p95 < 15m
)";

TEST(RulesSummaryText, ShowsEffectiveRulesPerDatasetAndWhatEachSelectorSets) {
  const std::string text = RulesSummaryText(Parse(kRules));
  EXPECT_THAT(text, HasSubstr("r.yaml: ok (version 1, 3 dataset selectors)\n"));
  EXPECT_THAT(text, HasSubstr("any other dataset\n  from: built-in < defaults\n  release: alpha "
                              "0.5%, warm-up 3 canary / 3 baseline loads, canary silent after "
                              "10m (canary share at least 2%)\n"));
  EXPECT_THAT(text, HasSubstr("analytics.customers  [tags: critical]\n  from: built-in < defaults "
                              "< tag critical (line 15) < name analytics.customers (line 5)\n"));
  EXPECT_THAT(text, HasSubstr("  null_rate(email)  up, margin +20% or +0.1pp   < 2%          "
                              "            fail, critical\n"));
  EXPECT_THAT(text, HasSubstr("  null_rate(phone)  off\n"));
  EXPECT_THAT(text, HasSubstr("  row_count         both, margin +/-15%"));
  EXPECT_THAT(text, HasSubstr("  row_count       down, margin -10% "));
  EXPECT_THAT(text, HasSubstr("  freshness         up, margin +20% or +30s     p95 < 15m"));
  EXPECT_THAT(text, HasSubstr("  line 5  name analytics.customers: tags critical; null_rate(email) "
                              "< 2%; null_rate(phone) off; row_count  # one row per customer\n"));
  EXPECT_THAT(text, HasSubstr("  line 12  name staging.*: warm-up 5 canary / - baseline loads; "
                              "severity warn\n"));
  EXPECT_THAT(text, HasSubstr("  line 15  tag critical: critical; freshness p95 < 15m\n"));
}

TEST(RulesSummaryText, AskedDatasetsAreResolvedToo) {
  const std::vector<DatasetQuery> asked{{"staging.orders", {}}};
  const std::string text = RulesSummaryText(Parse(kRules), asked);
  EXPECT_THAT(text, HasSubstr("staging.orders\n  from: built-in < defaults < name staging.* (line "
                              "12)\n  release: alpha 0.5%, warm-up 5 canary / 3 baseline loads"));
}

TEST(RulesSummaryJson, CarriesEverySettingForPrograms) {
  const nlohmann::json j = RulesSummaryJson(Parse(kRules));
  EXPECT_EQ(j["file"], "r.yaml");
  EXPECT_EQ(j["fleet"]["freshness_slo"]["tag"], "critical");
  EXPECT_DOUBLE_EQ(j["fleet"]["freshness_slo"]["target"].get<double>(), 0.95);
  ASSERT_EQ(j["datasets"].size(), 2u);
  EXPECT_TRUE(j["datasets"][0]["dataset"].is_null());
  const nlohmann::json& customers = j["datasets"][1];
  EXPECT_EQ(customers["dataset"], "analytics.customers");
  EXPECT_DOUBLE_EQ(customers["alpha"].get<double>(), 0.005);
  EXPECT_EQ(customers["canary_silent_after_s"], 600);
  EXPECT_EQ(customers["canary_min_share"], 0.02);
  const nlohmann::json* email = nullptr;
  const nlohmann::json* fresh = nullptr;
  for (const auto& c : customers["checks"]) {
    if (c["check"] == "null_rate(email)") email = &c;
    if (c["check"] == "freshness") fresh = &c;
  }
  ASSERT_NE(email, nullptr);
  EXPECT_EQ((*email)["bad"], "up");
  EXPECT_DOUBLE_EQ((*email)["margin"]["relative"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ((*email)["margin"]["absolute"].get<double>(), 0.001);
  EXPECT_EQ((*email)["margin"]["absolute_unit"], "fraction");
  EXPECT_EQ((*email)["severity"], "fail");
  EXPECT_TRUE((*email)["critical"].get<bool>());
  EXPECT_EQ((*email)["confirm_loads"], 1);
  EXPECT_EQ((*email)["limits"][0]["statistic"], "each_load");
  EXPECT_EQ((*email)["lines"], nlohmann::json::array({9}));
  ASSERT_NE(fresh, nullptr);
  EXPECT_DOUBLE_EQ((*fresh)["margin"]["absolute"].get<double>(), 30);
  EXPECT_EQ((*fresh)["margin"]["absolute_unit"], "seconds");
  EXPECT_EQ((*fresh)["limits"][0]["statistic"], "p95");
  EXPECT_DOUBLE_EQ((*fresh)["limits"][0]["value"].get<double>(), 900);
  EXPECT_EQ((*fresh)["limits"][0]["unit"], "seconds");
  ASSERT_EQ(j["selectors"].size(), 3u);
  EXPECT_EQ(j["selectors"][0]["kind"], "name");
  EXPECT_EQ(j["selectors"][1]["kind"], "glob");
  EXPECT_EQ(j["selectors"][2]["kind"], "tag");
  EXPECT_EQ(j["selectors"][2]["tag"], "critical");
}

TEST(RuleErrorsJson, OneObjectPerError) {
  const RuleErrors errors{{"r.yaml", {3, 10}, "alpha must be between 0 and 1 (exclusive)", "h"}};
  const nlohmann::json j = RuleErrorsJson(errors);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["line"], 3);
  EXPECT_EQ(j[0]["column"], 10);
  EXPECT_EQ(j[0]["text"], "r.yaml:3:10: alpha must be between 0 and 1 (exclusive) (h)");
}

}  // namespace
}  // namespace canaryd
