// Reports of several simulated releases merged in ts order, one v1 JSON line each: what the
// Kafka integration and end-to-end tests produce into the report topic.
#pragma once

#include <string>
#include <vector>

#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"

namespace canaryd::testing {

inline std::vector<std::string> Reports(std::vector<sim::Scenario> scenarios) {
  std::vector<sim::LoadSimulator> sims;
  for (auto& s : scenarios) sims.emplace_back(s);
  std::vector<Sample> next(sims.size());
  std::vector<bool> has(sims.size());
  for (std::size_t i = 0; i < sims.size(); ++i) has[i] = sims[i].Next(&next[i]);
  std::vector<std::string> lines;
  for (;;) {
    int pick = -1;
    for (std::size_t i = 0; i < sims.size(); ++i) {
      if (has[i] && (pick < 0 || next[i].ts_ms < next[static_cast<std::size_t>(pick)].ts_ms)) {
        pick = static_cast<int>(i);
      }
    }
    if (pick < 0) break;
    const auto p = static_cast<std::size_t>(pick);
    lines.push_back(EncodeSampleJson(next[p]));
    has[p] = sims[p].Next(&next[p]);
  }
  return lines;
}

}  // namespace canaryd::testing
