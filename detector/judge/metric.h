// The per-load quantities the comparison checks test, each on a log scale and oriented so that a
// positive difference (canary minus baseline) is the bad direction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detector/sample.h"

namespace canaryd {

// kFreshnessTail and kEmptyLoads are shares of loads that the judge derives from each load: those
// later than the freshness SLO (a late tail moves the share long before the log mean), and those
// with no rows (row_count compares the sizes of the others: an empty load is another state, not a
// small size).
enum class MetricKind : std::uint8_t {
  kNullRate,
  kDuplicateRate,
  kRowCount,
  kFreshness,
  kFreshnessTail,
  kEmptyLoads
};

struct MetricKey {
  MetricKind kind;
  std::string column;  // null_rate only

  // "null_rate(email)", "duplicate_rate", "row_count", "freshness", "freshness_tail",
  // "empty_loads"
  std::string Name() const;
  bool operator==(const MetricKey&) const = default;
  // A count out of rows.
  bool IsRowRate() const {
    return kind == MetricKind::kNullRate || kind == MetricKind::kDuplicateRate;
  }
  // A count out of loads, with a margin of its own (the freshness tail, empty loads).
  bool IsLoadShare() const {
    return kind == MetricKind::kFreshnessTail || kind == MetricKind::kEmptyLoads;
  }
};

// One load's value of each metric it reports, in a dataset's metric numbering.
struct LoadValue {
  int metric;               // index into the dataset's MetricRegistry
  double value;             // oriented log-scale value (see OrientedRate and friends)
  bool every_row = false;   // rates: the count equals rows (a column 100% null)
  std::uint64_t count = 0;  // rates: the raw count (nulls, duplicate rows)
  std::uint64_t rows = 0;   // rates: the load's rows
};

// log((k + 1/2) / (rows + 1)) for rates: finite at zero counts and unbiased enough at small ones;
// log(rows + 1) negated for row_count (fewer rows is bad); log(freshness + 1) for freshness.
double OrientedRate(std::uint64_t count, std::uint64_t rows);
double OrientedRowCount(std::uint64_t rows);
double OrientedFreshness(double seconds);

// Numbers metric keys per dataset in first-seen order, so per-load values are small vectors.
class MetricRegistry {
 public:
  MetricRegistry();
  int Intern(const MetricKey& key);
  // Intern of a null-rate column, looked up by name without building a key; `hint` is where to
  // look first (a dataset's loads list their columns in the same order).
  int InternNullRate(std::string_view column, std::size_t hint);
  const MetricKey& key(int metric) const { return keys_[static_cast<std::size_t>(metric)]; }
  int size() const { return static_cast<int>(keys_.size()); }

  // The metrics this load reports. Rates and row_count need rows > 0: an empty load says nothing
  // about a rate, and its size is judged as a share of empty loads (kEmptyLoads), so a load
  // without row_count is an empty one.
  std::vector<LoadValue> Extract(const Sample& sample);
  // The same into *values (replacing its contents), so a caller can reuse one vector.
  void Extract(const Sample& sample, std::vector<LoadValue>* values);

  static constexpr int kRowCount = 0;
  static constexpr int kFreshness = 1;
  static constexpr int kDuplicateRate = 2;

 private:
  std::vector<MetricKey> keys_;
};

}  // namespace canaryd
