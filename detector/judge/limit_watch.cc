#include "detector/judge/limit_watch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detector/judge/evidence_text.h"

namespace canaryd {
namespace {

std::string QuantileLabel(double q) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "p%g", 100.0 * q);
  return buf;
}

}  // namespace

LimitWatch::LimitWatch(const CheckPolicy* policy, std::string_view unit)
    : policy_(policy), unit_(unit), states_(policy->limits.size()) {
  for (const AbsoluteLimit& limit : policy->limits) keeps_values_ |= limit.quantile.has_value();
}

std::size_t LimitWatch::QuantileMinLoads(double q) const {
  // The quantile must rest on at least one load on each side of it: p95 needs 20 loads, p50 2.
  const double tail = std::min(q, 1.0 - q);
  const auto needed = static_cast<std::size_t>(std::ceil(1.0 / std::max(tail, 1e-6) - 1e-9));
  return std::max<std::size_t>(needed, static_cast<std::size_t>(policy_->warm_up_canary));
}

double LimitWatch::Quantile(double q) const {
  // Nearest rank: the smallest value with at least q of the loads at or below it.
  std::vector<double> sorted = values_;
  const auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, n);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   sorted.end());
  return sorted[rank - 1];
}

std::optional<std::size_t> LimitWatch::Observe(double value, std::string_view load_id) {
  ++loads_;
  if (keeps_values_) values_.push_back(value);
  std::optional<std::size_t> newly_failed;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    const AbsoluteLimit& limit = policy_->limits[i];
    State& state = states_[i];
    if (state.failed) continue;
    if (limit.quantile && values_.size() < QuantileMinLoads(*limit.quantile)) continue;
    state.evaluated = true;
    state.observed = limit.quantile ? Quantile(*limit.quantile) : value;
    state.streak = limit.Holds(state.observed) ? 0 : state.streak + 1;
    if (state.streak >= std::max(1, policy_->confirm_loads)) {
      state.failed = true;
      state.failed_load = std::string(load_id);
      if (!newly_failed) newly_failed = i;
    }
  }
  return newly_failed;
}

bool LimitWatch::Breaking() const {
  return std::any_of(states_.begin(), states_.end(),
                     [](const State& s) { return s.failed || s.streak > 0; });
}

bool LimitWatch::AllEvaluated() const {
  return std::all_of(states_.begin(), states_.end(), [](const State& s) { return s.evaluated; });
}

CheckEvidence LimitWatch::Evidence(std::size_t i) const {
  const AbsoluteLimit& limit = policy_->limits[i];
  const State& state = states_[i];
  CheckEvidence e;
  e.check = limit.text;
  e.method = "limit";
  e.unit = unit_;
  e.canary_loads = loads_;
  e.canary_estimate = state.observed;
  const std::string observed =
      (limit.quantile ? "canary " + QuantileLabel(*limit.quantile) + " " : std::string()) +
      FormatEstimate(state.observed, unit_) +
      (limit.quantile ? " over " + std::to_string(values_.size()) + " loads" : std::string());
  const std::string in_a_row =
      std::to_string(state.streak) + " canary load" + (state.streak == 1 ? "" : "s") + " in a row";
  if (!state.evaluated) {
    e.verdict = Verdict::kNotEvaluated;
    e.sentence = limit.text + ": waiting for " +
                 std::to_string(QuantileMinLoads(limit.quantile.value_or(0.5))) +
                 " canary loads (" + std::to_string(values_.size()) + " so far)";
  } else if (state.failed) {
    e.verdict = policy_->rolls_back ? Verdict::kFail : Verdict::kWarn;
    e.sentence = limit.text + ": broken by " + in_a_row + " (" + observed + " at load " +
                 state.failed_load + "); " +
                 (policy_->rolls_back ? "rollback" : "warning only (severity warn)");
  } else if (state.streak > 0) {
    e.verdict = Verdict::kWarn;
    e.sentence = limit.text + ": broken by " + in_a_row + " (" + observed + "); fails at " +
                 std::to_string(std::max(1, policy_->confirm_loads));
  } else {
    e.verdict = Verdict::kPass;
    e.sentence =
        limit.text + ": holds (" + (limit.quantile ? observed : "last load " + observed) + ")";
  }
  return e;
}

}  // namespace canaryd
