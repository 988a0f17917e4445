// The built-in default rules (design §4): every dataset's null rates, duplicate rate, row count and
// freshness at alpha = 0.01 per release. The rules language (rules/) overrides these per dataset:
// the release-wide fields here, and per check through `checks` (CheckPolicy).
#pragma once

#include <cstdint>
#include <memory>

#include "detector/judge/check_policy.h"
#include "detector/stats/e_process.h"

namespace canaryd {

struct JudgeOptions {
  // Chance that an A/A canary is ever rolled back, per (release, dataset), all checks together
  // (Bonferroni over the statistical checks).
  double alpha = 0.01;
  // Chance of promoting a canary that is worse than the margin, per check (promotion needs every
  // check, an intersection-union test, so no correction is needed across checks).
  double promote_alpha = 0.05;

  // Warm-up: fewer loads than this in either arm leaves a check NOT_EVALUATED.
  int min_canary_loads = 3;
  int min_baseline_loads = 3;
  // Promotion also needs this many canary loads, so that a regression that starts a little later
  // in the release still has a chance to show.
  int promote_min_canary_loads = 10;
  // Loads a scale (or a rate's count profile) must rest on before comparisons are scored.
  int min_scale_loads = 5;

  // Practical margins: differences smaller than these never roll back. A rate margin is the larger
  // of relative and absolute (so 0.01% -> 0.012% is not "20% worse" in any useful sense), and so
  // is freshness's: a load landing 4 s after schedule instead of 2 s is twice as late and
  // irrelevant to a 15-minute freshness promise. The absolute term is the larger below a baseline
  // median of 2.5 minutes.
  double rate_margin_relative = 0.20;         // x1.2
  double rate_margin_absolute = 0.001;        // +0.1 percentage point
  double row_count_margin_relative = 0.10;    // canary loads 10% smaller
  double freshness_margin_relative = 0.20;    // canary 20% later
  double freshness_margin_absolute_s = 30.0;  // or 30 s later, whichever is larger

  // Rolling back also needs the effect shown beyond the margin (ComparisonCheck::BeyondMargin):
  // evidence >= 1 / margin_alpha that it exceeds the margin, or the whole release's effect
  // margin_total_se standard errors beyond it. The recent point estimate beyond the margin was
  // enough before, and rolled back 85% of canaries at x1.15 against a x1.2 margin at 100k rows and
  // 8% at x1.1 (judge study, inside_*): with hundreds of looks, noise lifts it past the margin.
  // The counts method the same way, with a rate-ratio e-process and the rates' standard errors.
  double margin_alpha = 0.05;
  double margin_total_se = 1.0;

  // Absolute freshness SLO: share of loads landing within slo seconds of schedule.
  double freshness_slo_s = 900.0;
  double freshness_slo_share = 0.95;
  // freshness_tail: the canary's share of loads later than freshness_slo_s against the
  // baseline's, tested on the late-load counts (exact given their total). It rolls back when the
  // share is both this many times and this many points above the baseline's; it guards a late
  // tail that the log-mean freshness test dilutes, and does not hold promotion back (a share of
  // rare events takes hundreds of loads to bound, and the freshness check already bounds the
  // typical load).
  bool freshness_tail_enabled = true;
  double freshness_tail_margin_relative = 1.0;   // x2
  double freshness_tail_margin_absolute = 0.02;  // +2 percentage points
  // empty_loads: the canary's share of loads with no rows against the baseline's, tested as the
  // freshness tail is, from the release's first empty load in either arm; row_count then compares
  // the sizes of non-empty loads. An empty load's log row count is another state, not a small
  // size: scored against the scale of the non-empty loads it was ~10 sd (clipped), and rolled
  // back 4-6% of A/A releases with 2-5% empty loads in both arms. It follows row_count's policy
  // (off, warn, warm-ups) and exists when row_count is bad downwards.
  double empty_loads_margin_relative = 1.0;   // x2
  double empty_loads_margin_absolute = 0.02;  // +2 percentage points

  // Shadow mode: identical input should give identical output, so a paired difference beyond the
  // tolerance in the bad direction on this many consecutive loads is a regression by itself
  // (counts only: rows, null and duplicate rates; freshness is a time two runs never share).
  bool shadow_tolerance_enabled = true;
  double shadow_tolerance_relative = 0.02;
  int shadow_tolerance_loads = 3;

  // Canary silent: no canary load for max(silent_min_ms, silent_gap_multiple x the baseline's
  // median arrival gap), and a run of baseline-only loads that is unlikely by chance. After the
  // k-th canary load the run's chance must be below silent_alpha / (k (k + 1)): those sum to
  // silent_alpha over any number of gaps, so early gaps (few canary loads, little evidence) get
  // the most and a release of any length rolls back by chance at most 2 x silent_alpha (0.2%),
  // outside the statistical checks' alpha. Two chances are tried: given how many of the loads
  // since the first canary load were canary (exact under random assignment at any share), and at
  // a share of silent_min_share (the only one that can speak after a single canary load; a
  // canary on fewer loads than that should lower it).
  std::int64_t silent_min_ms = 10 * 60 * 1000;
  double silent_gap_multiple = 3.0;
  double silent_alpha = 0.001;
  double silent_min_share = 0.02;
  // A canary with a rhythm (shadow pairs, a fixed partition of every run: at least
  // silent_regular_runs gaps all holding the same number of baseline loads) is silent after
  // that number + 1 baseline loads beyond the time limit; by chance, equal gaps are themselves
  // rare, so random assignment keeps the statistical rule above.
  int silent_regular_runs = 5;

  // A scale below this (log units) is treated as this: zero-variance arms (a deterministic
  // transform) still give finite, meaningful scores.
  double scale_floor = 0.02;

  // A score is studentized by a scale estimated from a few dozen baseline loads, and every score
  // until the estimate moves shares its error: a scale that came out low inflates a run of scores
  // together, which one score's t -> z transform does not cover. The regression e-process then
  // crosses its threshold tau = log(K / alpha) more often than alpha / K, by a factor that grows
  // like exp(tau^2 / df). The judge study calibrates tau = log(6 / 0.01) (the built-in checks of a
  // two-column table); a deeper threshold studentizes regression scores with the scale's degrees
  // of freedom scaled by (this / tau)^2, which keeps that factor where the study measured it. A
  // 200-column table (tau = log(205 / 0.01) = 9.9) rolled back 2.7% of A/A releases with 5
  // baseline loads of history, and 1.3% with 30, before this (judge study, aa_wide200_*).
  double scale_df_reference_log_e = 6.4;

  GaussianMixtureOptions mixture;
  // Non-inferiority (promotion) bets on the drift equal arms would show.
  DriftMixtureOptions non_inferiority_mixture;

  // The counts method's alternatives and prior (rates with a handful of counts per load).
  RateRatioMixtureOptions counts_mixture;
  // The same for the shares of loads (freshness_tail, empty_loads), whose regressions are large
  // ratios of rare loads: equal weights (the rates' prior, weighted towards x1.5-x2, slowed the
  // heavy-tail case by ~8%).
  RateRatioMixtureOptions tail_mixture = [] {
    RateRatioMixtureOptions o;
    o.upward_weights = {};
    return o;
  }();

  // Per-check policies (severity, direction, margins, warm-ups, absolute limits). Null: every
  // check's BuiltInPolicy, i.e. the fields above.
  std::shared_ptr<const CheckPolicySource> checks;
};

}  // namespace canaryd
