// The statistical canary-vs-baseline test for one metric of one (release, dataset): two
// sequential tests on standardized per-load differences (design §4):
//   regression:      H0 effect <= f * margin   -> evidence against it rolls back
//   non-inferiority: H0 effect >= margin       -> evidence against it lets the release promote
// Each scored difference d (canary minus baseline, positive = worse) comes from a shadow pair or
// from a split group (the canary loads and the disjoint baseline batch that arrived since the
// previous group), so consecutive scores are independent and drift shared by both arms cancels.
#pragma once

#include <cstdint>
#include <deque>

#include "detector/judge/judge_options.h"
#include "detector/judge/metric.h"
#include "detector/stats/e_process.h"
#include "detector/stats/scale_estimators.h"

namespace canaryd {

class ComparisonCheck {
 public:
  ComparisonCheck(MetricKey key, const JudgeOptions* options);

  // Split mode: group means of the oriented values; the baseline's load-to-load scale.
  void ObserveSplit(double canary_mean, int canary_n, double baseline_mean, int baseline_n,
                    ScaleEstimate baseline_scale, double margin_log);
  // Shadow mode: one paired difference; the scale is learned from earlier pairs. A difference
  // above tolerance_log extends the divergence streak (the shadow tolerance rule).
  void ObservePaired(double difference, double margin_log, double tolerance_log);

  const MetricKey& key() const { return key_; }
  double log_e_regression() const { return regression_.log_e(); }
  double log_e_non_inferiority() const { return non_inferiority_.log_e(); }
  std::uint64_t observations() const { return observations_; }
  std::uint64_t paired_observations() const { return paired_observations_; }
  // Mean difference over the recent scored comparisons (log scale, positive = worse).
  double RecentEffect() const;
  double margin_log() const { return margin_log_; }
  // Consecutive paired differences beyond the shadow tolerance in the bad direction.
  int divergent_streak() const { return divergent_streak_; }

 private:
  void Score(double difference, double se, double df, double margin_log);

  MetricKey key_;
  const JudgeOptions* options_;
  GaussianMixtureEProcess regression_;
  GaussianMixtureEProcess non_inferiority_;
  RunningMoments paired_;
  std::deque<double> recent_;
  double recent_sum_ = 0.0;
  double margin_log_ = 0.0;
  std::uint64_t observations_ = 0;
  std::uint64_t paired_observations_ = 0;
  int divergent_streak_ = 0;
};

}  // namespace canaryd
