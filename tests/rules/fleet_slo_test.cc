#include "rules/fleet_slo.h"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace canaryd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(FleetSlo, PoolsLoadsOverDatasets) {
  const std::vector<DatasetLandings> d{{"marts.orders", 95, 100}, {"marts.customers", 50, 50}};
  FleetSloStatus s = EvaluateFleetSlo(d, 0.95);
  EXPECT_EQ(s.landed_within, 145u);
  EXPECT_EQ(s.loads, 150u);
  EXPECT_NEAR(*s.share, 145.0 / 150.0, 1e-12);
  EXPECT_EQ(s.state, SloState::kMet);
  EXPECT_THAT(s.below_target, IsEmpty());  // 95 of 100 meets 95% exactly
}

TEST(FleetSlo, ExactlyOnTargetMeetsIt) {
  const std::vector<DatasetLandings> d{{"a", 19, 20}};
  EXPECT_EQ(EvaluateFleetSlo(d, 0.95).state, SloState::kMet);
  const std::vector<DatasetLandings> just_below{{"a", 18, 20}};
  EXPECT_EQ(EvaluateFleetSlo(just_below, 0.95).state, SloState::kBreached);
}

TEST(FleetSlo, BreachNamesTheWorstDatasetsFirst) {
  const std::vector<DatasetLandings> d{
      {"marts.orders", 90, 100}, {"marts.inventory", 10, 20}, {"marts.customers", 100, 100}};
  FleetSloStatus s = EvaluateFleetSlo(d, 0.95);
  EXPECT_EQ(s.state, SloState::kBreached);
  EXPECT_NEAR(*s.share, 200.0 / 220.0, 1e-12);
  EXPECT_THAT(s.below_target, ElementsAre("marts.inventory", "marts.orders"));
}

TEST(FleetSlo, NoLoadsIsNoDataNotAHundredPercent) {
  FleetSloStatus empty = EvaluateFleetSlo({}, 0.95);
  EXPECT_EQ(empty.state, SloState::kNoData);
  EXPECT_FALSE(empty.share);
  const std::vector<DatasetLandings> idle{{"a", 0, 0}};
  EXPECT_EQ(EvaluateFleetSlo(idle, 0.95).state, SloState::kNoData);
  EXPECT_EQ(SloStateName(SloState::kNoData), "no_data");
  EXPECT_EQ(SloStateName(SloState::kMet), "met");
  EXPECT_EQ(SloStateName(SloState::kBreached), "breached");
}

TEST(FleetSlo, MoreLandedThanLoadsCountsAsAllLoads) {
  const std::vector<DatasetLandings> d{{"a", 12, 10}};
  FleetSloStatus s = EvaluateFleetSlo(d, 1.0);
  EXPECT_EQ(s.landed_within, 10u);
  EXPECT_DOUBLE_EQ(*s.share, 1.0);
  EXPECT_EQ(s.state, SloState::kMet);
}

TEST(FleetSlo, ATargetOfAllLoadsBreachesOnOneLateLoad) {
  const std::vector<DatasetLandings> d{{"a", 999999, 1000000}};
  EXPECT_EQ(EvaluateFleetSlo(d, 1.0).state, SloState::kBreached);
}

}  // namespace
}  // namespace canaryd
