#include "bench/judge_study/peers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "detector/judge/metric.h"

namespace canaryd::study {
namespace {

// Welford moments; hand-written because the peers need only mean and variance per arm.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  double Var() const { return n > 1 ? m2 / (n - 1) : 0.0; }
};

// Tracks canary loads and rows as a method walks the release, and how it ended.
struct Walk {
  PeerOutcome out;
  void See(const Load& l) {
    if (!l.canary) return;
    ++out.canary_loads;
    out.canary_rows += l.rows;
    if (l.regressed) out.regression_active = true;
  }
  PeerOutcome Fire(int metric) {
    out.rolled_back = true;
    out.metric = metric;
    return out;
  }
};

// One-sided Welch t: is the canary mean larger? True when significant at level a.
bool WelchSignificant(const Moments& c, const Moments& b, double a) {
  if (c.n < 2 || b.n < 2) return false;
  const double vc = c.Var() / c.n;
  const double vb = b.Var() / b.n;
  const double v = vc + vb;
  if (v <= 0) return c.mean > b.mean;
  const double t = (c.mean - b.mean) / std::sqrt(v);
  const double df = v * v / (vc * vc / (c.n - 1) + vb * vb / (b.n - 1));
  const boost::math::students_t_distribution<double> student(std::max(1.0, df));
  return t > boost::math::quantile(boost::math::complement(student, a));
}

double TwoProportionZ(double kc, double nc, double kb, double nb) {
  if (nc <= 0 || nb <= 0) return 0.0;
  const double p = (kc + kb) / (nc + nb);
  const double se = std::sqrt(p * (1 - p) * (1 / nc + 1 / nb));
  if (se <= 0) return 0.0;
  return (kc / nc - kb / nb) / se;
}

}  // namespace

double UpperZ(double p) {
  return boost::math::quantile(boost::math::complement(boost::math::normal_distribution<>(), p));
}

bool IsRateMetric(int metric) { return metric >= kDuplicateRate; }

std::uint64_t CountOf(const Load& load, int metric) {
  if (metric == kDuplicateRate) return load.duplicates;
  return load.nulls[static_cast<std::size_t>(metric - kFirstNull)];
}

double OrientedValue(const Load& load, int metric) {
  switch (metric) {
    case kRowCount:
      return OrientedRowCount(load.rows);
    case kFreshness:
      return OrientedFreshness(load.freshness_s);
    default:
      return OrientedRate(CountOf(load, metric), load.rows);
  }
}

double RawValue(const Load& load, int metric) {
  switch (metric) {
    case kRowCount:
      return -static_cast<double>(load.rows);  // oriented: fewer rows is worse
    case kFreshness:
      return load.freshness_s;
    default:
      return load.rows > 0 ? static_cast<double>(CountOf(load, metric)) / load.rows : 0.0;
  }
}

PeerOutcome FixedHorizon(const std::vector<Load>& loads, int history, const PeerConfig& c) {
  Walk w;
  const double a = c.alpha / c.metrics;
  const double z_crit = UpperZ(a);
  std::vector<Moments> mc(c.metrics), mb(c.metrics);
  std::vector<double> kc(c.metrics), nc(c.metrics), kb(c.metrics), nb(c.metrics);
  for (std::size_t i = static_cast<std::size_t>(history); i < loads.size(); ++i) {
    const Load& l = loads[i];
    w.See(l);
    for (int m = 0; m < c.metrics; ++m) {
      (l.canary ? mc : mb)[m].Add(OrientedValue(l, m));
      if (IsRateMetric(m)) {
        (l.canary ? kc : kb)[m] += static_cast<double>(CountOf(l, m));
        (l.canary ? nc : nb)[m] += static_cast<double>(l.rows);
      }
    }
    if (!l.canary) continue;
    const bool reached = c.planned_rows > 0 ? w.out.canary_rows >= c.planned_rows
                                            : w.out.canary_loads >= c.planned_loads;
    if (!reached) continue;
    for (int m = 0; m < c.metrics; ++m) {
      const bool fire = IsRateMetric(m) && c.fixed_rates_on_rows
                            ? TwoProportionZ(kc[m], nc[m], kb[m], nb[m]) > z_crit
                            : WelchSignificant(mc[m], mb[m], a);
      if (fire) return w.Fire(m);
    }
    w.out.promoted = true;
    return w.out;
  }
  return w.out;
}

PeerOutcome RepeatedMannWhitney(const std::vector<Load>& loads, int history, const PeerConfig& c) {
  Walk w;
  const double z_crit = UpperZ(c.alpha / c.metrics);
  struct State {
    std::vector<double> base, canary;  // sorted
    double u = 0;                      // pairs with canary > baseline, ties half
    std::map<double, double> tie_counts;
    double tie_term = 0;  // sum over tie groups of t^3 - t
  };
  std::vector<State> st(c.metrics);
  const auto below_equal = [](const std::vector<double>& v, double x) {
    const auto lo = std::lower_bound(v.begin(), v.end(), x);
    const auto hi = std::upper_bound(lo, v.end(), x);
    return std::pair<double, double>(static_cast<double>(lo - v.begin()),
                                     static_cast<double>(hi - lo));
  };
  for (std::size_t i = static_cast<std::size_t>(history); i < loads.size(); ++i) {
    const Load& l = loads[i];
    w.See(l);
    for (int m = 0; m < c.metrics; ++m) {
      State& s = st[m];
      const double x = RawValue(l, m);
      if (l.canary) {
        const auto [below, equal] = below_equal(s.base, x);
        s.u += below + 0.5 * equal;
        s.canary.insert(std::upper_bound(s.canary.begin(), s.canary.end(), x), x);
      } else {
        const auto [below, equal] = below_equal(s.canary, x);
        s.u += static_cast<double>(s.canary.size()) - below - equal + 0.5 * equal;
        s.base.insert(std::upper_bound(s.base.begin(), s.base.end(), x), x);
      }
      const double t = s.tie_counts[x]++;
      s.tie_term += 3 * t * t + 3 * t;
    }
    if (!l.canary) continue;
    for (int m = 0; m < c.metrics; ++m) {
      const State& s = st[m];
      const double n1 = static_cast<double>(s.canary.size());
      const double n2 = static_cast<double>(s.base.size());
      if (n1 < 3 || n2 < 3) continue;
      const double n = n1 + n2;
      const double var = n1 * n2 / 12.0 * ((n + 1) - s.tie_term / (n * (n - 1)));
      if (var <= 0) continue;
      const double z = (s.u - n1 * n2 / 2 - 0.5) / std::sqrt(var);
      if (z > z_crit) return w.Fire(m);
    }
  }
  return w.out;
}

PeerOutcome StaticThreshold(const std::vector<Load>& loads, int history, const PeerConfig& c) {
  Walk w;
  std::vector<std::deque<double>> window(c.metrics);
  for (std::size_t i = 0; i < loads.size(); ++i) {
    const Load& l = loads[i];
    if (static_cast<int>(i) >= history) w.See(l);
    if (!l.canary) {
      for (int m = 0; m < c.metrics; ++m) {
        window[m].push_back(RawValue(l, m));
        if (static_cast<int>(window[m].size()) > c.static_window) window[m].pop_front();
      }
      continue;
    }
    for (int m = 0; m < c.metrics; ++m) {
      if (window[m].size() < 5) continue;
      Moments mo;
      for (double x : window[m]) mo.Add(x);
      if (RawValue(l, m) > mo.mean + c.static_sigmas * std::sqrt(mo.Var())) return w.Fire(m);
    }
  }
  return w.out;
}

PeerOutcome PooledZ(const std::vector<Load>& loads, int history, const PeerConfig& c) {
  Walk w;
  const double z_crit = UpperZ(c.alpha / c.metrics);
  std::vector<Moments> mc(c.metrics), mb(c.metrics);
  std::vector<double> kc(c.metrics), nc(c.metrics), kb(c.metrics), nb(c.metrics);
  for (std::size_t i = static_cast<std::size_t>(history); i < loads.size(); ++i) {
    const Load& l = loads[i];
    w.See(l);
    for (int m = 0; m < c.metrics; ++m) {
      if (IsRateMetric(m)) {
        (l.canary ? kc : kb)[m] += static_cast<double>(CountOf(l, m));
        (l.canary ? nc : nb)[m] += static_cast<double>(l.rows);
      } else {
        (l.canary ? mc : mb)[m].Add(OrientedValue(l, m));
      }
    }
    for (int m = 0; m < c.metrics; ++m) {
      double z = 0;
      if (IsRateMetric(m)) {
        z = TwoProportionZ(kc[m], nc[m], kb[m], nb[m]);
      } else if (mc[m].n >= 2 && mb[m].n >= 2) {
        const double v = mc[m].Var() / mc[m].n + mb[m].Var() / mb[m].n;
        z = v > 0 ? (mc[m].mean - mb[m].mean) / std::sqrt(v) : 0.0;
      }
      if (z > z_crit) return w.Fire(m);
    }
  }
  return w.out;
}

PeerOutcome OracleSprt(const std::vector<Load>& loads, int history, const PeerConfig& c) {
  Walk w;
  if (c.oracle_metric < 0) return w.out;
  const int m = c.oracle_metric;
  const double threshold = std::log(c.metrics / c.alpha);
  double llr = 0;
  // Split groups as the judge forms them: the canary loads and the baseline loads since the
  // previous group, scored when both sides have one.
  Moments gc, gb;
  double kc = 0, nc = 0, kb = 0, nb = 0;
  for (std::size_t i = static_cast<std::size_t>(history); i < loads.size(); ++i) {
    const Load& l = loads[i];
    w.See(l);
    if (l.canary && !l.regressed) continue;  // the oracle knows when the regression starts
    (l.canary ? gc : gb).Add(OrientedValue(l, m));
    if (IsRateMetric(m)) {
      (l.canary ? kc : kb) += static_cast<double>(CountOf(l, m));
      (l.canary ? nc : nb) += static_cast<double>(l.rows);
    }
    if (gc.n == 0 || gb.n == 0) continue;
    if (c.oracle_binomial) {
      const double r = c.oracle_ratio;
      const double pi0 = nc / (nc + nb);
      const double pi1 = r * nc / (r * nc + nb);
      llr += kc * std::log(pi1 / pi0) + kb * std::log((1 - pi1) / (1 - pi0));
    } else {
      const double v = c.oracle_sd_canary * c.oracle_sd_canary / gc.n +
                       c.oracle_sd_baseline * c.oracle_sd_baseline / gb.n;
      const double d = gc.mean - gb.mean;
      llr += (c.oracle_effect * d - 0.5 * c.oracle_effect * c.oracle_effect) / v;
    }
    gc = Moments{};
    gb = Moments{};
    kc = nc = kb = nb = 0;
    if (llr >= threshold) return w.Fire(m);
  }
  return w.out;
}

}  // namespace canaryd::study
