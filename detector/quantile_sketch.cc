#include "detector/quantile_sketch.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

namespace canaryd {
namespace {

// Below 1e-6 the keys of large doubles would no longer fit an int; above 0.99 gamma explodes.
constexpr double kMinAccuracy = 1e-6;
constexpr double kMaxAccuracy = 0.99;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

QuantileSketch::QuantileSketch(double relative_accuracy, std::size_t max_buckets)
    : relative_accuracy_(relative_accuracy), max_buckets_(max_buckets) {
  assert(relative_accuracy >= kMinAccuracy && relative_accuracy <= kMaxAccuracy);
  assert(max_buckets >= 1);
  // Clamp rather than trust the assert: a bad config value must not make keys overflow.
  if (!(relative_accuracy_ >= kMinAccuracy)) relative_accuracy_ = kMinAccuracy;
  if (relative_accuracy_ > kMaxAccuracy) relative_accuracy_ = kMaxAccuracy;
  if (max_buckets_ < 1) max_buckets_ = 1;
  // A key's span is an int difference; cap it well inside int range.
  max_buckets_ = std::min<std::size_t>(max_buckets_, std::numeric_limits<int>::max() / 4);
  gamma_ = (1.0 + relative_accuracy_) / (1.0 - relative_accuracy_);
  log_gamma_ = std::log(gamma_);
  inv_log_gamma_ = 1.0 / log_gamma_;
}

int QuantileSketch::KeyOf(double value) const {
  // Bucket k holds (gamma^(k-1), gamma^k]; its representative 2 gamma^k / (1 + gamma) is within
  // (gamma - 1) / (gamma + 1) = a of every value in it.
  return static_cast<int>(std::ceil(std::log(value) * inv_log_gamma_));
}

double QuantileSketch::ValueOf(int key) const {
  // In log space so the top key of a huge double does not overflow before the 2 / (1 + gamma).
  return std::exp(key * log_gamma_ + std::log(2.0 / (1.0 + gamma_)));
}

int QuantileSketch::Cover(int lo, int hi) {
  const auto max_span = static_cast<std::int64_t>(max_buckets_);
  if (counts_.empty()) {
    if (std::int64_t{hi} - lo + 1 > max_span) lo = static_cast<int>(hi - max_span + 1);
    offset_ = lo;
    counts_.assign(static_cast<std::size_t>(hi - lo + 1), 0);
    return lo;
  }
  int new_lo = std::min(lo, offset_);
  const int new_hi = std::max(hi, top_key());
  // Keep the top of the range: every key ever folded ends at max(key, hi_max - max_buckets + 1),
  // so the result is independent of arrival order and of how sketches were merged.
  if (std::int64_t{new_hi} - new_lo + 1 > max_span) {
    new_lo = static_cast<int>(new_hi - max_span + 1);
  }
  if (new_lo == offset_) {
    const auto needed = static_cast<std::size_t>(new_hi - offset_ + 1);
    if (needed > counts_.size()) {
      // Amortised growth, but never past max_buckets so MemoryBytes keeps its bound.
      if (needed > counts_.capacity()) {
        counts_.reserve(std::min(std::max(needed, 2 * counts_.capacity()), max_buckets_));
      }
      counts_.resize(needed, 0);
    }
    return new_lo;
  }
  std::vector<std::uint64_t> next(static_cast<std::size_t>(new_hi - new_lo + 1), 0);
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    const int key = offset_ + static_cast<int>(i);
    next[static_cast<std::size_t>(std::max(key, new_lo) - new_lo)] += counts_[i];
  }
  counts_.swap(next);
  offset_ = new_lo;
  return new_lo;
}

void QuantileSketch::AddToKey(int key, std::uint64_t count) {
  const int lo = Cover(key, key);
  counts_[static_cast<std::size_t>(std::max(key, lo) - offset_)] += count;
}

void QuantileSketch::Add(double value, std::uint64_t count) {
  if (count == 0 || !(value >= 0.0) || !std::isfinite(value)) return;
  if (value < kMinIndexable) {
    zero_count_ += count;
  } else {
    AddToKey(KeyOf(value), count);
  }
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
}

void QuantileSketch::Clear() {
  counts_.clear();
  offset_ = 0;
  zero_count_ = 0;
  count_ = 0;
  min_ = 0.0;
  max_ = 0.0;
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  assert(other.gamma_ == gamma_ && "merging sketches of different accuracy");
  if (other.empty()) return;
  zero_count_ += other.zero_count_;
  if (!other.counts_.empty()) {
    if (other.gamma_ == gamma_) {
      const int lo = Cover(other.offset_, other.top_key());
      for (std::size_t i = 0; i < other.counts_.size(); ++i) {
        if (other.counts_[i] == 0) continue;
        const int key = other.offset_ + static_cast<int>(i);
        counts_[static_cast<std::size_t>(std::max(key, lo) - offset_)] += other.counts_[i];
      }
    } else {
      for (std::size_t i = 0; i < other.counts_.size(); ++i) {
        if (other.counts_[i] == 0) continue;
        const double value = other.ValueOf(other.offset_ + static_cast<int>(i));
        if (value < kMinIndexable) {
          zero_count_ += other.counts_[i];
        } else {
          AddToKey(KeyOf(value), other.counts_[i]);
        }
      }
    }
  }
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
}

double QuantileSketch::Quantile(double q) const {
  if (empty() || !(q >= 0.0 && q <= 1.0)) return kNaN;
  if (q == 0.0) return min_;
  if (q == 1.0) return max_;
  // q < 1 keeps the product below 2^64 even when count - 1 rounds up to it as a double.
  auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  rank = std::min(rank, count_ - 1);
  if (rank < zero_count_) return std::clamp(0.0, min_, max_);
  std::uint64_t cumulative = zero_count_;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative > rank) {
      return std::clamp(ValueOf(offset_ + static_cast<int>(i)), min_, max_);
    }
  }
  return max_;
}

double QuantileSketch::CountAtOrBelow(double value) const {
  if (empty() || std::isnan(value) || value < min_) return 0.0;
  if (value >= max_) return static_cast<double>(count_);
  if (value < kMinIndexable || counts_.empty()) return static_cast<double>(zero_count_);
  const int key = KeyOf(value);
  if (key < offset_) return static_cast<double>(zero_count_);
  const auto last = std::min(static_cast<std::size_t>(key - offset_), counts_.size() - 1);
  std::uint64_t total = zero_count_;
  for (std::size_t i = 0; i <= last; ++i) total += counts_[i];
  return static_cast<double>(total);
}

double QuantileSketch::min() const { return empty() ? kNaN : min_; }

double QuantileSketch::max() const { return empty() ? kNaN : max_; }

std::size_t QuantileSketch::MemoryBytes() const {
  return sizeof(*this) + counts_.capacity() * sizeof(std::uint64_t);
}

}  // namespace canaryd
