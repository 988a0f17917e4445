// freshness_tail_study: A/A false-rollback rate when freshness has a heavy tail (a share of
// loads lands late by a fixed delay, as a retried task or a queued cluster does). Both arms share
// one profile, so every rollback is false; the judge promises <= alpha (0.01) per release.
//
//   freshness_tail_study [RELEASES]   (default 1000 per configuration)
//
// Split mode, 10% canary, 20k rows, ±30% overdispersion, 200 warm-up baseline loads, up to 1500
// load slots per release (the run stops at the first decision, as sim::RunRelease does).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include <spdlog/spdlog.h>

#include "detector/engine/engine_options.h"
#include "detector/sim/release_runner.h"

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  const int releases = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
  const canaryd::EngineOptions options;
  std::printf("%-10s %-10s %-10s %-9s %-10s %s\n", "median_s", "late_share", "late_s", "releases",
              "rollbacks", "share (alpha 0.01) / by check");
  for (const double median : {60.0, 300.0}) {
    for (const double late_share : {0.0, 0.01, 0.03}) {
      std::map<std::string, int> by_check;
      int rollbacks = 0;
      for (int i = 0; i < releases; ++i) {
        canaryd::sim::Scenario s = canaryd::sim::AaScenario(1000 + static_cast<std::uint64_t>(i),
                                                            0.3, 20000, 0.1, /*shadow=*/false);
        s.loads = 1500;
        s.emit_baseline_before_start = true;
        s.baseline_history_loads = 200;
        s.baseline.freshness_median_s = median;
        s.baseline.freshness_sigma = 0.3;
        s.baseline.late_share = late_share;
        s.baseline.late_extra_s = 1200;
        s.canary = s.baseline;
        const auto outcome = canaryd::sim::RunRelease(s, options);
        if (outcome.decision == canaryd::Decision::kRollback) {
          ++rollbacks;
          ++by_check[outcome.check];
        }
      }
      std::printf("%-10.0f %-10.2f %-10.0f %-9d %-10d %.3f", median, late_share, 1200.0, releases,
                  rollbacks, static_cast<double>(rollbacks) / releases);
      for (const auto& [check, n] : by_check) std::printf(" %s=%d", check.c_str(), n);
      std::printf("\n");
    }
  }
  return 0;
}
