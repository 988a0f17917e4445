#include "detector/engine/arm_series.h"

#include <algorithm>

namespace canaryd {
namespace {
// A span not read for this many loads is forgotten.
constexpr std::uint64_t kSpanIdleLoads = 4096;
}  // namespace

RateTotals& ColumnRates::operator[](std::string_view column) {
  // Few columns: a linear scan finds the place as fast as a binary search would.
  auto it = entries_.begin();
  while (it != entries_.end() && std::string_view(it->first) < column) ++it;
  if (it != entries_.end() && it->first == column) return it->second;
  return entries_.emplace(it, std::string(column), RateTotals{})->second;
}

ColumnRates::const_iterator ColumnRates::find(std::string_view column) const {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == column) return it;
  }
  return entries_.end();
}

const RateTotals& ColumnRates::at(std::string_view column) const {
  static const RateTotals kAbsent;
  const auto it = find(column);
  return it == end() ? kAbsent : it->second;
}

void ArmTotals::Add(const Sample& sample, double slo_s) {
  ++loads;
  rows += sample.rows;
  if (nulls.empty()) nulls.reserve(sample.nulls.size());  // a new bucket: one allocation
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

void ArmTotals::Clear() {
  loads = 0;
  rows = 0;
  nulls.clear();
  duplicates = RateTotals{};
  freshness.Clear();
  freshness_within_slo = 0;
}

ArmSeries::ArmSeries(ArmSeriesOptions options) : options_(options) {}

void ArmSeries::Add(const Sample& sample) {
  ++loads_;
  const std::int64_t index = sample.ts_ms / options_.bucket_ms;
  Bucket* bucket = nullptr;
  if (buckets_.empty() || index > buckets_.back().index) {
    if (!buckets_.empty() && buckets_.size() >= options_.max_buckets) {
      // Full: the oldest bucket goes, and its storage becomes the new bucket's (with sparse
      // loads nearly every load opens a bucket; this saves allocating and freeing one each time).
      ArmTotals storage = std::move(buckets_.front().totals);
      while (buckets_.size() >= options_.max_buckets && !buckets_.empty()) Drop();
      storage.Clear();
      buckets_.push_back(Bucket{index, std::move(storage)});
    } else {
      buckets_.push_back(Bucket{index, ArmTotals()});
    }
    while (buckets_.size() > options_.max_buckets) Drop();
    bucket = &buckets_.back();
  } else if (index <= buckets_.front().index) {
    bucket = &buckets_.front();
  } else {
    auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                               [](const Bucket& b, std::int64_t i) { return b.index < i; });
    if (it == buckets_.end() || it->index != index) {
      it = buckets_.insert(it, Bucket{index, ArmTotals()});
    }
    bucket = &*it;
  }
  bucket->totals.Add(sample, options_.freshness_slo_s);
  const std::int64_t landed = bucket->index;
  // A late sample filling a gap adds a bucket in the middle; the oldest goes, as on append.
  while (buckets_.size() > options_.max_buckets) Drop();

  for (const auto& span : spans_) {
    if (span->current && landed >= span->first) span->totals.Add(sample, options_.freshness_slo_s);
  }
  // Keeping a span current costs an Add per sample: forget the ones nobody reads any more (a
  // decided release's). Reading one again merges once.
  std::erase_if(spans_, [this](const std::unique_ptr<Span>& span) {
    return loads_ - span->read_at_load > kSpanIdleLoads;
  });
}

void ArmSeries::Drop() {
  const std::int64_t dropped = buckets_.front().index;
  for (const auto& span : spans_) {
    if (dropped >= span->first) span->current = false;
  }
  buckets_.pop_front();
}

const ArmTotals& ArmSeries::Since(std::int64_t since_ms) const {
  const std::int64_t first = since_ms / options_.bucket_ms;
  Span* span = nullptr;
  for (const auto& s : spans_) {
    if (s->first == first) span = s.get();
  }
  if (span == nullptr) {
    spans_.push_back(std::make_unique<Span>());
    span = spans_.back().get();
    span->first = first;
  }
  if (!span->current) {
    span->totals = MergeSince(since_ms);
    span->current = true;
  }
  span->read_at_load = loads_;
  return span->totals;
}

ArmTotals ArmSeries::MergeSince(std::int64_t since_ms) const {
  ArmTotals out;
  const std::int64_t first = since_ms / options_.bucket_ms;
  for (const Bucket& b : buckets_) {
    if (b.index >= first) out.Merge(b.totals);
  }
  return out;
}

}  // namespace canaryd
