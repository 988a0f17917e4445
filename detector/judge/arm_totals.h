// Running totals of one arm of a release since the release started: counts per column, rows,
// duplicates and a freshness sketch. What a verdict's estimates ("null_rate 2.04% vs 1.01%
// baseline") are read from; the decisions themselves come from the checks' e-processes.
#pragma once

#include <cstdint>
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
// adds to each of them, so a sorted vector (one allocation, names side by side) rather than a
// tree with a node per column.
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
  std::uint64_t empty_loads = 0;  // with no rows
  std::uint64_t rows = 0;
  ColumnRates nulls;  // by column
  RateTotals duplicates;
  QuantileSketch freshness;
  std::uint64_t freshness_within_slo = 0;

  void Add(const Sample& sample, double slo_s);
  // Of the loads with rows, as row_count compares them (empty ones are empty_loads' share).
  double MeanRows() const {
    const std::uint64_t sized = loads - empty_loads;
    return sized == 0 ? 0.0 : static_cast<double>(rows) / static_cast<double>(sized);
  }
  double EmptyShare() const {
    return loads == 0 ? 0.0 : static_cast<double>(empty_loads) / static_cast<double>(loads);
  }
  double ShareWithinSlo() const {
    return freshness.count() == 0
               ? 0.0
               : static_cast<double>(freshness_within_slo) / static_cast<double>(freshness.count());
  }
};

}  // namespace canaryd
