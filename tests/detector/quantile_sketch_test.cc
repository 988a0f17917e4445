#include "detector/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

// Float rounding at bucket boundaries may add a few ulps on top of the guaranteed bound.
constexpr double kSlack = 1e-9;

const std::vector<double> kQuantiles = {0.0,  0.001, 0.01, 0.05, 0.1,   0.25, 0.5,
                                        0.75, 0.9,   0.95, 0.99, 0.999, 1.0};

// The lower-rank convention the sketch documents: sorted[floor(q * (n - 1))].
double ExactQuantile(const std::vector<double>& sorted, double q) {
  const auto rank =
      static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
  return sorted[rank];
}

std::vector<double> Lognormal(std::uint64_t seed, std::size_t n, double mu, double sigma) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(mu, sigma);
  std::vector<double> values(n);
  for (double& v : values) v = dist(rng);
  return values;
}

std::vector<double> Uniform(std::uint64_t seed, std::size_t n, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> values(n);
  for (double& v : values) v = dist(rng);
  return values;
}

QuantileSketch SketchOf(const std::vector<double>& values, double accuracy = 0.01,
                        std::size_t max_buckets = 2048) {
  QuantileSketch sketch(accuracy, max_buckets);
  for (double v : values) sketch.Add(v);
  return sketch;
}

void ExpectWithinRelativeError(const std::vector<double>& values, double accuracy) {
  const QuantileSketch sketch = SketchOf(values, accuracy);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(sketch.count(), values.size());
  EXPECT_EQ(sketch.min(), sorted.front());
  EXPECT_EQ(sketch.max(), sorted.back());
  for (double q : kQuantiles) {
    const double exact = ExactQuantile(sorted, q);
    EXPECT_NEAR(sketch.Quantile(q), exact, exact * (accuracy + kSlack)) << "q=" << q;
  }
}

TEST(QuantileSketchTest, EmptyIsNaN) {
  const QuantileSketch sketch;
  EXPECT_TRUE(sketch.empty());
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.0)));
  EXPECT_TRUE(std::isnan(sketch.min()));
  EXPECT_TRUE(std::isnan(sketch.max()));
  EXPECT_EQ(sketch.CountAtOrBelow(900.0), 0.0);
  EXPECT_EQ(sketch.bucket_count(), 0u);
  EXPECT_DOUBLE_EQ(sketch.relative_accuracy(), 0.01);
}

TEST(QuantileSketchTest, InvalidQuantileIsNaN) {
  QuantileSketch sketch;
  sketch.Add(10.0);
  EXPECT_TRUE(std::isnan(sketch.Quantile(-0.1)));
  EXPECT_TRUE(std::isnan(sketch.Quantile(1.5)));
  EXPECT_TRUE(std::isnan(sketch.Quantile(std::nan(""))));
}

TEST(QuantileSketchTest, SingleValue) {
  QuantileSketch sketch;
  sketch.Add(252.0);
  EXPECT_EQ(sketch.count(), 1u);
  EXPECT_EQ(sketch.bucket_count(), 1u);
  // Clamping into [min, max] makes a single value exact at every q.
  for (double q : kQuantiles) EXPECT_EQ(sketch.Quantile(q), 252.0) << "q=" << q;
}

TEST(QuantileSketchTest, LowerRankConvention) {
  QuantileSketch sketch(0.001);
  for (double v : {1.0, 2.0, 3.0, 4.0}) sketch.Add(v);
  // rank floor(0.5 * 3) = 1 -> the second value, not an interpolation.
  EXPECT_NEAR(sketch.Quantile(0.5), 2.0, 2.0 * 0.001);
  EXPECT_NEAR(sketch.Quantile(0.66), 2.0, 2.0 * 0.001);
  EXPECT_NEAR(sketch.Quantile(0.67), 3.0, 3.0 * 0.001);
  EXPECT_EQ(sketch.Quantile(0.0), 1.0);
  EXPECT_EQ(sketch.Quantile(1.0), 4.0);
}

TEST(QuantileSketchTest, AccurateOnLognormal) {
  ExpectWithinRelativeError(Lognormal(1, 100000, std::log(300.0), 1.0), 0.01);
  ExpectWithinRelativeError(Lognormal(2, 50000, 2.0, 1.5), 0.01);
  ExpectWithinRelativeError(Lognormal(3, 20000, 5.0, 0.3), 0.002);
}

TEST(QuantileSketchTest, AccurateOnUniform) {
  ExpectWithinRelativeError(Uniform(4, 100000, 0.5, 1000.0), 0.01);
  ExpectWithinRelativeError(Uniform(5, 30000, 60.0, 120.0), 0.05);
  ExpectWithinRelativeError(Uniform(6, 30000, 1.0, 2.0), 0.001);
}

TEST(QuantileSketchTest, WeightedAdd) {
  QuantileSketch sketch;
  sketch.Add(10.0, 1000);
  sketch.Add(1000.0, 1);
  sketch.Add(5.0, 0);  // a zero count is no observation
  EXPECT_EQ(sketch.count(), 1001u);
  EXPECT_EQ(sketch.min(), 10.0);
  EXPECT_NEAR(sketch.Quantile(0.5), 10.0, 0.1);
  EXPECT_NEAR(sketch.Quantile(0.999), 10.0, 0.1);
  EXPECT_EQ(sketch.Quantile(1.0), 1000.0);
}

TEST(QuantileSketchTest, IgnoresNegativeNaNAndInfinity) {
  QuantileSketch sketch;
  sketch.Add(-1.0);
  sketch.Add(std::nan(""));
  sketch.Add(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(sketch.empty());
  sketch.Add(7.0);
  sketch.Add(-7.0, 100);
  EXPECT_EQ(sketch.count(), 1u);
  EXPECT_EQ(sketch.min(), 7.0);
}

TEST(QuantileSketchTest, ZerosAndTinyValuesShareTheZeroBucket) {
  QuantileSketch sketch;
  sketch.Add(0.0, 10);
  sketch.Add(5e-4);  // below kMinIndexable
  sketch.Add(2.0, 10);
  EXPECT_EQ(sketch.count(), 21u);
  EXPECT_EQ(sketch.min(), 0.0);
  EXPECT_EQ(sketch.max(), 2.0);
  EXPECT_EQ(sketch.bucket_count(), 1u);  // the zero bucket is not a counter in the array
  EXPECT_EQ(sketch.Quantile(0.25), 0.0);
  EXPECT_EQ(sketch.Quantile(0.5), 0.0);  // rank 10 is the 5e-4, reported within 1e-3 as 0
  EXPECT_NEAR(sketch.Quantile(0.55), 2.0, 2.0 * 0.01);
  EXPECT_EQ(sketch.Quantile(1.0), 2.0);
  // Bucket granularity: the whole zero bucket counts at or below 0.
  EXPECT_EQ(sketch.CountAtOrBelow(0.0), 11.0);
  EXPECT_EQ(sketch.CountAtOrBelow(1.0), 11.0);
  EXPECT_EQ(sketch.CountAtOrBelow(2.0), 21.0);
}

TEST(QuantileSketchTest, OnlyZeros) {
  QuantileSketch sketch;
  sketch.Add(0.0, 5);
  EXPECT_EQ(sketch.bucket_count(), 0u);
  EXPECT_EQ(sketch.Quantile(0.5), 0.0);
  EXPECT_EQ(sketch.Quantile(1.0), 0.0);
  EXPECT_EQ(sketch.CountAtOrBelow(0.0), 5.0);
  EXPECT_EQ(sketch.CountAtOrBelow(-1.0), 0.0);
}

TEST(QuantileSketchTest, TinyPositiveMinimumIsClampedNotZero) {
  QuantileSketch sketch;
  sketch.Add(4e-4, 3);
  sketch.Add(9.0);
  // The zero bucket reports 0, clamped to the exact minimum.
  EXPECT_EQ(sketch.Quantile(0.5), 4e-4);
}

TEST(QuantileSketchTest, CountAtOrBelowIsExactAtBucketGranularity) {
  const double a = 0.01;
  const double gamma = (1 + a) / (1 - a);
  const std::vector<double> values = Lognormal(7, 50000, std::log(600.0), 0.8);
  const QuantileSketch sketch = SketchOf(values, a);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  auto exact_at_or_below = [&](double x) {
    return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
  };
  for (double x : {1.0, 60.0, 300.0, 599.0, 900.0, 1800.0, 5000.0, 20000.0}) {
    const double got = sketch.CountAtOrBelow(x);
    EXPECT_GE(got, exact_at_or_below(x)) << "x=" << x;
    EXPECT_LE(got, exact_at_or_below(x * gamma * (1 + kSlack))) << "x=" << x;
  }
  EXPECT_EQ(sketch.CountAtOrBelow(sorted.front() * 0.999), 0.0);
  EXPECT_EQ(sketch.CountAtOrBelow(sorted.back()), static_cast<double>(values.size()));
  EXPECT_EQ(sketch.CountAtOrBelow(1e12), static_cast<double>(values.size()));
}

TEST(QuantileSketchTest, CountAtOrBelowFifteenMinuteShare) {
  QuantileSketch sketch;
  for (int s = 1; s <= 1000; ++s) sketch.Add(s * 1.8);  // 1.8 s .. 1800 s, evenly
  // Exactly 500 values are <= 900 s; the bucket holding 900 s may add those up to 900 * gamma.
  const double share = sketch.CountAtOrBelow(900.0) / static_cast<double>(sketch.count());
  EXPECT_GE(share, 0.5);
  EXPECT_LE(share, 0.511);
}

TEST(QuantileSketchTest, MergeEqualsSketchOfUnion) {
  const std::vector<double> a = Lognormal(8, 30000, std::log(200.0), 1.2);
  const std::vector<double> b = Uniform(9, 20000, 0.0, 3000.0);
  const std::vector<double> c = {0.0, 0.0, 1e-4, 86400.0};
  std::vector<double> all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());

  QuantileSketch merged = SketchOf(a);
  merged.Merge(SketchOf(b));
  merged.Merge(SketchOf(c));
  merged.Merge(QuantileSketch());  // empty is a no-op
  const QuantileSketch whole = SketchOf(all);

  EXPECT_EQ(merged.count(), whole.count());
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  EXPECT_EQ(merged.bucket_count(), whole.bucket_count());
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    EXPECT_EQ(merged.Quantile(q), whole.Quantile(q)) << "q=" << q;
  }
  for (double x : {0.0, 1.0, 100.0, 900.0, 2999.0, 1e5}) {
    EXPECT_EQ(merged.CountAtOrBelow(x), whole.CountAtOrBelow(x)) << "x=" << x;
  }
}

TEST(QuantileSketchTest, MergeIntoEmpty) {
  const std::vector<double> values = Lognormal(10, 1000, 3.0, 1.0);
  QuantileSketch merged;
  merged.Merge(SketchOf(values));
  const QuantileSketch direct = SketchOf(values);
  EXPECT_EQ(merged.count(), direct.count());
  EXPECT_EQ(merged.min(), direct.min());
  EXPECT_EQ(merged.max(), direct.max());
  EXPECT_EQ(merged.Quantile(0.9), direct.Quantile(0.9));
}

// Log-uniform over e^-5 .. e^15 (20 nats); 500 buckets at a = 0.01 span ~10 nats, so collapsing
// must fold roughly the lower half.
std::vector<double> LogUniform(std::uint64_t seed, std::size_t n) {
  std::vector<double> values = Uniform(seed, n, -5.0, 15.0);
  for (double& v : values) v = std::exp(v);
  return values;
}

TEST(QuantileSketchTest, CollapsingBoundsBucketsAndKeepsHighQuantiles) {
  const double a = 0.01;
  const std::size_t max_buckets = 500;
  const std::vector<double> values = LogUniform(11, 100000);
  QuantileSketch sketch(a, max_buckets);
  for (double v : values) {
    sketch.Add(v);
    ASSERT_LE(sketch.bucket_count(), max_buckets);
  }
  EXPECT_EQ(sketch.bucket_count(), max_buckets);
  EXPECT_LE(sketch.MemoryBytes(), sizeof(QuantileSketch) + max_buckets * sizeof(std::uint64_t));
  EXPECT_EQ(sketch.count(), values.size());

  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sketch.Quantile(0.0), sorted.front());  // exact min survives collapsing
  for (double q : {0.6, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = ExactQuantile(sorted, q);
    EXPECT_NEAR(sketch.Quantile(q), exact, exact * (a + kSlack)) << "q=" << q;
  }
  // Folded low quantiles can only move up, never below the true value.
  for (double q : {0.001, 0.1, 0.3}) {
    EXPECT_GE(sketch.Quantile(q), ExactQuantile(sorted, q) * (1 - a - kSlack)) << "q=" << q;
  }
}

TEST(QuantileSketchTest, CollapsingWhenValuesDescend) {
  // Each new value extends the range downwards: the front-growth path must collapse too.
  QuantileSketch sketch(0.01, 64);
  double v = 1e9;
  for (int i = 0; i < 5000; ++i, v *= 0.99) {
    sketch.Add(v);
    ASSERT_LE(sketch.bucket_count(), 64u);
  }
  EXPECT_EQ(sketch.max(), 1e9);
  EXPECT_NEAR(sketch.Quantile(0.999), 1e9 * std::pow(0.99, 5), 1e9 * 0.02);
  EXPECT_LE(sketch.MemoryBytes(), sizeof(QuantileSketch) + 64 * sizeof(std::uint64_t));
}

TEST(QuantileSketchTest, CollapsedMergeEqualsCollapsedUnion) {
  // Folding keeps max(key, top - max_buckets + 1) for every key, whatever the order.
  const std::vector<double> low = Uniform(12, 5000, 0.01, 1.0);
  const std::vector<double> high = LogUniform(13, 5000);
  std::vector<double> all = low;
  all.insert(all.end(), high.begin(), high.end());

  QuantileSketch merged = SketchOf(low, 0.01, 300);
  merged.Merge(SketchOf(high, 0.01, 300));
  const QuantileSketch whole = SketchOf(all, 0.01, 300);
  QuantileSketch reversed = SketchOf(high, 0.01, 300);
  reversed.Merge(SketchOf(low, 0.01, 300));

  EXPECT_EQ(merged.bucket_count(), 300u);
  for (int i = 0; i <= 200; ++i) {
    const double q = i / 200.0;
    EXPECT_EQ(merged.Quantile(q), whole.Quantile(q)) << "q=" << q;
    EXPECT_EQ(reversed.Quantile(q), whole.Quantile(q)) << "q=" << q;
  }
}

TEST(QuantileSketchTest, DefaultSpanNeverCollapsesForDurations) {
  // 1 ms to 10 years at the default accuracy fits well inside 2048 buckets.
  QuantileSketch sketch;
  sketch.Add(1e-3);
  sketch.Add(10 * 365 * 86400.0);
  EXPECT_LT(sketch.bucket_count(), 1500u);
  EXPECT_NEAR(sketch.Quantile(0.0), 1e-3, 1e-12);
}

TEST(QuantileSketchTest, MemoryGrowsWithSpanNotWithCount) {
  QuantileSketch sketch;
  for (int i = 0; i < 100000; ++i) sketch.Add(100.0 + (i % 10));
  const std::size_t narrow = sketch.MemoryBytes();
  EXPECT_LT(narrow, sizeof(QuantileSketch) + 16 * sizeof(std::uint64_t));
  sketch.Add(1e6);
  EXPECT_GT(sketch.MemoryBytes(), narrow);
  EXPECT_LE(sketch.MemoryBytes(), sizeof(QuantileSketch) + 2048 * sizeof(std::uint64_t));
}

}  // namespace
TEST(QuantileSketchTest, ClearForgetsEveryValue) {
  QuantileSketch reused;
  for (double v : {0.0, 0.0005, 3.0, 70.0, 1e6}) reused.Add(v, 3);
  reused.Clear();
  EXPECT_TRUE(reused.empty());
  EXPECT_EQ(reused.count(), 0u);
  EXPECT_TRUE(std::isnan(reused.Quantile(0.5)));
  QuantileSketch fresh;
  for (double v : {12.0, 0.0, 250.0, 251.0, 9000.0}) {
    reused.Add(v);
    fresh.Add(v);
  }
  EXPECT_EQ(reused.count(), fresh.count());
  EXPECT_EQ(reused.min(), fresh.min());
  EXPECT_EQ(reused.max(), fresh.max());
  for (double q : {0.0, 0.2, 0.4, 0.5, 0.8, 1.0}) {
    EXPECT_EQ(reused.Quantile(q), fresh.Quantile(q)) << q;
  }
  EXPECT_EQ(reused.CountAtOrBelow(250.5), fresh.CountAtOrBelow(250.5));
}

}  // namespace canaryd
