// The absolute limits of one check, judged on the canary alone ("null_rate(email) < 2%",
// "freshness p95 < 15m"). A per-load limit must hold on every canary load; a quantile limit on
// the canary's loads since the release started, once there are enough of them for the quantile
// to mean something (20 for p95). Either fails after confirm_loads breaking evaluations in a row
// (1 for a critical check), so one odd load of a noisy pipeline is not a rollback.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detector/judge/check_policy.h"
#include "detector/judge/verdict.h"

namespace canaryd {

class LimitWatch {
 public:
  // `unit` is the evidence unit of the metric: "rate", "rows" or "s". policy outlives the watch.
  LimitWatch(const CheckPolicy* policy, std::string_view unit);

  // One canary load's value in natural units. Returns the index of a limit this load made fail,
  // if any (each limit fails once).
  std::optional<std::size_t> Observe(double value, std::string_view load_id);

  // Some limit is broken now or has failed: promotion waits (for rolling-back policies).
  bool Breaking() const;
  // Every limit has been evaluated at least once: promotion may not skip a limit that needs
  // more loads than the release has seen.
  bool AllEvaluated() const;

  // One line per limit, counts and estimates only.
  CheckEvidence Evidence(std::size_t i) const;
  std::size_t size() const { return states_.size(); }

 private:
  struct State {
    bool evaluated = false;
    double observed = 0.0;  // the load's value, or the quantile, at the last evaluation
    int streak = 0;         // breaking evaluations in a row
    bool failed = false;
    std::string failed_load;  // the load that confirmed the failure
  };
  std::size_t QuantileMinLoads(double q) const;
  double Quantile(double q) const;

  const CheckPolicy* policy_;
  std::string_view unit_;
  std::vector<State> states_;   // by policy_->limits index
  std::vector<double> values_;  // canary loads so far, for quantile limits only
  bool keeps_values_ = false;
  std::uint64_t loads_ = 0;
};

}  // namespace canaryd
