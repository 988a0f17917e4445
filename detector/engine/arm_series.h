// Rolling statistics of one (dataset, arm): sufficient statistics per time bucket, so that the
// estimates over any recent span (the release's, for a concurrent comparison) are a merge of
// buckets. Memory is bounded by max_buckets x (columns + sketch buckets).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detector/quantile_sketch.h"
#include "detector/sample.h"

namespace canaryd {

struct RateTotals {
  std::uint64_t count = 0;  // nulls or duplicate rows
  std::uint64_t rows = 0;   // rows of the loads that reported the count
  std::uint64_t loads = 0;
  double Rate() const {
    return rows == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(rows);
  }
};

// Rate totals by column name, in name order. A dataset has a handful of columns and every load
// adds to each of them in every bucket and span it counts in, so a sorted vector (one
// allocation, names side by side) rather than a tree with a node per column.
class ColumnRates {
 public:
  using value_type = std::pair<std::string, RateTotals>;
  using const_iterator = std::vector<value_type>::const_iterator;

  // The column's totals, added (zero) if absent.
  RateTotals& operator[](std::string_view column);
  const_iterator find(std::string_view column) const;
  std::size_t count(std::string_view column) const { return find(column) == end() ? 0 : 1; }
  const RateTotals& at(std::string_view column) const;  // zero totals when absent
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void reserve(std::size_t columns) { entries_.reserve(columns); }
  void clear() { entries_.clear(); }

 private:
  std::vector<value_type> entries_;  // ascending name
};

struct ArmTotals {
  std::uint64_t loads = 0;
  std::uint64_t rows = 0;
  ColumnRates nulls;  // by column
  RateTotals duplicates;
  QuantileSketch freshness;
  std::uint64_t freshness_within_slo = 0;

  void Add(const Sample& sample, double slo_s);
  void Merge(const ArmTotals& other);
  // Back to no loads, keeping the storage of the column totals and the sketch.
  void Clear();
  double MeanRows() const {
    return loads == 0 ? 0.0 : static_cast<double>(rows) / static_cast<double>(loads);
  }
  double ShareWithinSlo() const {
    return freshness.count() == 0
               ? 0.0
               : static_cast<double>(freshness_within_slo) / static_cast<double>(freshness.count());
  }
};

struct ArmSeriesOptions {
  std::int64_t bucket_ms = 5 * 60 * 1000;
  std::size_t max_buckets = 576;  // 48 hours of 5-minute buckets
  double freshness_slo_s = 900.0;
};

class ArmSeries {
 public:
  explicit ArmSeries(ArmSeriesOptions options = {});

  // Samples may arrive a little out of time order; one older than the oldest kept bucket is
  // counted in the oldest bucket rather than lost.
  void Add(const Sample& sample);

  // Totals over the buckets that end after since_ms (bucket granularity): the same as
  // MergeSince(since_ms), but kept current as samples are added once a span has been asked for,
  // so that reading a release's totals on every snapshot does not merge its buckets again. The
  // reference is valid until the next Add.
  const ArmTotals& Since(std::int64_t since_ms) const;
  // The same totals merged from the buckets (what Since returns, computed from scratch).
  ArmTotals MergeSince(std::int64_t since_ms) const;

  std::uint64_t loads() const { return loads_; }
  std::size_t bucket_count() const { return buckets_.size(); }
  // Spans whose totals are being kept current (for tests).
  std::size_t tracked_spans() const { return spans_.size(); }

 private:
  struct Bucket {
    std::int64_t index;  // ts_ms / bucket_ms
    ArmTotals totals;
  };
  // MergeSince(first * bucket_ms), kept current by Add. A sample counts in it when the bucket it
  // lands in (not its own ts: an old sample joins the oldest bucket) has index >= first. Dropping
  // a bucket at or after `first` cannot be undone on the totals (a sketch's min and max cannot be
  // subtracted), so it marks them stale and the next read merges again.
  struct Span {
    std::int64_t first;
    ArmTotals totals;
    bool current = false;
    std::uint64_t read_at_load = 0;  // loads_ when last read, to forget spans nobody reads
  };
  void Drop();  // drops the oldest bucket

  ArmSeriesOptions options_;
  std::deque<Bucket> buckets_;  // ascending index
  std::uint64_t loads_ = 0;
  // A cache read from const methods; the series is single-threaded (one shard owns it).
  mutable std::vector<std::unique_ptr<Span>> spans_;
};

}  // namespace canaryd
