// The judge under per-check policies (what a rules file asks): severity warn, checks switched
// off, per-check directions, margins and warm-ups, absolute limits with confirmation, critical
// limits on the first load, quantile limits, and promotion waiting for limits.
#include "detector/judge/check_policy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/judge/judge_options.h"
#include "detector/judge/verdict.h"
#include "detector/sample.h"
#include "detector/sim/load_simulator.h"
#include "detector/sim/release_runner.h"
#include "tests/detector/report_times.h"

namespace canaryd {
namespace {

using sim::Describe;

using testing::kMinute;
using testing::kT0;

// Policies by check name; every other check gets the judge's built-in policy.
class MapPolicies : public CheckPolicySource {
 public:
  explicit MapPolicies(std::map<std::string, CheckPolicy, std::less<>> policies)
      : policies_(std::move(policies)) {}
  CheckPolicy For(std::string_view check) const override {
    const auto it = policies_.find(check);
    return it != policies_.end() ? it->second : BuiltInPolicy(check, JudgeOptions{});
  }

 private:
  std::map<std::string, CheckPolicy, std::less<>> policies_;
};

CheckPolicy Default(std::string_view check) { return BuiltInPolicy(check, JudgeOptions{}); }

AbsoluteLimit Limit(std::string text, LimitOp op, double value,
                    std::optional<double> quantile = std::nullopt) {
  AbsoluteLimit limit;
  limit.text = std::move(text);
  limit.op = op;
  limit.value = value;
  limit.quantile = quantile;
  return limit;
}

EngineOptions WithPolicies(std::map<std::string, CheckPolicy, std::less<>> policies) {
  EngineOptions options;
  options.judge.checks = std::make_shared<const MapPolicies>(std::move(policies));
  return options;
}

// Split mode, 50% canary, quiet baseline history, overdispersed rates.
sim::Scenario Split(std::uint64_t seed) {
  sim::Scenario s;
  s.seed = seed;
  s.release = "rel-" + std::to_string(seed);
  s.loads = 300;
  s.canary_share = 0.5;
  s.baseline.rate_jitter = 0.3;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 20;
  s.canary = s.baseline;
  return s;
}

// A DatasetMonitor fed by hand, for load-by-load control.
class Monitor {
 public:
  explicit Monitor(EngineOptions options)
      : options_(std::move(options)), monitor_("ds", &options_) {}

  void Baseline(int i, std::uint64_t rows = 10000, std::uint64_t nulls = 100,
                double freshness_s = 300, std::string schema = "sha256:base") {
    Apply(Arm::kBaseline, "b" + std::to_string(i), i, rows, nulls, freshness_s, std::move(schema));
  }
  void Canary(int i, std::uint64_t rows = 10000, std::uint64_t nulls = 100,
              double freshness_s = 300, std::string schema = "sha256:base") {
    Apply(Arm::kCanary, "c" + std::to_string(i), i, rows, nulls, freshness_s, std::move(schema));
  }
  ReleaseDatasetView View() const {
    std::vector<ReleaseDatasetView> views;
    monitor_.AppendViews(&views);
    return views.empty() ? ReleaseDatasetView{} : views.front();
  }
  // The evidence stays valid for the test's life (views are kept), so two finds can be compared.
  const CheckEvidence* Find(const std::string& check) const {
    const ReleaseDatasetView& view = views_.emplace_back(View());
    for (const CheckEvidence& e : view.checks) {
      if (e.check == check) return &e;
    }
    return nullptr;
  }
  Decision decision() const { return View().decision; }

 private:
  void Apply(Arm arm, std::string id, int minute, std::uint64_t rows, std::uint64_t nulls,
             double freshness_s, std::string schema) {
    Sample s;
    s.dataset = "ds";
    s.arm = arm;
    s.release = arm == Arm::kCanary ? "r1" : "";
    s.load_id = std::move(id);
    s.ts_ms = kT0 + minute * kMinute;
    s.rows = rows;
    s.freshness_s = freshness_s;
    s.nulls = {{"email", nulls}};
    s.duplicates = 10;
    s.schema = std::move(schema);
    std::vector<ReleaseDatasetView> decided;
    monitor_.Apply(s, &decided);
  }

  EngineOptions options_;
  DatasetMonitor monitor_;
  mutable std::deque<ReleaseDatasetView> views_;
};

// ---------------------------------------------------------------------------------------------
// Severity, off, direction, margin, warm-up on the statistical checks.

TEST(CheckPolicyJudge, WithoutPoliciesTheRegressionRollsBack) {
  sim::Scenario s = Split(11);
  s.canary.column_null_rates = {{"email", 0.03}};
  const sim::ReleaseOutcome o = sim::RunRelease(s, EngineOptions{});
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(email)") << Describe(o);
}

TEST(CheckPolicyJudge, SeverityWarnNeverRollsBackOnThatCheck) {
  CheckPolicy warn = Default("null_rate(email)");
  warn.rolls_back = false;
  for (std::uint64_t seed = 11; seed < 15; ++seed) {
    sim::Scenario s = Split(seed);
    s.canary.column_null_rates = {{"email", 0.03}};
    const sim::ReleaseOutcome o = sim::RunRelease(s, WithPolicies({{"null_rate(email)", warn}}));
    EXPECT_NE(o.check, "null_rate(email)") << Describe(o);
    EXPECT_NE(o.decision, Decision::kRollback) << Describe(o);
  }
}

TEST(CheckPolicyJudge, SeverityWarnShowsWarnInTheView) {
  CheckPolicy warn = Default("null_rate(email)");
  warn.rolls_back = false;
  Monitor m(WithPolicies({{"null_rate(email)", warn}}));
  for (int i = 0; i < 60; ++i) {
    if (i % 2 == 0) {
      m.Baseline(i);
    } else {
      m.Canary(i, 10000, 400);  // 1% -> 4%
    }
  }
  // A warning does not hold promotion back either: the other checks decide.
  EXPECT_EQ(m.decision(), Decision::kPromote) << m.View().reason;
  const CheckEvidence* email = m.Find("null_rate(email)");
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->verdict, Verdict::kWarn) << email->sentence;
  // The reason and the sentence say it is a warning: "every check shown no worse than its
  // margin" and "evidence 1604 of 600 needed; watching" both read as if email were fine.
  const std::string reason = m.View().reason;
  EXPECT_NE(reason.find("every rolling-back check shown no worse than its margin"),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("promote with warnings (null_rate(email), severity warn)"),
            std::string::npos)
      << reason;
  EXPECT_NE(email->sentence.find("needed; warning only (severity warn)"), std::string::npos)
      << email->sentence;
  EXPECT_GE(email->log_e_regression, email->log_threshold);
}

TEST(CheckPolicyJudge, CheckSwitchedOffIsNotJudgedOrShown) {
  CheckPolicy off = Default("null_rate(email)");
  off.enabled = false;
  Monitor m(WithPolicies({{"null_rate(email)", off}}));
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 0) {
      m.Baseline(i);
    } else {
      m.Canary(i, 10000, 10000);  // every row null: the all-null rule is off too
    }
  }
  EXPECT_NE(m.decision(), Decision::kRollback) << m.View().reason;
  EXPECT_EQ(m.Find("null_rate(email)"), nullptr);
}

// A canary that loads a slice of the rows (row_count off: it is meant to be smaller). Its null
// rate is judged on counts when its loads hold few nulls: a 5-row load without a null scored
// log(0.5 / 6) per load against the baseline's 1%, nine times "worse", and rolled back A/A
// releases; 3x the nulls in 300-row loads must still roll back.
EngineOptions SliceCanaryPolicies() {
  CheckPolicy rows_off = Default("row_count");
  rows_off.enabled = false;
  CheckPolicy duplicates_off = Default("duplicate_rate");
  duplicates_off.enabled = false;  // the harness reports 10 duplicates per load, whatever its rows
  return WithPolicies({{"row_count", rows_off}, {"duplicate_rate", duplicates_off}});
}

TEST(CheckPolicyJudge, SmallCanaryLoadsWithTheBaselinesRateAreNotRolledBack) {
  Monitor m(SliceCanaryPolicies());
  for (int i = 0; i < 400; ++i) {
    if (i % 2 == 0) {
      m.Baseline(i);  // 10,000 rows, 1% null
    } else {
      m.Canary(i, 5, i % 40 == 1 ? 1 : 0);  // 5 rows; one null every 20 canary loads: 1%
    }
  }
  EXPECT_NE(m.decision(), Decision::kRollback) << m.View().reason;
  const CheckEvidence* email = m.Find("null_rate(email)");
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->method, "split_counts");
  EXPECT_NE(email->verdict, Verdict::kFail) << email->sentence;
}

TEST(CheckPolicyJudge, SmallCanaryLoadsWithThreeTimesTheNullsRollBack) {
  Monitor m(SliceCanaryPolicies());
  for (int i = 0; i < 400 && m.decision() == Decision::kContinue; ++i) {
    if (i % 2 == 0) {
      m.Baseline(i);
    } else {
      m.Canary(i, 300, 9);  // 3%
    }
  }
  EXPECT_EQ(m.decision(), Decision::kRollback);
  EXPECT_EQ(m.View().deciding_check, "null_rate(email)") << m.View().reason;
}

TEST(CheckPolicyJudge, RowCountBadUpCatchesMoreRowsThatTheBuiltInIgnores) {
  CheckPolicy up = Default("row_count");
  up.bad_up = true;
  up.bad_down = false;
  sim::Scenario s = Split(21);
  s.canary.rows_median = 16000;  // 60% more rows: duplicated input, say
  const sim::ReleaseOutcome builtin = sim::RunRelease(s, EngineOptions{});
  EXPECT_NE(builtin.decision, Decision::kRollback) << Describe(builtin);
  const sim::ReleaseOutcome o = sim::RunRelease(s, WithPolicies({{"row_count", up}}));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "row_count") << Describe(o);
}

TEST(CheckPolicyJudge, BadBothTestsEachDirectionUnderItsOwnName) {
  CheckPolicy both = Default("null_rate(email)");
  both.bad_down = true;
  sim::Scenario s = Split(31);
  s.baseline.rate_jitter = 0.0;
  s.canary = s.baseline;
  s.canary.column_null_rates = {{"email", 0.002}};  // 1% -> 0.2%: a filter that drops rows
  const sim::ReleaseOutcome o = sim::RunRelease(s, WithPolicies({{"null_rate(email)", both}}));
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(email) (down)") << Describe(o);
  EXPECT_NE(o.reason.find("0.2"), std::string::npos) << o.reason;

  sim::Scenario worse = Split(32);
  worse.canary.column_null_rates = {{"email", 0.03}};
  const sim::ReleaseOutcome w = sim::RunRelease(worse, WithPolicies({{"null_rate(email)", both}}));
  EXPECT_EQ(w.check, "null_rate(email) (up)") << Describe(w);
}

TEST(CheckPolicyJudge, BadBothOnAAIsQuiet) {
  CheckPolicy both = Default("row_count");
  both.bad_up = true;
  int rollbacks = 0;
  for (std::uint64_t seed = 40; seed < 60; ++seed) {
    const sim::ReleaseOutcome o = sim::RunRelease(Split(seed), WithPolicies({{"row_count", both}}));
    rollbacks += o.decision == Decision::kRollback ? 1 : 0;
  }
  EXPECT_LE(rollbacks, 1);
}

TEST(CheckPolicyJudge, PerColumnMarginLetsAKnownNoisyColumnMove) {
  CheckPolicy wide = Default("null_rate(email)");
  wide.margin_relative = 4.0;  // x5: 1% -> 3% is inside it
  for (std::uint64_t seed = 61; seed < 64; ++seed) {
    sim::Scenario s = Split(seed);
    s.canary.column_null_rates = {{"email", 0.03}};
    const sim::ReleaseOutcome o = sim::RunRelease(s, WithPolicies({{"null_rate(email)", wide}}));
    EXPECT_NE(o.decision, Decision::kRollback) << Describe(o);
  }
}

TEST(CheckPolicyJudge, PerCheckWarmUpKeepsThatCheckNotEvaluatedLonger) {
  CheckPolicy slow = Default("freshness");
  slow.warm_up_canary = 8;
  Monitor m(WithPolicies({{"freshness", slow}}));
  for (int i = 0; i < 12; ++i) {
    if (i % 2 == 0) {
      m.Baseline(i);
    } else {
      m.Canary(i);
    }
  }
  ASSERT_NE(m.Find("freshness"), nullptr);
  EXPECT_EQ(m.Find("freshness")->verdict, Verdict::kNotEvaluated);
  EXPECT_NE(m.Find("row_count")->verdict, Verdict::kNotEvaluated);
}

TEST(CheckPolicyJudge, SchemaChangeWithSeverityWarnIsAWarning) {
  CheckPolicy warn = Default("schema");
  warn.rolls_back = false;
  Monitor m(WithPolicies({{"schema", warn}}));
  for (int i = 0; i < 6; ++i) m.Baseline(i);
  m.Canary(6, 10000, 100, 300, "sha256:new");
  m.Canary(7, 10000, 100, 300, "sha256:new");
  EXPECT_EQ(m.decision(), Decision::kContinue);
  const CheckEvidence* schema = m.Find("schema");
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->verdict, Verdict::kWarn);
  EXPECT_NE(schema->sentence.find("warning only"), std::string::npos) << schema->sentence;
}

// ---------------------------------------------------------------------------------------------
// Absolute limits.

CheckPolicy EmailBelow2Percent(bool critical, bool rolls_back = true) {
  CheckPolicy p = Default("null_rate(email)");
  p.critical = critical;
  p.confirm_loads = critical ? 1 : 3;
  p.rolls_back = rolls_back;
  p.limits = {Limit("null_rate(email) < 2%", LimitOp::kLess, 0.02)};
  return p;
}

TEST(CheckPolicyLimits, CriticalLimitRollsBackOnTheFirstBreakingLoad) {
  Monitor m(WithPolicies({{"null_rate(email)", EmailBelow2Percent(true)}}));
  m.Canary(0, 10000, 250);  // 2.5%, no baseline at all: limits judge the canary alone
  const ReleaseDatasetView view = m.View();
  EXPECT_EQ(view.decision, Decision::kRollback);
  EXPECT_EQ(view.deciding_check, "null_rate(email) < 2%");
  EXPECT_EQ(view.canary_loads, 1u);
  EXPECT_NE(view.reason.find("2.50%"), std::string::npos) << view.reason;
  EXPECT_NE(view.reason.find("rollback"), std::string::npos) << view.reason;
  const CheckEvidence* limit = m.Find("null_rate(email) < 2%");
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(limit->verdict, Verdict::kFail);
  EXPECT_EQ(limit->method, "limit");
}

TEST(CheckPolicyLimits, LimitNeedsConfirmLoadsInARow) {
  Monitor m(WithPolicies({{"null_rate(email)", EmailBelow2Percent(false)}}));
  m.Canary(0, 10000, 250);
  m.Canary(1, 10000, 250);
  EXPECT_EQ(m.decision(), Decision::kContinue);
  EXPECT_EQ(m.Find("null_rate(email) < 2%")->verdict, Verdict::kWarn);
  m.Canary(2, 10000, 100);  // holds again: the streak restarts
  EXPECT_EQ(m.Find("null_rate(email) < 2%")->verdict, Verdict::kPass);
  m.Canary(3, 10000, 250);
  m.Canary(4, 10000, 250);
  EXPECT_EQ(m.decision(), Decision::kContinue);
  m.Canary(5, 10000, 250);
  EXPECT_EQ(m.decision(), Decision::kRollback);
  EXPECT_EQ(m.View().deciding_check, "null_rate(email) < 2%");
}

TEST(CheckPolicyLimits, WarnLimitIsShownAndNeverDecides) {
  Monitor m(WithPolicies({{"null_rate(email)", EmailBelow2Percent(true, /*rolls_back=*/false)}}));
  m.Canary(0, 10000, 250);
  EXPECT_EQ(m.decision(), Decision::kContinue);
  const CheckEvidence* limit = m.Find("null_rate(email) < 2%");
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(limit->verdict, Verdict::kWarn);
  EXPECT_NE(limit->sentence.find("warning only"), std::string::npos) << limit->sentence;
}

TEST(CheckPolicyLimits, RowCountLowerLimitCatchesAnEmptyLoad) {
  CheckPolicy rows = Default("row_count");
  rows.critical = true;
  rows.confirm_loads = 1;
  rows.limits = {Limit("row_count > 0", LimitOp::kGreater, 0)};
  Monitor m(WithPolicies({{"row_count", rows}}));
  for (int i = 0; i < 6; ++i) m.Baseline(i);
  m.Canary(6);
  EXPECT_EQ(m.decision(), Decision::kContinue);
  m.Canary(7, 0, 0);
  EXPECT_EQ(m.decision(), Decision::kRollback);
  EXPECT_EQ(m.View().deciding_check, "row_count > 0");
}

TEST(CheckPolicyLimits, QuantileLimitWaitsForEnoughLoadsThenJudgesTheQuantile) {
  CheckPolicy fresh = Default("freshness");
  fresh.confirm_loads = 1;
  fresh.limits = {Limit("freshness p95 < 15m", LimitOp::kLess, 900, 0.95)};
  Monitor m(WithPolicies({{"freshness", fresh}}));
  // One late load in 20 is the 5% a p95 allows; the second makes the p95 itself late.
  for (int i = 0; i < 19; ++i) m.Canary(i, 10000, 100, i == 3 ? 2000 : 300);
  EXPECT_EQ(m.Find("freshness p95 < 15m")->verdict, Verdict::kNotEvaluated);
  m.Canary(19, 10000, 100, 300);
  EXPECT_EQ(m.Find("freshness p95 < 15m")->verdict, Verdict::kPass)
      << m.Find("freshness p95 < 15m")->sentence;
  EXPECT_EQ(m.decision(), Decision::kContinue);
  m.Canary(20, 10000, 100, 2000);
  EXPECT_EQ(m.decision(), Decision::kRollback);
  EXPECT_EQ(m.View().deciding_check, "freshness p95 < 15m");
  EXPECT_NE(m.View().reason.find("p95"), std::string::npos) << m.View().reason;
}

TEST(CheckPolicyLimits, PromotionWaitsUntilEveryLimitWasEvaluated) {
  CheckPolicy fresh = Default("freshness");
  fresh.limits = {Limit("freshness p99 < 15m", LimitOp::kLess, 900, 0.99)};  // needs 100 loads
  sim::Scenario s = Split(71);
  s.baseline.rows_median = 100000;
  s.baseline.rate_jitter = 0.0;
  s.shadow = true;  // A/A shadow at volume promotes at ~10 loads without the limit
  s.canary = s.baseline;
  s.loads = 150;
  const sim::ReleaseOutcome plain = sim::RunRelease(s, EngineOptions{});
  ASSERT_EQ(plain.decision, Decision::kPromote) << Describe(plain);
  ASSERT_LT(plain.canary_loads, 100) << Describe(plain);
  const sim::ReleaseOutcome o = sim::RunRelease(s, WithPolicies({{"freshness", fresh}}));
  EXPECT_EQ(o.decision, Decision::kPromote) << Describe(o);
  EXPECT_GE(o.canary_loads, 100) << Describe(o);
}

}  // namespace
}  // namespace canaryd
