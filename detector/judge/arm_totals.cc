#include "detector/judge/arm_totals.h"

namespace canaryd {

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
  if (sample.rows == 0) ++empty_loads;
  rows += sample.rows;
  if (nulls.empty()) nulls.reserve(sample.nulls.size());
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

}  // namespace canaryd
