#include "detector/sim/release_runner.h"

#include <vector>

#include "detector/engine/dataset_monitor.h"

namespace canaryd::sim {

std::string Describe(const ReleaseOutcome& o) {
  return std::string(DecisionName(o.decision)) + " check=" + o.check +
         " canary_loads=" + std::to_string(o.canary_loads) + " reason=" + o.reason;
}

ReleaseOutcome RunRelease(const Scenario& scenario, const EngineOptions& options) {
  LoadSimulator simulator(scenario);
  DatasetMonitor monitor(scenario.dataset, &options);
  std::vector<ReleaseDatasetView> decided;
  ReleaseOutcome outcome;
  Sample sample;
  while (simulator.Next(&sample)) {
    if (sample.arm == Arm::kCanary) {
      ++outcome.canary_loads;
      outcome.canary_rows += sample.rows;
    }
    monitor.Apply(sample, &decided);
    if (!decided.empty()) {
      outcome.decision = decided.front().decision;
      outcome.check = decided.front().deciding_check;
      outcome.reason = decided.front().reason;
      outcome.decided_at_ms = decided.front().decided_at_ms;
      break;
    }
  }
  outcome.regression_active = simulator.regression_active();
  return outcome;
}

}  // namespace canaryd::sim
