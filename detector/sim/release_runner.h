// Runs one simulated release through the real per-dataset judge, single-threaded, so studies
// can run thousands of releases quickly and deterministically.
#pragma once

#include <cstdint>
#include <string>

#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/sim/load_simulator.h"

namespace canaryd::sim {

struct ReleaseOutcome {
  Decision decision = Decision::kContinue;
  std::string check;               // the deciding check
  int canary_loads = 0;            // canary loads the judge had seen at the decision (or end)
  std::uint64_t canary_rows = 0;   // canary rows seen at the decision (or end)
  bool regression_active = false;  // whether the canary had started regressing by then
  std::string reason;
  std::int64_t decided_at_ms = 0;  // report time of the decision; 0 if none
};

ReleaseOutcome RunRelease(const Scenario& scenario, const EngineOptions& options);

// "rollback check=null_rate(email) canary_loads=12 reason=...": for test failure messages.
std::string Describe(const ReleaseOutcome& outcome);

}  // namespace canaryd::sim
