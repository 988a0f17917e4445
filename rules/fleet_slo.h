// The fleet freshness objective ("95% of critical tables updated within 15 minutes of schedule"):
// the share of loads of the datasets it covers that landed within the bound, pooled over datasets
// (so it reads as "share of scheduled updates on time"), and whether that meets the target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace canaryd {

struct DatasetLandings {
  std::string dataset;
  std::uint64_t landed_within = 0;  // loads that landed within the bound of their schedule
  std::uint64_t loads = 0;          // loads with a known freshness
};

enum class SloState : std::uint8_t { kNoData, kMet, kBreached };
std::string_view SloStateName(SloState state);  // "no_data", "met", "breached"

struct FleetSloStatus {
  std::uint64_t landed_within = 0;
  std::uint64_t loads = 0;
  std::optional<double> share;  // empty without loads: no data is not 100%, nor 0%
  SloState state = SloState::kNoData;
  // Datasets whose own share is below the target, worst first: where to look.
  std::vector<std::string> below_target;
};

// target in (0, 1]. A count of landed_within above loads is taken as loads.
FleetSloStatus EvaluateFleetSlo(std::span<const DatasetLandings> datasets, double target);

}  // namespace canaryd
