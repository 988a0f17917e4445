#include "rules/fleet_slo.h"

#include <algorithm>
#include <utility>

namespace canaryd {

std::string_view SloStateName(SloState state) {
  switch (state) {
    case SloState::kNoData:
      return "no_data";
    case SloState::kMet:
      return "met";
    case SloState::kBreached:
      return "breached";
  }
  return "unknown";
}

namespace {

// Exact in integers: landed / loads >= target, with target's binary rounding forgiven (0.95 is
// slightly below 95/100 in floating point, and 95 of 100 must meet 95%).
bool Meets(std::uint64_t landed, std::uint64_t loads, double target) {
  const long double needed = static_cast<long double>(target) * static_cast<long double>(loads);
  return static_cast<long double>(landed) + 1e-9L * static_cast<long double>(loads) >= needed;
}

}  // namespace

FleetSloStatus EvaluateFleetSlo(std::span<const DatasetLandings> datasets, double target) {
  FleetSloStatus status;
  std::vector<std::pair<double, std::string>> below;
  for (const DatasetLandings& d : datasets) {
    const std::uint64_t landed = std::min(d.landed_within, d.loads);
    status.landed_within += landed;
    status.loads += d.loads;
    if (d.loads > 0 && !Meets(landed, d.loads, target)) {
      below.emplace_back(static_cast<double>(landed) / static_cast<double>(d.loads), d.dataset);
    }
  }
  std::sort(below.begin(), below.end());
  for (auto& [share, name] : below) status.below_target.push_back(std::move(name));
  if (status.loads == 0) return status;
  status.share = static_cast<double>(status.landed_within) / static_cast<double>(status.loads);
  status.state =
      Meets(status.landed_within, status.loads, target) ? SloState::kMet : SloState::kBreached;
  return status;
}

}  // namespace canaryd
