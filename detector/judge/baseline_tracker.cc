#include "detector/judge/baseline_tracker.h"

#include <algorithm>
#include <cmath>

namespace canaryd {
namespace {
constexpr double kLevelWeight = 0.05;
constexpr std::size_t kGapWindow = 16;
constexpr std::size_t kCountWindow = 64;
constexpr std::size_t kValueWindow = 64;
constexpr std::size_t kMinValuesForBounds = 8;
constexpr std::uint32_t kBoundsEvery = 16;  // bounds move slowly; recomputing costs ~1 us
// Half-width of the clip interval in robust standard deviations, and its floor in log units (a
// factor of 2) so that a zero-spread baseline does not clip a real regression away.
constexpr double kClipSigmas = 3.0;
constexpr double kMinClipHalfWidth = 0.6931471805599453;
}  // namespace

BaselineTracker::PerMetric& BaselineTracker::At(int metric) {
  const auto i = static_cast<std::size_t>(metric);
  if (metrics_.size() <= i) metrics_.resize(i + 1);
  return metrics_[i];
}

void BaselineTracker::Add(const Sample& sample, const std::vector<LoadValue>& values) {
  for (const LoadValue& v : values) {
    PerMetric& m = At(v.metric);
    // The scale is learned on clipped values: the same values the comparisons score.
    m.scale.Add(m.bounds.Clip(v.value));
    m.values.push_back(v.value);
    if (m.values.size() > kValueWindow) m.values.pop_front();
    if (++m.since_bounds >= kBoundsEvery || m.values.size() <= kMinValuesForBounds) {
      UpdateBounds(&m);
    }
    m.level = m.has_level ? (1 - kLevelWeight) * m.level + kLevelWeight * v.value : v.value;
    m.has_level = true;
    m.last_all_null = v.every_row;
    if (v.rows > 0) {
      m.counts.emplace_back(v.count, v.rows);
      if (m.counts.size() > kCountWindow) m.counts.pop_front();
    }
  }
  if (!sample.schema.empty()) schema_ = sample.schema;
  if (loads_ > 0 && sample.ts_ms >= last_ts_ms_) {
    gaps_ms_.push_back(sample.ts_ms - last_ts_ms_);
    if (gaps_ms_.size() > kGapWindow) gaps_ms_.pop_front();
  }
  last_ts_ms_ = std::max(last_ts_ms_, sample.ts_ms);
  ++loads_;
}

ScaleEstimate BaselineTracker::Scale(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() ? metrics_[i].scale.Estimate() : ScaleEstimate{};
}

bool BaselineTracker::HasLevel(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() && metrics_[i].has_level;
}

double BaselineTracker::Level(int metric) const {
  return metrics_[static_cast<std::size_t>(metric)].level;
}

bool BaselineTracker::LastAllNull(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() && metrics_[i].last_all_null;
}

void BaselineTracker::UpdateBounds(PerMetric* m) {
  m->since_bounds = 0;
  if (m->values.size() < kMinValuesForBounds) return;
  std::vector<double>& v = bounds_scratch_;
  v.assign(m->values.begin(), m->values.end());
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double median = *mid;
  for (double& x : v) x = std::abs(x - median);
  std::nth_element(v.begin(), mid, v.end());
  const double robust_sd = 1.4826 * *mid;
  const double half_width = std::max(kClipSigmas * robust_sd, kMinClipHalfWidth);
  m->bounds = ClipBounds{median - half_width, median + half_width};
}

ClipBounds BaselineTracker::Bounds(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() ? metrics_[i].bounds : ClipBounds{};
}

CountProfile BaselineTracker::Counts(int metric) const {
  CountProfile profile;
  const auto i = static_cast<std::size_t>(metric);
  if (i >= metrics_.size() || metrics_[i].counts.empty()) return profile;
  const auto& counts = metrics_[i].counts;
  double k_sum = 0, n_sum = 0;
  for (const auto& [k, n] : counts)
    k_sum += static_cast<double>(k), n_sum += static_cast<double>(n);
  profile.loads = counts.size();
  profile.mean_count = k_sum / static_cast<double>(counts.size());
  const double p = k_sum / n_sum;
  if (counts.size() >= 3 && p > 0 && p < 1) {
    double chi2 = 0;
    for (const auto& [k, n] : counts) {
      const double expected = static_cast<double>(n) * p;
      const double d = static_cast<double>(k) - expected;
      chi2 += d * d / (expected * (1 - p));
    }
    profile.dispersion = std::max(1.0, chi2 / static_cast<double>(counts.size() - 1));
  }
  return profile;
}

bool BaselineTracker::Reported(int metric) const { return HasLevel(metric); }

std::int64_t BaselineTracker::MedianGapMs() const {
  if (gaps_ms_.size() < 3) return 0;
  std::vector<std::int64_t> g(gaps_ms_.begin(), gaps_ms_.end());
  std::nth_element(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(g.size() / 2), g.end());
  return g[g.size() / 2];
}

}  // namespace canaryd
