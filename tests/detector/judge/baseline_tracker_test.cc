#include "detector/judge/baseline_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <vector>

namespace canaryd {
namespace {

// The clip bounds as first written: two selections over the window (median, then the median of
// the absolute deviations), median +- max(3 robust sd, ln 2).
ClipBounds ReferenceBounds(std::vector<double> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double median = *mid;
  for (double& x : v) x = std::abs(x - median);
  std::nth_element(v.begin(), mid, v.end());
  const double half_width = std::max(3.0 * (1.4826 * *mid), 0.6931471805599453);
  return ClipBounds{median - half_width, median + half_width};
}

TEST(BaselineTrackerTest, ClipBoundsAreTheWindowsMedianAndDeviation) {
  std::mt19937_64 rng(20261202);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::uniform_int_distribution<int> level(0, 6);
  for (int seed = 0; seed < 20; ++seed)
    for (const bool ties : {false, true}) {
      BaselineTracker tracker;
      std::deque<double> window;  // the last 64 values
      Sample sample;
      sample.dataset = "ds";
      sample.rows = 1000;
      for (int load = 1; load <= 200; ++load) {
        // With ties, a skewed few levels: the deviation often comes from one side only.
        const double value =
            ties ? (seed % 2 == 0 ? level(rng) * 0.5 : std::min(level(rng), 2) * 1.0)
                 : noise(rng) * (load % 7 == 0 ? 10.0 : 1.0);
        tracker.Add(sample, {LoadValue{MetricRegistry::kRowCount, value}});
        window.push_back(value);
        if (window.size() > 64) window.pop_front();
        // Recomputed on each of the first 8 loads, then every 16th.
        if (load == 8 || (load > 8 && (load - 8) % 16 == 0)) {
          std::vector<double> sorted(window.begin(), window.end());
          std::sort(sorted.begin(), sorted.end());
          EXPECT_EQ(tracker.Median(MetricRegistry::kRowCount), sorted[sorted.size() / 2]);
          const ClipBounds expected = ReferenceBounds({window.begin(), window.end()});
          const ClipBounds got = tracker.Bounds(MetricRegistry::kRowCount);
          EXPECT_EQ(got.lo, expected.lo) << "load " << load << " ties " << ties;
          EXPECT_EQ(got.hi, expected.hi) << "load " << load << " ties " << ties;
        }
      }
    }
}

// Freshness's absolute margin is added at the median, which exists from the first load (the
// clip bounds wait for 8).
TEST(BaselineTrackerTest, MedianIsKnownFromTheFirstLoad) {
  BaselineTracker tracker;
  EXPECT_TRUE(std::isnan(tracker.Median(MetricRegistry::kFreshness)));
  Sample sample;
  sample.dataset = "ds";
  for (const double v : {3.0, 1.0, 2.0}) {
    tracker.Add(sample, {LoadValue{MetricRegistry::kFreshness, v}});
  }
  EXPECT_EQ(tracker.Median(MetricRegistry::kFreshness), 2.0);
  EXPECT_EQ(tracker.Bounds(MetricRegistry::kFreshness).hi, ClipBounds{}.hi);
  EXPECT_TRUE(std::isnan(tracker.Median(MetricRegistry::kRowCount)));
}

// The baseline's empty loads before a release (empty_loads' history): the last 64 loads.
TEST(BaselineTrackerTest, EmptyLoadsAreCountedOverTheLast64Loads) {
  BaselineTracker tracker;
  EXPECT_EQ(tracker.EmptyLoads().trials, 0u);
  Sample sample;
  sample.dataset = "ds";
  for (int i = 0; i < 100; ++i) {
    sample.rows = i % 10 == 0 ? 0 : 500;  // loads 0, 10, ..., 90 are empty
    tracker.Add(sample, {});
    if (i == 4) {
      EXPECT_EQ(tracker.EmptyLoads().trials, 5u);
      EXPECT_EQ(tracker.EmptyLoads().hits, 1u);
    }
  }
  EXPECT_EQ(tracker.EmptyLoads().trials, 64u);
  EXPECT_EQ(tracker.EmptyLoads().hits, 6u);  // loads 36..99: 40, 50, ..., 90
}

// The level a rate's absolute margin is added to: counts pooled over the last 64 loads, not an
// average of per-load log rates, which reads every load without a count as 0.5 / rows.
TEST(BaselineTrackerTest, CountsRateIsPooledOverTheWindow) {
  BaselineTracker tracker;
  Sample sample;
  sample.dataset = "ds";
  sample.rows = 300;
  std::deque<std::uint64_t> window;
  for (int load = 1; load <= 100; ++load) {
    const std::uint64_t count = load % 20 == 0 ? 1 : 0;
    tracker.Add(sample, {LoadValue{MetricRegistry::kDuplicateRate, OrientedRate(count, 300), false,
                                   count, 300}});
    window.push_back(count);
    if (window.size() > 64) window.pop_front();
  }
  double k = 0;
  for (const std::uint64_t c : window) k += static_cast<double>(c);
  EXPECT_EQ(tracker.Counts(MetricRegistry::kDuplicateRate).loads, 64u);
  const double rate = tracker.PooledRate(MetricRegistry::kDuplicateRate);
  EXPECT_DOUBLE_EQ(rate, (k + 0.5) / (64.0 * 300.0));
  EXPECT_LT(rate, 0.0003);  // the per-load values alone sit near 0.5 / 301 = 0.17%
}

TEST(BaselineTrackerTest, MedianGapIsTheMiddleOfTheRecentGaps) {
  BaselineTracker tracker;
  Sample sample;
  sample.dataset = "ds";
  const std::vector<std::int64_t> gaps = {60, 300, 120, 60, 900, 60, 240};
  std::int64_t ts = 1'800'000'000'000;
  sample.ts_ms = ts;
  tracker.Add(sample, {});
  EXPECT_EQ(tracker.MedianGapMs(), 0);  // fewer than 3 gaps
  for (std::int64_t g : gaps) {
    ts += g * 1000;
    sample.ts_ms = ts;
    tracker.Add(sample, {});
  }
  // Sorted: 60 60 60 120 240 300 900; the middle one.
  EXPECT_EQ(tracker.MedianGapMs(), 120'000);
}

}  // namespace
}  // namespace canaryd
