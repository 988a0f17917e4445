#include "detector/engine/arm_series.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace canaryd {
namespace {

constexpr std::int64_t kMinute = 60000;

Sample Load(std::int64_t ts_ms, std::uint64_t rows, std::vector<ColumnNulls> nulls = {},
            std::optional<std::uint64_t> duplicates = std::nullopt,
            std::optional<double> freshness_s = std::nullopt) {
  Sample s;
  s.dataset = "ds";
  s.load_id = std::to_string(ts_ms);
  s.ts_ms = ts_ms;
  s.rows = rows;
  s.nulls = std::move(nulls);
  s.duplicates = duplicates;
  s.freshness_s = freshness_s;
  return s;
}

ArmSeriesOptions MinuteBuckets(std::size_t max_buckets = 100) {
  ArmSeriesOptions o;
  o.bucket_ms = kMinute;
  o.max_buckets = max_buckets;
  o.freshness_slo_s = 900;
  return o;
}

TEST(ArmSeriesTest, SinceMergesTheBucketsThatEndAfterIt) {
  ArmSeries series(MinuteBuckets());
  series.Add(Load(0 * kMinute + 10, 100, {{"email", 1}}, 2, 60.0));
  series.Add(Load(0 * kMinute + 20, 200, {{"email", 3}, {"phone", 5}}, std::nullopt, 1200.0));
  series.Add(Load(1 * kMinute + 5, 300, {{"email", 7}}, 4, 30.0));
  series.Add(Load(3 * kMinute + 1, 400, {{"phone", 11}}, 8));
  EXPECT_EQ(series.bucket_count(), 3u);
  EXPECT_EQ(series.loads(), 4u);

  const ArmTotals all = series.Since(0);
  EXPECT_EQ(all.loads, 4u);
  EXPECT_EQ(all.rows, 1000u);
  ASSERT_EQ(all.nulls.count("email"), 1u);
  EXPECT_EQ(all.nulls.at("email").count, 11u);
  EXPECT_EQ(all.nulls.at("email").rows, 600u);  // only loads that reported the column
  EXPECT_EQ(all.nulls.at("email").loads, 3u);
  EXPECT_EQ(all.nulls.at("phone").count, 16u);
  EXPECT_EQ(all.nulls.at("phone").rows, 600u);
  EXPECT_EQ(all.duplicates.count, 14u);
  EXPECT_EQ(all.duplicates.rows, 800u);
  EXPECT_EQ(all.duplicates.loads, 3u);
  EXPECT_DOUBLE_EQ(all.duplicates.Rate(), 14.0 / 800.0);
  EXPECT_EQ(all.freshness.count(), 3u);
  EXPECT_DOUBLE_EQ(all.ShareWithinSlo(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(all.MeanRows(), 250.0);

  // Bucket granularity: a since inside minute 1 still includes all of minute 1.
  for (std::int64_t since : {1 * kMinute, 1 * kMinute + 30000}) {
    const ArmTotals t = series.Since(since);
    EXPECT_EQ(t.loads, 2u) << since;
    EXPECT_EQ(t.rows, 700u) << since;
    EXPECT_EQ(t.nulls.at("email").count, 7u);
    EXPECT_EQ(t.duplicates.count, 12u);
  }
  EXPECT_EQ(series.Since(2 * kMinute).loads, 1u);
  EXPECT_EQ(series.Since(3 * kMinute).rows, 400u);
  EXPECT_EQ(series.Since(4 * kMinute).loads, 0u);
  EXPECT_EQ(series.Since(4 * kMinute).freshness.count(), 0u);
  EXPECT_EQ(series.Since(4 * kMinute).ShareWithinSlo(), 0.0);
}

TEST(ArmSeriesTest, OutOfOrderSamplesLandInTheirOwnBuckets) {
  ArmSeries in_order(MinuteBuckets());
  ArmSeries shuffled(MinuteBuckets());
  for (std::int64_t m : {2, 3, 5, 8}) {
    in_order.Add(Load(m * kMinute, 10 * static_cast<std::uint64_t>(m)));
  }
  for (std::int64_t m : {2, 8, 5, 3}) {  // within the window, out of order
    shuffled.Add(Load(m * kMinute, 10 * static_cast<std::uint64_t>(m)));
  }
  EXPECT_EQ(shuffled.bucket_count(), 4u);
  for (std::int64_t since = 0; since <= 9 * kMinute; since += kMinute) {
    EXPECT_EQ(shuffled.Since(since).loads, in_order.Since(since).loads) << since;
    EXPECT_EQ(shuffled.Since(since).rows, in_order.Since(since).rows) << since;
  }
  EXPECT_EQ(shuffled.Since(4 * kMinute).rows, 130u);  // minutes 5 and 8

  // A late sample for an existing bucket joins it.
  shuffled.Add(Load(3 * kMinute + 59999, 1));
  EXPECT_EQ(shuffled.bucket_count(), 4u);
  EXPECT_EQ(shuffled.Since(3 * kMinute).rows, 30u + 50u + 80u + 1u);
}

TEST(ArmSeriesTest, SampleOlderThanTheFirstBucketJoinsIt) {
  // Documented: older than the oldest kept bucket counts in that bucket rather than being lost.
  ArmSeries series(MinuteBuckets());
  series.Add(Load(8 * kMinute, 80));
  series.Add(Load(3 * kMinute, 30));
  EXPECT_EQ(series.bucket_count(), 1u);
  EXPECT_EQ(series.Since(8 * kMinute).rows, 110u);
  EXPECT_EQ(series.loads(), 2u);
}

TEST(ArmSeriesTest, MaxBucketsBoundsTheWindow) {
  ArmSeries series(MinuteBuckets(5));
  for (std::int64_t m = 0; m < 100; ++m) series.Add(Load(m * kMinute, 1));
  EXPECT_EQ(series.bucket_count(), 5u);
  EXPECT_EQ(series.loads(), 100u);       // every load was seen
  EXPECT_EQ(series.Since(0).loads, 5u);  // but only the newest five buckets are kept
  EXPECT_EQ(series.Since(0).rows, 5u);
}

TEST(ArmSeriesTest, SampleOlderThanTheWindowCountsInTheOldestBucket) {
  ArmSeries series(MinuteBuckets(3));
  for (std::int64_t m = 10; m < 14; ++m) series.Add(Load(m * kMinute, 1));
  ASSERT_EQ(series.bucket_count(), 3u);  // minutes 11, 12, 13
  series.Add(Load(1 * kMinute, 100));
  EXPECT_EQ(series.bucket_count(), 3u);
  EXPECT_EQ(series.Since(11 * kMinute).rows, 103u);  // counted, not lost
  EXPECT_EQ(series.Since(12 * kMinute).rows, 2u);
}

// The header promises memory bounded by max_buckets; samples arriving out of order into gaps
// between kept buckets must not grow the series past it.
TEST(ArmSeriesTest, MaxBucketsHoldsForOutOfOrderSamplesInGaps) {
  ArmSeries series(MinuteBuckets(4));
  for (std::int64_t m : {0, 2, 4, 6}) series.Add(Load(m * kMinute, 1));
  ASSERT_EQ(series.bucket_count(), 4u);
  for (std::int64_t m : {1, 3, 5}) series.Add(Load(m * kMinute, 1));
  EXPECT_LE(series.bucket_count(), 4u);
}

void ExpectSameTotals(const ArmTotals& a, const ArmTotals& b, const std::string& where) {
  EXPECT_EQ(a.loads, b.loads) << where;
  EXPECT_EQ(a.rows, b.rows) << where;
  ASSERT_EQ(a.nulls.size(), b.nulls.size()) << where;
  for (const auto& [column, t] : a.nulls) {
    ASSERT_EQ(b.nulls.count(column), 1u) << where << " " << column;
    EXPECT_EQ(t.count, b.nulls.at(column).count) << where << " " << column;
    EXPECT_EQ(t.rows, b.nulls.at(column).rows) << where << " " << column;
    EXPECT_EQ(t.loads, b.nulls.at(column).loads) << where << " " << column;
  }
  EXPECT_EQ(a.duplicates.count, b.duplicates.count) << where;
  EXPECT_EQ(a.duplicates.rows, b.duplicates.rows) << where;
  EXPECT_EQ(a.duplicates.loads, b.duplicates.loads) << where;
  EXPECT_EQ(a.freshness_within_slo, b.freshness_within_slo) << where;
  ASSERT_EQ(a.freshness.count(), b.freshness.count()) << where;
  if (!a.freshness.empty()) {
    EXPECT_EQ(a.freshness.min(), b.freshness.min()) << where;
    EXPECT_EQ(a.freshness.max(), b.freshness.max()) << where;
    for (double q : {0.01, 0.25, 0.5, 0.9, 0.99}) {
      EXPECT_EQ(a.freshness.Quantile(q), b.freshness.Quantile(q)) << where << " q=" << q;
    }
  }
}

// Since keeps the totals of the spans it was asked for current as samples arrive; they must be
// exactly what merging the buckets gives, whatever the arrival order, late samples that join the
// oldest bucket, and buckets dropped at max_buckets inside the span.
TEST(ArmSeriesTest, KeptTotalsEqualTheMergedBuckets) {
  for (std::size_t max_buckets : {3u, 8u, 100u}) {
    ArmSeries series(MinuteBuckets(max_buckets));
    std::mt19937_64 rng(max_buckets);
    std::int64_t now = 50 * kMinute;
    for (int i = 0; i < 3000; ++i) {
      now += static_cast<std::int64_t>(rng() % 40000);
      // Mostly in order; some late by up to 20 minutes, some older than every kept bucket.
      std::int64_t ts = now;
      if (rng() % 5 == 0) ts -= static_cast<std::int64_t>(rng() % (20 * kMinute));
      if (rng() % 50 == 0) ts = static_cast<std::int64_t>(rng() % (10 * kMinute));
      std::vector<ColumnNulls> nulls = {{"email", rng() % 7}};
      if (rng() % 3 == 0) nulls.push_back({"phone", rng() % 3});
      const std::optional<std::uint64_t> duplicates =
          rng() % 4 == 0 ? std::nullopt : std::optional<std::uint64_t>(rng() % 5);
      const std::optional<double> freshness =
          rng() % 4 == 0 ? std::nullopt
                         : std::optional<double>(static_cast<double>(rng() % 2000) / 3.0);
      series.Add(Load(ts, 100 + rng() % 50, nulls, duplicates, freshness));
      if (rng() % 7 == 0) {
        // A few release starts, read now and then as snapshots would.
        for (std::int64_t since : {std::int64_t{0}, 60 * kMinute, now - 30 * kMinute,
                                   static_cast<std::int64_t>(i / 500) * 200 * kMinute}) {
          ExpectSameTotals(series.Since(since), series.MergeSince(since),
                           "max_buckets=" + std::to_string(max_buckets) +
                               " i=" + std::to_string(i) + " since=" + std::to_string(since));
        }
      }
    }
  }
}

TEST(ArmSeriesTest, SpansNobodyReadsAreForgotten) {
  ArmSeries series(MinuteBuckets());
  series.Add(Load(0, 1));
  EXPECT_EQ(series.Since(0).loads, 1u);
  EXPECT_EQ(series.tracked_spans(), 1u);
  // Read now and then: kept, and current.
  for (int i = 1; i <= 10000; ++i) {
    series.Add(Load(i, 1));
    if (i % 1000 == 0) {
      EXPECT_EQ(series.Since(0).loads, static_cast<std::uint64_t>(i + 1));
    }
  }
  EXPECT_EQ(series.tracked_spans(), 1u);
  // Not read for many loads: dropped, and merged again when asked for.
  for (int i = 10001; i <= 20000; ++i) series.Add(Load(i, 1));
  EXPECT_EQ(series.tracked_spans(), 0u);
  EXPECT_EQ(series.Since(0).loads, 20001u);
}

// A full series reuses the oldest bucket's storage for the newest: nothing of the old bucket may
// show through (columns it had, its freshness values).
TEST(ArmSeriesTest, ReusedBucketsStartEmpty) {
  ArmSeries series(MinuteBuckets(3));
  for (std::int64_t m = 0; m < 3; ++m) {
    series.Add(Load(m * kMinute, 100, {{"old_column", 5}}, 1, 5000.0));
  }
  for (std::int64_t m = 3; m < 6; ++m) {
    series.Add(Load(m * kMinute, 10, {{"email", 1}}, std::nullopt, 60.0 + static_cast<double>(m)));
  }
  ASSERT_EQ(series.bucket_count(), 3u);
  const ArmTotals t = series.MergeSince(0);
  EXPECT_EQ(t.loads, 3u);
  EXPECT_EQ(t.rows, 30u);
  EXPECT_EQ(t.nulls.size(), 1u);
  EXPECT_EQ(t.nulls.count("old_column"), 0u);
  EXPECT_EQ(t.nulls.at("email").count, 3u);
  EXPECT_EQ(t.duplicates.loads, 0u);
  EXPECT_EQ(t.freshness.count(), 3u);
  EXPECT_EQ(t.freshness.max(), 65.0);
  EXPECT_EQ(t.freshness.min(), 63.0);
}

}  // namespace
}  // namespace canaryd
