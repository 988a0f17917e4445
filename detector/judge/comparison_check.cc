#include "detector/judge/comparison_check.h"

#include <algorithm>
#include <cmath>

#include "detector/stats/student_t.h"

namespace canaryd {
namespace {
// The point estimate that must clear the margin is the mean of the last few comparisons, so a
// regression that starts late in a release is not diluted by the healthy part before it.
constexpr std::size_t kRecentWindow = 16;
// A paired scale needs a few pairs before it means anything.
constexpr std::uint64_t kMinPairsForScale = 3;
}  // namespace

ComparisonCheck::ComparisonCheck(MetricKey key, const JudgeOptions* options)
    : key_(std::move(key)),
      options_(options),
      regression_(options->mixture),
      non_inferiority_(options->mixture) {}

void ComparisonCheck::Score(double difference, double se, double df, double margin_log) {
  margin_log_ = margin_log;
  se = std::max(se, options_->scale_floor);
  const double null_shift = options_->rollback_null_margin_fraction * margin_log;
  regression_.Update(StudentTToZ((difference - null_shift) / se, df));
  non_inferiority_.Update(StudentTToZ((margin_log - difference) / se, df));
  ++observations_;
  recent_.push_back(difference);
  recent_sum_ += difference;
  if (recent_.size() > kRecentWindow) {
    recent_sum_ -= recent_.front();
    recent_.pop_front();
  }
}

void ComparisonCheck::ObserveSplit(double canary_mean, int canary_n, double baseline_mean,
                                   int baseline_n, ScaleEstimate baseline_scale,
                                   double margin_log) {
  if (canary_n <= 0 || baseline_n <= 0 || baseline_scale.df <= 0) return;
  const double se = baseline_scale.sd * std::sqrt(1.0 / canary_n + 1.0 / baseline_n);
  // The floor applies to the per-load scale, not to the standard error of a group mean.
  const double floor_se = options_->scale_floor * std::sqrt(1.0 / canary_n + 1.0 / baseline_n);
  Score(canary_mean - baseline_mean, std::max(se, floor_se), baseline_scale.df, margin_log);
}

void ComparisonCheck::ObservePaired(double difference, double margin_log,
                                    double tolerance_log) {
  divergent_streak_ = difference > tolerance_log ? divergent_streak_ + 1 : 0;
  const ScaleEstimate scale = paired_.Estimate();
  if (paired_.count() >= kMinPairsForScale) {
    Score(difference, scale.sd, scale.df, margin_log);
    ++paired_observations_;
  } else {
    margin_log_ = margin_log;
  }
  paired_.Add(difference);
}

double ComparisonCheck::RecentEffect() const {
  return recent_.empty() ? 0.0 : recent_sum_ / static_cast<double>(recent_.size());
}

}  // namespace canaryd
