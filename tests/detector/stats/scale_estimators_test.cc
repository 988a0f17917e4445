#include "detector/stats/scale_estimators.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "detector/sim/load_simulator.h"

namespace canaryd {
namespace {

TEST(SuccessiveDifferenceScaleTest, NoEstimateBeforeTwoValues) {
  SuccessiveDifferenceScale s;
  EXPECT_EQ(s.Estimate().df, 0.0);
  s.Add(5.0);
  EXPECT_EQ(s.Estimate().df, 0.0);
  EXPECT_EQ(s.differences(), 0u);
  s.Add(7.0);
  const ScaleEstimate e = s.Estimate();
  EXPECT_EQ(e.observations, 1u);
  EXPECT_NEAR(e.sd, 2.0 / std::sqrt(2.0), 1e-12);  // sqrt(d^2 / 2)
  EXPECT_NEAR(e.df, 0.66, 1e-12);
}

TEST(SuccessiveDifferenceScaleTest, PureLinearDriftIsAlmostNoNoise) {
  SuccessiveDifferenceScale mssd(64);
  RunningMoments plain;
  for (int i = 0; i < 64; ++i) {
    mssd.Add(0.5 * i);
    plain.Add(0.5 * i);
  }
  // Every difference is the slope: sd = slope / sqrt(2), whatever the length of the drift.
  EXPECT_NEAR(mssd.Estimate().sd, 0.5 / std::sqrt(2.0), 1e-12);
  // A plain variance counts the whole ramp (sd of 0..31.5 is ~9.3).
  EXPECT_GT(plain.Estimate().sd, 9.0);
}

TEST(SuccessiveDifferenceScaleTest, IgnoresDriftOnTopOfNoise) {
  sim::Rng rng(3);
  SuccessiveDifferenceScale mssd(4096);
  RunningMoments plain;
  for (int i = 0; i < 4000; ++i) {
    const double x = 0.01 * i + rng.Normal();  // noise sd 1, drift of 40 over the window
    mssd.Add(x);
    plain.Add(x);
  }
  EXPECT_NEAR(mssd.Estimate().sd, 1.0, 0.05);
  EXPECT_GT(plain.Estimate().sd, 5.0);
}

TEST(SuccessiveDifferenceScaleTest, EstimatesNoiseScale) {
  sim::Rng rng(5);
  SuccessiveDifferenceScale s(8192);
  for (int i = 0; i < 8000; ++i) s.Add(10.0 + 0.3 * rng.Normal());
  EXPECT_NEAR(s.Estimate().sd, 0.3, 0.3 * 0.04);
}

TEST(SuccessiveDifferenceScaleTest, WindowForgetsOldDifferences) {
  SuccessiveDifferenceScale s(4);
  for (double x : {0.0, 10.0, 10.0, 10.0, 10.0}) s.Add(x);
  // Differences 10, 0, 0, 0: the jump is still inside the window of 4.
  EXPECT_NEAR(s.Estimate().sd, std::sqrt(100.0 / 8.0), 1e-12);
  s.Add(10.0);
  // Differences 0, 0, 0, 0: the jump has left.
  EXPECT_EQ(s.differences(), 4u);
  EXPECT_NEAR(s.Estimate().sd, 0.0, 1e-9);
  EXPECT_NEAR(s.Estimate().df, 0.66 * 4, 1e-12);
  EXPECT_EQ(s.Estimate().observations, 4u);
}

TEST(SuccessiveDifferenceScaleTest, ConstantInputGivesZeroScale) {
  SuccessiveDifferenceScale s(16);
  for (int i = 0; i < 100; ++i) s.Add(-2.25);
  EXPECT_EQ(s.Estimate().sd, 0.0);
  EXPECT_GT(s.Estimate().df, 0.0);
}

TEST(RunningMomentsTest, MeanAndSampleStandardDeviation) {
  RunningMoments m;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) m.Add(x);
  EXPECT_EQ(m.count(), 8u);
  EXPECT_NEAR(m.mean(), 5.0, 1e-12);
  const ScaleEstimate e = m.Estimate();
  EXPECT_NEAR(e.sd, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_EQ(e.df, 7.0);
  EXPECT_EQ(e.observations, 7u);
}

TEST(RunningCovarianceTest, ContrastScaleMatchesTheDirectSampleSd) {
  const std::vector<std::pair<double, double>> pairs = {{3, 2}, {5, 4}, {1, 3}, {4, 4}, {6, 2},
                                                        {2, 1}, {0, 0}, {7, 5}, {3, 3}};
  RunningCovariance c;
  for (const auto& [x, y] : pairs) c.Add(x, y);
  EXPECT_EQ(c.count(), pairs.size());
  for (const double a : {0.0, 1.0, 1.2, 2.5, -1.0}) {
    RunningMoments direct;
    for (const auto& [x, y] : pairs) direct.Add(x - a * y);
    const ScaleEstimate e = c.ContrastScale(a);
    EXPECT_NEAR(e.sd, direct.Estimate().sd, 1e-12) << "a=" << a;
    EXPECT_EQ(e.df, direct.Estimate().df);
  }
  EXPECT_NEAR(c.mean_x(), 31.0 / 9.0, 1e-12);
  EXPECT_NEAR(c.mean_y(), 24.0 / 9.0, 1e-12);
}

TEST(RunningCovarianceTest, IdenticalArmsHaveNoSpreadInTheirDifference) {
  RunningCovariance c;
  EXPECT_EQ(c.ContrastScale(1.0).df, 0.0);
  for (const double x : {3.0, 1.0, 4.0, 1.0, 5.0}) c.Add(x, x);
  EXPECT_NEAR(c.ContrastScale(1.0).sd, 0.0, 1e-12);
  EXPECT_GT(c.ContrastScale(1.2).sd, 0.0);
}

TEST(RunningMomentsTest, NoEstimateBeforeTwoValues) {
  RunningMoments m;
  EXPECT_EQ(m.Estimate().df, 0.0);
  m.Add(3.0);
  EXPECT_EQ(m.count(), 1u);
  EXPECT_EQ(m.mean(), 3.0);
  EXPECT_EQ(m.Estimate().df, 0.0);
  EXPECT_EQ(m.Estimate().sd, 0.0);
}

TEST(RunningMomentsTest, StableAtLargeOffsets) {
  // The textbook sum-of-squares formula loses everything here; Welford does not.
  RunningMoments m;
  for (double x : {1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0}) m.Add(x);
  EXPECT_NEAR(m.mean(), 1e9 + 10.0, 1e-6);
  EXPECT_NEAR(m.Estimate().sd, std::sqrt(30.0), 1e-6);
}

}  // namespace
}  // namespace canaryd
