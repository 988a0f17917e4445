#include "detector/stats/student_t.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace canaryd {
namespace {

TEST(StudentTToZTest, ZeroMapsToZero) {
  for (double df : {1.0, 2.5, 10.0, 1000.0}) EXPECT_NEAR(StudentTToZ(0.0, df), 0.0, 1e-12);
}

TEST(StudentTToZTest, KnownQuantiles) {
  // df = 1 is Cauchy: F(1) = 3/4, and Phi^-1(3/4) = 0.6744897...
  EXPECT_NEAR(StudentTToZ(1.0, 1.0), 0.6744897501960817, 1e-9);
  // t(10) upper 2.5% point 2.228139 maps to the normal's 1.959964.
  EXPECT_NEAR(StudentTToZ(2.2281388519649385, 10.0), 1.959963984540054, 1e-7);
}

TEST(StudentTToZTest, MonotoneInT) {
  for (double df : {1.0, 3.0, 8.0, 30.0, 300.0}) {
    double previous = -std::numeric_limits<double>::infinity();
    for (double t = -60.0; t <= 60.0; t += 0.25) {
      const double z = StudentTToZ(t, df);
      EXPECT_GT(z, previous) << "t=" << t << " df=" << df;
      previous = z;
    }
  }
}

TEST(StudentTToZTest, SymmetricAroundZero) {
  for (double df : {1.0, 4.0, 25.0}) {
    for (double t : {0.1, 1.0, 2.5, 7.0, 40.0, 1e6}) {
      EXPECT_NEAR(StudentTToZ(-t, df), -StudentTToZ(t, df), 1e-9 * (1 + std::fabs(t)))
          << "t=" << t << " df=" << df;
    }
  }
}

TEST(StudentTToZTest, ShrinksTowardsZeroForHeavyTails) {
  // The t distribution has heavier tails, so the same tail area sits closer to 0 on the normal.
  for (double t : {0.5, 2.0, 5.0}) {
    EXPECT_LT(StudentTToZ(t, 3.0), t);
    EXPECT_LT(StudentTToZ(t, 3.0), StudentTToZ(t, 30.0));
  }
}

TEST(StudentTToZTest, ApproachesIdentityAsDfGrows) {
  const std::vector<double> dfs = {5.0, 50.0, 500.0, 5000.0, 50000.0};
  double previous_error = std::numeric_limits<double>::infinity();
  for (double df : dfs) {
    const double error = std::fabs(StudentTToZ(2.0, df) - 2.0);
    EXPECT_LT(error, previous_error) << "df=" << df;
    previous_error = error;
  }
  EXPECT_LT(previous_error, 1e-4);
  EXPECT_EQ(StudentTToZ(2.0, 1e6), 2.0);
  EXPECT_EQ(StudentTToZ(-3.5, std::numeric_limits<double>::infinity()), -3.5);
}

TEST(StudentTToZTest, FiniteForExtremeScores) {
  for (double df : {1.0, 2.0, 5.0, 100.0}) {
    for (double t : {1e3, 1e8, 1e15, 1e300}) {
      const double up = StudentTToZ(t, df);
      const double down = StudentTToZ(-t, df);
      EXPECT_TRUE(std::isfinite(up)) << "t=" << t << " df=" << df;
      EXPECT_TRUE(std::isfinite(down)) << "t=" << t << " df=" << df;
      EXPECT_GT(up, 3.0);
      EXPECT_LT(down, -3.0);
    }
  }
}

TEST(StudentTToZTest, DfBelowOneIsTreatedAsOne) {
  EXPECT_DOUBLE_EQ(StudentTToZ(2.0, 0.0), StudentTToZ(2.0, 1.0));
  EXPECT_DOUBLE_EQ(StudentTToZ(2.0, 0.5), StudentTToZ(2.0, 1.0));
}

}  // namespace
}  // namespace canaryd
