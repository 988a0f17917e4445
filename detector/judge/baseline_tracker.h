// What every release of a dataset needs to know about its baseline arm, kept once per dataset:
// the per-metric scale of load-to-load variation, pooled counts (the rate margins' level), the
// latest schema, and how regularly baseline loads arrive (to tell a silent canary).
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <boost/circular_buffer.hpp>

#include "detector/judge/metric.h"
#include "detector/stats/e_process.h"
#include "detector/stats/scale_estimators.h"

namespace canaryd {

// A count a load with `expected` counts exceeds only in bursts: mean + 4 sd + 3 of a Poisson count
// (its chance beyond the cap is below 1e-4 at any mean; 3 at a count-free baseline, 12 at 3).
std::uint64_t CountCap(double expected);

// How a rate metric's counts behave in the baseline over recent loads.
struct CountProfile {
  double mean_count = 0.0;  // per load
  double rate = 0.0;        // counts per row over the window
  double dispersion = 1.0;  // Pearson variance ratio against binomial; >= 1
  std::size_t loads = 0;
  // What the regression test reads instead: each load's count capped at CapAt(rows), and the
  // dispersion of the window's counts so capped. Rare bursts in both arms (a retried task writing
  // its rows twice: 2% duplicates in 1-2% of loads, ~0.001% otherwise) made a single canary burst
  // against a burst-free window read as certain, and a burst in the window made the dispersion so
  // large that nothing else could be seen while it lasted. cap_rate is the window's rate with its
  // bursts capped, so that they do not raise the cap itself.
  bool capped = false;  // false: no cap (CapAt is the largest count)
  double cap_rate = 0.0;
  double capped_dispersion = 1.0;
  std::uint64_t CapAt(std::uint64_t rows) const { return CapAt(rows, 1.0); }
  // The cap of a load whose rate is `factor` times the window's: what a load at the margin's
  // ratio exceeds only in bursts.
  std::uint64_t CapAt(std::uint64_t rows, double factor) const {
    return capped ? CountCap(cap_rate * factor * static_cast<double>(rows))
                  : std::numeric_limits<std::uint64_t>::max();
  }
};

// Where a load's value is clipped before it is scored: the baseline's median +- a few robust
// standard deviations. A rare late or huge load (a retried task, a backfill) happens in both arms;
// unclipped, one such load is a 10-sigma score that Gaussian bets turn into a false rollback.
struct ClipBounds {
  double lo = -1e300;
  double hi = 1e300;
  double Clip(double x) const { return x < lo ? lo : (x > hi ? hi : x); }
};

class BaselineTracker {
 public:
  BaselineTracker();

  void Add(const Sample& sample, const std::vector<LoadValue>& values);

  ScaleEstimate Scale(int metric) const;
  // Whether a load of `rows` rows with every row null could come from the baseline: it had one
  // in its count window (or its latest load was one), its window holds too few loads with rows to
  // tell, or its pooled rate makes one likely enough (a column that is almost always null, or a
  // dataset of a few rows). False for a column the baseline has never reported.
  bool AllNullLoadPlausible(int metric, std::uint64_t rows) const;
  bool Reported(int metric) const;
  CountProfile Counts(int metric) const;
  // A rate's counts pooled over the count window, (counts + 0.5) / rows; 0 if none: the level an
  // absolute margin is added to. An average of per-load log rates overstates a sparse rate (a load
  // with no count reads as 0.5 / rows), which shrank the absolute margin towards nothing.
  double PooledRate(int metric) const;
  ClipBounds Bounds(int metric) const;
  // The median of the metric's recent oriented values (refreshed with the clip bounds); NaN before
  // the first. Freshness's absolute margin (seconds) is added at this level.
  double Median(int metric) const;

  const std::string& schema() const;
  // The schema of the newest baseline load at or before ts_ms (the oldest known schema for an
  // earlier ts; empty if none reported). A canary load queued from before a migration that both
  // arms made is compared with what the baseline had then, not with what it has now.
  const std::string& SchemaAt(std::int64_t ts_ms) const;
  // Whether a canary load's schema at ts_ms agrees with the baseline: the baseline's schema then,
  // or one the baseline keeps returning to (switched to at least twice among its remembered
  // changes: two writers, or a fingerprint over an unordered column list, alternate). A one-way
  // migration switches to each schema once, so a canary that stays behind still differs.
  bool SchemaMatches(std::int64_t ts_ms, const std::string& schema) const;
  std::int64_t last_ts_ms() const { return last_ts_ms_; }
  std::uint64_t loads() const { return loads_; }
  // Median gap between consecutive baseline loads over the recent ones; 0 while fewer than 3.
  std::int64_t MedianGapMs() const;
  // Empty loads (no rows) among the last 64 baseline loads, out of as many as there were.
  BernoulliCounts EmptyLoads() const;

 private:
  // Every judge of the dataset reads these on every load it scores, while they change only with a
  // baseline load: the windows are fixed rings (allocated once) and what is derived from them is
  // computed when first read after a baseline load, at most once per load.
  struct PerMetric {
    PerMetric();
    SuccessiveDifferenceScale scale;
    bool reported = false;
    bool last_all_null = false;
    boost::circular_buffer<std::pair<std::uint64_t, std::uint64_t>> counts;  // (count, rows)
    double count_sum = 0.0, rows_sum = 0.0;                                  // over `counts`
    std::size_t all_null_loads = 0;  // in `counts`: loads with count == rows
    mutable CountProfile profile;    // of `counts`, valid while profile_current
    mutable bool profile_current = false;
    boost::circular_buffer<double> values;                     // recent raw values, arrival order
    ClipBounds bounds;                                         // recomputed every few loads
    double median = std::numeric_limits<double>::quiet_NaN();  // of `values`, with `bounds`
    std::uint32_t since_bounds = 0;
  };
  void UpdateBounds(PerMetric* m);
  static CountProfile ProfileOf(const PerMetric& m);
  PerMetric& At(int metric);

  std::vector<PerMetric> metrics_;
  // (ts, schema) at each change of the baseline's schema, oldest first; the last is the current.
  std::deque<std::pair<std::int64_t, std::string>> schema_changes_;
  std::int64_t last_ts_ms_ = 0;
  std::uint64_t loads_ = 0;
  std::uint64_t empty_bits_ = 0;  // bit i: the i-th latest load had no rows
  boost::circular_buffer<std::int64_t> gaps_ms_;
  // The median of gaps_ms_, valid while median_gap_current_ (only open releases read it).
  mutable std::int64_t median_gap_ms_ = 0;
  mutable bool median_gap_current_ = false;
};

}  // namespace canaryd
