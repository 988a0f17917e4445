#include "detector/stats/student_t.h"

#include <cmath>

// Boost 1.74 declares its factorial table as a constexpr local array where the compiler supports
// it, and GCC 12 then copies all 171 long doubles onto the stack on every lookup: about 8% of
// the engine's instructions, in the t cdf's series. Without the macro the table is a function
// static, built once; the values, and so every z, are the same.
#include <boost/math/tools/config.hpp>
#undef BOOST_MATH_HAVE_CONSTEXPR_TABLES
#undef BOOST_MATH_CONSTEXPR_TABLE_FUNCTION
#define BOOST_MATH_CONSTEXPR_TABLE_FUNCTION

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
