#include "detector/sim/load_simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/detector/same_sample.h"

namespace canaryd::sim {
namespace {

std::vector<Sample> Collect(const Scenario& scenario) {
  LoadSimulator sim(scenario);
  std::vector<Sample> samples;
  Sample s;
  while (sim.Next(&s)) samples.push_back(s);
  return samples;
}

std::uint64_t NullsOf(const Sample& s, const std::string& column) {
  for (const auto& c : s.nulls) {
    if (c.column == column) return c.nulls;
  }
  ADD_FAILURE() << "no column " << column << " in " << s.load_id;
  return 0;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Sd(const std::vector<double>& v) {
  const double m = Mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

// FNV-1a over the figures that a change of algorithm would move (freshness to the millisecond,
// so that a last-bit difference of a double cannot flip the pin).
std::uint64_t Fingerprint(const std::vector<Sample>& samples) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  for (const Sample& s : samples) {
    mix(static_cast<std::uint64_t>(s.arm));
    mix(static_cast<std::uint64_t>(s.ts_ms));
    mix(s.rows);
    for (const auto& c : s.nulls) mix(c.nulls);
    mix(*s.duplicates);
    mix(static_cast<std::uint64_t>(std::llround(*s.freshness_s * 1000.0)));
  }
  return h;
}

// ---- the draws -------------------------------------------------------------------------------

TEST(DetMath, ExpAndLogMatchLibmToAFewUlps) {
  double worst_exp = 0;
  for (double x = -700; x <= 700; x += 0.0137) {
    worst_exp = std::max(worst_exp, std::fabs(DetExp(x) / std::exp(x) - 1.0));
  }
  EXPECT_LT(worst_exp, 2e-15);
  double worst_log = 0;
  for (double x = 1e-300; x < 1e300; x *= 1.0377) {
    const double ref = std::log(x);
    worst_log = std::max(worst_log, std::fabs(DetLog(x) - ref) / std::max(1.0, std::fabs(ref)));
  }
  for (double x = 0.5; x < 2.0; x += 1e-4) {
    worst_log = std::max(worst_log, std::fabs(DetLog(x) - std::log(x)));
  }
  EXPECT_LT(worst_log, 2e-16 * 4);
}

TEST(DetMath, EdgeCases) {
  EXPECT_EQ(DetExp(0.0), 1.0);
  EXPECT_EQ(DetLog(1.0), 0.0);
  EXPECT_TRUE(std::isinf(DetExp(1000.0)));
  EXPECT_EQ(DetExp(-1000.0), 0.0);
  EXPECT_GT(DetExp(-740.0), 0.0);  // subnormal, not flushed
  EXPECT_TRUE(std::isinf(DetLog(0.0)) && DetLog(0.0) < 0);
  EXPECT_TRUE(std::isnan(DetLog(-1.0)));
  EXPECT_NEAR(DetLog(DetExp(3.25)), 3.25, 1e-15);
}

TEST(Rng, SameSeedSameStream) {
  Rng a(7);
  Rng b(7);
  Rng c(8);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.Normal();
    EXPECT_EQ(x, b.Normal());
    differ += x != c.Normal() ? 1 : 0;
    EXPECT_EQ(a.Binomial(300, 0.01), b.Binomial(300, 0.01));
  }
  EXPECT_GT(differ, 990);
}

TEST(Rng, UniformAndNormalMoments) {
  Rng rng(11);
  constexpr int kN = 200000;
  std::vector<double> u(kN);
  std::vector<double> z(kN);
  int outside = 0;
  for (int i = 0; i < kN; ++i) {
    u[i] = rng.Uniform();
    ASSERT_GE(u[i], 0.0);
    ASSERT_LT(u[i], 1.0);
    z[i] = rng.Normal();
    outside += std::fabs(z[i]) > 1.959964 ? 1 : 0;
  }
  EXPECT_NEAR(Mean(u), 0.5, 4 * std::sqrt(1.0 / 12 / kN));
  EXPECT_NEAR(Mean(z), 0.0, 4 / std::sqrt(kN));
  EXPECT_NEAR(Sd(z), 1.0, 0.01);
  // P(|Z| > 1.96) = 5%: binomial sd of the count is ~97.
  EXPECT_NEAR(outside, 0.05 * kN, 400);
}

TEST(Rng, LogNormalMedianAndSigma) {
  Rng rng(12);
  std::vector<double> logs;
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) {
    const double x = rng.LogNormal(300, 0.5);
    values.push_back(x);
    logs.push_back(std::log(x));
  }
  std::nth_element(values.begin(), values.begin() + 50000, values.end());
  EXPECT_NEAR(values[50000], 300, 300 * 0.01);
  EXPECT_NEAR(Sd(logs), 0.5, 0.005);
}

// Mean and variance of many draws against n·p and n·p·(1-p), plus every draw in [0, n].
void CheckBinomial(std::uint64_t n, double p, std::uint64_t seed) {
  Rng rng(seed);
  constexpr int kN = 100000;
  std::vector<double> k(kN);
  for (int i = 0; i < kN; ++i) {
    const std::uint64_t draw = rng.Binomial(n, p);
    ASSERT_LE(draw, n);
    k[i] = static_cast<double>(draw);
  }
  const double mean = static_cast<double>(n) * p;
  const double var = mean * (1 - p);
  EXPECT_NEAR(Mean(k), mean, 5 * std::sqrt(var / kN) + 1e-12) << "n=" << n << " p=" << p;
  EXPECT_NEAR(Sd(k) * Sd(k), var, var * 0.03 + 1e-12) << "n=" << n << " p=" << p;
}

TEST(Rng, BinomialExactInversionRegime) {
  CheckBinomial(300, 0.01, 1);         // n·p·q = 2.97
  CheckBinomial(10000, 0.001, 2);      // 9.99
  CheckBinomial(3000, 0.01, 3);        // 29.7: the largest exact case
  CheckBinomial(1000000000, 1e-8, 4);  // huge n, tiny p
  CheckBinomial(40, 0.5, 5);
  CheckBinomial(300, 0.99, 6);  // by symmetry
  // The exact pmf at 0 for Binomial(300, 0.01) is 0.99^300 = 0.04904.
  Rng rng(21);
  int zeros = 0;
  for (int i = 0; i < 200000; ++i) zeros += rng.Binomial(300, 0.01) == 0 ? 1 : 0;
  EXPECT_NEAR(zeros / 200000.0, std::pow(0.99, 300), 4 * std::sqrt(0.049 * 0.951 / 200000));
}

TEST(Rng, BinomialNormalApproximationRegime) {
  CheckBinomial(10000, 0.01, 7);   // 99
  CheckBinomial(100000, 0.02, 8);  // 1960
  CheckBinomial(10000, 0.97, 9);   // by symmetry
  CheckBinomial(3100, 0.01, 10);   // 30.69: just above the switch
}

TEST(Rng, BinomialEdges) {
  Rng rng(13);
  EXPECT_EQ(rng.Binomial(0, 0.5), 0u);
  EXPECT_EQ(rng.Binomial(100, 0.0), 0u);
  EXPECT_EQ(rng.Binomial(100, -1.0), 0u);
  EXPECT_EQ(rng.Binomial(100, 1.0), 100u);
  EXPECT_EQ(rng.Binomial(100, 7.0), 100u);
  EXPECT_EQ(rng.Binomial(100, std::nan("")), 0u);
}

TEST(Rng, PoissonBothRegimes) {
  for (const double lambda : {0.5, 4.0, 29.0, 31.0, 500.0}) {
    Rng rng(static_cast<std::uint64_t>(lambda * 10));
    std::vector<double> k(100000);
    for (auto& x : k) x = static_cast<double>(rng.Poisson(lambda));
    EXPECT_NEAR(Mean(k), lambda, 5 * std::sqrt(lambda / 100000.0)) << lambda;
    EXPECT_NEAR(Sd(k) * Sd(k), lambda, lambda * 0.03) << lambda;
  }
  Rng rng(1);
  EXPECT_EQ(rng.Poisson(0.0), 0u);
  EXPECT_EQ(rng.Poisson(-3.0), 0u);
}

// ---- the simulator ---------------------------------------------------------------------------

TEST(LoadSimulator, StartConstantIs20261123T1000Z) {
  using namespace std::chrono;
  const auto t = sys_days{year{2026} / November / 23} + hours{10};
  EXPECT_EQ(Scenario{}.start_ts_ms, duration_cast<milliseconds>(t.time_since_epoch()).count());
}

// Pins the streams: a change to any draw or to the order of draws moves these, which silently
// re-rolls every seeded statistical test. Update the pins only on purpose.
TEST(LoadSimulator, GoldenStreamsArePinned) {
  Scenario split = NullRateScenario(42, 0.01, 0.02, 10000, 0.3, 0.3);
  Scenario shadow = split;
  shadow.shadow = true;
  shadow.canary.rows_median = 9000;
  Scenario low = AaScenario(43, 0.0, 300, 0.5, false);
  const auto a = Collect(split);
  const auto b = Collect(shadow);
  const auto c = Collect(low);
  // The first sample, spelled out.
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0].load_id, "2026-11-23T10:00Z/p0");
  const std::uint64_t pins[] = {Fingerprint(a), Fingerprint(b), Fingerprint(c)};
  const std::uint64_t expected[] = {7318506522777335ULL, 2776542261557601314ULL,
                                    14600137690043357345ULL};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pins[i], expected[i]) << "stream " << i << " moved";
  }
}

TEST(LoadSimulator, SameSeedSameSequence) {
  for (const bool shadow : {false, true}) {
    Scenario sc = NullRateScenario(5, 0.01, 0.03, 10000, 0.4, 0.3);
    sc.shadow = shadow;
    sc.canary.late_share = 0.2;
    sc.canary.rows_median = 9500;
    const auto a = Collect(sc);
    const auto b = Collect(sc);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_GT(a.size(), 100u);
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_TRUE(SameSample(a[i], b[i])) << "shadow=" << shadow << " sample " << i;
    }
  }
}

TEST(LoadSimulator, DifferentSeedDifferentSequence) {
  const auto a = Collect(AaScenario(1, 0.3, 10000, 0.5, false));
  const auto b = Collect(AaScenario(2, 0.3, 10000, 0.5, false));
  int same_rows = 0;
  int same_arm = 0;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    same_rows += a[i].rows == b[i].rows ? 1 : 0;
    same_arm += a[i].arm == b[i].arm ? 1 : 0;
  }
  EXPECT_LT(same_rows, static_cast<int>(n) / 10);
  EXPECT_LT(same_arm, static_cast<int>(n) * 3 / 4);  // ~half agree by chance
}

TEST(LoadSimulator, TimestampsNonDecreasingAndIdsFollowSlots) {
  for (const bool shadow : {false, true}) {
    Scenario sc = AaScenario(3, 0.3, 1000, 0.5, shadow);
    sc.loads = 500;
    sc.emit_baseline_before_start = true;
    sc.baseline_history_loads = 30;
    const auto samples = Collect(sc);
    ASSERT_FALSE(samples.empty());
    std::set<std::pair<int, std::string>> keys;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const Sample& s = samples[i];
      if (i > 0) {
        ASSERT_GE(s.ts_ms, samples[i - 1].ts_ms) << i;
      }
      EXPECT_TRUE(keys.insert({static_cast<int>(s.arm), s.load_id}).second)
          << "repeated (arm, load_id) " << s.load_id;
      const auto slash = s.load_id.find('/');
      ASSERT_NE(slash, std::string::npos);
      const int idx = std::stoi(s.load_id.substr(slash + 2));
      const std::int64_t slot_ms = s.load_id[slash + 1] == 'p'
                                       ? sc.start_ts_ms + idx * sc.interval_ms
                                       : sc.start_ts_ms - (30 - idx) * sc.interval_ms;
      EXPECT_GE(s.ts_ms, slot_ms);
      EXPECT_LT(s.ts_ms, slot_ms + sc.interval_ms);
    }
    EXPECT_EQ(samples[30].load_id, "2026-11-23T10:00Z/p0");
    EXPECT_EQ(samples[0].load_id, "2026-11-23T09:30Z/h0");
  }
  // Minute prefix across a day and year boundary.
  Scenario sc;
  sc.start_ts_ms = 1798761540000;  // 2026-12-31T23:59:00Z
  sc.loads = 2;
  sc.canary_share = 0;
  const auto samples = Collect(sc);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].load_id, "2026-12-31T23:59Z/p0");
  EXPECT_EQ(samples[1].load_id, "2027-01-01T00:00Z/p1");
}

TEST(LoadSimulator, CanaryShareWithinBinomialBounds) {
  for (const double share : {0.1, 0.5, 0.9}) {
    Scenario sc = AaScenario(17, 0.0, 1000, share, false);
    sc.loads = 20000;
    LoadSimulator sim(sc);
    Sample s;
    int canary = 0;
    int total = 0;
    while (sim.Next(&s)) {
      ++total;
      canary += s.arm == Arm::kCanary ? 1 : 0;
    }
    EXPECT_EQ(total, sc.loads);
    EXPECT_EQ(canary, sim.canary_loads_emitted());
    EXPECT_EQ(total - canary, sim.baseline_loads_emitted());
    const double sd = std::sqrt(sc.loads * share * (1 - share));
    EXPECT_NEAR(canary, sc.loads * share, 4.5 * sd) << share;
  }
}

TEST(LoadSimulator, ArmsCarryReleaseSchemaAndAllFigures) {
  Scenario sc = AaScenario(4, 0.0, 1000, 0.5, false);
  sc.canary.schema = "sha256:new";
  sc.baseline.schema = "";
  for (const Sample& s : Collect(sc)) {
    EXPECT_EQ(s.dataset, "analytics.orders");
    ASSERT_EQ(s.nulls.size(), 2u);
    EXPECT_EQ(s.nulls[0].column, "email");
    EXPECT_EQ(s.nulls[1].column, "customer_id");
    EXPECT_TRUE(s.freshness_s.has_value());
    EXPECT_TRUE(s.duplicates.has_value());
    if (s.arm == Arm::kCanary) {
      EXPECT_EQ(s.release, "aa-4");
      EXPECT_EQ(s.schema, "sha256:new");
    } else {
      EXPECT_EQ(s.release, "");
      EXPECT_EQ(s.schema, "");
    }
  }
}

TEST(LoadSimulator, NullAndDuplicateRatesMatchProfile) {
  Scenario sc = AaScenario(9, 0.3, 10000, 0.5, false);
  sc.loads = 4000;
  sc.baseline.null_rate = 0.01;
  sc.canary.null_rate = 0.04;
  sc.canary.duplicate_rate = 0.005;
  std::map<Arm, double> rows;
  std::map<Arm, double> nulls;
  std::map<Arm, double> dups;
  for (const Sample& s : Collect(sc)) {
    rows[s.arm] += static_cast<double>(s.rows);
    nulls[s.arm] += static_cast<double>(NullsOf(s, "email") + NullsOf(s, "customer_id")) / 2;
    dups[s.arm] += static_cast<double>(*s.duplicates);
  }
  // ~2000 loads per arm, per-load rate sd ~17% of the rate: the pooled mean is within ~1%.
  EXPECT_NEAR(nulls[Arm::kBaseline] / rows[Arm::kBaseline], 0.01, 0.01 * 0.03);
  EXPECT_NEAR(nulls[Arm::kCanary] / rows[Arm::kCanary], 0.04, 0.04 * 0.03);
  EXPECT_NEAR(dups[Arm::kBaseline] / rows[Arm::kBaseline], 0.001, 0.001 * 0.04);
  EXPECT_NEAR(dups[Arm::kCanary] / rows[Arm::kCanary], 0.005, 0.005 * 0.04);
}

TEST(LoadSimulator, RowsAndFreshnessAreLognormal) {
  Scenario sc = AaScenario(10, 0.0, 50000, 0.5, false);
  sc.loads = 5000;
  sc.baseline.rows_sigma = sc.canary.rows_sigma = 0.2;
  sc.canary.freshness_median_s = 600;
  sc.canary.freshness_sigma = 1.0;
  std::map<Arm, std::vector<double>> log_rows;
  std::map<Arm, std::vector<double>> log_fresh;
  for (const Sample& s : Collect(sc)) {
    log_rows[s.arm].push_back(std::log(static_cast<double>(s.rows)));
    log_fresh[s.arm].push_back(std::log(*s.freshness_s));
  }
  for (const Arm arm : {Arm::kBaseline, Arm::kCanary}) {
    EXPECT_NEAR(Mean(log_rows[arm]), std::log(50000.0), 0.02);
    EXPECT_NEAR(Sd(log_rows[arm]), 0.2, 0.01);
  }
  EXPECT_NEAR(Mean(log_fresh[Arm::kBaseline]), std::log(300.0), 0.05);
  EXPECT_NEAR(Sd(log_fresh[Arm::kBaseline]), 0.5, 0.025);
  EXPECT_NEAR(Mean(log_fresh[Arm::kCanary]), std::log(600.0), 0.1);
  EXPECT_NEAR(Sd(log_fresh[Arm::kCanary]), 1.0, 0.05);
}

TEST(LoadSimulator, LateShareAddsTheHeavyTail) {
  Scenario sc = AaScenario(14, 0.0, 1000, 0.5, false);
  sc.loads = 10000;
  sc.canary.late_share = 0.1;
  sc.canary.late_extra_s = 1200;
  sc.canary.freshness_sigma = sc.baseline.freshness_sigma = 0.1;  // on-time loads are < 500 s
  std::map<Arm, int> late;
  std::map<Arm, int> n;
  for (const Sample& s : Collect(sc)) {
    ++n[s.arm];
    late[s.arm] += *s.freshness_s > 1000 ? 1 : 0;
  }
  EXPECT_EQ(late[Arm::kBaseline], 0);
  const double sd = std::sqrt(n[Arm::kCanary] * 0.1 * 0.9);
  EXPECT_NEAR(late[Arm::kCanary], n[Arm::kCanary] * 0.1, 4.5 * sd);
}

// Per-load null rate spread: binomial-only sd sqrt(p(1-p)/rows) without jitter; with jitter j the
// factor adds variance p²·j²/3 (uniform on [1-j, 1+j]).
TEST(LoadSimulator, JitterWidensBetweenLoadSpreadAsExpected) {
  const double p = 0.01;
  const double rows = 10000;
  const double binomial_sd = std::sqrt(p * (1 - p) / rows);
  for (const double jitter : {0.0, 0.3, 0.6}) {
    Scenario sc = AaScenario(15, jitter, rows, 0.5, false);
    sc.loads = 6000;
    sc.baseline.rows_sigma = sc.canary.rows_sigma = 0.0;
    std::map<Arm, std::vector<double>> rate;
    for (const Sample& s : Collect(sc)) {
      rate[s.arm].push_back(static_cast<double>(NullsOf(s, "email")) / static_cast<double>(s.rows));
    }
    const double expected = std::sqrt(binomial_sd * binomial_sd + p * p * jitter * jitter / 3);
    for (const Arm arm : {Arm::kBaseline, Arm::kCanary}) {
      // ~3000 loads: the sd is estimated to ~1.5-2.5%; allow 8%.
      EXPECT_NEAR(Sd(rate[arm]), expected, expected * 0.08) << "jitter " << jitter;
      EXPECT_NEAR(Mean(rate[arm]), p, 4 * expected / std::sqrt(rate[arm].size()));
    }
    if (jitter == 0.3) {
      EXPECT_GT(expected / binomial_sd, 1.9);
    }
  }
}

// Pairs each shadow slot's baseline with its canary; checks order and shared identity.
std::vector<std::pair<Sample, Sample>> ShadowPairs(const Scenario& sc) {
  const auto samples = Collect(sc);
  std::vector<std::pair<Sample, Sample>> pairs;
  EXPECT_EQ(samples.size() % 2, 0u);
  for (std::size_t i = 0; i + 1 < samples.size(); i += 2) {
    const Sample& b = samples[i];
    const Sample& c = samples[i + 1];
    EXPECT_EQ(b.arm, Arm::kBaseline);
    EXPECT_EQ(c.arm, Arm::kCanary);
    EXPECT_EQ(b.load_id, c.load_id);
    EXPECT_GT(c.ts_ms, b.ts_ms);
    EXPECT_LE(c.ts_ms - b.ts_ms, 10000);
    pairs.emplace_back(b, c);
  }
  return pairs;
}

TEST(LoadSimulator, ShadowAaGivesIdenticalFiguresPerLoadId) {
  for (const double jitter : {0.0, 0.3, 0.6}) {
    for (const double rows : {300.0, 100000.0}) {
      Scenario sc = AaScenario(20, jitter, rows, 0.1, true);
      sc.baseline.late_share = sc.canary.late_share = 0.2;
      const auto pairs = ShadowPairs(sc);
      ASSERT_EQ(pairs.size(), 200u);
      for (const auto& [b, c] : pairs) {
        EXPECT_EQ(b.rows, c.rows);
        EXPECT_EQ(b.duplicates, c.duplicates);
        EXPECT_EQ(b.freshness_s, c.freshness_s);
        EXPECT_EQ(b.schema, c.schema);
        ASSERT_EQ(b.nulls.size(), c.nulls.size());
        for (std::size_t i = 0; i < b.nulls.size(); ++i) {
          EXPECT_EQ(b.nulls[i].nulls, c.nulls[i].nulls) << b.load_id;
        }
      }
    }
  }
}

TEST(LoadSimulator, ShadowNullRegressionAddsNullsToTheSameInput) {
  Scenario sc = NullRateScenario(21, 0.01, 0.02, 10000, 0.5, 0.3);
  sc.shadow = true;
  sc.loads = 2000;
  double base = 0;
  double canary = 0;
  for (const auto& [b, c] : ShadowPairs(sc)) {
    EXPECT_EQ(b.rows, c.rows);
    EXPECT_EQ(b.duplicates, c.duplicates);
    EXPECT_EQ(b.freshness_s, c.freshness_s);
    for (const char* column : {"email", "customer_id"}) {
      EXPECT_GE(NullsOf(c, column), NullsOf(b, column)) << b.load_id;
      EXPECT_LE(NullsOf(c, column), c.rows);
      base += static_cast<double>(NullsOf(b, column));
      canary += static_cast<double>(NullsOf(c, column));
    }
  }
  EXPECT_NEAR(canary / base, 2.0, 0.03);
}

TEST(LoadSimulator, ShadowLowerRateThinsAndRowsFreshnessScale) {
  Scenario sc = AaScenario(22, 0.3, 10000, 0.5, true);
  sc.loads = 2000;
  sc.canary.null_rate = 0.005;
  sc.canary.rows_median = 8000;
  sc.canary.freshness_median_s = 600;
  double base_rate = 0;
  double canary_rate = 0;
  for (const auto& [b, c] : ShadowPairs(sc)) {
    // Rows scale by 0.8 (rounded; rows differ by the rounding of b's unrounded value).
    EXPECT_NEAR(static_cast<double>(c.rows), 0.8 * static_cast<double>(b.rows), 1.0);
    EXPECT_NEAR(*c.freshness_s / *b.freshness_s, 2.0, 1e-9);
    EXPECT_LE(NullsOf(c, "email"), NullsOf(b, "email"));
    EXPECT_LE(*c.duplicates, *b.duplicates);
    base_rate += static_cast<double>(NullsOf(b, "email")) / static_cast<double>(b.rows);
    canary_rate += static_cast<double>(NullsOf(c, "email")) / static_cast<double>(c.rows);
  }
  EXPECT_NEAR(canary_rate / base_rate, 0.5, 0.02);
}

TEST(LoadSimulator, ShadowMoreRowsKeepTheRate) {
  Scenario sc = AaScenario(23, 0.0, 10000, 0.5, true);
  sc.loads = 2000;
  sc.canary.rows_median = 12000;
  double nb = 0;
  double nc = 0;
  double rb = 0;
  double rc = 0;
  for (const auto& [b, c] : ShadowPairs(sc)) {
    EXPECT_GE(c.rows, b.rows);
    EXPECT_GE(NullsOf(c, "email"), NullsOf(b, "email"));
    nb += static_cast<double>(NullsOf(b, "email"));
    nc += static_cast<double>(NullsOf(c, "email"));
    rb += static_cast<double>(b.rows);
    rc += static_cast<double>(c.rows);
  }
  EXPECT_NEAR(nc / rc, nb / rb, 0.0003);
  EXPECT_NEAR(rc / rb, 1.2, 1e-4);
}

TEST(LoadSimulator, RegressionAfterCanaryLoadsSwitchesShadow) {
  Scenario sc = NullRateScenario(24, 0.01, 0.05, 10000, 0.5, 0.3);
  sc.shadow = true;
  sc.loads = 100;
  sc.regression_after_canary_loads = 40;
  LoadSimulator sim(sc);
  Sample b;
  Sample c;
  for (int slot = 0; slot < 100; ++slot) {
    ASSERT_TRUE(sim.Next(&b));
    ASSERT_TRUE(sim.Next(&c));
    ASSERT_EQ(c.arm, Arm::kCanary);
    EXPECT_EQ(sim.regression_active(), slot >= 40) << slot;
    if (slot < 40) {
      EXPECT_EQ(NullsOf(c, "email"), NullsOf(b, "email")) << slot;
    } else {
      EXPECT_GT(NullsOf(c, "email"), NullsOf(b, "email")) << slot;  // +4% of 10k rows
    }
  }
  EXPECT_FALSE(sim.Next(&b));
}

TEST(LoadSimulator, RegressionAfterCanaryLoadsSwitchesSplit) {
  Scenario sc = NullRateScenario(25, 0.01, 0.05, 10000, 0.5, 0.0);
  sc.loads = 400;
  sc.regression_after_canary_loads = 50;
  sc.canary.schema = "sha256:new";
  LoadSimulator sim(sc);
  Sample s;
  int canary = 0;
  double before = 0;
  double after = 0;
  while (sim.Next(&s)) {
    if (s.arm != Arm::kCanary) continue;
    const double rate = static_cast<double>(NullsOf(s, "email")) / static_cast<double>(s.rows);
    if (canary < 50) {
      EXPECT_FALSE(sim.regression_active());
      EXPECT_EQ(s.schema, "sha256:base");
      before += rate;
    } else {
      EXPECT_TRUE(sim.regression_active());
      EXPECT_EQ(s.schema, "sha256:new");
      after += rate;
    }
    ++canary;
  }
  ASSERT_GT(canary, 150);
  EXPECT_NEAR(before / 50, 0.01, 0.001);
  EXPECT_NEAR(after / (canary - 50), 0.05, 0.002);
}

TEST(LoadSimulator, CanarySilentStopsTheCanaryOnly) {
  for (const bool shadow : {false, true}) {
    Scenario sc = AaScenario(26, 0.0, 1000, 0.5, shadow);
    sc.loads = 300;
    sc.canary_silent_after_loads = 10;
    const auto samples = Collect(sc);
    int canary = 0;
    int baseline = 0;
    std::int64_t last_canary_ts = 0;
    std::int64_t last_baseline_ts = 0;
    for (const Sample& s : samples) {
      if (s.arm == Arm::kCanary) {
        ++canary;
        last_canary_ts = s.ts_ms;
      } else {
        ++baseline;
        last_baseline_ts = s.ts_ms;
      }
    }
    EXPECT_EQ(canary, 10);
    EXPECT_GT(baseline, shadow ? 299 : 100);
    EXPECT_GT(last_baseline_ts - last_canary_ts, 100 * sc.interval_ms);
  }
  Scenario never = AaScenario(27, 0.0, 1000, 0.5, true);
  never.canary_silent_after_loads = 0;
  LoadSimulator sim(never);
  Sample s;
  while (sim.Next(&s)) EXPECT_EQ(s.arm, Arm::kBaseline);
  EXPECT_EQ(sim.canary_loads_emitted(), 0);
  EXPECT_EQ(sim.baseline_loads_emitted(), 200);
}

TEST(LoadSimulator, AllNullColumnsAreFullyNullInTheirArmOnly) {
  for (const bool shadow : {false, true}) {
    Scenario sc = AaScenario(28, 0.3, 5000, 0.5, shadow);
    sc.canary.all_null_columns = {"email"};
    int canary = 0;
    for (const Sample& s : Collect(sc)) {
      if (s.arm == Arm::kCanary) {
        ++canary;
        EXPECT_EQ(NullsOf(s, "email"), s.rows);
        EXPECT_LT(NullsOf(s, "customer_id"), s.rows / 10);
      } else {
        EXPECT_LT(NullsOf(s, "email"), s.rows / 10);
      }
    }
    EXPECT_GT(canary, 50);
  }
  // Baseline all-null, canary fixed in shadow mode: the canary's nulls thin to its own rate.
  Scenario fixed = AaScenario(29, 0.0, 5000, 0.5, true);
  fixed.baseline.all_null_columns = {"customer_id"};
  double rate = 0;
  const auto pairs = ShadowPairs(fixed);
  for (const auto& [b, c] : pairs) {
    EXPECT_EQ(NullsOf(b, "customer_id"), b.rows);
    rate += static_cast<double>(NullsOf(c, "customer_id")) / static_cast<double>(c.rows);
  }
  EXPECT_NEAR(rate / static_cast<double>(pairs.size()), 0.01, 0.001);
}

TEST(LoadSimulator, BaselineHistoryComesBeforeTheRelease) {
  Scenario sc = AaScenario(30, 0.0, 1000, 0.5, false);
  sc.emit_baseline_before_start = true;
  sc.baseline_history_loads = 60;
  const auto samples = Collect(sc);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(samples[i].arm, Arm::kBaseline);
    EXPECT_LT(samples[i].ts_ms, sc.start_ts_ms);
  }
  EXPECT_GE(samples[60].ts_ms, sc.start_ts_ms);
  EXPECT_EQ(samples.size(), 260u);
  // Without the flag the count is ignored.
  sc.emit_baseline_before_start = false;
  EXPECT_EQ(Collect(sc).size(), 200u);
}

TEST(LoadSimulator, SplitScenariosWithOneSeedShareSlotsAndBaseline) {
  Scenario aa = AaScenario(31, 0.3, 10000, 0.3, false);
  Scenario bad = NullRateScenario(31, 0.01, 0.05, 10000, 0.3, 0.3);
  bad.canary_silent_after_loads = 5;
  const auto a = Collect(aa);
  const auto b = Collect(bad);
  std::vector<Sample> base_a;
  std::vector<Sample> base_b;
  for (const auto& s : a) {
    if (s.arm == Arm::kBaseline) base_a.push_back(s);
  }
  for (const auto& s : b) {
    if (s.arm == Arm::kBaseline) base_b.push_back(s);
  }
  ASSERT_EQ(base_a.size(), base_b.size());
  for (std::size_t i = 0; i < base_a.size(); ++i) {
    EXPECT_TRUE(SameSample(base_a[i], base_b[i])) << i;
  }
}

TEST(LoadSimulator, SamplesKeepTheContractUnderExtremeProfiles) {
  Scenario sc = AaScenario(32, 1.5, 0.7, 0.5, false);  // jitter > 1, rows mostly 0 or 1
  sc.columns = {"a", "b", "a", "c"};                   // the repeated column is dropped
  sc.baseline.null_rate = 0.99;
  sc.canary.null_rate = 3.0;  // latent rate clamped to 1 (0 where the jitter factor is < 0)
  sc.canary.duplicate_rate = 0.9;
  sc.baseline.rows_sigma = 3.0;
  sc.loads = 3000;
  for (const bool shadow : {false, true}) {
    sc.shadow = shadow;
    bool saw_zero_rows = false;
    for (const Sample& s : Collect(sc)) {
      ASSERT_EQ(s.nulls.size(), 3u);
      std::set<std::string> names;
      for (const auto& c : s.nulls) {
        EXPECT_LE(c.nulls, s.rows);
        names.insert(c.column);
      }
      EXPECT_EQ(names.size(), 3u);
      EXPECT_LE(*s.duplicates, s.rows);
      EXPECT_GE(*s.freshness_s, 0.0);
      if (s.arm == Arm::kCanary) {
        EXPECT_FALSE(s.release.empty());
      }
      saw_zero_rows = saw_zero_rows || s.rows == 0;
    }
    EXPECT_TRUE(saw_zero_rows);
  }
  Scenario empty;
  empty.loads = -5;
  empty.canary_share = 7;
  LoadSimulator sim(empty);
  Sample s;
  EXPECT_FALSE(sim.Next(&s));
}

TEST(LoadSimulator, ExhaustedStaysExhaustedAndCountsAddUp) {
  Scenario sc = AaScenario(33, 0.0, 1000, 0.25, true);
  sc.loads = 50;
  LoadSimulator sim(sc);
  Sample s;
  int n = 0;
  while (sim.Next(&s)) ++n;
  EXPECT_EQ(n, 100);
  EXPECT_FALSE(sim.Next(&s));
  EXPECT_FALSE(sim.Next(&s));
  EXPECT_EQ(sim.canary_loads_emitted(), 50);
  EXPECT_EQ(sim.baseline_loads_emitted(), 50);
  EXPECT_TRUE(sim.regression_active());  // equal profiles, but the canary profile is in use
}

TEST(LoadSimulator, ReusedSampleEqualsFreshSamples) {
  Scenario sc = NullRateScenario(34, 0.01, 0.02, 1000, 0.5, 0.3);
  sc.shadow = true;
  sc.canary.schema = "sha256:a-much-longer-schema-fingerprint-than-the-baseline-one";
  LoadSimulator reused(sc);
  LoadSimulator fresh(sc);
  Sample r;
  for (int i = 0; i < 400; ++i) {
    Sample f;
    ASSERT_EQ(reused.Next(&r), fresh.Next(&f));
    ASSERT_TRUE(SameSample(r, f)) << i;
  }
}

TEST(LoadSimulator, ConvenienceConstructors) {
  const Scenario aa = AaScenario(35, 0.3, 300, 0.1, true);
  EXPECT_EQ(aa.seed, 35u);
  EXPECT_TRUE(aa.shadow);
  EXPECT_EQ(aa.canary_share, 0.1);
  EXPECT_EQ(aa.baseline.rows_median, 300);
  EXPECT_EQ(aa.baseline.rate_jitter, 0.3);
  EXPECT_EQ(aa.canary.rows_median, 300);
  EXPECT_EQ(aa.canary.null_rate, aa.baseline.null_rate);
  EXPECT_EQ(aa.canary.rate_jitter, 0.3);
  const Scenario nr = NullRateScenario(36, 0.01, 0.02, 10000, 0.1, 0.6);
  EXPECT_FALSE(nr.shadow);
  EXPECT_EQ(nr.baseline.null_rate, 0.01);
  EXPECT_EQ(nr.canary.null_rate, 0.02);
  EXPECT_EQ(nr.canary.rows_median, 10000);
  EXPECT_EQ(nr.canary.rate_jitter, 0.6);
  EXPECT_EQ(nr.regression_after_canary_loads, 0);
  EXPECT_NE(nr.release, "");
}

}  // namespace
}  // namespace canaryd::sim
