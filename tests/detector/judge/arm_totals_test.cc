#include "detector/judge/arm_totals.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace canaryd {
namespace {

Sample Load(std::uint64_t rows, std::vector<ColumnNulls> nulls,
            std::optional<std::uint64_t> duplicates, std::optional<double> freshness_s) {
  Sample s;
  s.dataset = "ds";
  s.load_id = "l";
  s.rows = rows;
  s.nulls = std::move(nulls);
  s.duplicates = duplicates;
  s.freshness_s = freshness_s;
  return s;
}

TEST(ArmTotalsTest, AddsCountsRowsAndFreshnessPerLoad) {
  ArmTotals t;
  t.Add(Load(100, {{"email", 1}, {"address", 4}}, 2, 60.0), /*slo_s=*/900);
  t.Add(Load(300, {{"email", 5}}, std::nullopt, 1200.0), 900);
  t.Add(Load(200, {{"address", 0}, {"email", 2}}, 6, std::nullopt), 900);

  EXPECT_EQ(t.loads, 3u);
  EXPECT_EQ(t.rows, 600u);
  EXPECT_DOUBLE_EQ(t.MeanRows(), 200.0);
  // A column's rows are those of the loads that reported it.
  EXPECT_EQ(t.nulls.at("email").count, 8u);
  EXPECT_EQ(t.nulls.at("email").rows, 600u);
  EXPECT_EQ(t.nulls.at("email").loads, 3u);
  EXPECT_EQ(t.nulls.at("address").count, 4u);
  EXPECT_EQ(t.nulls.at("address").rows, 300u);
  EXPECT_DOUBLE_EQ(t.nulls.at("address").Rate(), 4.0 / 300.0);
  EXPECT_EQ(t.nulls.at("coupon").rows, 0u);  // absent: zero totals
  EXPECT_EQ(t.duplicates.count, 8u);
  EXPECT_EQ(t.duplicates.rows, 300u);
  EXPECT_EQ(t.duplicates.loads, 2u);
  EXPECT_EQ(t.freshness.count(), 2u);
  EXPECT_DOUBLE_EQ(t.ShareWithinSlo(), 0.5);
}

TEST(ArmTotalsTest, ColumnsAreKeptInNameOrderWhateverTheReportOrder) {
  ArmTotals t;
  t.Add(Load(10, {{"zip", 1}, {"email", 1}, {"city", 1}}, std::nullopt, std::nullopt), 900);
  t.Add(Load(10, {{"address", 1}, {"zip", 1}}, std::nullopt, std::nullopt), 900);
  std::vector<std::string> names;
  for (const auto& [name, totals] : t.nulls) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"address", "city", "email", "zip"}));
  EXPECT_EQ(t.nulls.at("zip").loads, 2u);
}

// row_count's estimate is the size of the loads with rows; the empty ones are a share.
TEST(ArmTotalsTest, EmptyLoadsAreAShareNotPartOfTheMeanSize) {
  ArmTotals t;
  t.Add(Load(300, {}, std::nullopt, std::nullopt), 900);
  t.Add(Load(0, {}, std::nullopt, std::nullopt), 900);
  t.Add(Load(100, {}, std::nullopt, std::nullopt), 900);
  t.Add(Load(0, {}, std::nullopt, std::nullopt), 900);
  EXPECT_EQ(t.empty_loads, 2u);
  EXPECT_DOUBLE_EQ(t.MeanRows(), 200.0);
  EXPECT_DOUBLE_EQ(t.EmptyShare(), 0.5);
}

TEST(ArmTotalsTest, EmptyTotalsReadAsZero) {
  const ArmTotals t;
  EXPECT_EQ(t.MeanRows(), 0.0);
  EXPECT_EQ(t.EmptyShare(), 0.0);
  EXPECT_EQ(t.ShareWithinSlo(), 0.0);
  EXPECT_EQ(t.duplicates.Rate(), 0.0);
  EXPECT_TRUE(t.nulls.empty());
}

}  // namespace
}  // namespace canaryd
