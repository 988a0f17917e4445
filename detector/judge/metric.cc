#include "detector/judge/metric.h"

#include <cmath>

namespace canaryd {

std::string MetricKey::Name() const {
  switch (kind) {
    case MetricKind::kNullRate:
      return "null_rate(" + column + ")";
    case MetricKind::kDuplicateRate:
      return "duplicate_rate";
    case MetricKind::kRowCount:
      return "row_count";
    case MetricKind::kFreshness:
      return "freshness";
    case MetricKind::kFreshnessTail:
      return "freshness_tail";
    case MetricKind::kEmptyLoads:
      return "empty_loads";
  }
  return "unknown";
}

double OrientedRate(std::uint64_t count, std::uint64_t rows) {
  return std::log((static_cast<double>(count) + 0.5) / (static_cast<double>(rows) + 1.0));
}

double OrientedRowCount(std::uint64_t rows) { return -std::log(static_cast<double>(rows) + 1.0); }

double OrientedFreshness(double seconds) { return std::log(seconds + 1.0); }

MetricRegistry::MetricRegistry() {
  keys_.push_back({MetricKind::kRowCount, ""});
  keys_.push_back({MetricKind::kFreshness, ""});
  keys_.push_back({MetricKind::kDuplicateRate, ""});
}

int MetricRegistry::Intern(const MetricKey& key) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return static_cast<int>(i);
  }
  keys_.push_back(key);
  return static_cast<int>(keys_.size() - 1);
}

int MetricRegistry::InternNullRate(std::string_view column, std::size_t hint) {
  if (hint < keys_.size() && keys_[hint].kind == MetricKind::kNullRate &&
      keys_[hint].column == column) {
    return static_cast<int>(hint);
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].kind == MetricKind::kNullRate && keys_[i].column == column) {
      return static_cast<int>(i);
    }
  }
  keys_.push_back({MetricKind::kNullRate, std::string(column)});
  return static_cast<int>(keys_.size() - 1);
}

std::vector<LoadValue> MetricRegistry::Extract(const Sample& sample) {
  std::vector<LoadValue> values;
  Extract(sample, &values);
  return values;
}

void MetricRegistry::Extract(const Sample& sample, std::vector<LoadValue>* values) {
  values->clear();
  values->reserve(3 + sample.nulls.size());
  if (sample.rows > 0) values->push_back({kRowCount, OrientedRowCount(sample.rows), false, 0, 0});
  if (sample.freshness_s) {
    values->push_back({kFreshness, OrientedFreshness(*sample.freshness_s), false, 0, 0});
  }
  if (sample.rows > 0) {
    if (sample.duplicates) {
      values->push_back({kDuplicateRate, OrientedRate(*sample.duplicates, sample.rows),
                         *sample.duplicates == sample.rows, *sample.duplicates, sample.rows});
    }
    // The fixed metrics come first, then the columns, usually in the order of the first load.
    std::size_t hint = static_cast<std::size_t>(kDuplicateRate) + 1;
    for (const auto& column : sample.nulls) {
      const int metric = InternNullRate(column.column, hint);
      hint = static_cast<std::size_t>(metric) + 1;
      values->push_back({metric, OrientedRate(column.nulls, sample.rows),
                         column.nulls == sample.rows, column.nulls, sample.rows});
    }
  }
}

}  // namespace canaryd
