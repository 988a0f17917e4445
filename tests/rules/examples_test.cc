// Every shipped example is a valid rules file: each is its own ctest test.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rules/rules_parser.h"

namespace canaryd {
namespace {

std::vector<std::string> Examples() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(CANARYD_SOURCE_DIR) + "/rules/examples")) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class RulesExample : public ::testing::TestWithParam<std::string> {};

TEST_P(RulesExample, IsValid) {
  const std::string path =
      std::string(CANARYD_SOURCE_DIR) + "/rules/examples/" + GetParam() + ".yaml";
  RulesResult result = LoadRulesFile(path);
  std::string errors;
  if (!result) {
    for (const RuleError& e : result.error()) errors += FormatRuleError(e) + "\n";
  }
  EXPECT_TRUE(result) << errors;
}

INSTANTIATE_TEST_SUITE_P(Examples, RulesExample, ::testing::ValuesIn(Examples()),
                         [](const ::testing::TestParamInfo<std::string>& example) {
                           return example.param;
                         });

TEST(RulesExamples, TheSetIsThere) {
  EXPECT_THAT(Examples(), ::testing::IsSupersetOf({"demo", "warehouse", "minimal"}));
}

TEST(RulesExamples, DemoCoversTheDemoDatasets) {
  RulesResult result = LoadRulesFile(std::string(CANARYD_SOURCE_DIR) + "/rules/examples/demo.yaml");
  ASSERT_TRUE(result);
  const RuleSet& rules = result.value();
  EffectiveRules customers =
      rules.Resolve("analytics.customers", std::vector<std::string>{"email", "phone", "country"});
  EXPECT_THAT(customers.errors, ::testing::IsEmpty());
  ASSERT_EQ(customers.NullRateFor("email").limits.size(), 1u);
  EXPECT_DOUBLE_EQ(customers.NullRateFor("email").limits[0].value, 0.05);
  EXPECT_TRUE(rules.InFleetFreshnessSlo("analytics.orders"));
  EXPECT_TRUE(rules.InFleetFreshnessSlo("analytics.customers"));
  EffectiveRules orders = rules.Resolve(
      "analytics.orders", std::vector<std::string>{"email", "customer_id", "shipping_address"});
  EXPECT_THAT(orders.errors, ::testing::IsEmpty());
  EXPECT_TRUE(orders.NullRateFor("customer_id").critical);
}

// The demo's rules must not fail its good release or its baseline on a per-load limit: only the
// bad release (a null-rate regression under the limit) should be caught, by the comparison.
TEST(RulesExamples, DemoLimitsHoldOnTheDemoDataExceptTheBadRelease) {
  RulesResult result = LoadRulesFile(std::string(CANARYD_SOURCE_DIR) + "/rules/examples/demo.yaml");
  ASSERT_TRUE(result);
  std::ifstream file(std::string(CANARYD_SOURCE_DIR) + "/examples/orders_two_releases.jsonl");
  ASSERT_TRUE(file) << "examples/orders_two_releases.jsonl is missing";
  std::string line;
  int checked = 0;
  while (std::getline(file, line)) {
    const nlohmann::json report = nlohmann::json::parse(line);
    if (report.value("release", "") == "customers-dbt-2026.11.23.2") continue;
    const double rows = report["rows"].get<double>();
    std::vector<std::string> columns;
    for (const auto& [column, nulls] : report["nulls"].items()) columns.push_back(column);
    const EffectiveRules rules =
        result.value().Resolve(report["dataset"].get<std::string>(), columns);
    for (const EffectiveCheck& check : rules.checks) {
      if (!check.enabled || check.column == "*") continue;
      double value = 0;
      switch (check.metric) {
        case RuleMetric::kNullRate:
          value = report["nulls"][check.column].get<double>() / rows;
          break;
        case RuleMetric::kDuplicateRate:
          value = report["duplicates"].get<double>() / rows;
          break;
        case RuleMetric::kRowCount:
          value = rows;
          break;
        case RuleMetric::kFreshness:
          value = report["freshness_s"].get<double>();
          break;
        case RuleMetric::kSchema:
          continue;
      }
      for (const Limit& limit : check.limits) {
        // A quantile limit holds for the release when it holds for every load.
        EXPECT_TRUE(limit.Holds(value)) << limit.text << " broken by " << line;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(RulesExamples, WarehouseSaysWhatTheIssueAsks) {
  RulesResult result =
      LoadRulesFile(std::string(CANARYD_SOURCE_DIR) + "/rules/examples/warehouse.yaml");
  ASSERT_TRUE(result);
  const RuleSet& rules = result.value();
  EXPECT_EQ(rules.fleet_freshness().within_ms, 15 * 60 * 1000);
  EXPECT_DOUBLE_EQ(rules.fleet_freshness().target, 0.95);
  for (const char* mart : {"marts.orders", "marts.inventory", "marts.customers"}) {
    EXPECT_TRUE(rules.InFleetFreshnessSlo(mart)) << mart;
    EXPECT_TRUE(rules.Resolve(mart).Find("row_count")->critical) << mart;
  }
  const EffectiveCheck email = rules.Resolve("marts.customers").NullRateFor("email");
  EXPECT_DOUBLE_EQ(email.limits.at(0).value, 0.02);
  EXPECT_EQ(rules.Resolve("staging.orders").Find("row_count")->severity, Severity::kWarn);
}

}  // namespace
}  // namespace canaryd
