#include "detector/stats/student_t.h"

#include <cmath>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace canaryd {

double StudentTToZ(double t, double df) {
  if (!std::isfinite(t)) return t;
  if (!std::isfinite(df) || df >= 1e6) return t;
  if (df < 1.0) df = 1.0;
  // Double precision throughout: Boost's default promotes to long double, 5-9x slower here for
  // no difference that matters to a z-score (measured |dz| <= 2e-15).
  using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
  const boost::math::students_t_distribution<double, Policy> student(df);
  const boost::math::normal_distribution<double, Policy> normal;
  // Work in the tail the score is in so that extreme scores keep their precision.
  if (t >= 0) {
    const double upper = boost::math::cdf(boost::math::complement(student, t));
    if (upper <= 0.0) return 38.0;
    return boost::math::quantile(boost::math::complement(normal, upper));
  }
  const double lower = boost::math::cdf(student, t);
  if (lower <= 0.0) return -38.0;
  return boost::math::quantile(normal, lower);
}

}  // namespace canaryd
