// A rules file, end to end through the judge: the checks it writes are the checks a release is
// judged by (critical limits, severity warn, checks off, globs and tags, margins per dataset),
// and a reload changes new releases only.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/sim/load_simulator.h"
#include "detector/sim/release_runner.h"
#include "rules/rules_judge_source.h"
#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using sim::Describe;

using ::canaryd::testing::Parse;

constexpr char kWarehouse[] = R"(
version: 1
defaults:
  checks:
    - null_rate(tmp_*): off          # scratch columns
datasets:
  - name: [analytics.orders, analytics.customers]
    tags: [critical]
  - tag: critical
    checks:
      - row_count > 0:
          critical: true
  - name: analytics.orders
    checks:
      - null_rate(customer_id) < 5%:
          critical: true
  - name: analytics.customers
    checks:
      - null_rate(email): {severity: warn}
  - name: "staging.*"
    checks:
      - null_rate(*): {margin: x5}
)";

EngineOptions OptionsFor(const std::string& yaml, const std::string& dataset) {
  const RulesJudgeSource source(Parse(yaml));
  EngineOptions options;
  options.judge = source.For(dataset);
  return options;
}

sim::Scenario Release(std::uint64_t seed, const std::string& dataset) {
  sim::Scenario s;
  s.seed = seed;
  s.dataset = dataset;
  s.release = "rel-" + std::to_string(seed);
  s.columns = {"email", "customer_id", "tmp_scratch"};
  s.loads = 300;
  s.baseline.rate_jitter = 0.3;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 20;
  s.canary = s.baseline;
  return s;
}

TEST(RulesEnforcement, CriticalLimitRollsBackOnTheFirstCanaryLoad) {
  sim::Scenario s = Release(1, "analytics.orders");
  s.canary.column_null_rates = {{"customer_id", 0.10}};
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.orders"));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(customer_id) < 5%") << Describe(o);
  EXPECT_EQ(o.canary_loads, 1) << Describe(o);
}

TEST(RulesEnforcement, TheSameRegressionWithoutTheRuleTakesTheStatisticalTest) {
  sim::Scenario s = Release(1, "analytics.inventory");  // no selector names it
  s.canary.column_null_rates = {{"customer_id", 0.10}};
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.inventory"));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(customer_id)") << Describe(o);
  EXPECT_GT(o.canary_loads, 1) << Describe(o);
}

TEST(RulesEnforcement, ALimitThatHoldsLeavesTheComparisonToCatchTheRegression) {
  const std::string yaml = R"(
version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 5%
)";
  sim::Scenario s = Release(7, "analytics.customers");
  s.canary.column_null_rates = {{"email", 0.03}};  // x3, under the limit
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(yaml, "analytics.customers"));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(email)") << Describe(o);
  // Over the limit, the limit decides first (3 loads in a row), before the comparison can.
  s.canary.column_null_rates = {{"email", 0.08}};
  const sim::ReleaseOutcome over = sim::RunRelease(s, OptionsFor(yaml, "analytics.customers"));
  EXPECT_EQ(over.check, "null_rate(email) < 5%") << Describe(over);
  EXPECT_EQ(over.canary_loads, 3) << Describe(over);
}

TEST(RulesEnforcement, SeverityWarnOnAColumnNeverRollsBackForIt) {
  for (std::uint64_t seed = 2; seed < 5; ++seed) {
    sim::Scenario s = Release(seed, "analytics.customers");
    s.canary.column_null_rates = {{"email", 0.04}};
    const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.customers"));
    EXPECT_NE(o.decision, Decision::kRollback) << Describe(o);
    // The same release elsewhere is rolled back by that column.
    s.dataset = "analytics.inventory";
    const sim::ReleaseOutcome other =
        sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.inventory"));
    EXPECT_EQ(other.check, "null_rate(email)") << Describe(other);
  }
}

TEST(RulesEnforcement, ColumnGlobSwitchedOffIgnoresAnAllNullScratchColumn) {
  sim::Scenario s = Release(5, "analytics.inventory");
  s.canary.all_null_columns = {"tmp_scratch"};
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.inventory"));
  EXPECT_NE(o.decision, Decision::kRollback) << Describe(o);
  // Without the rule, an all-null column is a first-load rollback.
  const sim::ReleaseOutcome plain = sim::RunRelease(s, OptionsFor("version: 1\n", "x"));
  EXPECT_EQ(plain.decision, Decision::kRollback) << Describe(plain);
  EXPECT_EQ(plain.check, "null_rate(tmp_scratch)") << Describe(plain);
}

TEST(RulesEnforcement, TagCriticalGivesItsDatasetsTheEmptyLoadLimit) {
  const JudgeOptions orders = RulesJudgeSource(Parse(kWarehouse)).For("analytics.orders");
  ASSERT_NE(orders.checks, nullptr);
  const CheckPolicy rows = orders.checks->For("row_count");
  ASSERT_EQ(rows.limits.size(), 1u);
  EXPECT_EQ(rows.limits[0].text, "row_count > 0");
  EXPECT_EQ(rows.confirm_loads, 1);
  const JudgeOptions staging = RulesJudgeSource(Parse(kWarehouse)).For("staging.events");
  EXPECT_TRUE(staging.checks->For("row_count").limits.empty());
}

// An empty load has no row_count value for the comparison (its emptiness is empty_loads'
// share), but the limit still reads its 0 rows: the first empty canary load rolls back.
TEST(RulesEnforcement, TheEmptyLoadLimitSeesAnEmptyCanaryLoad) {
  sim::Scenario s = Release(7, "analytics.orders");
  s.canary.empty_share = 1.0;
  s.regression_after_canary_loads = 4;
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "analytics.orders"));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "row_count > 0") << Describe(o);
  EXPECT_EQ(o.canary_loads, 5) << Describe(o);
}

TEST(RulesEnforcement, DatasetMarginOverridesTheDefault) {
  sim::Scenario s = Release(6, "staging.events");
  s.canary.column_null_rates = {{"email", 0.03}};  // x3: inside staging's x5 margin
  const sim::ReleaseOutcome o = sim::RunRelease(s, OptionsFor(kWarehouse, "staging.events"));
  EXPECT_NE(o.decision, Decision::kRollback) << Describe(o);
}

TEST(RulesEnforcement, ARuleNamingAColumnTheDatasetDoesNotHaveIsLoggedOnce) {
  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  const RulesJudgeSource source(Parse(R"(
version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(emial) < 2%
)"));
  const std::vector<ColumnNulls> columns{{"email", 1}, {"customer_id", 0}};
  const JudgeOptions options = source.ForColumns("analytics.customers", columns);
  source.ForColumns("analytics.customers", columns);  // a second release: not logged again
  spdlog::set_default_logger(previous);
  EXPECT_NE(options.checks, nullptr);
  const std::string text = log.str();
  EXPECT_NE(text.find("event=rules_column_error dataset=analytics.customers"), std::string::npos)
      << text;
  EXPECT_NE(text.find("r.yaml:5:9: column 'emial' is not among the columns seen for "
                      "analytics.customers (did you mean 'email'?)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("event=rules_column_error"), text.rfind("event=rules_column_error"));
}

// Reload: the engine asks its source for a new release's options only, so a running release
// keeps the policies it started with.
TEST(RulesEnforcement, ReloadChangesNewReleasesOnly) {
  const auto warn = std::make_shared<const RulesJudgeSource>(Parse(R"(
version: 1
datasets:
  - name: ds
    checks:
      - null_rate(email) < 2%: {severity: warn, critical: true}
)"));
  const auto fail = std::make_shared<const RulesJudgeSource>(Parse(R"(
version: 1
datasets:
  - name: ds
    checks:
      - null_rate(email) < 2%: {critical: true}
)"));
  EngineOptions options;
  DatasetMonitor monitor("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  const auto canary = [&](const std::string& release, int i, const JudgeOptionsSource* rules) {
    Sample s;
    s.dataset = "ds";
    s.arm = Arm::kCanary;
    s.release = release;
    s.load_id = release + "-" + std::to_string(i);
    s.ts_ms = 1795428000000 + i * 60000;
    s.rows = 1000;
    s.nulls = {{"email", 30}};  // 3%
    monitor.Apply(s, &decided, rules);
  };
  canary("old", 0, warn.get());
  canary("old", 1, fail.get());  // reloaded: "old" keeps warn
  canary("new", 2, fail.get());
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0].release, "new");
  EXPECT_EQ(decided[0].deciding_check, "null_rate(email) < 2%");
}

}  // namespace
}  // namespace canaryd
