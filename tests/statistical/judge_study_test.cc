// A small, fast cut of bench/judge_study (issue 4), so that a change to the judge cannot silently
// break calibration or the measured detection speed. Fixed seeds; the full study and its tables
// are in bench/RESULTS.md ("Judge study (issue 4)").
#include <algorithm>
#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detector/engine/engine_options.h"
#include "detector/sim/release_runner.h"

namespace canaryd::sim {
namespace {

// The study's setting: the baseline ran in production before the release started.
Scenario WithHistory(Scenario s) {
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 30;
  return s;
}

struct Tally {
  int releases = 0;
  int rollbacks = 0;
  std::vector<int> loads;  // canary loads at each rollback
  std::vector<double> silent_minutes;
  int silent_rollbacks = 0;  // by canary_silent

  int Median() const {
    if (loads.empty()) return INT_MAX;
    std::vector<int> v = loads;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  }
};

template <class Make>
Tally RunStudy(int releases, const EngineOptions& options, Make make) {
  Tally t;
  t.releases = releases;
  for (int i = 0; i < releases; ++i) {
    const Scenario s = make(static_cast<std::uint64_t>(77'000 + i));
    const ReleaseOutcome o = RunRelease(s, options);
    if (o.decision != Decision::kRollback) continue;
    ++t.rollbacks;
    t.loads.push_back(o.canary_loads);
    if (o.check == "canary_silent") ++t.silent_rollbacks;
    if (s.canary_silent_after_loads >= 0) {
      // The last canary load finished at its slot + 4 s; in shadow mode every slot has one, in
      // split mode every canary_every-th slot.
      const int every = s.shadow ? 1 : s.canary_every;
      const std::int64_t last_slot =
          static_cast<std::int64_t>(s.canary_silent_after_loads) * every - 1;
      const std::int64_t last_ms = s.start_ts_ms + last_slot * s.interval_ms + 4000;
      t.silent_minutes.push_back(static_cast<double>(o.decided_at_ms - last_ms) / 60000.0);
    }
  }
  std::printf("[study] releases=%d rollbacks=%d (canary_silent %d) median_loads=%d\n", t.releases,
              t.rollbacks, t.silent_rollbacks, t.Median());
  return t;
}

// Without promotion every A/A release is watched for its whole length (200 canary loads), the
// hardest case for an anytime-valid test: alpha = 1% must hold however long it is watched. 1,500
// releases: at a true 1%, 1.6% or more happens with chance < 1%.
TEST(JudgeStudyQuick, AaWithoutPromotionStaysWithinAlphaOnOverdispersedHighVolume) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = INT_MAX;
  const Tally t = RunStudy(1500, options, [](std::uint64_t seed) {
    Scenario s = WithHistory(AaScenario(seed, 0.6, 100'000, 0.5, /*shadow=*/false));
    s.loads = 400;
    return s;
  });
  EXPECT_LE(t.rollbacks, 24);  // 1.6%
}

// A 200-column table splits alpha 205 ways, so each check rolls back only past log(205 / 0.01)
// = 9.9 nats: a tail the narrow table never asks the baseline's plug-in scale for. With 5
// baseline loads of history that scale rests on 4 successive differences when the release starts;
// before the judge discounted its degrees of freedom for deep thresholds, 2.7% of these A/A
// releases rolled back (judge study, aa_wide200_split_j30_r10k_h5: 27 of 1,000). 300 releases at
// the 1% the judge promises would give 3 on average.
Scenario WideTable(std::uint64_t seed, int history) {
  Scenario s = AaScenario(seed, 0.3, 10'000, 0.5, /*shadow=*/false);
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = history;
  s.loads = 400;
  s.columns.clear();
  for (int c = 0; c < 200; ++c) s.columns.push_back("c" + std::to_string(c));
  return s;
}

TEST(JudgeStudyQuick, WideTableWithShortHistoryStaysWithinAlpha) {
  const Tally t =
      RunStudy(300, EngineOptions{}, [](std::uint64_t seed) { return WideTable(seed, 5); });
  EXPECT_LE(t.rollbacks, 3);  // 1%
}

// What the discount costs: one column of the 200 doubling its null rate (1% -> 2%, 10k rows,
// jitter 30%) rolls back after a median of 10 canary loads with 30 loads of history (judge study,
// wide200_null_1_to_2_r10k_j30_h30; 8 before the discount; 6 in the two-column table).
TEST(JudgeStudyQuick, WideTableStillCatchesADoubling) {
  const Tally t = RunStudy(100, EngineOptions{}, [](std::uint64_t seed) {
    Scenario s = WideTable(seed, 30);
    s.canary.column_null_rates = {{"c0", 0.02}};
    s.loads = 600;
    return s;
  });
  EXPECT_GE(t.rollbacks, 99);
  EXPECT_LE(t.Median(), 11);
}

// Late loads in both arms (3% late by 20 min) must not make freshness_tail a false alarm.
TEST(JudgeStudyQuick, AaWithLateTailsInBothArmsStaysWithinAlpha) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = INT_MAX;
  const Tally t = RunStudy(1500, options, [](std::uint64_t seed) {
    Scenario s = WithHistory(AaScenario(seed, 0.3, 300, 0.5, /*shadow=*/false));
    s.loads = 400;
    s.baseline.late_share = 0.03;
    s.baseline.late_extra_s = 1200;
    s.canary = s.baseline;
    return s;
  });
  EXPECT_LE(t.rollbacks, 24);
}

// Issue 4 target: null rate 1% -> 2% at 10k rows with 30% jitter, split 50%: median canary loads
// within 1.4x the fixed-horizon Welch-t n on per-load log rates (5 loads at alpha/K, 80% power;
// computed by bench/judge_study), i.e. at most 7.
TEST(JudgeStudyQuick, NullRateDoublingWithinTheFixedHorizonFactor) {
  const EngineOptions options;
  const Tally t = RunStudy(200, options, [](std::uint64_t seed) {
    Scenario s = WithHistory(NullRateScenario(seed, 0.01, 0.01, 10'000, 0.5, 0.3));
    s.canary.column_null_rates = {{"email", 0.02}};
    s.loads = 600;
    return s;
  });
  EXPECT_GE(t.rollbacks, 198);
  EXPECT_LE(t.Median(), 7);
}

// A late tail (10% of canary loads 20 min late) is caught by freshness_tail, where the log-mean
// freshness test alone let most such releases promote.
TEST(JudgeStudyQuick, HeavyFreshnessTailIsRolledBack) {
  const EngineOptions options;
  const Tally t = RunStudy(200, options, [](std::uint64_t seed) {
    Scenario s = WithHistory(AaScenario(seed, 0.3, 10'000, 0.5, /*shadow=*/false));
    s.canary.late_share = 0.10;
    s.canary.late_extra_s = 1200;
    s.loads = 1200;
    return s;
  });
  EXPECT_GE(t.rollbacks, 190);  // 95%
  EXPECT_LE(t.Median(), 300);
}

// A 5% canary has long runs of baseline-only loads by chance, and its share is barely known from
// its first few loads. The silence rule must not read those runs as a dead canary: with a share
// bounded from the loads so far, 23 of these 2,000 releases were rolled back, most at their 2nd
// canary load; with the run's chance given the canary loads since the first, 4 in all (none
// silent).
TEST(JudgeStudyQuick, AaAtAFivePercentShareIsNotCalledSilent) {
  EngineOptions options;
  options.judge.promote_min_canary_loads = INT_MAX;
  const Tally t = RunStudy(2000, options, [](std::uint64_t seed) {
    Scenario s = WithHistory(AaScenario(seed, 0.0, 300, 0.05, /*shadow=*/false));
    s.loads = 4000;  // ~200 canary loads
    return s;
  });
  EXPECT_LE(t.silent_rollbacks, 3);
  EXPECT_LE(t.rollbacks, 32);  // 1.6%
}

// A canary with a rhythm (shadow, or every 2nd slot) that stops is rolled back once it has been
// silent for the 10-minute floor (3 baseline gaps are less), not after a long statistical wait.
TEST(JudgeStudyQuick, SilentRegularCanaryIsRolledBackAfterTenMinutes) {
  const EngineOptions options;
  for (const bool shadow : {true, false}) {
    const Tally t = RunStudy(100, options, [&](std::uint64_t seed) {
      Scenario s = WithHistory(AaScenario(seed, 0.3, 10'000, 0.5, shadow));
      if (!shadow) s.canary_every = 2;
      s.canary_silent_after_loads = 8;
      s.loads = 200;
      return s;
    });
    ASSERT_EQ(t.rollbacks, 100) << (shadow ? "shadow" : "scheduled split");
    for (const double m : t.silent_minutes) {
      EXPECT_GE(m, 10.0);
      EXPECT_LE(m, 12.0);
    }
  }
}

}  // namespace
}  // namespace canaryd::sim
