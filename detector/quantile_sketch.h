// A mergeable quantile sketch with bounded relative error (DDSketch, Masson et al., VLDB 2019) for
// non-negative durations such as freshness seconds. Shards keep one per (dataset, arm) and merge
// them for reporting, so the sketch must be small, mergeable and order-independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace canaryd {

// Guarantees (a = relative_accuracy):
//  * For values >= kMinIndexable that were not folded by collapsing (below), Quantile(q) is within
//    a relative error of the exact rank-q value: |estimate - x| <= a * x.
//  * Values in [0, kMinIndexable) share one "zero" bucket and are reported as 0 clamped into
//    [min(), max()], i.e. with an absolute error below kMinIndexable (1 ms for freshness seconds).
//  * Memory is bounded: at most max_buckets counters (8 bytes each) plus the fixed object, whatever
//    the number or spread of values. When the bucket span would exceed max_buckets, the LOWEST
//    buckets are folded into the lowest kept one, as DDSketch does: the tail that matters for
//    freshness SLOs (high quantiles) stays exact, low quantiles in the folded range can only be
//    over-estimated. At the default a = 0.01, 2048 buckets span a value ratio of gamma^2048 ~ 6e17
//    (e.g. 1 ms to 6e14 s), so for durations collapsing never happens in practice.
//  * The result depends only on the multiset of values added (including through Merge), never on
//    their order: merging sketches equals the sketch of the union, even after collapsing.
class QuantileSketch {
 public:
  // Values below this are counted in the zero bucket. 1 ms is well below any freshness that
  // matters and keeps the key range (and so the bucket span) small.
  static constexpr double kMinIndexable = 1e-3;

  // relative_accuracy in (0, 1); max_buckets >= 1.
  explicit QuantileSketch(double relative_accuracy = 0.01, std::size_t max_buckets = 2048);

  // Negative, NaN and infinite values are ignored (the decoder validates; this only keeps the
  // sketch sound if one slips through). count == 0 is a no-op.
  void Add(double value, std::uint64_t count = 1);

  // Forgets every value; keeps the accuracy, max_buckets and the counter storage.
  void Clear();

  // Adds every value of `other`. Both sketches must use the same relative accuracy (asserted);
  // in release builds a mismatched sketch is re-added at its bucket representatives, which is
  // safe but compounds the error. Keeps this sketch's max_buckets.
  void Merge(const QuantileSketch& other);

  // Lower-rank convention: the estimate of the value at 0-based rank floor(q * (count - 1)) in
  // sorted order (q = 0.5 of {1, 2, 3, 4} is 2). q = 0 and q = 1 return the exact min and max.
  // NaN when empty or when q is outside [0, 1] or NaN.
  double Quantile(double q) const;

  // Approximate count of values <= value, exact at bucket granularity: it counts every value in
  // the bucket holding `value`, so the answer lies between the true count of values <= value and
  // the true count of values <= value * gamma. 0 below min(), count() at or above max(). In the
  // zero bucket or below a collapsed floor it is a bucket-granular bound.
  double CountAtOrBelow(double value) const;

  std::uint64_t count() const { return count_; }
  // Exact extremes of the values added; NaN when empty.
  double min() const;
  double max() const;
  bool empty() const { return count_ == 0; }

  // Counters currently allocated (span between the lowest and highest non-zero bucket), excluding
  // the zero bucket. Never exceeds max_buckets.
  std::size_t bucket_count() const { return counts_.size(); }
  // Bytes held by this object, including the counter array (<= sizeof(*this) + 8 * max_buckets).
  std::size_t MemoryBytes() const;

  double relative_accuracy() const { return relative_accuracy_; }
  std::size_t max_buckets() const { return max_buckets_; }

 private:
  int KeyOf(double value) const;
  double ValueOf(int key) const;
  int top_key() const { return offset_ + static_cast<int>(counts_.size()) - 1; }
  // Makes counts_ cover [lo, hi] (both within the current span or beyond it), folding whatever
  // falls below the kept range when the span would exceed max_buckets. Returns the lowest key
  // kept, into which lower keys must be folded by the caller.
  int Cover(int lo, int hi);
  void AddToKey(int key, std::uint64_t count);

  double relative_accuracy_;
  std::size_t max_buckets_;
  double gamma_;
  double inv_log_gamma_;
  double log_gamma_;

  std::vector<std::uint64_t> counts_;  // counts_[i] is the count of key offset_ + i
  int offset_ = 0;
  std::uint64_t zero_count_ = 0;
  std::uint64_t count_ = 0;
  double min_ = 0.0;
  double max_ = 0.0;
};

}  // namespace canaryd
