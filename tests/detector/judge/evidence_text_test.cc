// Evidence a person can read (design section 4.4) and the Bonferroni threshold it quotes.
#include "detector/judge/evidence_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/judge/verdict_json.h"
#include "detector/sample.h"
#include "detector/sim/load_simulator.h"
#include "tests/detector/report_times.h"

namespace canaryd {
namespace {

using testing::kMinute;
using testing::kT0;

struct Fed {
  std::vector<ReleaseDatasetView> decided;
  std::vector<ReleaseDatasetView> final_views;
  std::vector<Sample> samples;
};

Fed FeedScenario(const sim::Scenario& scenario, const EngineOptions& options) {
  Fed fed;
  DatasetMonitor monitor(scenario.dataset, &options);
  sim::LoadSimulator simulator(scenario);
  Sample s;
  while (simulator.Next(&s)) {
    fed.samples.push_back(s);
    monitor.Apply(s, &fed.decided);
    if (!fed.decided.empty()) break;
  }
  monitor.AppendViews(&fed.final_views);
  return fed;
}

sim::Scenario EmailRegression(std::uint64_t seed) {
  sim::Scenario s;
  s.seed = seed;
  s.release = "orders-dbt-" + std::to_string(seed);
  s.loads = 300;
  s.baseline.rate_jitter = 0.3;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 20;
  s.canary = s.baseline;
  s.canary.column_null_rates = {{"email", 0.03}};
  return s;
}

TEST(EvidenceSentence, NullRateRollbackReadsAsDocumented) {
  const EngineOptions options;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Fed fed = FeedScenario(EmailRegression(seed), options);
    ASSERT_EQ(fed.decided.size(), 1u);
    const ReleaseDatasetView& v = fed.decided[0];
    ASSERT_EQ(v.decision, Decision::kRollback);
    ASSERT_EQ(v.deciding_check, "null_rate(email)");

    static const std::regex kPattern(
        R"(^null_rate\(email\) (\d+\.\d\d)% vs (\d+\.\d\d)% baseline over (\d+) canary loads; )"
        R"(evidence ([0-9.]+(?:e[+-]\d+)?) >= ([0-9.]+(?:e[+-]\d+)?) needed; rollback$)");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(v.reason, m, kPattern)) << v.reason;
    const double canary_pct = std::stod(m[1].str());
    const double baseline_pct = std::stod(m[2].str());
    EXPECT_GT(canary_pct, 2.0) << v.reason;  // true rate 3%
    EXPECT_LT(canary_pct, 4.0) << v.reason;
    EXPECT_GT(baseline_pct, 0.7) << v.reason;  // true rate 1%
    EXPECT_LT(baseline_pct, 1.3) << v.reason;
    EXPECT_EQ(std::stoull(m[3].str()), v.canary_loads);
    EXPECT_GE(std::stod(m[4].str()), std::stod(m[5].str())) << v.reason;
    // Six statistical checks (row_count, freshness, freshness_tail, duplicate_rate, two null
    // rates) at 1%.
    EXPECT_EQ(m[5].str(), "600");

    // The deciding check's own evidence says the same thing, with numbers that back it.
    const CheckEvidence* email = nullptr;
    for (const auto& c : v.checks) {
      if (c.check == "null_rate(email)" && c.method != "rule") email = &c;
    }
    ASSERT_NE(email, nullptr);
    EXPECT_EQ(email->verdict, Verdict::kFail);
    EXPECT_GE(email->log_e_regression, email->log_threshold);
    EXPECT_GE(email->effect_log, email->margin_log);
    EXPECT_EQ(email->unit, "rate");
    EXPECT_GT(email->canary_rows, 0u);
    EXPECT_GT(email->baseline_rows, 0u);
    EXPECT_GT(email->observations, 0u);
  }
}

// The decided view is one verdict: its reason and the deciding check's own evidence sentence
// should quote the same estimates.
// Every kind of statistical rollback reads the same way: "<check> <canary> vs <baseline> baseline
// over N canary loads; evidence E >= T needed; rollback", with estimates in the check's own unit
// that point the bad way and an e-value that really reached the quoted threshold.
TEST(EvidenceSentence, EveryStatisticalRollbackReadsAsDocumented) {
  struct Case {
    const char* check;
    const char* number;  // the estimates' format
    std::function<void(sim::Scenario*)> regress;
    bool canary_higher;  // the bad direction of the estimate
  };
  const std::vector<Case> cases = {
      {"duplicate_rate", R"(\d+\.\d\d%)", [](sim::Scenario* s) { s->canary.duplicate_rate = 0.02; },
       true},
      {"row_count", R"(\d+ rows)",
       [](sim::Scenario* s) { s->canary.rows_median = 0.6 * s->baseline.rows_median; }, false},
      {"freshness", R"(\d+s)", [](sim::Scenario* s) { s->canary.freshness_median_s *= 3; }, true},
      {"freshness_tail", R"(\d+\.\d\d%)",
       [](sim::Scenario* s) {
         s->canary.late_share = 0.5;
         s->canary.late_extra_s = 1200;
       },
       true},
  };
  for (const Case& c : cases) {
    sim::Scenario s;
    s.seed = 11;
    s.release = std::string("r-") + c.check;
    s.loads = 400;
    s.baseline.freshness_sigma = 0.3;  // so that a 3x median does not also fatten the tail much
    s.emit_baseline_before_start = true;
    s.baseline_history_loads = 20;
    s.canary = s.baseline;
    c.regress(&s);
    EngineOptions options;
    // A late half also moves the typical load: keep the freshness check out of the tail's way.
    if (std::string(c.check) == "freshness_tail") options.judge.freshness_margin_relative = 10;
    const Fed fed = FeedScenario(s, options);
    ASSERT_EQ(fed.decided.size(), 1u) << c.check;
    const ReleaseDatasetView& v = fed.decided[0];
    ASSERT_EQ(v.decision, Decision::kRollback) << c.check;
    ASSERT_EQ(v.deciding_check, c.check) << v.reason;
    const std::regex pattern(std::string("^") + c.check + " (" + c.number + ") vs (" + c.number +
                             R"() baseline over (\d+) canary loads; )"
                             R"(evidence ([0-9.]+(?:e[+-]\d+)?) >= ([0-9.]+(?:e[+-]\d+)?) )"
                             R"(needed; rollback$)");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(v.reason, m, pattern)) << v.reason;
    const double canary = std::stod(m[1].str());
    const double baseline = std::stod(m[2].str());
    EXPECT_EQ(c.canary_higher, canary > baseline) << v.reason;
    EXPECT_EQ(std::stoull(m[3].str()), v.canary_loads) << v.reason;
    EXPECT_GE(std::stod(m[4].str()), std::stod(m[5].str())) << v.reason;
    EXPECT_EQ(m[5].str(), "600") << v.reason;  // six statistical checks at alpha = 1%
  }
}

TEST(EvidenceSentence, DecidedViewReasonMatchesTheDecidingChecksEvidence) {
  const EngineOptions options;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Fed fed = FeedScenario(EmailRegression(seed), options);
    ASSERT_EQ(fed.decided.size(), 1u);
    const ReleaseDatasetView& v = fed.decided[0];
    for (const auto& c : v.checks) {
      if (c.check == v.deciding_check && c.method != "rule") {
        EXPECT_EQ(c.sentence, v.reason)
            << "seed " << seed << ", decided by a " << ArmName(fed.samples.back().arm) << " report";
      }
    }
  }
}

TEST(EvidenceSentence, SentencesCarryAggregatesNotPerLoadFigures) {
  // Reports carry counts only, never row values; and a sentence should speak in aggregates (rates,
  // means, load counts), not echo any one load's raw figures. Each load here has distinctive
  // six-digit figures; none of them may appear in any sentence.
  EngineOptions options;
  DatasetMonitor monitor("pci.payments", &options);
  std::vector<ReleaseDatasetView> decided;
  std::set<std::string> raw_figures;
  sim::Rng rng(77);
  auto load = [&](Arm arm, int i, double null_rate) {
    Sample s;
    s.dataset = "pci.payments";
    s.arm = arm;
    s.release = arm == Arm::kCanary ? "payments-2" : "";
    s.load_id = arm == Arm::kCanary ? "c" : "b";
    s.load_id += std::to_string(i);
    s.ts_ms = kT0 + i * kMinute + (arm == Arm::kCanary ? 4000 : 1000);
    s.rows = 500000 + rng.NextU64() % 400000;
    const auto nulls = static_cast<std::uint64_t>(static_cast<double>(s.rows) * null_rate *
                                                  (0.8 + 0.4 * rng.Uniform()));
    s.nulls = {{"card_holder", nulls}};
    s.duplicates = 100000 + rng.NextU64() % 800000 / 100;
    s.freshness_s = 200.0 + static_cast<double>(rng.NextU64() % 100);
    s.schema = "sha256:pay";
    raw_figures.insert(std::to_string(s.rows));
    raw_figures.insert(std::to_string(nulls));
    raw_figures.insert(std::to_string(*s.duplicates));
    return s;
  };
  int i = 0;
  for (; i < 20; ++i) monitor.Apply(load(Arm::kBaseline, i, 0.2), &decided);
  for (; i < 200 && decided.empty(); ++i) {
    monitor.Apply(load(Arm::kBaseline, i, 0.2), &decided);
    monitor.Apply(load(Arm::kCanary, i, 0.6), &decided);
  }
  ASSERT_EQ(decided.size(), 1u);
  const ReleaseDatasetView& v = decided[0];
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.deciding_check, "null_rate(card_holder)");

  std::vector<std::string> sentences = {v.reason};
  for (const auto& c : v.checks) sentences.push_back(c.sentence);
  static const std::regex kNumber(R"(\d+)");
  for (const std::string& sentence : sentences) {
    EXPECT_FALSE(sentence.empty());
    for (auto it = std::sregex_iterator(sentence.begin(), sentence.end(), kNumber);
         it != std::sregex_iterator(); ++it) {
      EXPECT_EQ(raw_figures.count(it->str()), 0u)
          << "sentence echoes a load's raw figure " << it->str() << ": " << sentence;
    }
  }
  // The JSON a controller polls carries the same sentences and only aggregate counts.
  const nlohmann::json j = ToJson(v);
  EXPECT_EQ(j.at("reason").get<std::string>(), v.reason);
  EXPECT_EQ(j.at("deciding_check").get<std::string>(), "null_rate(card_holder)");
}

TEST(EvidenceSentence, FormatsForPeople) {
  EXPECT_EQ(FormatDuration(45000), "45s");
  EXPECT_EQ(FormatDuration(31 * 60000 + 5000), "31m");
  EXPECT_EQ(FormatDuration(2 * 3600000 + 5 * 60000), "2h05m");
  EXPECT_EQ(FormatEstimate(0.0204, "rate"), "2.04%");
  EXPECT_EQ(FormatEstimate(10012.4, "rows"), "10012 rows");
  EXPECT_EQ(FormatEstimate(252.0, "s"), "252s");
  EXPECT_EQ(FormatEvidence(std::log(412.0)), "412");
  EXPECT_EQ(FormatEvidence(std::log(3.1e7)), "3.1e+07");
  EXPECT_EQ(FormatEvidence(1e6), FormatEvidence(700.0));  // astronomically large stays printable
}

TEST(EvidenceSentence, PassWarnAndWarmUpSentences) {
  CheckEvidence e;
  e.check = "row_count";
  e.unit = "rows";
  e.canary_estimate = 9000;
  e.baseline_estimate = 10000;
  e.canary_loads = 12;
  e.baseline_loads = 30;
  e.log_threshold = std::log(500.0);
  e.log_e_regression = std::log(40.0);
  e.verdict = Verdict::kWarn;
  EXPECT_EQ(SentenceFor(e),
            "row_count 9000 rows vs 10000 rows baseline over 12 canary loads; evidence 40 of 500 "
            "needed; watching");
  e.verdict = Verdict::kNotEvaluated;
  EXPECT_EQ(SentenceFor(e), "row_count: warming up (12 canary, 30 baseline loads so far)");
  e.verdict = Verdict::kPass;
  e.non_inferior = true;
  e.bad_down = true;  // fewer rows is worse: the margin reads as a share less
  e.margin_log = -std::log1p(-0.10);
  e.log_e_non_inferiority = std::log(25.0);
  e.log_promote_threshold = std::log(20.0);
  EXPECT_EQ(SentenceFor(e),
            "row_count 9000 rows vs 10000 rows baseline over 12 canary loads; shown no worse than "
            "the 10% margin (evidence 25 >= 20)");
}

// A key column never null: the +0.1pp absolute margin is what applies, and read as a share of a
// baseline rate near 0 it was "the 126990% margin".
TEST(EvidenceSentence, AnAbsoluteRateMarginReadsInPercentagePoints) {
  CheckEvidence e;
  e.check = "null_rate(customer_id)";
  e.unit = "rate";
  e.canary_loads = 30;
  e.verdict = Verdict::kPass;
  e.non_inferior = true;
  e.margin_log = std::log(1270.9);
  e.margin_absolute = 0.001;
  e.log_e_non_inferiority = std::log(25.0);
  e.log_promote_threshold = std::log(20.0);
  EXPECT_EQ(SentenceFor(e),
            "null_rate(customer_id) 0.00% vs 0.00% baseline over 30 canary loads; shown no worse "
            "than the +0.1pp margin (evidence 25 >= 20)");
  // No null in the canary's rows shows it without the e-value: the sentence says so rather than
  // "evidence 1 >= 20".
  e.log_e_non_inferiority = 0.0;
  e.canary_rows = 300000;
  EXPECT_EQ(SentenceFor(e),
            "null_rate(customer_id) 0.00% vs 0.00% baseline over 30 canary loads; shown no worse "
            "than the +0.1pp margin (none in 300000 canary rows)");
}

// A WARN past the threshold is a warn-only check's failure, or evidence whose effect is still
// inside the margin; "evidence 1604 of 600 needed" read as if it had not got there.
TEST(EvidenceSentence, AWarnPastTheThresholdSaysWhyItDidNotRollBack) {
  CheckEvidence e;
  e.check = "null_rate(email)";
  e.unit = "rate";
  e.canary_estimate = 0.012;
  e.baseline_estimate = 0.01;
  e.canary_loads = 30;
  e.verdict = Verdict::kWarn;
  e.log_e_regression = std::log(1604.0);
  e.log_threshold = std::log(600.0);
  EXPECT_EQ(SentenceFor(e),
            "null_rate(email) 1.20% vs 1.00% baseline over 30 canary loads; evidence 1604 >= 600 "
            "needed, effect inside the margin; watching");
  // The scores method tests the margin itself, and says how far that evidence has come.
  e.margin_tested = true;
  e.margin_log = std::log(1.2);
  e.log_e_beyond_margin = std::log(3.0);
  e.log_margin_threshold = std::log(20.0);
  EXPECT_EQ(SentenceFor(e),
            "null_rate(email) 1.20% vs 1.00% baseline over 30 canary loads; evidence 1604 >= 600 "
            "needed, not shown beyond the 20% margin (evidence 3 of 20); watching");
  e.warn_only = true;
  EXPECT_EQ(SentenceFor(e),
            "null_rate(email) 1.20% vs 1.00% baseline over 30 canary loads; evidence 1604 >= 600 "
            "needed; warning only (severity warn)");
  e.log_e_regression = std::log(400.0);
  EXPECT_EQ(SentenceFor(e),
            "null_rate(email) 1.20% vs 1.00% baseline over 30 canary loads; evidence 400 of 600 "
            "needed; watching");
}

// ---------------------------------------------------------------------------------------------
// Bonferroni: the threshold every statistical check quotes is log(K / alpha).

std::vector<double> ThresholdsFor(int columns, double alpha) {
  EngineOptions options;
  options.judge.alpha = alpha;
  DatasetMonitor monitor("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  std::vector<ColumnNulls> nulls;
  for (int c = 0; c < columns; ++c) nulls.push_back({"col" + std::to_string(c), 50});
  for (int i = 0; i < 12; ++i) {
    for (Arm arm : {Arm::kBaseline, Arm::kCanary}) {
      Sample s;
      s.dataset = "ds";
      s.arm = arm;
      s.release = arm == Arm::kCanary ? "r" : "";
      s.load_id = arm == Arm::kCanary ? "c" : "b";
      s.load_id += std::to_string(i);
      s.ts_ms = kT0 + i * kMinute + (arm == Arm::kCanary ? 3000 : 0);
      s.rows = 5000 + 10 * static_cast<std::uint64_t>(i % 3);
      s.nulls = nulls;
      s.duplicates = 20;
      s.freshness_s = 100;
      monitor.Apply(s, &decided);
    }
  }
  std::vector<ReleaseDatasetView> views;
  monitor.AppendViews(&views);
  std::vector<double> thresholds;
  for (const auto& c : views.at(0).checks) {
    if (c.method == "rule" || c.method == "slo") continue;
    thresholds.push_back(c.log_threshold);
  }
  return thresholds;
}

TEST(EvidenceBonferroni, ThresholdIsLogOfChecksOverAlpha) {
  for (int columns : {1, 2, 6}) {
    const std::vector<double> t = ThresholdsFor(columns, 0.01);
    // + row_count, freshness, freshness_tail, duplicate_rate
    const auto k = static_cast<double>(columns + 4);
    ASSERT_EQ(t.size(), static_cast<std::size_t>(k));
    for (double x : t) EXPECT_NEAR(x, std::log(k / 0.01), 1e-12) << columns << " columns";
  }
}

TEST(EvidenceBonferroni, ThresholdGrowsWithChecksAndShrinksWithAlpha) {
  EXPECT_LT(ThresholdsFor(1, 0.01).at(0), ThresholdsFor(2, 0.01).at(0));
  EXPECT_LT(ThresholdsFor(2, 0.01).at(0), ThresholdsFor(6, 0.01).at(0));
  EXPECT_GT(ThresholdsFor(2, 0.01).at(0), ThresholdsFor(2, 0.05).at(0));
  EXPECT_NEAR(ThresholdsFor(2, 0.05).at(0), std::log(6 / 0.05), 1e-12);
}

}  // namespace
}  // namespace canaryd
