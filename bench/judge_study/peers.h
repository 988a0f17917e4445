// The methods teams use today to judge a canary, re-implemented on the same per-load data the
// judge sees (bench/judge_study.cc), plus an oracle SPRT that knows the true effect.
//
// Every peer tests the same K metrics the judge does (row_count, freshness, duplicate_rate, one
// null_rate per column), each one-sided in the bad direction at alpha / K, so that multiplicity is
// corrected exactly as generously as in the judge; what breaks them is peeking and treating rows
// (or loads) as independent, not the number of metrics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace canaryd::study {

// One finished load as a peer sees it.
struct Load {
  bool canary = false;
  bool regressed = false;  // canary load drawn with the regressed profile
  std::int64_t ts_ms = 0;
  std::uint64_t rows = 0;
  double freshness_s = 0.0;
  std::uint64_t duplicates = 0;
  std::vector<std::uint64_t> nulls;  // per column
};

// Metric numbering shared by the peers: 0 row_count, 1 freshness, 2 duplicate_rate, 3+ nulls.
constexpr int kRowCount = 0;
constexpr int kFreshness = 1;
constexpr int kDuplicateRate = 2;
constexpr int kFirstNull = 3;

bool IsRateMetric(int metric);
// The judge's oriented log value (detector/judge/metric.h): larger is worse.
double OrientedValue(const Load& load, int metric);
// The raw value (a rate, rows, seconds), for the static threshold.
double RawValue(const Load& load, int metric);
// (count, rows) of a rate metric.
std::uint64_t CountOf(const Load& load, int metric);

// What a method decided on one release.
struct PeerOutcome {
  bool rolled_back = false;
  bool promoted = false;  // fixed horizon: tested once and found nothing
  int canary_loads = 0;   // canary loads seen when it decided (or at the end)
  std::uint64_t canary_rows = 0;
  bool regression_active = false;
  int metric = -1;  // the firing metric
};

struct PeerConfig {
  int metrics = 5;
  double alpha = 0.01;  // per release; each metric gets alpha / metrics
  // Fixed horizon: the test runs once, at the first canary load that reaches planned_rows canary
  // rows (when > 0) or planned_loads canary loads.
  std::uint64_t planned_rows = 0;
  int planned_loads = 0;
  bool fixed_rates_on_rows = true;  // two-proportion z on rows; else Welch t on per-load log rates
  // Static threshold: the canary's latest load against mean + sigmas sd of the last N baseline
  // loads (Elementary-style z-score on the raw metric).
  int static_window = 20;
  double static_sigmas = 3.0;
  // Oracle SPRT on one metric with the true effect: Gaussian on split-group log differences with
  // the true per-load sds, or (rates without jitter) the conditional binomial at the true ratio.
  int oracle_metric = -1;
  bool oracle_binomial = false;
  double oracle_ratio = 1.0;      // binomial: canary rate / baseline rate
  double oracle_effect = 0.0;     // Gaussian: mean oriented log difference
  double oracle_sd_canary = 1.0;  // Gaussian: per-load sd of the oriented log value
  double oracle_sd_baseline = 1.0;
};

// Each runs over the release's loads in arrival order and stops at its first rollback.
// `history` baseline loads before the release started are visible only to the static threshold
// (its "last N loads" window); the others compare concurrent loads only, like the judge.
PeerOutcome FixedHorizon(const std::vector<Load>& loads, int history, const PeerConfig& c);
PeerOutcome RepeatedMannWhitney(const std::vector<Load>& loads, int history, const PeerConfig& c);
PeerOutcome StaticThreshold(const std::vector<Load>& loads, int history, const PeerConfig& c);
PeerOutcome PooledZ(const std::vector<Load>& loads, int history, const PeerConfig& c);
PeerOutcome OracleSprt(const std::vector<Load>& loads, int history, const PeerConfig& c);

// Upper standard normal quantile: z with P(Z > z) = p.
double UpperZ(double p);

}  // namespace canaryd::study
