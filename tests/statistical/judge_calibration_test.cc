// The judge's promises, measured on seeded simulations (design §4): A/A canaries on overdispersed
// loads are rarely rolled back, and a real regression is caught in a few loads. Labelled
// "statistical"; run alone with `ctest -L statistical`.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detector/sim/release_runner.h"

namespace canaryd::sim {
namespace {

struct StudyResult {
  int releases = 0;
  int rolled_back = 0;
  int promoted = 0;
  std::vector<int> loads_to_rollback;

  double RollbackShare() const { return static_cast<double>(rolled_back) / releases; }
  int MedianLoads() const {
    if (loads_to_rollback.empty()) return -1;
    std::vector<int> v = loads_to_rollback;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  }
};

template <class MakeScenario>
StudyResult Study(int releases, MakeScenario make) {
  const EngineOptions options;  // the built-in defaults, alpha = 0.01
  StudyResult r;
  r.releases = releases;
  for (int i = 0; i < releases; ++i) {
    const ReleaseOutcome o = RunRelease(make(static_cast<std::uint64_t>(10'000 + i)), options);
    if (o.decision == Decision::kRollback) {
      ++r.rolled_back;
      r.loads_to_rollback.push_back(o.canary_loads);
    } else if (o.decision == Decision::kPromote) {
      ++r.promoted;
    }
  }
  return r;
}

void Report(const char* name, const StudyResult& r) {
  std::printf("[study] %s: releases=%d rolled_back=%d (%.4f) promoted=%d median_loads=%d\n", name,
              r.releases, r.rolled_back, r.RollbackShare(), r.promoted, r.MedianLoads());
  ::testing::Test::RecordProperty(std::string(name) + "_rollback_share",
                                  std::to_string(r.RollbackShare()));
}

// Every check of every release runs at alpha = 0.01 in total; the bound leaves room for the
// sampling error of 2,000 releases (sd of a 1% share is 0.22%).
constexpr double kAaBound = 0.015;
constexpr int kAaReleases = 2000;

struct AaCase {
  const char* name;
  double jitter;  // per-load rate jitter, same for both arms (0.3 = +-30%)
  double rows;    // rows per load
  double canary_share;
  int loads;
};

class JudgeCalibration : public ::testing::TestWithParam<AaCase> {};

TEST_P(JudgeCalibration, OverdispersedAaReleasesAreRarelyRolledBack) {
  const AaCase c = GetParam();
  const StudyResult r = Study(kAaReleases, [&](std::uint64_t seed) {
    Scenario s = AaScenario(seed, c.jitter, c.rows, c.canary_share, /*shadow=*/false);
    s.loads = c.loads;
    return s;
  });
  Report(c.name, r);
  EXPECT_LE(r.RollbackShare(), kAaBound);
}

INSTANTIATE_TEST_SUITE_P(
    Split, JudgeCalibration,
    ::testing::Values(AaCase{"aa_jitter30_10k_share50", 0.3, 10'000, 0.5, 200},
                      AaCase{"aa_jitter30_10k_share10", 0.3, 10'000, 0.1, 400},
                      AaCase{"aa_jitter60_100k_share50", 0.6, 100'000, 0.5, 200},
                      AaCase{"aa_jitter30_300rows_share50", 0.3, 300, 0.5, 200}),
    [](const ::testing::TestParamInfo<AaCase>& param) { return std::string(param.param.name); });

TEST(JudgeShadowCalibration, AaShadowIsNeverRolledBackAndIsPromoted) {
  const StudyResult r = Study(kAaReleases, [](std::uint64_t seed) {
    Scenario s = AaScenario(seed, 0.3, 10'000, 0.5, /*shadow=*/true);
    s.loads = 100;
    return s;
  });
  Report("aa_shadow_jitter30_10k", r);
  EXPECT_EQ(r.rolled_back, 0);
  EXPECT_GE(r.promoted, kAaReleases * 99 / 100);
}

TEST(JudgeDetection, NullRateDoublingOnTenPercentOfLoads) {
  const StudyResult r = Study(200, [](std::uint64_t seed) {
    Scenario s = NullRateScenario(seed, 0.01, 0.02, /*rows=*/10'000, /*canary_share=*/0.1,
                                  /*jitter=*/0.3);
    s.loads = 600;
    return s;
  });
  Report("null_rate_1_to_2pct_10k_share10", r);
  EXPECT_GE(r.rolled_back, 198);  // >= 99% of 200
  EXPECT_GT(r.MedianLoads(), 0);
  EXPECT_LE(r.MedianLoads(), 10);
}

TEST(JudgeDetection, NullRateDoublingLowVolume) {
  const StudyResult r = Study(200, [](std::uint64_t seed) {
    Scenario s = NullRateScenario(seed, 0.01, 0.02, 300, 0.5, 0.0);
    s.loads = 400;
    return s;
  });
  Report("null_rate_1_to_2pct_300rows_share50", r);
  EXPECT_GE(r.rolled_back, 198);
}

TEST(JudgeDetection, ShadowRowCountDropIsCaughtByTheToleranceRule) {
  const StudyResult r = Study(200, [](std::uint64_t seed) {
    Scenario s = AaScenario(seed, 0.3, 10'000, 0.5, /*shadow=*/true);
    s.canary.rows_median = s.baseline.rows_median * 0.95;  // 5% of rows lost
    s.loads = 100;
    return s;
  });
  Report("shadow_rows_minus5pct", r);
  EXPECT_EQ(r.rolled_back, 200);
  EXPECT_LE(r.MedianLoads(), 5);
}

// The paired non-inferiority test for sparse shadow rates, on its own (the tolerance rule off, so
// nothing else decides): identical arms promote within a few dozen pairs, while a canary at or
// past the x1.2 margin is promoted no more often than promote_alpha (5%) allows.
struct ShadowMarginResult {
  int promoted = 0;
  int rolled_back = 0;
};

ShadowMarginResult ShadowAtLowVolume(double canary_null_rate, int releases) {
  EngineOptions options;
  options.judge.shadow_tolerance_enabled = false;
  ShadowMarginResult r;
  for (int i = 0; i < releases; ++i) {
    Scenario s = NullRateScenario(static_cast<std::uint64_t>(30'000 + i), 0.01, canary_null_rate,
                                  /*rows=*/300, /*canary_share=*/0.5, /*jitter=*/0.3);
    s.shadow = true;
    s.loads = 300;
    const ReleaseOutcome o = RunRelease(s, options);
    r.promoted += o.decision == Decision::kPromote ? 1 : 0;
    r.rolled_back += o.decision == Decision::kRollback ? 1 : 0;
  }
  std::printf("[study] shadow_300rows null 1%% -> %.2f%%: promoted=%d rolled_back=%d of %d\n",
              100 * canary_null_rate, r.promoted, r.rolled_back, releases);
  return r;
}

TEST(JudgeShadowCalibration, AVerySparseRatePromotesInShadow) {
  // A 0.02% duplicate rate at 343 rows: a count on one load in 14. Promotion waits for it.
  std::vector<int> loads;
  for (int i = 0; i < 200; ++i) {
    Scenario s = AaScenario(static_cast<std::uint64_t>(50'000 + i), 0.3, 343, 0.5, /*shadow=*/true);
    s.baseline.duplicate_rate = s.canary.duplicate_rate = 0.0002;
    s.loads = 400;
    const ReleaseOutcome o = RunRelease(s, EngineOptions{});
    ASSERT_NE(o.decision, Decision::kRollback) << Describe(o);
    loads.push_back(o.decision == Decision::kPromote ? o.canary_loads : 100000);
  }
  std::sort(loads.begin(), loads.end());
  std::printf("[study] shadow_343rows dup 0.02%%: median loads to promote %d, p90 %d\n", loads[100],
              loads[180]);
  EXPECT_LE(loads[100], 55);
  EXPECT_LE(loads[180], 165);
}

TEST(JudgeShadowCalibration, SparseIdenticalArmsPromoteAndTheMarginHolds) {
  constexpr int kReleases = 400;
  EXPECT_GE(ShadowAtLowVolume(0.01, kReleases).promoted, kReleases * 99 / 100);
  EXPECT_LE(ShadowAtLowVolume(0.012, kReleases).promoted, kReleases * 8 / 100);
  EXPECT_LE(ShadowAtLowVolume(0.013, kReleases).promoted, kReleases * 5 / 100);
}

}  // namespace
}  // namespace canaryd::sim
