// The judge's checks end to end through a DatasetMonitor (the per-dataset owner of the judges):
// each check fires on its regression with the expected deciding check and stays quiet on A/A;
// zero variance, missing arms, arms at different rates, warm-up, promotion and "never flap".
#include "detector/judge/release_judge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/sample.h"
#include "detector/sim/load_simulator.h"
#include "detector/sim/release_runner.h"
#include "tests/detector/report_times.h"

namespace canaryd {
namespace {

using sim::Describe;

using sim::ReleaseOutcome;
using sim::RunRelease;
using sim::Scenario;

using testing::kMinute;
using testing::kT0;

// ---------------------------------------------------------------------------------------------
// Helpers.

struct Load {
  std::uint64_t rows = 10000;
  std::vector<ColumnNulls> nulls = {{"email", 100}};
  std::optional<std::uint64_t> duplicates = 10;
  std::optional<double> freshness_s = 300.0;
  std::string schema = "sha256:base";
};

Sample MakeSample(Arm arm, const std::string& load_id, std::int64_t ts_ms, const Load& load,
                  const std::string& release = "r1", const std::string& dataset = "ds.orders") {
  Sample s;
  s.dataset = dataset;
  s.arm = arm;
  s.release = arm == Arm::kCanary ? release : "";
  s.load_id = load_id;
  s.ts_ms = ts_ms;
  s.rows = load.rows;
  s.freshness_s = load.freshness_s;
  s.nulls = load.nulls;
  s.duplicates = load.duplicates;
  s.schema = load.schema;
  return s;
}

// A DatasetMonitor with the decisions it reported.
class Harness {
 public:
  explicit Harness(EngineOptions options = {}, std::string dataset = "ds.orders")
      : options_(std::move(options)), monitor_(std::move(dataset), &options_) {}

  ApplyOutcome Apply(const Sample& s) { return monitor_.Apply(s, &decided_); }
  ApplyOutcome Baseline(const std::string& id, std::int64_t ts, const Load& load) {
    return Apply(MakeSample(Arm::kBaseline, id, ts, load));
  }
  ApplyOutcome Canary(const std::string& id, std::int64_t ts, const Load& load,
                      const std::string& release = "r1") {
    return Apply(MakeSample(Arm::kCanary, id, ts, load, release));
  }

  const std::vector<ReleaseDatasetView>& decided() const { return decided_; }
  ReleaseDatasetView View(const std::string& release = "r1") const {
    std::vector<ReleaseDatasetView> views;
    monitor_.AppendViews(&views);
    for (auto& v : views) {
      if (v.release == release) return v;
    }
    ADD_FAILURE() << "no view for release " << release;
    return {};
  }
  DatasetMonitor& monitor() { return monitor_; }

 private:
  EngineOptions options_;
  DatasetMonitor monitor_;
  std::vector<ReleaseDatasetView> decided_;
};

bool IsStatistical(const CheckEvidence& e) { return e.method != "rule" && e.method != "slo"; }

const CheckEvidence* FindCheck(const ReleaseDatasetView& view, const std::string& name) {
  for (const auto& c : view.checks) {
    if (c.check == name) return &c;
  }
  return nullptr;
}

// Runs the same scenario over several seeds; returns the outcomes.
std::vector<ReleaseOutcome> RunSeeds(const std::function<Scenario(std::uint64_t)>& make,
                                     std::uint64_t first_seed, int seeds,
                                     const EngineOptions& options = {}) {
  std::vector<ReleaseOutcome> out;
  for (int i = 0; i < seeds; ++i) {
    out.push_back(RunRelease(make(first_seed + static_cast<std::uint64_t>(i)), options));
  }
  return out;
}

int Rollbacks(const std::vector<ReleaseOutcome>& outcomes) {
  int n = 0;
  for (const auto& o : outcomes) n += o.decision == Decision::kRollback ? 1 : 0;
  return n;
}

// Split-mode scenario, both arms at the defaults with overdispersed rates.
Scenario Base(std::uint64_t seed) {
  Scenario s;
  s.seed = seed;
  s.release = "rel-" + std::to_string(seed);
  s.loads = 300;
  s.canary_share = 0.5;
  s.baseline.rows_median = 10000;
  s.baseline.rate_jitter = 0.3;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 20;
  s.canary = s.baseline;
  return s;
}

void ExpectEveryRunRollsBackWith(const std::vector<ReleaseOutcome>& outcomes,
                                 const std::string& check) {
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
    EXPECT_EQ(o.check, check) << Describe(o);
    EXPECT_TRUE(o.regression_active) << Describe(o);
  }
}

void ExpectAtMostRollBacks(const std::vector<ReleaseOutcome>& outcomes, int most) {
  std::string rolled_back;
  for (const auto& o : outcomes) {
    if (o.decision == Decision::kRollback) rolled_back += "\n  " + Describe(o);
  }
  EXPECT_LE(Rollbacks(outcomes), most) << "rolled back:" << rolled_back;
}

// A/A: the judge promises P(rollback) <= alpha = 1% per release, so a handful of fixed seeds may
// hold one unlucky release; more than one in 30 would be a broken check.
void ExpectNoRunRollsBack(const std::vector<ReleaseOutcome>& outcomes) {
  ExpectAtMostRollBacks(outcomes, 1);
}

// ---------------------------------------------------------------------------------------------
// Each check fires on its regression and stays quiet on A/A.

TEST(JudgeNullRateCheck, FiresOnOneColumnsRegression) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary.column_null_rates = {{"email", 0.03}};  // 1% -> 3%, customer_id unchanged
        return s;
      },
      100, 8);
  ExpectEveryRunRollsBackWith(outcomes, "null_rate(email)");
}

TEST(JudgeNullRateCheck, QuietOnOverdispersedAA) { ExpectNoRunRollsBack(RunSeeds(Base, 200, 30)); }

TEST(JudgeDuplicateRateCheck, FiresOnMoreDuplicates) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.baseline.duplicate_rate = 0.002;
        s.canary = s.baseline;
        s.canary.duplicate_rate = 0.008;
        return s;
      },
      300, 8);
  ExpectEveryRunRollsBackWith(outcomes, "duplicate_rate");
}

TEST(JudgeDuplicateRateCheck, QuietOnAAWithFewDuplicatesPerLoad) {
  // About one duplicate per load: the counts method (exact conditional binomial).
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.baseline.duplicate_rate = 0.0001;
        s.canary = s.baseline;
        return s;
      },
      400, 30));
}

// 300-row loads without jitter, 0.03% duplicates in the baseline (0.09 per load).
Scenario SparseDuplicates(std::uint64_t seed, double canary_rate) {
  Scenario s = Base(seed);
  s.loads = 1200;
  s.baseline.rows_median = 300;
  s.baseline.rate_jitter = 0.0;
  s.baseline.duplicate_rate = 0.0003;
  s.canary = s.baseline;
  s.canary.duplicate_rate = canary_rate;
  return s;
}

// Doubling a 0.03% duplicate rate is +0.03pp, inside the +0.1pp margin (x4 at this level), so it
// must not roll back even though the doubling is real. With the recent window fixed at 16
// comparisons (~1.5 baseline counts here, often none) the point estimate cleared x4 by chance and
// 3 of these 10 releases were rolled back; the counts method's window now holds 10 baseline
// counts.
TEST(JudgeDuplicateRateCheck, QuietWhenASparseRateGrowsWithinTheAbsoluteMargin) {
  ExpectNoRunRollsBack(
      RunSeeds([](std::uint64_t seed) { return SparseDuplicates(seed, 0.0006); }, 450, 10));
}

// The same sparse rate going to 0.3% (+0.27pp, x10) is beyond the margin and rolls back.
TEST(JudgeDuplicateRateCheck, FiresWhenASparseRateGrowsBeyondTheAbsoluteMargin) {
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return SparseDuplicates(seed, 0.003); }, 470, 8);
  ExpectEveryRunRollsBackWith(outcomes, "duplicate_rate");
  for (const auto& o : outcomes) EXPECT_LE(o.canary_loads, 60) << Describe(o);
}

// Duplicates at ~0.001% (0.1 per load), and in 2% of each arm's loads a 2% burst (a retried task
// writing its rows twice). One canary burst against a baseline window with none was read as
// certain: 29 of 100 such A/A releases rolled back with 5 baseline loads of history, 11 with 10
// hours (the judge now caps each load's count for the regression test, CountProfile::CapAt).
Scenario DuplicateBursts(std::uint64_t seed, int history) {
  Scenario s = Base(seed);
  s.loads = 400;
  s.baseline_history_loads = history;
  s.baseline.rows_median = 12'000;
  s.baseline.duplicate_rate = 0.00001;
  s.baseline.duplicate_burst_share = 0.02;
  s.baseline.burst_duplicate_rate = 0.02;
  s.canary = s.baseline;
  return s;
}

TEST(JudgeDuplicateRateCheck, QuietWhenBothArmsHaveRareBursts) {
  ExpectNoRunRollsBack(
      RunSeeds([](std::uint64_t seed) { return DuplicateBursts(seed, 5); }, 9000, 30));
  ExpectNoRunRollsBack(
      RunSeeds([](std::uint64_t seed) { return DuplicateBursts(seed, 600); }, 9100, 30));
}

// The cap does not hide a real regression: the same baseline against a canary with 1% duplicates
// in every load (capped at ~3 a load, it rolls back after 5-14 canary loads; uncapped, 3-8), or
// with a burst in every fourth load. A canary bursting in one load of ten (0.2% against 0.04%,
// beyond the +0.1pp margin) must not be promoted: one baseline burst against the canary's zero
// once proved non-inferiority in a single comparison.
TEST(JudgeDuplicateRateCheck, FiresWhenTheCanaryDuplicatesBeyondTheBaselinesBursts) {
  const auto canary_with = [](double rate, double burst_share) {
    return [=](std::uint64_t seed) {
      Scenario s = DuplicateBursts(seed, 600);
      s.canary.duplicate_rate = rate;
      s.canary.duplicate_burst_share = burst_share;
      return s;
    };
  };
  const auto every_load = RunSeeds(canary_with(0.01, 0.02), 9200, 10);
  ExpectEveryRunRollsBackWith(every_load, "duplicate_rate");
  for (const auto& o : every_load) EXPECT_LE(o.canary_loads, 20) << Describe(o);
  const auto every_fourth = RunSeeds(canary_with(0.00001, 0.25), 9300, 10);
  ExpectEveryRunRollsBackWith(every_fourth, "duplicate_rate");
  for (const auto& o : every_fourth) EXPECT_LE(o.canary_loads, 80) << Describe(o);
  for (const auto& o : RunSeeds(canary_with(0.00001, 0.10), 9400, 20)) {
    EXPECT_NE(o.decision, Decision::kPromote) << Describe(o);
  }
}

// A load with no rows (an upstream with nothing new).
Load EmptyLoad() {
  Load load;
  load.rows = 0;
  load.nulls = {{"email", 0}};
  load.duplicates = 0;
  return load;
}

// A load whose size varies a little from slot to slot, as real loads do.
Load SizedLoad(int slot) {
  Load load;
  load.rows = 10000 + 101 * static_cast<std::uint64_t>(slot % 9);
  return load;
}

// The baseline's 64 loads before the release (its tracker's window), one a minute from kT0;
// returns the next slot's time.
std::int64_t FeedBaselineHistory(Harness* h) {
  std::int64_t t = kT0;
  for (int i = 0; i < 64; ++i, t += kMinute) h->Baseline("h" + std::to_string(i), t, SizedLoad(i));
  return t;
}

// Empty loads (rows: 0) in a share of both arms' loads: row_count compares the sizes of the other
// loads, and empty_loads the shares. Scored as a log row count, one empty canary load against a
// baseline window without one was a ~10 sd score and rolled back 4-6% of such A/A releases.
Scenario EmptyLoads(std::uint64_t seed, int history, double share) {
  Scenario s = Base(seed);
  s.loads = 400;
  s.baseline_history_loads = history;
  s.baseline.rows_sigma = 0.07;
  s.baseline.empty_share = share;
  s.canary = s.baseline;
  return s;
}

TEST(JudgeEmptyLoads, QuietWhenBothArmsHaveEmptyLoads) {
  ExpectNoRunRollsBack(
      RunSeeds([](std::uint64_t seed) { return EmptyLoads(seed, 600, 0.03); }, 9500, 30));
  ExpectNoRunRollsBack(
      RunSeeds([](std::uint64_t seed) { return EmptyLoads(seed, 5, 0.05); }, 9600, 30));
  // And they still promote: an empty load is a state both arms share, not a regression (14 of
  // these 20 within 400 slots; 16 of them without empty loads).
  int promoted = 0;
  for (const auto& o :
       RunSeeds([](std::uint64_t seed) { return EmptyLoads(seed, 600, 0.05); }, 9700, 20)) {
    promoted += o.decision == Decision::kPromote ? 1 : 0;
  }
  EXPECT_GE(promoted, 12);
}

// A canary whose loads come out empty while the baseline's (with a clean history) do not rolls
// back on empty_loads as fast as row_count did (4 canary loads, 3 of warm-up), from the first
// load or after 5 healthy ones; one empty six times as often as the baseline's 5% is never
// promoted.
TEST(JudgeEmptyLoads, FiresWhenTheCanaryLoadsNothing) {
  const auto canary_empty = [](double share, double baseline_share, int after) {
    return [=](std::uint64_t seed) {
      Scenario s = EmptyLoads(seed, 600, baseline_share);
      s.canary.empty_share = share;
      s.regression_after_canary_loads = after;
      return s;
    };
  };
  const auto all_empty = RunSeeds(canary_empty(1.0, 0.0, 0), 9800, 10);
  ExpectEveryRunRollsBackWith(all_empty, "empty_loads");
  for (const auto& o : all_empty) EXPECT_LE(o.canary_loads, 4) << Describe(o);
  const auto later = RunSeeds(canary_empty(1.0, 0.0, 5), 9850, 10);
  ExpectEveryRunRollsBackWith(later, "empty_loads");
  for (const auto& o : later) EXPECT_LE(o.canary_loads, 5 + 6) << Describe(o);
  for (const auto& o : RunSeeds(canary_empty(0.30, 0.05, 0), 9900, 20)) {
    EXPECT_NE(o.decision, Decision::kPromote) << Describe(o);
  }
}

// A canary whose empty loads are x1.4 the baseline's in the release (3 against 2 of 40), inside
// the x2 margin, but x3.6 the baseline's with its history (2 in 104), is not promoted: the
// baseline's loads in the release were unluckily empty, which had let a canary at 30% empty loads
// against a baseline at 5% promote (its baseline loads in the release 18% empty).
TEST(JudgeEmptyLoads, ABaselineUnluckyInTheReleaseDoesNotLetTheCanaryPromote) {
  const auto run = [](bool canary_empties) {
    Harness h;
    std::int64_t t = FeedBaselineHistory(&h);
    const Load empty = EmptyLoad();
    for (int i = 0; i < 40 && h.decided().empty(); ++i, t += kMinute) {
      h.Baseline("b" + std::to_string(i), t, i == 4 || i == 9 ? empty : SizedLoad(i));
      const bool canary_empty = canary_empties && (i == 3 || i == 7 || i == 11);
      h.Canary("c" + std::to_string(i), t + 1000, canary_empty ? empty : SizedLoad(i));
    }
    return h.View();
  };
  EXPECT_EQ(run(false).decision, Decision::kPromote);  // the control
  const ReleaseDatasetView held = run(true);
  EXPECT_EQ(held.decision, Decision::kContinue) << held.reason;
  const CheckEvidence* empty = FindCheck(held, "empty_loads");
  ASSERT_NE(empty, nullptr);
  EXPECT_NE(empty->sentence.find("empty_loads 7.50% vs 5.13% baseline over 40 canary loads"),
            std::string::npos)
      << empty->sentence;
}

// An upstream outage that the canary meets first: 8 canary loads in a row come out empty before
// the baseline's next load, which is empty too. Against the baseline's clean history that is the
// evidence of a broken canary (log e ~10 by the 8th); it is held until a baseline load with rows
// arrives after the run began, and by then the baseline's own empty loads have answered it.
TEST(JudgeEmptyLoads, AnOutageTheCanaryMeetsFirstIsHeldForTheBaseline) {
  Harness h;
  std::int64_t t = FeedBaselineHistory(&h);
  int i = 64;
  for (; i < 69; ++i, t += kMinute) {  // fewer canary loads than promotion needs
    h.Baseline("b" + std::to_string(i), t, SizedLoad(i));
    h.Canary("c" + std::to_string(i), t + 1000, SizedLoad(i));
  }
  // Two baseline loads: the first closes the last group, the run's first load is scored with the
  // second.
  for (int j = 0; j < 2; ++j, ++i, t += kMinute)
    h.Baseline("b" + std::to_string(i), t, SizedLoad(i));
  const Load empty = EmptyLoad();
  for (int j = 0; j < 8; ++j, t += kMinute) h.Canary("run" + std::to_string(j), t, empty);
  EXPECT_TRUE(h.decided().empty());
  const ReleaseDatasetView view = h.View();
  const CheckEvidence* held = FindCheck(view, "empty_loads");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->verdict, Verdict::kWarn);
  EXPECT_GE(held->log_e_regression, held->log_threshold);
  EXPECT_NE(held->sentence.find("waiting for a baseline load with rows"), std::string::npos)
      << held->sentence;
  for (; i < 85; ++i, t += kMinute) {  // the outage, in both arms
    h.Baseline("b" + std::to_string(i), t, empty);
    h.Canary("c" + std::to_string(i), t + 1000, empty);
  }
  for (; i < 115; ++i, t += kMinute) {
    h.Baseline("b" + std::to_string(i), t, SizedLoad(i));
    h.Canary("c" + std::to_string(i), t + 1000, SizedLoad(i));
  }
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
}

// A short outage in both arms leaves the canary 3 empty loads to the baseline's 2. Against the
// baseline with its history (2 in ~160 loads) the canary's share is ~x2.2 after 90 clean slots:
// inside the margin read at that pooled level (x2.4: +2 points), and it promotes at 98 canary
// loads. Read at the release's own baseline level (x2.0) it was still held after 115.
TEST(JudgeEmptyLoads, AShortOutageInBothArmsDoesNotHoldPromotionForLong) {
  Harness h;
  std::int64_t t = FeedBaselineHistory(&h);
  const Load empty = EmptyLoad();
  for (int slot = 0; slot < 115 && h.decided().empty(); ++slot, t += kMinute) {
    const bool outage = slot >= 5 && slot < 8;  // the canary's 3 loads, 2 of the baseline's
    const int i = 64 + slot;
    h.Baseline("b" + std::to_string(i), t, outage && slot < 7 ? empty : SizedLoad(i));
    h.Canary("c" + std::to_string(i), t + 1000, outage ? empty : SizedLoad(i));
  }
  ASSERT_EQ(h.decided().size(), 1u);
  EXPECT_EQ(h.decided()[0].decision, Decision::kPromote) << h.decided()[0].reason;
}

// In shadow mode both arms load the same input: a canary load empty where the baseline's has rows
// is a divergence, and three in a row roll back (the shadow tolerance rule, as row_count's did
// when it compared the empty load's size).
TEST(JudgeEmptyLoads, ShadowCanaryEmptyWhereTheBaselineIsNotRollsBack) {
  Harness h;
  const Load empty = EmptyLoad();
  int i = 0;
  for (; i < 40 && h.decided().empty(); ++i) {
    const std::string id = "p" + std::to_string(i);
    Load load;
    load.rows = 10000 + 101 * static_cast<std::uint64_t>(i % 9);
    h.Baseline(id, kT0 + i * kMinute, load);
    h.Canary(id, kT0 + i * kMinute + 4000, i >= 5 ? empty : load);
  }
  ASSERT_EQ(h.decided().size(), 1u);
  const ReleaseDatasetView& v = h.decided()[0];
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.deciding_check, "empty_loads");
  EXPECT_EQ(v.canary_loads, 8u);
  EXPECT_NE(v.reason.find("beyond the shadow tolerance on 3 consecutive loads"), std::string::npos)
      << v.reason;
}

// The reason names the shares over the release, and row_count's estimate is the size of the
// loads with rows.
TEST(JudgeEmptyLoads, EvidenceReadsTheSharesOverTheRelease) {
  Harness h;
  std::int64_t t = kT0;
  for (int i = 0; i < 64; ++i, t += kMinute) h.Baseline("h" + std::to_string(i), t, Load{});
  const Load empty = EmptyLoad();
  for (int i = 0; i < 12 && h.decided().empty(); ++i, t += kMinute) {
    h.Baseline("b" + std::to_string(i), t, Load{});
    h.Canary("c" + std::to_string(i), t + 1000, i == 0 ? Load{} : empty);
  }
  ASSERT_EQ(h.decided().size(), 1u);
  const ReleaseDatasetView& v = h.decided()[0];
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.deciding_check, "empty_loads");
  EXPECT_LE(v.canary_loads, 4u);
  EXPECT_NE(v.reason.find("empty_loads 75.00% vs 0.00% baseline over 4 canary loads"),
            std::string::npos)
      << v.reason;
  const CheckEvidence* rows = FindCheck(v, "row_count");
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->canary_estimate, 10000.0);  // the one load with rows, not 2,500 a load
}

TEST(JudgeRowCountCheck, FiresOnFewerRows) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary.rows_median = 6000;  // 40% fewer rows per load
        return s;
      },
      500, 8);
  ExpectEveryRunRollsBackWith(outcomes, "row_count");
}

TEST(JudgeRowCountCheck, QuietOnAAWithNoisyRowCounts) {
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.baseline.rows_sigma = 0.4;
        s.canary = s.baseline;
        return s;
      },
      600, 30));
}

TEST(JudgeFreshnessCheck, FiresOnLaterLoads) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary.freshness_median_s = 900;  // 3x later
        return s;
      },
      700, 8);
  ExpectEveryRunRollsBackWith(outcomes, "freshness");
}

TEST(JudgeFreshnessCheck, QuietOnAAWithHeavyTail) {
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.baseline.late_share = 0.1;  // one load in ten is 20 minutes late, in both arms
        s.canary = s.baseline;
        return s;
      },
      800, 30));
}

void ExpectSilentRollback(const std::vector<ReleaseOutcome>& outcomes, int silent_after) {
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
    EXPECT_EQ(o.check, "canary_silent") << Describe(o);
    EXPECT_EQ(o.canary_loads, silent_after) << Describe(o);
    EXPECT_NE(o.reason.find("no canary load for"), std::string::npos) << o.reason;
  }
}

TEST(JudgeCanarySilentCheck, FiresWhenCanaryStopsWhileBaselineFlows) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = 1000;  // keep the healthy start from promoting
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary_silent_after_loads = 30;
        return s;
      },
      900, 8, options);
  ExpectSilentRollback(outcomes, 30);
}

// A canary that dies after a few loads (the commonest way a canary goes silent) must be caught:
// 5 canary loads, then 150 minutes of baseline-only loads (about 145 in a row, at a 50% split).
// Its share is barely known from 5 loads, so the run must be improbable given them
// (C(n - run, 4) / C(n, 4) below 0.001 / 30, the 5th gap's share of silent_alpha): some 120
// baseline loads in a row after 10 loads.
TEST(JudgeCanarySilentCheck, FiresWhenCanaryStopsAfterAFewLoads) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary_silent_after_loads = 5;  // before promotion could happen
        return s;
      },
      950, 4);
  ExpectSilentRollback(outcomes, 5);
}

// n baseline loads a minute apart from *t (ids prefix0, prefix1, ...); *t ends after the last.
void BaselineRun(Harness& h, const std::string& prefix, int n, std::int64_t* t) {
  for (int i = 0; i < n; ++i, *t += kMinute) h.Baseline(prefix + std::to_string(i), *t, Load{});
}

// A 5% canary whose first two loads come back to back and whose next one comes 70 loads later is
// not silent: that happens by chance (about 1 release in 700 at that share). A share bounded from
// those two loads alone (2 of 2) looked like 18% and rolled such releases back.
TEST(JudgeCanarySilentCheck, QuietWhenEarlyCanaryLoadsCameCloseTogetherByChance) {
  Harness h;
  std::int64_t t = kT0;
  BaselineRun(h, "h", 20, &t);
  h.Canary("c0", t, Load{});
  t += kMinute;
  h.Canary("c1", t, Load{});
  t += kMinute;
  BaselineRun(h, "b", 70, &t);
  for (const auto& d : h.decided()) EXPECT_NE(d.deciding_check, "canary_silent") << d.reason;
  EXPECT_EQ(h.View().decision, Decision::kContinue);
}

// One canary load says nothing about the canary's share, so only the floor share
// (silent_min_share, 2%) speaks: 0.98^run below 0.001 / 2 needs 377 baseline loads in a row.
TEST(JudgeCanarySilentCheck, FiresWhenCanaryStopsAfterItsFirstLoad) {
  Harness h;
  std::int64_t t = kT0;
  BaselineRun(h, "h", 20, &t);
  h.Canary("c0", t, Load{});
  t += kMinute;
  BaselineRun(h, "b", 376, &t);
  EXPECT_TRUE(h.decided().empty()) << h.decided()[0].reason;
  h.Baseline("b376", t, Load{});
  ASSERT_EQ(h.decided().size(), 1u);
  EXPECT_EQ(h.decided()[0].decision, Decision::kRollback);
  EXPECT_EQ(h.decided()[0].deciding_check, "canary_silent");
  EXPECT_NE(h.decided()[0].reason.find("377 loads"), std::string::npos) << h.decided()[0].reason;
}

// A canary that delivers its loads in batches (6 at once every 30 minutes, the baseline every 5)
// had "usually 0 baseline loads between canary loads" after its first batch, and was rolled back
// as silent 19 minutes later. Back-to-back loads are a batch, not a rhythm; a batch that stops
// coming is still caught, by the chance of the baseline-only run.
TEST(JudgeCanarySilentCheck, QuietWhenTheCanaryDeliversInBatches) {
  const auto run = [](int batches) {
    EngineOptions options;
    options.judge.promote_min_canary_loads = 1000;
    Harness h(options);
    std::int64_t t = kT0;
    int b = 0;
    for (int i = 0; i < 12; ++i, ++b) h.Baseline("b" + std::to_string(b), t + b * 5 * kMinute, {});
    for (int batch = 0; batch < 40; ++batch) {
      const std::int64_t start = t + b * 5 * kMinute;
      if (batch < batches) {
        for (int k = 0; k < 6; ++k) {
          h.Canary("c" + std::to_string(batch) + "_" + std::to_string(k), start + k * 1000, {});
        }
      }
      for (int i = 0; i < 6; ++i, ++b) {
        h.Baseline("b" + std::to_string(b), t + b * 5 * kMinute + 30000, {});
      }
    }
    return h.decided().empty() ? std::string() : h.decided()[0].reason;
  };
  EXPECT_EQ(run(40), "");
  EXPECT_NE(run(5).find("canary_silent"), std::string::npos) << run(5);
}

TEST(JudgeCanarySilentCheck, QuietWhenCanaryIsARareShareOfLoads) {
  // Canary on 10% of loads: runs of baseline-only loads are normal, not silence.
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.canary_share = 0.1;
        s.loads = 1000;
        return s;
      },
      1000, 20));
}

TEST(JudgeSchemaCheck, FiresOnTheFirstCanaryLoadWhenBaselineSchemaIsKnown) {
  Scenario s = Base(1100);
  s.canary.schema = "sha256:changed";
  const ReleaseOutcome o = RunRelease(s, {});
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "schema");
  EXPECT_EQ(o.canary_loads, 1) << "a schema change needs no statistics";
  EXPECT_NE(o.reason.find("sha256:changed"), std::string::npos) << o.reason;
}

TEST(JudgeSchemaCheck, FiresWhenTheBaselineReportsAfterTheCanary) {
  Harness h;
  Load canary;
  canary.schema = "sha256:new";
  EXPECT_EQ(h.Canary("c0", kT0, canary), ApplyOutcome::kApplied);
  EXPECT_TRUE(h.decided().empty());
  h.Baseline("b0", kT0 + 1000, Load{});
  ASSERT_EQ(h.decided().size(), 1u);
  EXPECT_EQ(h.decided()[0].decision, Decision::kRollback);
  EXPECT_EQ(h.decided()[0].deciding_check, "schema");
  EXPECT_EQ(h.decided()[0].decided_at_ms, kT0 + 1000);
}

// A migration both arms make at the same minute: the baseline's first new load arrives after
// the canary's last old one. That canary load matched the baseline of its time; it used to be
// compared with the baseline's new schema and the release rolled back. A canary that does not
// follow the migration still rolls back, on its first load after it.
TEST(JudgeSchemaCheck, AMigrationBothArmsMakeIsNotTheCanarysChange) {
  const auto run = [](int canary_migrates_at) {
    EngineOptions options;
    options.judge.promote_min_canary_loads = 1000;  // keep the healthy start from promoting
    Harness h(options);
    for (int i = 0; i < 80; ++i) {
      Load b;
      b.schema = i >= 40 ? "sha256:new" : "sha256:base";
      h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, b);
      if (i % 2 == 1) {
        Load c;
        c.schema = i >= canary_migrates_at ? "sha256:new" : "sha256:base";
        h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 4000, c);
      }
    }
    EXPECT_TRUE(h.decided().empty() || h.decided()[0].decision == Decision::kRollback);
    return h.decided().empty() ? std::string() : h.decided()[0].reason;
  };
  EXPECT_EQ(run(40), "");
  EXPECT_EQ(run(1000), "schema: canary sha256:base differs from baseline sha256:new; rollback");
}

// A baseline whose fingerprint alternates between two schemas (two writers, or a hash over an
// unordered column list) rolled back a canary that matched one of them on the first load that
// met the other. A schema the baseline keeps returning to is one of its own; a third one is not.
TEST(JudgeSchemaCheck, ABaselineAlternatingBetweenTwoSchemasAcceptsEither) {
  const auto run = [](const std::string& canary_schema) {
    EngineOptions options;
    options.judge.promote_min_canary_loads = 1000;
    Harness h(options);
    for (int i = 0; i < 40; ++i) {
      Load b;
      b.schema = i % 3 == 0 ? "sha256:b" : "sha256:a";
      h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, b);
      if (i >= 10) {
        Load c;
        c.schema = canary_schema;
        h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 4000, c);
      }
    }
    return h.decided().empty() ? std::string() : h.decided()[0].reason;
  };
  EXPECT_EQ(run("sha256:a"), "");
  EXPECT_EQ(run("sha256:b"), "");
  EXPECT_EQ(run("sha256:c"), "schema: canary sha256:c differs from baseline sha256:a; rollback");
}

TEST(JudgeSchemaCheck, QuietWhenSchemasMatchOrAreNotReported) {
  Harness h;
  Load no_schema;
  no_schema.schema = "";
  for (int i = 0; i < 30; ++i) {
    h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, i % 2 ? Load{} : no_schema);
    h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 4000, i % 3 ? Load{} : no_schema);
  }
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
  EXPECT_EQ(FindCheck(h.View(), "schema"), nullptr);
}

TEST(JudgeAllNullColumnRule, FiresOnTheFirstCanaryLoad) {
  Scenario s = Base(1200);
  s.canary.all_null_columns = {"email"};
  const ReleaseOutcome o = RunRelease(s, {});
  EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
  EXPECT_EQ(o.check, "null_rate(email)");
  EXPECT_EQ(o.canary_loads, 1);
  EXPECT_NE(o.reason.find("every row null"), std::string::npos) << o.reason;
}

TEST(JudgeAllNullColumnRule, QuietWhenTheBaselineColumnIsAllNullToo) {
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = Base(seed);
        s.baseline.all_null_columns = {"email"};  // a deprecated column, empty in both arms
        s.canary = s.baseline;
        return s;
      },
      1300, 10));
}

// A load with every row null is the rule's evidence only when the baseline could not produce
// one: not for a column that is almost always null (2 filled rows in 10,000), not in a dataset
// of a few rows, not while the baseline has shown too few loads to tell, and not once the
// baseline itself had such a load. The last baseline load alone decided this before, and A/A
// releases of such columns rolled back.
TEST(JudgeAllNullColumnRule, QuietWhenTheBaselineCouldProduceAnAllNullLoad) {
  const auto run = [](std::uint64_t rows, std::uint64_t baseline_nulls, int history,
                      int baseline_all_null_every) {
    Harness h;
    for (int i = 0; i < history + 40; ++i) {
      const bool all_null = baseline_all_null_every > 0 && i % baseline_all_null_every == 5;
      Load b;
      b.rows = rows;
      b.nulls = {{"email", all_null ? rows : baseline_nulls}};
      h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, b);
      if (i < history) continue;
      Load c = b;
      c.nulls = {{"email", i % 2 ? rows : baseline_nulls}};  // every other canary load all null
      h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 4000, c);
    }
    for (const auto& v : h.decided()) {
      if (v.decision == Decision::kRollback) return v.reason;
    }
    return std::string();
  };
  EXPECT_EQ(run(10000, 9998, 20, 0), "") << "2 filled rows in 10,000";
  EXPECT_EQ(run(30, 27, 20, 0), "") << "30 rows, 90% null";
  EXPECT_EQ(run(10000, 7000, 20, 10), "") << "the baseline has all-null loads too";
  // A column that is 1% null turning all-null still rolls back, on the first such canary load.
  EXPECT_NE(run(10000, 100, 20, 0).find("every row null in canary load c21"), std::string::npos);
  // Without baseline history the rule waits for 8 baseline loads with rows (b0..b7).
  EXPECT_NE(run(10000, 100, 0, 0).find("every row null in canary load c7"), std::string::npos)
      << run(10000, 100, 0, 0);
}

// A dataset of a few rows whose baseline window holds no null yet: its pooled rate was exactly 0,
// so a 1-row canary load with its one row null was "impossible" and rolled back (3 of 40 A/A
// releases of ~3-row loads at 2% nulls). With half a null added, one row is plausible; a
// 10,000-row all-null load against a 1% column is not.
TEST(JudgeAllNullColumnRule, QuietForATinyLoadAgainstANullFreeWindow) {
  const auto first_rule_reason = [](std::uint64_t canary_rows) {
    Harness h;
    for (int i = 0; i < 12; ++i) {
      Load b;
      b.rows = 6;
      b.nulls = {{"email", 0}};
      h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, b);
    }
    Load c;
    c.rows = canary_rows;
    c.nulls = {{"email", canary_rows}};
    h.Canary("c0", kT0 + 12 * kMinute, c);
    return h.decided().empty() ? std::string() : h.decided()[0].reason;
  };
  EXPECT_EQ(first_rule_reason(1), "");
  EXPECT_NE(first_rule_reason(30).find("every row null in canary load c0"), std::string::npos);
}

TEST(JudgeAllNullColumnRule, ViewReportsTheRuleAsFailingEvidence) {
  Harness h;
  for (int i = 0; i < 10; ++i) h.Baseline("h" + std::to_string(i), kT0 + i * kMinute, Load{});
  Load all_null;
  all_null.nulls = {{"email", all_null.rows}};
  h.Canary("c0", kT0 + 10 * kMinute, all_null);
  ASSERT_EQ(h.decided().size(), 1u);
  const ReleaseDatasetView& v = h.decided()[0];
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.deciding_check, "null_rate(email)");
  bool rule_seen = false;
  for (const auto& c : v.checks) {
    if (c.method == "rule") {
      rule_seen = true;
      EXPECT_EQ(c.check, "null_rate(email)");
      EXPECT_EQ(c.verdict, Verdict::kFail);
    }
  }
  EXPECT_TRUE(rule_seen);
}

// ---------------------------------------------------------------------------------------------
// The shadow tolerance rule: identical input should give identical output.

Scenario ShadowRowsScenario(std::uint64_t seed, double canary_rows) {
  Scenario s = Base(seed);
  s.shadow = true;
  s.emit_baseline_before_start = false;
  s.baseline_history_loads = 0;
  s.loads = 100;
  s.canary.rows_median = canary_rows;
  return s;
}

TEST(JudgeShadowTolerance, FiresOnConsistentSmallPairedDifference) {
  // 5% fewer rows on every shadow load: inside the 10% row-count margin, beyond the 2% tolerance.
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return ShadowRowsScenario(seed, 9500); }, 1400, 5);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
    EXPECT_EQ(o.check, "row_count") << Describe(o);
    EXPECT_NE(o.reason.find("shadow tolerance"), std::string::npos) << o.reason;
    EXPECT_LE(o.canary_loads, 10) << Describe(o);
  }
}

TEST(JudgeShadowTolerance, DisabledLeavesSmallDifferencesToTheMargin) {
  EngineOptions options;
  options.judge.shadow_tolerance_enabled = false;
  ExpectNoRunRollsBack(RunSeeds([](std::uint64_t seed) { return ShadowRowsScenario(seed, 9500); },
                                1400, 5, options));
}

// 5% fewer rows on every load is inside the 10% practical margin: with the tolerance rule off,
// the canary is shown no worse than the margin, and should be promoted rather than left waiting.
TEST(JudgeShadowTolerance, DisabledSubMarginDifferenceReachesADecision) {
  EngineOptions options;
  options.judge.shadow_tolerance_enabled = false;
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return ShadowRowsScenario(seed, 9500); }, 1400, 3, options);
  for (const auto& o : outcomes) EXPECT_EQ(o.decision, Decision::kPromote) << Describe(o);
}

TEST(JudgeShadowTolerance, QuietOnShadowAA) {
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return ShadowRowsScenario(seed, 10000); }, 1500, 10);
  ExpectNoRunRollsBack(outcomes);
}

TEST(JudgeShadowTolerance, NeedsConsecutiveDivergentLoads) {
  // Every other pair 5% short: the streak never reaches 3, and the mean is inside the margin.
  Harness h;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "p" + std::to_string(i);
    Load base;
    base.rows = 10000 + 37 * static_cast<std::uint64_t>(i % 7);
    Load canary = base;
    if (i % 2 == 1) canary.rows = base.rows * 95 / 100;
    h.Baseline(id, kT0 + i * kMinute, base);
    h.Canary(id, kT0 + i * kMinute + 4000, canary);
  }
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
  const ReleaseDatasetView view = h.View();  // FindCheck points into it
  const CheckEvidence* rows = FindCheck(view, "row_count");
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->method, "paired");
}

// Promotion says every check was shown no worse. A metric the baseline reports and the canary
// never does was not shown anything: it holds promotion and the view says why (it used to drop
// out of the verdict and the release promoted). A baseline whose loads have no rows holds it
// too: the canary was compared with nothing.
TEST(JudgePromotion, WaitsForWhatTheBaselineReportsAndTheCanaryDoesNot) {
  const auto run = [](bool canary_reports_phone, std::uint64_t baseline_rows) {
    Harness h;
    for (int i = 0; i < 60; ++i) {
      const std::string id = "p" + std::to_string(i);
      Load base;
      base.rows = baseline_rows;
      base.nulls = {{"email", baseline_rows / 100}, {"phone", baseline_rows / 100}};
      base.duplicates = baseline_rows / 1000;
      Load canary;
      canary.nulls = {{"email", 100}};
      if (canary_reports_phone) canary.nulls.push_back({"phone", 100});
      h.Baseline(id, kT0 + i * kMinute, base);
      h.Canary(id, kT0 + i * kMinute + 4000, canary);
    }
    return h;
  };
  EXPECT_EQ(run(true, 10000).View().decision, Decision::kPromote);  // the control

  const Harness missing = run(false, 10000);
  const ReleaseDatasetView view = missing.View();
  EXPECT_EQ(view.decision, Decision::kContinue) << view.reason;
  const CheckEvidence* phone = FindCheck(view, "null_rate(phone)");
  ASSERT_NE(phone, nullptr);
  EXPECT_EQ(phone->verdict, Verdict::kNotEvaluated);
  EXPECT_NE(phone->sentence.find("reported by the baseline, not by the canary"), std::string::npos)
      << phone->sentence;

  EXPECT_EQ(run(true, 0).View().decision, Decision::kContinue);
}

// Two runs of one load finish at different times: the tolerance is for counts, not freshness.
// Canary freshness 10% later on 3 consecutive loads (and 10% earlier on the next 3) rolled back
// by the 2% tolerance; freshness is judged by its test and 20% margin, which it is inside.
TEST(JudgeShadowTolerance, FreshnessTimingJitterIsNotADivergence) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = 1000;  // watch every load
  Harness h(options);
  for (int i = 0; i < 60; ++i) {
    const std::string id = "p" + std::to_string(i);
    Load base;
    base.rows = 10000 + 37 * static_cast<std::uint64_t>(i % 7);
    base.freshness_s = 300.0 + 7.0 * (i % 5);
    Load canary = base;
    canary.freshness_s = *base.freshness_s * ((i / 3) % 2 == 0 ? 1.10 : 0.90);
    h.Baseline(id, kT0 + i * kMinute, base);
    h.Canary(id, kT0 + i * kMinute + 4000, canary);
  }
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
  const ReleaseDatasetView view = h.View();
  const CheckEvidence* freshness = FindCheck(view, "freshness");
  ASSERT_NE(freshness, nullptr);
  EXPECT_NE(freshness->verdict, Verdict::kFail) << freshness->sentence;
}

// A column dropped mid-release. By both arms: its test could never again gain evidence, and held
// promotion forever with nothing in the view to say why (continue after 90 canary loads; the
// same data without the drop promoted at 14). By the canary only: "no worse" is no longer being
// shown for a column the baseline still fills, so promotion waits and the view says so.
ReleaseDatasetView RunColumnDrop(bool baseline_drops, bool canary_drops) {
  Harness h;
  for (int i = 0; i < 60; ++i) {
    Load base;
    base.rows = 10000 + 37 * static_cast<std::uint64_t>(i % 7);
    base.nulls = {{"email", 100 + static_cast<std::uint64_t>(i % 5)}, {"legacy", 200}};
    Load canary = base;
    canary.nulls[0].nulls = 100 + static_cast<std::uint64_t>((i + 2) % 5);
    if (i >= 6 && baseline_drops) base.nulls.pop_back();
    if (i >= 6 && canary_drops) canary.nulls.pop_back();
    h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, base);
    h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 30000, canary);
  }
  return h.View();
}

TEST(JudgeDroppedColumn, DroppedByBothArmsStopsHoldingPromotion) {
  const ReleaseDatasetView kept = RunColumnDrop(false, false);
  const ReleaseDatasetView dropped = RunColumnDrop(true, true);
  EXPECT_EQ(kept.decision, Decision::kPromote) << kept.reason;
  EXPECT_EQ(dropped.decision, Decision::kPromote) << dropped.reason;
}

TEST(JudgeDroppedColumn, DroppedByTheCanaryOnlyHoldsPromotionAndSaysSo) {
  const ReleaseDatasetView v = RunColumnDrop(false, true);
  EXPECT_EQ(v.decision, Decision::kContinue) << v.reason;
  const CheckEvidence* legacy = FindCheck(v, "null_rate(legacy)");
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(legacy->verdict, Verdict::kNotEvaluated);
  EXPECT_EQ(legacy->sentence,
            "null_rate(legacy): not in the canary's latest load while the baseline still reports "
            "it; holds promotion");
}

// Freshness's absolute margin: a canary landing 2 s after schedule where the baseline lands in 1 s
// is twice as late and irrelevant to a 15-minute promise. It rolled back when the margin was
// relative only; now it promotes under the default +30s, and rolls back again without it. A
// canary two minutes later than a two-minute baseline is still a regression.
ReleaseDatasetView RunFreshnessSplit(double baseline_s, double canary_s, EngineOptions options) {
  Harness h(options);
  for (int i = 0; i < 40; ++i) {
    Load base;
    base.rows = 10000 + 37 * static_cast<std::uint64_t>(i % 7);
    base.freshness_s = baseline_s * (1.0 + 0.1 * (i % 5));
    Load canary = base;
    canary.freshness_s = canary_s * (1.0 + 0.1 * ((i + 2) % 5));
    h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, base);
    h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 30000, canary);
  }
  return h.View();
}

// A key column the baseline never leaves null, and a canary with a few nulls in it: the +0.1pp
// margin says 0.06% is inside and 0.2% is not. The margin was read at the baseline's 64-load
// pooled level while the effect's baseline level shrank with every count-free load of the
// release, so 0.06% rolled back after 111 loads.
Decision RunNeverNullColumn(std::uint64_t canary_nulls_per_10k, std::string* reason) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = 1000;  // watch all 200 loads
  Harness h(options);
  for (int i = 0; i < 200; ++i) {
    Load base;
    base.nulls = {{"id", 0}};
    Load canary;
    canary.nulls = {{"id", canary_nulls_per_10k}};
    h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, base);
    h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 30000, canary);
  }
  const ReleaseDatasetView v = h.View();
  *reason = v.reason;
  return v.decision;
}

TEST(JudgeNeverNullColumn, NullsInsideTheAbsoluteMarginDoNotRollBack) {
  std::string reason;
  EXPECT_EQ(RunNeverNullColumn(6, &reason), Decision::kContinue) << reason;  // 0.06%
  EXPECT_EQ(RunNeverNullColumn(9, &reason), Decision::kContinue) << reason;  // 0.09%
  EXPECT_EQ(RunNeverNullColumn(20, &reason), Decision::kRollback);           // 0.2%
  EXPECT_NE(reason.find("null_rate(id) 0.20% vs 0.00% baseline"), std::string::npos) << reason;
}

// The margin gate. At 100k rows a load's null rate is measured to within its jitter, so a canary
// at x1.15 is shown worse than the baseline within a few dozen loads; the margin (x1.2) says that
// is not worth a rollback. Gated on the recent point estimate, noise lifted it past x1.2 and
// 83% of such releases rolled back (judge study, inside_null_1_to_1.15_r100k_j15); rolling back
// now also needs evidence that the effect exceeds the margin.
Scenario HighVolumeNullRate(std::uint64_t seed, double canary_rate) {
  Scenario s = Base(seed);
  s.loads = 800;
  s.baseline.rows_median = 100000;
  s.baseline.rate_jitter = 0.15;
  s.canary = s.baseline;
  s.canary.column_null_rates = {{"email", canary_rate}};
  return s;
}

TEST(JudgeMarginGate, AHighVolumeEffectInsideTheMarginRarelyRollsBack) {
  EngineOptions never_promote;  // run the whole release: promotion would end some early
  never_promote.judge.promote_min_canary_loads = 1 << 30;
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) { return HighVolumeNullRate(seed, 0.0115); }, 3100, 40, never_promote);
  // The study measures 8.6% at x1.15 (early, while the whole release's estimate is still
  // uncertain, a standard error past the margin by chance); 5 of these 40 seeds. The recent point
  // estimate rolled back all 40.
  ExpectAtMostRollBacks(outcomes, 6);
  // Half the margin: none.
  ExpectAtMostRollBacks(RunSeeds([](std::uint64_t seed) { return HighVolumeNullRate(seed, 0.011); },
                                 3150, 16, never_promote),
                        0);
}

TEST(JudgeMarginGate, AnEffectBeyondTheMarginStillRollsBackQuickly) {
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return HighVolumeNullRate(seed, 0.015); }, 3200, 8);
  ExpectEveryRunRollsBackWith(outcomes, "null_rate(email)");
  for (const auto& o : outcomes) EXPECT_LE(o.canary_loads, 40) << Describe(o);
}

// Twice the margin's distance from it (x1.4 against x1.2): the beyond-margin e-process sees only
// the effect past the margin, (log 1.4 - log 1.2)^2 = 1/5 of what the regression test sees, and
// alone took up to 17 canary loads on these seeds (7 now); the whole release's estimate, a standard
// error past the margin, does not wait for it.
TEST(JudgeMarginGate, AnEffectNearTheMarginIsNotHeldBackLong) {
  const auto outcomes =
      RunSeeds([](std::uint64_t seed) { return HighVolumeNullRate(seed, 0.014); }, 3400, 8);
  ExpectEveryRunRollsBackWith(outcomes, "null_rate(email)");
  for (const auto& o : outcomes) EXPECT_LE(o.canary_loads, 7) << Describe(o);
}

// Runs `s` until null_rate(email) is first past its rollback threshold: the check must say WARN,
// that the margin is not shown yet (with both evidences), and nothing may roll back.
void ExpectTheViewSaysTheMarginIsNotShownYet(sim::Scenario s, const std::string& method,
                                             const std::string& margin) {
  EngineOptions never_promote;
  never_promote.judge.promote_min_canary_loads = 1 << 30;
  Harness h(never_promote, "ds.orders");
  s.release = "r1";
  s.dataset = "ds.orders";
  sim::LoadSimulator simulator(s);
  Sample sample;
  bool warned = false;
  while (!warned && simulator.Next(&sample)) {
    h.Apply(sample);
    if (sample.arm != Arm::kCanary) continue;
    const ReleaseDatasetView view = h.View();
    const CheckEvidence* email = FindCheck(view, "null_rate(email)");
    if (email == nullptr || email->log_e_regression < email->log_threshold) continue;
    warned = true;
    EXPECT_EQ(email->verdict, Verdict::kWarn) << email->sentence;
    EXPECT_EQ(email->method, method);
    EXPECT_TRUE(email->margin_tested);
    EXPECT_LT(email->log_e_beyond_margin, email->log_margin_threshold);
    EXPECT_NE(email->sentence.find("not shown beyond the " + margin + " margin (evidence "),
              std::string::npos)
        << email->sentence;
  }
  EXPECT_TRUE(warned) << "the canary was never shown worse than the baseline";
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
}

// While the margin is not shown, the check says so (WARN), with both evidences.
TEST(JudgeMarginGate, TheViewSaysTheMarginIsNotShownYet) {
  ExpectTheViewSaysTheMarginIsNotShownYet(HighVolumeNullRate(3300, 0.0115), "split", "20%");
}

// The counts method's margin gate. A column null in 0.03% of rows (3 a load: the counts method)
// has the +0.1 point margin, x4.3 at that level; a canary at 0.1% (x3.3) is real and inside it.
// Gated on the recent window's pooled estimate, noise lifted it past the margin in 8.7% of such
// releases (judge study, inside_null_0.03_to_0.1_r10k_j15); now 0.7%.
Scenario SparseNullRate(std::uint64_t seed, double canary_rate, int regression_after = 0) {
  Scenario s = Base(seed);
  s.loads = 1200;
  s.baseline.rate_jitter = 0.15;
  s.baseline.column_null_rates = {{"email", 0.0003}};
  s.canary = s.baseline;
  s.canary.column_null_rates = {{"email", canary_rate}};
  s.regression_after_canary_loads = regression_after;
  return s;
}

TEST(JudgeCountsMarginGate, ASparseEffectInsideTheAbsoluteMarginRarelyRollsBack) {
  EngineOptions never_promote;
  never_promote.judge.promote_min_canary_loads = 1 << 30;
  const auto outcomes = RunSeeds([](std::uint64_t seed) { return SparseNullRate(seed, 0.001); },
                                 5100, 60, never_promote);
  ExpectAtMostRollBacks(outcomes, 1);
}

TEST(JudgeCountsMarginGate, ASparseRegressionPastTheMarginRollsBack) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = SparseNullRate(seed, 0.003);
        s.loads = 200;
        return s;
      },
      5200, 8);
  ExpectEveryRunRollsBackWith(outcomes, "null_rate(email)");
  for (const auto& o : outcomes) EXPECT_LE(o.canary_loads, 12) << Describe(o);
}

// From mid-release: the margin's e-process must pick the change up after 40 healthy loads, in
// which every ratio above the margin lost on every count. Without a bet on the null ratio itself
// (the wealth fell to log e -19) and with the canary's loads capped at the baseline's level (a
// canary at x10 read as x4, never past x4.3) the gate waited for the whole release's diluted
// estimate: a median of 27 canary loads from the change (study); now 14.
TEST(JudgeCountsMarginGate, ASparseRegressionFromMidReleaseIsNotHeldBack) {
  EngineOptions never_promote;
  never_promote.judge.promote_min_canary_loads = 1 << 30;
  const auto outcomes = RunSeeds([](std::uint64_t seed) { return SparseNullRate(seed, 0.003, 40); },
                                 5300, 9, never_promote);
  ExpectEveryRunRollsBackWith(outcomes, "null_rate(email)");
  std::vector<int> after_change;
  for (const auto& o : outcomes) after_change.push_back(o.canary_loads - 40);
  std::sort(after_change.begin(), after_change.end());
  EXPECT_LE(after_change[after_change.size() / 2], 18);
  EXPECT_GT(after_change.front(), 0) << "rolled back before the change";
}

// While the margin is not shown, a counts-method check says so too.
TEST(JudgeCountsMarginGate, TheViewSaysTheMarginIsNotShownYet) {
  ExpectTheViewSaysTheMarginIsNotShownYet(SparseNullRate(5400, 0.001), "split_counts", "+0.1pp");
}

TEST(JudgeFreshnessMargin, SecondsLaterOnASecondsBaselineIsInsideTheAbsoluteMargin) {
  const ReleaseDatasetView promoted = RunFreshnessSplit(2.0, 4.0, EngineOptions{});
  EXPECT_EQ(promoted.decision, Decision::kPromote) << promoted.reason;
  const CheckEvidence* freshness = FindCheck(promoted, "freshness");
  ASSERT_NE(freshness, nullptr);
  EXPECT_EQ(freshness->verdict, Verdict::kPass);
  EXPECT_DOUBLE_EQ(freshness->margin_absolute, 30.0);
  EXPECT_NE(freshness->sentence.find("shown no worse than the +30s margin"), std::string::npos)
      << freshness->sentence;
  // The late-load tail follows freshness's policy but keeps its own margin, a share of loads: the
  // seconds once showed in its sentence as "+3e+03pp".
  const CheckEvidence* tail = FindCheck(promoted, "freshness_tail");
  ASSERT_NE(tail, nullptr);
  EXPECT_TRUE(tail->margin_absolute == 0.0 ||
              tail->margin_absolute == JudgeOptions{}.freshness_tail_margin_absolute)
      << tail->margin_absolute;
  EXPECT_EQ(tail->sentence.find("3e+03"), std::string::npos) << tail->sentence;

  EngineOptions relative_only;
  relative_only.judge.freshness_margin_absolute_s = 0;
  const ReleaseDatasetView rolled_back = RunFreshnessSplit(2.0, 4.0, relative_only);
  EXPECT_EQ(rolled_back.decision, Decision::kRollback);
  EXPECT_EQ(rolled_back.deciding_check, "freshness") << rolled_back.reason;
}

TEST(JudgeFreshnessMargin, MinutesLaterStillRollsBack) {
  const ReleaseDatasetView v = RunFreshnessSplit(120.0, 240.0, EngineOptions{});
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.deciding_check, "freshness") << v.reason;
  // At a 10-minute baseline the relative 20% margin is the larger: +30s is below it.
  const ReleaseDatasetView slow = RunFreshnessSplit(600.0, 900.0, EngineOptions{});
  EXPECT_EQ(slow.decision, Decision::kRollback);
  EXPECT_EQ(slow.deciding_check, "freshness") << slow.reason;
  const CheckEvidence* freshness = FindCheck(slow, "freshness");
  ASSERT_NE(freshness, nullptr);
  EXPECT_DOUBLE_EQ(freshness->margin_absolute, 0.0);
}

// Far beyond the absolute margin on a seconds baseline with a history: 2 s -> 90 s (margin
// 2 s + 30 s, x11). Each value was clipped to the baseline's median + max(3 robust sd, ln 2), ~4 s
// here, before it was scored, so the canary's effect could never clear its margin: it was
// promoted after 10 canary loads. The clip is now at least twice the margin wide.
TEST(JudgeFreshnessMargin, FarBeyondTheAbsoluteMarginOnASecondsBaselineIsNotPromoted) {
  Harness h;
  const auto load = [](int i, double seconds) {
    Load l;
    l.rows = 10000 + 37 * static_cast<std::uint64_t>(i % 7);
    l.freshness_s = seconds * (1.0 + 0.1 * (i % 5));
    return l;
  };
  for (int i = 0; i < 30; ++i) h.Baseline("h" + std::to_string(i), kT0 + i * kMinute, load(i, 2));
  for (int i = 30; i < 100; ++i) {
    h.Baseline("b" + std::to_string(i), kT0 + i * kMinute, load(i, 2));
    h.Canary("c" + std::to_string(i), kT0 + i * kMinute + 30000, load(i + 2, 90));
  }
  const ReleaseDatasetView v = h.View();
  EXPECT_EQ(v.decision, Decision::kRollback) << v.reason;
  EXPECT_EQ(v.deciding_check, "freshness") << v.reason;
  const CheckEvidence* freshness = FindCheck(v, "freshness");
  ASSERT_NE(freshness, nullptr);
  EXPECT_FALSE(freshness->non_inferior) << freshness->sentence;
}

// Shadow mode where a load's canary report arrives before its baseline report (the canary is
// often the faster arm). Run in a child process: a crash must fail this test, not the binary.
[[noreturn]] void RunCanaryFirstShadowPairs() {
  Harness h;
  for (int i = 0; i < 30; ++i) {
    const std::string id = "p" + std::to_string(i);
    Load load;
    load.rows = 10000 + 211 * static_cast<std::uint64_t>(i % 5);
    h.Canary(id, kT0 + i * kMinute + 500, load);
    h.Baseline(id, kT0 + i * kMinute + 4000, load);
  }
  const ReleaseDatasetView v = h.View();
  const CheckEvidence* rows = FindCheck(v, "row_count");
  // A decided view is frozen at its decision, so the loads are those seen by then.
  // The canary reports first, so at a decision it may be one load ahead.
  const bool ok = v.canary_loads > 0 && v.canary_loads - v.baseline_loads <= 1 && rows != nullptr &&
                  rows->method == "paired" && v.decision != Decision::kRollback;
  if (!ok)
    std::fprintf(stderr, "canary=%llu baseline=%llu rows=%s decision=%s\n",
                 (unsigned long long)v.canary_loads, (unsigned long long)v.baseline_loads,
                 rows ? std::string(rows->method).c_str() : "none",
                 std::string(DecisionName(v.decision)).c_str());
  std::exit(ok ? 0 : 1);
}

TEST(JudgeShadowPairing, CanaryReportingFirstIsPaired) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(RunCanaryFirstShadowPairs(), ::testing::ExitedWithCode(0), "");
}

TEST(JudgeShadowPairing, BaselineReportingFirstIsPaired) {
  Harness h;
  for (int i = 0; i < 30; ++i) {
    const std::string id = "p" + std::to_string(i);
    Load load;
    load.rows = 10000 + 211 * static_cast<std::uint64_t>(i % 5);
    h.Baseline(id, kT0 + i * kMinute + 500, load);
    h.Canary(id, kT0 + i * kMinute + 4000, load);
  }
  const ReleaseDatasetView v = h.View();
  const CheckEvidence* rows = FindCheck(v, "row_count");
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->method, "paired");
  EXPECT_EQ(v.decision, Decision::kPromote) << v.reason;
}

// ---------------------------------------------------------------------------------------------
// Zero variance.

TEST(JudgeZeroVariance, ShadowAAWithIdenticalCountsPromotes) {
  for (double jitter : {0.0, 0.3}) {
    const auto outcomes = RunSeeds(
        [jitter](std::uint64_t seed) {
          Scenario s = sim::AaScenario(seed, jitter, 10000, 0.5, /*shadow=*/true);
          s.loads = 100;
          return s;
        },
        1600, 5);
    for (const auto& o : outcomes) {
      EXPECT_EQ(o.decision, Decision::kPromote) << "jitter " << jitter << ": " << Describe(o);
      EXPECT_EQ(o.check, "all");
    }
  }
}

// Split mode, both arms report the very same constant figures on every load.
void FeedConstantSplit(Harness* h, const Load& load, int slots) {
  for (int i = 0; i < slots; ++i) {
    h->Baseline("b" + std::to_string(i), kT0 + i * kMinute + 1000, load);
    h->Canary("c" + std::to_string(i), kT0 + i * kMinute + 4000, load);
  }
}

TEST(JudgeZeroVariance, DeterministicSplitWithIdenticalConstantsNeverRollsBack) {
  Harness h;
  Load load;
  load.rows = 1000;
  load.nulls = {{"email", 10}};
  load.duplicates = 20;
  load.freshness_s = 60;
  FeedConstantSplit(&h, load, 150);
  for (const auto& v : h.decided()) EXPECT_NE(v.decision, Decision::kRollback) << v.reason;
  const ReleaseDatasetView view = h.View();
  EXPECT_NE(view.decision, Decision::kRollback);
  for (const auto& c : view.checks) {
    if (!IsStatistical(c)) continue;
    EXPECT_TRUE(std::isfinite(c.log_e_regression)) << c.check;
    EXPECT_LT(c.log_e_regression, c.log_threshold) << c.sentence;
  }
  // Nothing differs, so the release should be shown no worse than its margins.
  EXPECT_EQ(view.decision, Decision::kPromote) << view.reason;
}

TEST(JudgeZeroVariance, ColumnWithoutNullsInEitherArmDoesNotBlockPromotion) {
  // customer_id is never null in either arm (the usual case for a key column): 0 of 1000 rows
  // per load, in both arms, on every load. That is clearly no worse than the +0.1pp margin.
  Harness h;
  Load load;
  load.rows = 1000;
  load.nulls = {{"email", 10}, {"customer_id", 0}};
  load.duplicates = 20;
  load.freshness_s = 60;
  FeedConstantSplit(&h, load, 150);
  const ReleaseDatasetView view = h.View();
  const CheckEvidence* c = FindCheck(view, "null_rate(customer_id)");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(view.decision, Decision::kPromote)
      << "after 150 identical loads per arm; customer_id: " << c->sentence;
}

// ---------------------------------------------------------------------------------------------
// Missing arms and arms at different rates.

TEST(JudgeMissingArms, BaselineNeverReportsGivesNoDecisionAndInconclusiveChecks) {
  Harness h;
  Load bad;
  bad.nulls = {{"email", 5000}};  // 50% null: would be a glaring regression against anything
  for (int i = 0; i < 40; ++i) h.Canary("c" + std::to_string(i), kT0 + i * kMinute, bad);
  EXPECT_TRUE(h.decided().empty());
  const ReleaseDatasetView view = h.View();
  EXPECT_EQ(view.decision, Decision::kContinue);
  EXPECT_EQ(view.canary_loads, 40u);
  EXPECT_EQ(view.baseline_loads, 0u);
  int statistical = 0;
  for (const auto& c : view.checks) {
    if (!IsStatistical(c)) continue;
    ++statistical;
    EXPECT_EQ(c.verdict, Verdict::kInconclusive) << c.check;
    EXPECT_NE(c.sentence.find("no baseline"), std::string::npos) << c.sentence;
  }
  // row_count, freshness, freshness_tail, duplicate_rate, null_rate(email)
  EXPECT_EQ(statistical, 5);
}

TEST(JudgeMissingArms, BaselineOnlyBeforeTheReleaseIsStillInconclusive) {
  Harness h;
  for (int i = 0; i < 20; ++i) h.Baseline("h" + std::to_string(i), kT0 + i * kMinute, Load{});
  for (int i = 0; i < 20; ++i) h.Canary("c" + std::to_string(i), kT0 + (30 + i) * kMinute, Load{});
  EXPECT_TRUE(h.decided().empty());
  for (const auto& c : h.View().checks) {
    if (IsStatistical(c)) {
      EXPECT_EQ(c.verdict, Verdict::kInconclusive) << c.check;
    }
  }
}

TEST(JudgeArmsAtDifferentRates, DetectsNullRateDoublingWithCanaryOnTenPercentOfLoads) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = sim::NullRateScenario(seed, 0.01, 0.02, 10000, 0.1, 0.3);
        s.loads = 1500;
        return s;
      },
      1700, 8);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
    EXPECT_EQ(o.check.rfind("null_rate(", 0), 0u) << Describe(o);
  }
}

TEST(JudgeArmsAtDifferentRates, DetectsNullRateDoublingWithCanaryOnHalfOfLoads) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) { return sim::NullRateScenario(seed, 0.01, 0.02, 10000, 0.5, 0.3); },
      1800, 8);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.decision, Decision::kRollback) << Describe(o);
    EXPECT_EQ(o.check.rfind("null_rate(", 0), 0u) << Describe(o);
  }
}

TEST(JudgeArmsAtDifferentRates, QuietOnAAWithCanaryOnTenPercentOfLoads) {
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = sim::AaScenario(seed, 0.3, 10000, 0.1, false);
        s.loads = 1000;
        return s;
      },
      1900, 20));
}

TEST(JudgeArmsAtDifferentRates, QuietOnAAWithCanaryOnNinetyPercentOfLoads) {
  ExpectNoRunRollsBack(RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = sim::AaScenario(seed, 0.3, 10000, 0.9, false);
        s.loads = 400;
        return s;
      },
      2000, 20));
}

// ---------------------------------------------------------------------------------------------
// Warm-up, promotion, and decisions that never flap.

TEST(JudgeWarmUp, TooFewLoadsLeaveChecksNotEvaluated) {
  Harness h;
  for (int i = 0; i < 20; ++i) {
    Load base;
    base.nulls = {{"email", 100 + static_cast<std::uint64_t>(i % 5)}};
    h.Baseline("h" + std::to_string(i), kT0 + i * kMinute, base);
  }
  Load bad;
  bad.nulls = {{"email", 3000}};  // 30x the baseline's rate, but not every row
  std::int64_t t = kT0 + 20 * kMinute;
  for (int i = 0; i < 2; ++i, t += kMinute) {
    h.Canary("c" + std::to_string(i), t, bad);
    h.Baseline("b" + std::to_string(i), t + 1000, Load{});
  }
  EXPECT_TRUE(h.decided().empty());
  const ReleaseDatasetView view = h.View();
  EXPECT_EQ(view.decision, Decision::kContinue);
  int statistical = 0;
  for (const auto& c : view.checks) {
    if (!IsStatistical(c)) continue;
    ++statistical;
    EXPECT_EQ(c.verdict, Verdict::kNotEvaluated) << c.check;
    EXPECT_NE(c.sentence.find("warming up"), std::string::npos) << c.sentence;
  }
  EXPECT_EQ(statistical, 5);

  // Past the warm-up the same regression is decided quickly.
  for (int i = 2; i < 12 && h.decided().empty(); ++i, t += kMinute) {
    h.Canary("c" + std::to_string(i), t, bad);
    h.Baseline("b" + std::to_string(i), t + 1000, Load{});
  }
  ASSERT_EQ(h.decided().size(), 1u);
  EXPECT_EQ(h.decided()[0].decision, Decision::kRollback);
  EXPECT_EQ(h.decided()[0].deciding_check, "null_rate(email)");
  EXPECT_GE(h.decided()[0].canary_loads, 3u);
}

TEST(JudgePromotion, NeedsPromoteMinCanaryLoads) {
  for (int min_loads : {10, 30}) {
    EngineOptions options;
    options.judge.promote_min_canary_loads = min_loads;
    const auto outcomes = RunSeeds(
        [](std::uint64_t seed) {
          Scenario s = sim::AaScenario(seed, 0.0, 10000, 0.5, /*shadow=*/true);
          s.loads = 100;
          return s;
        },
        2100, 3, options);
    for (const auto& o : outcomes) {
      EXPECT_EQ(o.decision, Decision::kPromote) << Describe(o);
      EXPECT_GE(o.canary_loads, min_loads) << Describe(o);
    }
  }
}

// A shadow A/A whose only rate is a sparse one (0.15 duplicates per 300-row load) is shown no worse
// than the +0.1pp margin within 400 loads. The margin is added to the baseline's pooled rate; an
// average of per-load values (a load with no duplicate reads as 0.5 / 301 = 0.17%) put 0.05% at
// ~0.2% and the margin at x1.5 instead of x2.9, and a release like this in the benchmark mix went
// 1,219 canary loads without a decision.
TEST(JudgePromotion, ASparseRatePromotesOnItsAbsoluteMargin) {
  const auto outcomes = RunSeeds(
      [](std::uint64_t seed) {
        Scenario s = sim::AaScenario(seed, 0.0, 300, 0.5, /*shadow=*/true);
        s.loads = 400;
        s.baseline.null_rate = 0.0;
        s.baseline.duplicate_rate = 0.0005;
        s.canary = s.baseline;
        return s;
      },
      2150, 5);
  for (const auto& o : outcomes) EXPECT_EQ(o.decision, Decision::kPromote) << Describe(o);
}

TEST(JudgePromotion, DoesNotPromoteWithoutEnoughCanaryLoadsEvenWhenIdentical) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = 1000;
  Scenario s = sim::AaScenario(2200, 0.0, 10000, 0.5, true);
  s.loads = 100;
  EXPECT_EQ(RunRelease(s, options).decision, Decision::kContinue);
}

TEST(JudgeNeverFlaps, RollbackStaysAfterHealthyCanaryLoads) {
  Harness h;
  for (int i = 0; i < 10; ++i) h.Baseline("h" + std::to_string(i), kT0 + i * kMinute, Load{});
  Load changed;
  changed.schema = "sha256:other";
  h.Canary("c0", kT0 + 10 * kMinute, changed);
  ASSERT_EQ(h.decided().size(), 1u);
  const ReleaseDatasetView first = h.decided()[0];
  ASSERT_EQ(first.decision, Decision::kRollback);

  for (int i = 1; i < 100; ++i) {
    const std::int64_t t = kT0 + (10 + i) * kMinute;
    EXPECT_EQ(h.Canary("c" + std::to_string(i), t, Load{}), ApplyOutcome::kAfterDecision);
    EXPECT_EQ(h.Baseline("b" + std::to_string(i), t + 1000, Load{}), ApplyOutcome::kApplied);
  }
  EXPECT_EQ(h.decided().size(), 1u);
  const ReleaseDatasetView later = h.View();
  EXPECT_EQ(later.decision, Decision::kRollback);
  EXPECT_EQ(later.deciding_check, first.deciding_check);
  EXPECT_EQ(later.decided_at_ms, first.decided_at_ms);
  EXPECT_EQ(later.reason, first.reason);
  EXPECT_EQ(later.canary_loads, 1u);
}

TEST(JudgeNeverFlaps, PromoteStaysWhenTheCanaryTurnsBad) {
  Harness h;
  int i = 0;
  for (; i < 200 && h.decided().empty(); ++i) {
    const std::string id = "p" + std::to_string(i);
    Load load;
    load.rows = 10000 + 101 * static_cast<std::uint64_t>(i % 9);
    h.Baseline(id, kT0 + i * kMinute, load);
    h.Canary(id, kT0 + i * kMinute + 4000, load);  // shadow, identical
  }
  ASSERT_EQ(h.decided().size(), 1u);
  ASSERT_EQ(h.decided()[0].decision, Decision::kPromote);
  Load bad;
  bad.nulls = {{"email", bad.rows}};
  bad.schema = "sha256:broken";
  for (int j = 0; j < 20; ++j, ++i) {
    const std::string id = "p" + std::to_string(i);
    h.Baseline(id, kT0 + i * kMinute, Load{});
    EXPECT_EQ(h.Canary(id, kT0 + i * kMinute + 4000, bad), ApplyOutcome::kAfterDecision);
  }
  EXPECT_EQ(h.decided().size(), 1u);
  EXPECT_EQ(h.View().decision, Decision::kPromote);
}

TEST(JudgeReleases, EachReleaseOfADatasetIsJudgedOnItsOwn) {
  // Two releases under test at once on one dataset: the bad one rolls back, the good one does
  // not inherit its decision.
  Harness h;
  Load bad;
  bad.schema = "sha256:other";
  for (int i = 0; i < 60; ++i) {
    const std::int64_t t = kT0 + i * kMinute;
    h.Baseline("b" + std::to_string(i), t, Load{});
    h.Canary("good" + std::to_string(i), t + 2000, Load{}, "good-release");
    h.Canary("bad" + std::to_string(i), t + 3000, bad, "bad-release");
  }
  EXPECT_EQ(h.View("bad-release").decision, Decision::kRollback);
  EXPECT_NE(h.View("good-release").decision, Decision::kRollback);
  EXPECT_EQ(h.monitor().releases(), 2u);
}

}  // namespace
}  // namespace canaryd
