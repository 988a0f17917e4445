// A deterministic, seeded simulator of canary releases: yields v1 Samples (design §2) in time
// order for the statistical tests, the benchmarks and `canaryd demo`.
//
// Reproducibility. Every random number comes from std::mt19937_64 (its output sequence is fixed
// by the C++ standard) through the draws in Rng below, which are written here rather than taken
// from <random>: std:: distributions differ between standard libraries. The draws use only IEEE
// +, -, *, /, sqrt, floor, frexp and ldexp (all exactly specified) plus DetExp/DetLog, our own
// polynomial exp/log, so the stream does not depend on the platform's libm either. One caveat:
// the compiler must not fuse a*b+c into an FMA (GCC with -std=c++20 does not; with clang or
// -std=gnu++20 on an FMA target pass -ffp-contract=off), or the last bits of doubles may differ.
//
// Speed. No heap allocation per sample beyond the Sample's own strings and vector, and none at all
// when the caller reuses one Sample object for every Next() call (the strings keep their capacity).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "detector/sample.h"

namespace canaryd::sim {

// exp and natural log from IEEE basic operations only (within a few ulp of libm over the normal
// range). DetLog(x) for x <= 0 returns -inf (x == 0) or NaN (x < 0); DetExp overflows to +inf
// above ~709.78 and underflows to 0 below ~-745.
double DetExp(double x);
double DetLog(double x);

// The random draws, each a documented function of the mt19937_64 stream.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t NextU64() { return engine_(); }
  // Uniform on [0, 1): the top 53 bits of one engine output times 2^-53.
  double Uniform();
  // Standard normal: Marsaglia's polar method (pairs of uniforms on (-1, 1) rejected outside the
  // unit disc); the second value of each accepted pair is cached and returned by the next call.
  double Normal();
  // median * exp(sigma * Normal()).
  double LogNormal(double median, double sigma);
  // Binomial(n, p), p clamped to [0, 1]. By symmetry works with p' = min(p, 1-p) (returning
  // n - k when p > 1/2). When n·p·(1-p) > 30: normal approximation with continuity correction,
  // floor(n·p' + sqrt(n·p'·(1-p'))·Z + 1/2) clamped to [0, n] (one Normal()). Otherwise exact
  // inversion (BINV): one Uniform() walked down the pmf from P(0) = (1-p')^n with the ratio
  // P(k+1)/P(k) = (n-k)/(k+1) · p'/(1-p'); the mean is then < 60, so the walk is short.
  std::uint64_t Binomial(std::uint64_t n, double p);
  // Poisson(lambda), lambda <= 0 gives 0. lambda > 30: normal approximation with continuity
  // correction, floor(lambda + sqrt(lambda)·Z + 1/2) clamped at 0 (one Normal()); otherwise exact
  // inversion of one Uniform() from P(0) = e^-lambda.
  std::uint64_t Poisson(double lambda);

 private:
  std::mt19937_64 engine_;
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

// How one arm behaves. Rates are per load: each load's latent rate is the arm's rate times that
// load's jitter factor; the load's count is Binomial(rows, min(1, latent rate)).
struct ArmProfile {
  double null_rate = 0.01;  // per column, mean share of rows null
  double duplicate_rate = 0.001;
  double rows_median = 10000;  // rows per load, lognormal around this
  double rows_sigma = 0.05;    // lognormal sigma of rows per load
  // Overdispersion: each load's rates (each column's null rate and the duplicate rate, each with
  // its own factor) are multiplied by a factor drawn uniformly in [1-j, 1+j] (j = 0.3 means ±30%;
  // a negative factor, j > 1, counts as 0).
  double rate_jitter = 0.0;
  double freshness_median_s = 300;  // lognormal freshness
  double freshness_sigma = 0.5;
  // Duplicate bursts: this share of loads (a retried task writing its rows twice) has
  // burst_duplicate_rate of its rows duplicated instead of the jittered duplicate_rate.
  double duplicate_burst_share = 0.0;
  double burst_duplicate_rate = 0.02;
  double late_share = 0.0;  // heavy tail: this share of loads gets +late_extra_s
  double late_extra_s = 1200;
  // This share of loads has no rows (an upstream with nothing new): rows, nulls and duplicates 0.
  double empty_share = 0.0;
  std::string schema = "sha256:base";         // empty: the sample reports no schema
  std::vector<std::string> all_null_columns;  // columns that are 100% null in this arm
  // Per-column null rates overriding null_rate (e.g. only `email` regresses).
  std::vector<std::pair<std::string, double>> column_null_rates;
};

struct Scenario {
  std::uint64_t seed = 1;
  std::string dataset = "analytics.orders";
  std::string release = "orders-dbt-1";
  std::vector<std::string> columns = {"email", "customer_id"};  // duplicates are dropped
  std::int64_t start_ts_ms = 1795428000000;                     // 2026-11-23T10:00:00Z
  std::int64_t interval_ms = 60000;                             // one load slot per interval
  int loads = 200;                                              // load slots
  // Split mode: each slot is canary with this probability, else baseline. Ignored in shadow mode.
  double canary_share = 0.5;
  // Split mode, scheduled: when > 0, every canary_every-th slot (slots k-1, 2k-1, ...) is canary
  // and canary_share is ignored, as when a fixed partition of each run goes to the canary.
  int canary_every = 0;
  // Shadow mode: every slot runs in BOTH arms with the same load_id and the same input.
  bool shadow = false;
  ArmProfile baseline;
  ArmProfile canary;  // the canary's behaviour once the regression is active
  // The canary behaves like `baseline` for its first N loads, then like `canary`.
  int regression_after_canary_loads = 0;
  // >= 0: the canary stops reporting after this many canary loads (baseline continues).
  int canary_silent_after_loads = -1;
  // Optional warm baseline history: baseline_history_loads baseline-only slots just before
  // start_ts_ms (one per interval), emitted before the release's slots.
  bool emit_baseline_before_start = false;
  int baseline_history_loads = 0;
};

// Yields the scenario's samples in ts order (non-decreasing).
//
// Timing and ids. Release slot s (0 <= s < loads) is scheduled at start + s·interval; history
// slot h (0 <= h < N) at start - (N-h)·interval. A baseline load finishes (ts) at its slot time
// plus min(1 s, interval/4), a canary load at plus min(4 s, interval/2). load_id is the slot time
// to the minute and the slot: "2026-11-23T10:00Z/p17" for release slots, ".../h3" for history.
// Canary samples carry `release`; baseline samples an empty release. Every sample reports rows,
// freshness_s, nulls for every column (in `columns` order), duplicates and the arm's schema.
//
// Split mode. Each slot is canary with probability canary_share (its own stream), else baseline.
// A load draws rows = round(LogNormal(rows_median, rows_sigma)), then per column a jitter factor
// and nulls ~ Binomial(rows, min(1, null_rate·factor)), then likewise duplicates, then freshness
// = LogNormal(freshness_median_s, freshness_sigma) + late_extra_s with probability late_share.
// The baseline and the canary draw from separate streams, so two scenarios with the same seed
// and the same canary_share produce the same slot assignment and the same baseline samples
// whatever the canary does (common random numbers for comparing scenarios). A canary slot after
// the canary went silent emits nothing.
//
// Shadow mode. Each slot's INPUT is drawn once with the baseline profile (the same draws as a
// split-mode baseline load; the baseline's output is that load). The canary output is a
// transform of the same input with the canary's profile, coupled through the same latent
// normals/uniforms: rows = round(median_c·exp(sigma_c·z)) with the baseline's z, jitter factor
// 1 + j_c·(2u-1) with the baseline's u, freshness median_c·exp(sigma_c·z') (+ late when the
// baseline's late uniform < late_share_c). Counts are carried over and only the difference is
// drawn: more rows add Binomial(extra rows, p_b) nulls, fewer keep Binomial(nulls, rows_c/rows_b);
// then p_c > p_b adds Binomial(rows - nulls, (p_c-p_b)/(1-p_b)), p_c < p_b keeps
// Binomial(nulls, p_c/p_b). Each step preserves the Binomial(rows_c, p_c) marginal, and when the
// profiles are equal nothing is drawn: both arms report exactly the same figures. Per slot the
// baseline is emitted first, then the canary (same load_id, ts a few seconds later).
//
// all_null_columns: that column's nulls == rows in that arm (in shadow mode a baseline all-null
// column counts as p_b = 1 for the canary's transform).
//
// Out-of-range scenario values are clamped: loads and history < 0 count as 0, canary_share to
// [0, 1], latent rates to [0, 1], rows to [0, 2^62].
class LoadSimulator {
 public:
  explicit LoadSimulator(Scenario scenario);

  // Fills *out with the next sample; false when the scenario is exhausted.
  bool Next(Sample* out);

  int canary_loads_emitted() const { return canary_emitted_; }
  int baseline_loads_emitted() const { return baseline_emitted_; }
  // True once the canary has emitted a load with the `canary` profile.
  bool regression_active() const { return regression_active_; }
  const Scenario& scenario() const { return scenario_; }

 private:
  // One load's figures, and the latent draws that produced them (for the shadow transform).
  struct LoadFigures {
    std::uint64_t rows = 0;
    std::vector<std::uint64_t> nulls;  // per column
    std::uint64_t duplicates = 0;
    double freshness_s = 0;
  };
  struct Latent {
    double z_rows = 0;
    std::vector<double> u_null_jitter;  // per column
    double u_dup_jitter = 0;
    double z_freshness = 0;
    double u_late = 0;
  };

  void DrawLoad(Rng& rng, const ArmProfile& profile, const std::vector<char>& all_null,
                LoadFigures* figures, Latent* latent);
  void TransformShadow(const ArmProfile& to, const std::vector<char>& to_all_null,
                       LoadFigures* figures);
  bool CanaryCanEmit() const;
  bool CanaryRegressedNext() const;
  void Emit(Arm arm, const LoadFigures& figures, const ArmProfile& profile, std::int64_t slot_ms,
            char slot_kind, std::int64_t slot_index, Sample* out);

  Scenario scenario_;
  std::vector<char> baseline_all_null_;  // per column
  std::vector<char> canary_all_null_;    // per column
  Rng assign_rng_;                       // split: slot assignment
  Rng baseline_rng_;                     // split: baseline loads; shadow: the input
  Rng canary_rng_;                       // split: canary loads; shadow: the canary transform

  int history_next_ = 0;
  int history_total_ = 0;
  int slot_next_ = 0;
  int canary_emitted_ = 0;
  int baseline_emitted_ = 0;
  bool regression_active_ = false;

  // Shadow: the canary half of the current slot, emitted by the next call.
  bool pending_canary_ = false;
  bool pending_regressed_ = false;
  std::int64_t pending_slot_ms_ = 0;
  std::int64_t pending_slot_index_ = 0;

  LoadFigures base_figures_;
  LoadFigures canary_figures_;
  Latent latent_;
};

// A/A: both arms share one profile (rows_median = rows, rate_jitter = jitter); release "aa-<seed>".
Scenario AaScenario(std::uint64_t seed, double jitter, double rows, double canary_share,
                    bool shadow);
// Null-rate regression on every column from `from` to `to` (both arms: rows_median = rows,
// rate_jitter = jitter), active from the canary's first load; split mode (set .shadow for paired
// mode); release "nullrate-<seed>".
Scenario NullRateScenario(std::uint64_t seed, double from, double to, double rows,
                          double canary_share, double jitter);
// A steady warehouse mart as the demo and the end-to-end tests show it: columns email and
// customer_id at 1% null, 20k rows per load (sigma 3%), 0.05% duplicates, +-10% rate jitter,
// freshness ~4 minutes; A/A, canary on half of the loads, one load a minute from start_ts_ms.
Scenario SteadyMartScenario(std::uint64_t seed, std::string dataset, std::string release,
                            std::int64_t start_ts_ms, int loads);

}  // namespace canaryd::sim
