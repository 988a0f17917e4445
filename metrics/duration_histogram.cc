#include "metrics/duration_histogram.h"

#include <algorithm>
#include <cmath>

namespace canaryd {

std::vector<double> DurationHistogram::DefaultBounds() {
  return {1e-5, 2.5e-5, 5e-5,  1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
          5e-3, 0.01,   0.025, 0.05, 0.1,    0.25, 0.5,  1.0};
}

DurationHistogram::DurationHistogram(std::vector<double> upper_bounds_s)
    : bounds_(std::move(upper_bounds_s)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void DurationHistogram::Observe(double seconds) {
  if (!(seconds >= 0.0)) seconds = 0.0;  // also catches NaN
  // Prometheus buckets are "less than or equal to" their upper bound.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  const double ns = std::min(seconds * 1e9, 1e18);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::llround(ns)), std::memory_order_relaxed);
}

HistogramSnapshot DurationHistogram::Snapshot() const {
  HistogramSnapshot s;
  s.upper_bounds_s = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  s.sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  return s;
}

}  // namespace canaryd
