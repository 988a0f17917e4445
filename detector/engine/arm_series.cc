#include "detector/engine/arm_series.h"

#include <algorithm>

namespace canaryd {

void ArmTotals::Add(const Sample& sample, double slo_s) {
  ++loads;
  rows += sample.rows;
  for (const auto& column : sample.nulls) {
    RateTotals& t = nulls[column.column];
    t.count += column.nulls;
    t.rows += sample.rows;
    ++t.loads;
  }
  if (sample.duplicates) {
    duplicates.count += *sample.duplicates;
    duplicates.rows += sample.rows;
    ++duplicates.loads;
  }
  if (sample.freshness_s) {
    freshness.Add(*sample.freshness_s);
    if (*sample.freshness_s <= slo_s) ++freshness_within_slo;
  }
}

void ArmTotals::Merge(const ArmTotals& other) {
  loads += other.loads;
  rows += other.rows;
  for (const auto& [column, t] : other.nulls) {
    RateTotals& mine = nulls[column];
    mine.count += t.count;
    mine.rows += t.rows;
    mine.loads += t.loads;
  }
  duplicates.count += other.duplicates.count;
  duplicates.rows += other.duplicates.rows;
  duplicates.loads += other.duplicates.loads;
  freshness.Merge(other.freshness);
  freshness_within_slo += other.freshness_within_slo;
}

ArmSeries::ArmSeries(ArmSeriesOptions options) : options_(options) {}

void ArmSeries::Add(const Sample& sample) {
  ++loads_;
  const std::int64_t index = sample.ts_ms / options_.bucket_ms;
  if (buckets_.empty() || index > buckets_.back().index) {
    buckets_.push_back(Bucket{index, ArmTotals()});
    while (buckets_.size() > options_.max_buckets) buckets_.pop_front();
    buckets_.back().totals.Add(sample, options_.freshness_slo_s);
    return;
  }
  if (index <= buckets_.front().index) {
    buckets_.front().totals.Add(sample, options_.freshness_slo_s);
    return;
  }
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                             [](const Bucket& b, std::int64_t i) { return b.index < i; });
  if (it == buckets_.end() || it->index != index) {
    it = buckets_.insert(it, Bucket{index, ArmTotals()});
  }
  it->totals.Add(sample, options_.freshness_slo_s);
  // A late sample filling a gap adds a bucket in the middle; the oldest goes, as on append.
  while (buckets_.size() > options_.max_buckets) buckets_.pop_front();
}

ArmTotals ArmSeries::Since(std::int64_t since_ms) const {
  ArmTotals out;
  const std::int64_t first = since_ms / options_.bucket_ms;
  for (const Bucket& b : buckets_) {
    if (b.index >= first) out.Merge(b.totals);
  }
  return out;
}

}  // namespace canaryd
