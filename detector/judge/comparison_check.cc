#include "detector/judge/comparison_check.h"

#include <algorithm>
#include <cmath>

#include "detector/stats/student_t.h"

namespace canaryd {
namespace {
// The effect a check reports (and watches: ReleaseJudge) covers the last few comparisons, so a
// regression that starts late in a release is not diluted by the healthy part before it.
constexpr std::size_t kRecentWindow = 16;
// With sparse counts 16 comparisons may hold no baseline count at all, and then any canary count
// clears any margin: the counts method's window reaches back until the baseline holds this many
// counts. 10 counts put the ratio's relative error near 1/sqrt(10) = 30%.
constexpr double kRecentMinCounts = 10.0;
constexpr std::size_t kMaxRecentWindow = 256;
// Below this many counts per load in either arm, log rates are too discrete for the scores
// method: a canary load of 5 rows with no null scored log(0.5 / 6) against a baseline's 1%, as
// if it were 9 times worse (the half-count correction dominates a near-empty load).
constexpr double kCountsMethodMaxMean = 5.0;

// The margin test's alternatives: the rate-ratio grid and the null ratio itself, a bet of
// nothing. The margin sits above the truth for most of a release (a healthy canary, or a late
// regression before it starts), where every ratio above it loses on every count: without the
// null bet the wealth fell ~0.5 nats a comparison (log e -19 after 40 healthy comparisons of a
// sparse rate) and had to be won back after the change (judge study, mid-release at 0.03%: 27
// canary loads from the change against 10 for the point estimate). The null bet holds it at the
// bet's prior share, as the Gaussian mixtures' zero bet does.
RateRatioMixtureOptions WithNullBet(RateRatioMixtureOptions options) {
  if (options.upward_weights.size() != options.upward.size()) {
    options.upward_weights.assign(options.upward.size(), 1.0);
  }
  options.upward.insert(options.upward.begin(), 1.0);
  options.upward_weights.insert(options.upward_weights.begin(), 2.0);
  return options;
}

double RowsPerLoad(const ArmGroup& arm) {
  return arm.loads > 0 ? static_cast<double>(arm.rows) / arm.loads : 0.0;
}

bool IsRate(const MetricKey& key) { return key.IsRowRate() || key.IsLoadShare(); }

// A margin that cannot be reached (a rate cannot fall by more than itself): effects never clear
// it, so the direction is compared but never rolls back on its own.
constexpr double kUnreachableMarginLog = 50.0;
// A relative margin of 100% or more downwards would mean "worse than nothing".
constexpr double kMaxDownShare = 0.999;
}  // namespace

double MarginLogAt(bool up, double relative, double absolute, double level) {
  double margin = up ? std::log1p(relative) : -std::log1p(-std::min(relative, kMaxDownShare));
  if (absolute > 0 && level > 0) {
    const double absolute_log = up                 ? std::log((level + absolute) / level)
                                : absolute < level ? -std::log((level - absolute) / level)
                                                   : kUnreachableMarginLog;
    margin = std::max(margin, absolute_log);
  }
  return margin;
}

ComparisonCheck::ComparisonCheck(MetricKey key, std::string name, const JudgeOptions* options,
                                 const CheckPolicy* policy, bool reversed)
    : key_(std::move(key)),
      name_(std::move(name)),
      options_(options),
      policy_(policy),
      reversed_(reversed),
      regression_(options->mixture),
      non_inferiority_(options->non_inferiority_mixture),
      recent_(kMaxRecentWindow) {}

bool ComparisonCheck::ChooseMethod(const CountProfile& counts, double canary_rows_per_load) {
  if (method_ != CheckMethod::kUndecided) return true;
  // A rate's method depends on how many counts a load holds; wait until that is known.
  if (IsRate(key_) && counts.loads < static_cast<std::size_t>(options_->min_scale_loads)) {
    return false;
  }
  // The typical load's counts: with bursts capped, a sparse rate whose rare bursts lift its mean
  // count past the limit stays a sparse rate (on log values a burst is clipped, and the geometric
  // means then hide a canary that bursts on every fourth load inside an absolute margin read at
  // the sparse level).
  const double rate = counts.capped ? std::min(counts.rate, counts.cap_rate) : counts.rate;
  const double baseline_mean_count =
      counts.rate > 0 ? counts.mean_count * (rate / counts.rate) : counts.mean_count;
  const double canary_mean_count = rate * canary_rows_per_load;
  if (IsRate(key_) && std::min(baseline_mean_count, canary_mean_count) < kCountsMethodMaxMean) {
    method_ = CheckMethod::kCounts;
    const RateRatioMixtureOptions& mixture =
        key_.IsLoadShare() ? options_->tail_mixture : options_->counts_mixture;
    count_regression_.emplace(1.0, /*upward=*/true, mixture);
    count_beyond_margin_.emplace(1.0, /*upward=*/true, WithNullBet(mixture));
    count_non_inferiority_.emplace(1.0, /*upward=*/false, mixture);
  } else {
    method_ = CheckMethod::kScores;
    beyond_margin_.emplace(options_->mixture);
  }
  return true;
}

bool ComparisonCheck::BeyondMargin(double log_threshold) const {
  if (TotalEffect() <= 0 || !MarginTested()) return false;
  if (log_e_beyond_margin() >= log_threshold) return true;
  if (count_beyond_margin_) return TotalCountsBeyondMargin();
  // The whole release's effect, options_->margin_total_se standard errors beyond the margin.
  const auto n = static_cast<double>(observations_);
  return n > 0 &&
         total_effect_ - options_->margin_total_se * std::sqrt(total_variance_) / n >= margin_log_;
}

bool ComparisonCheck::TotalCountsBeyondMargin() const {
  if (total_.canary_rows <= 0 || total_.baseline_rows <= 0) return false;
  // The tested arm's rate t against the bound the margin puts on it, o * e^m, on the rate scale:
  // in log ratios a never-null baseline's half count alone is sqrt(2) nats of error, where its rate
  // is known to be tiny.
  const double m = EffectMargins() ? total_margin_log_ : margin_log_;
  const double t = (total_.canary_count + 0.5) / total_.canary_rows;
  const double o = (total_.baseline_count + 0.5) / total_.baseline_rows;
  const double factor = std::exp(m);
  // How the bound moves with o: by the relative margin's factor where it sets the margin, by 1
  // where o + the absolute margin does (a row rate's own margins); e^m, the larger, otherwise.
  const double slope =
      EffectMargins() && !reversed_ ? std::min(factor, 1.0 + policy_->margin_relative) : factor;
  const double variance = std::max(1.0, dispersion_) *
                          (t / total_.canary_rows + slope * slope * o / total_.baseline_rows);
  return t - o * factor >= options_->margin_total_se * std::sqrt(variance);
}

double ComparisonCheck::log_e_beyond_margin() const {
  if (beyond_margin_) return beyond_margin_->log_e();
  return count_beyond_margin_ ? count_beyond_margin_->log_e() : 0.0;
}

double ComparisonCheck::log_e_regression() const {
  if (external_log_e_regression_) return *external_log_e_regression_;
  return method_ == CheckMethod::kCounts ? count_regression_->log_e() : regression_.log_e();
}

double ComparisonCheck::log_e_non_inferiority() const {
  return method_ == CheckMethod::kCounts && !paired_counts_non_inferiority_
             ? count_non_inferiority_->log_e()
             : non_inferiority_.log_e();
}

void ComparisonCheck::SetRollbackLogThreshold(double log_threshold) {
  const double ratio = options_->scale_df_reference_log_e / log_threshold;
  regression_df_factor_ = log_threshold > 0 ? std::min(1.0, ratio * ratio) : 1.0;
}

void ComparisonCheck::ScoreDifference(double difference, double se, double df) {
  total_variance_ += se * se;
  const double regression_df = df * regression_df_factor_;
  regression_.Update(StudentTToZ(difference / se, regression_df));
  // The margin in force for this comparison is fixed before its difference is seen, so the
  // shifted scores keep the test valid under "every effect <= its margin".
  beyond_margin_->Update(StudentTToZ((difference - margin_log_) / se, regression_df));
  // Equal arms would score the margin itself, in standard errors. The drift only sizes the bets
  // (any value fixed before the score keeps the test valid), so it skips the t -> z transform,
  // which cost 4% of a split report and 25% of a shadow one.
  non_inferiority_.Update(StudentTToZ((margin_log_ - difference) / se, df), margin_log_ / se);
}

// Rolling back reads both arms' capped counts (a burst is a few counts, not certainty). Promoting
// reads the canary's whole and the baseline's capped: a canary's bursts count fully against it,
// and one baseline burst (247 duplicates against the canary's 0) cannot prove it no worse, as it
// did from log e -400 to +732 in one comparison.
void ComparisonCheck::ScoreCounts(const ArmGroup& canary, const ArmGroup& baseline,
                                  const CountProfile& counts, bool non_inferiority) {
  const auto cr = static_cast<double>(canary.rows);
  const auto br = static_cast<double>(baseline.rows);
  const double rollback_dispersion = counts.capped ? counts.capped_dispersion : counts.dispersion;
  dispersion_ = counts.dispersion;
  count_regression_->Update(canary.capped_count, cr, baseline.capped_count, br,
                            rollback_dispersion);
  // As the scores method's: the margin in force is fixed before these counts are read.
  count_beyond_margin_->set_null_ratio(std::exp(margin_log_));
  count_beyond_margin_->Update(canary.margin_capped_count, cr, baseline.capped_count, br,
                               rollback_dispersion);
  if (!non_inferiority) return;
  // An absolute margin is a ratio at a level: at the window's (a sparse rate between bursts,
  // +0.1pp on 0.001% is x100) it let a canary at 0.5% promote against a release-long baseline of
  // 0.04% (x12). The smaller of that ratio and the one at the release's own baseline level so far.
  const double margin =
      EffectMargins() && observations_ > 0 ? std::min(margin_log_, total_margin_log_) : margin_log_;
  count_non_inferiority_->set_null_ratio(std::exp(margin));
  count_non_inferiority_->Update(canary.count, cr, baseline.capped_count, br, counts.dispersion);
}

// In a shadow pair both arms counted the same input rows, so the baseline's count predicts the
// canary's far better than two independent binomials would: an A/A canary that reports exactly
// the baseline's counts shows, pair after pair, a share of exactly one half, which the binomial
// test reads as weak evidence (e^2.5 after 200 pairs of 3 nulls). Non-inferiority at ratio
// r = e^margin says E[c - r*b] >= 0 (b scaled to the canary's rows), whatever the pairing; the
// contrast's spread is measured from the earlier pairs, as the scores method does, so identical
// arms promote in a few pairs and a canary on the margin does not. Regression keeps the binomial
// test: positively correlated arms only make it conservative, and rollback calibration is the
// promise that must hold.
void ComparisonCheck::ScorePairedCountsNonInferiority(const ArmGroup& canary,
                                                      const ArmGroup& baseline) {
  paired_counts_non_inferiority_ = true;
  if (canary.rows == 0 || baseline.rows == 0) return;
  const auto c = static_cast<double>(canary.count);
  const double b = static_cast<double>(baseline.count) * static_cast<double>(canary.rows) /
                   static_cast<double>(baseline.rows);
  const double r = std::exp(margin_log_);
  const ScaleEstimate scale = paired_counts_.ContrastScale(r);
  // A floor relative to the baseline's level keeps a run of near-identical pairs from reading as
  // certainty; a column with no counts has no contrast to test (NonInferior's zero-count rule).
  const double mean_b = paired_counts_.mean_y();
  const double floor = options_->scale_floor * r * mean_b;
  paired_counts_.Add(c, b);
  if (paired_counts_.count() <= static_cast<std::uint64_t>(options_->min_scale_loads)) return;
  const double sd = std::max(scale.sd, floor);
  if (!(sd > 0.0)) return;
  // Equal arms would score (r - 1) times the baseline's mean count, in standard deviations.
  non_inferiority_.Update(StudentTToZ((r * b - c) / sd, scale.df), (r - 1.0) * mean_b / sd);
}

void ComparisonCheck::Remember(double difference, const ArmGroup& canary,
                               const ArmGroup& baseline) {
  ++observations_;
  const Recent r{difference, static_cast<double>(canary.count), static_cast<double>(canary.rows),
                 static_cast<double>(baseline.count), static_cast<double>(baseline.rows)};
  const auto add = [](Recent& sums, const Recent& each, double sign) {
    sums.difference += sign * each.difference;
    sums.canary_count += sign * each.canary_count;
    sums.canary_rows += sign * each.canary_rows;
    sums.baseline_count += sign * each.baseline_count;
    sums.baseline_rows += sign * each.baseline_rows;
  };
  const auto drop_oldest = [&] {
    add(recent_sums_, recent_.front(), -1.0);
    recent_.pop_front();
  };
  if (recent_.full()) drop_oldest();
  recent_.push_back(r);
  add(recent_sums_, r, 1.0);
  add(total_, r, 1.0);
  const bool counts = method_ == CheckMethod::kCounts;
  while (recent_.size() > kRecentWindow &&
         (!counts ||
          recent_sums_.baseline_count - recent_.front().baseline_count >= kRecentMinCounts)) {
    drop_oldest();
  }
  // The method is fixed before the first comparison, so the effects need no later update.
  recent_effect_ = Effect(recent_sums_, recent_.size());
  total_effect_ = Effect(total_, observations_);
  if (EffectMargins()) total_margin_log_ = EffectMarginLog(total_);
}

double ComparisonCheck::EffectMarginLog(const Recent& sums) const {
  // The real baseline's rate as Effect reads it (reversed, the arms swapped roles).
  const double count = reversed_ ? sums.canary_count : sums.baseline_count;
  const double rows = reversed_ ? sums.canary_rows : sums.baseline_rows;
  if (rows <= 0) return margin_log_;
  return MarginLogAt(!reversed_, policy_->margin_relative, policy_->margin_absolute,
                     (count + 0.5) / rows);
}

void ComparisonCheck::ObserveSplit(const ArmGroup& canary_arm, const ArmGroup& baseline_arm,
                                   ScaleEstimate baseline_scale, const CountProfile& counts,
                                   double margin_log) {
  // Reversed, the baseline plays the canary: the conditional binomial and the score difference
  // are symmetric in the arms, so this tests the opposite direction exactly.
  const ArmGroup& canary = reversed_ ? baseline_arm : canary_arm;
  const ArmGroup& baseline = reversed_ ? canary_arm : baseline_arm;
  if (canary.loads <= 0 || baseline.loads <= 0 || !ChooseMethod(counts, RowsPerLoad(canary_arm))) {
    return;
  }
  margin_log_ = margin_log;
  if (method_ == CheckMethod::kCounts) {
    ScoreCounts(canary, baseline, counts, /*non_inferiority=*/true);
  } else {
    // The baseline's spread must be known from a few loads before a score means anything.
    if (baseline_scale.df <= 0 ||
        baseline_scale.observations + 1 < static_cast<std::size_t>(options_->min_scale_loads)) {
      return;
    }
    // The floor applies to the per-load scale, before dividing by group sizes.
    const double sd = std::max(baseline_scale.sd, options_->scale_floor);
    const double se = sd * std::sqrt(1.0 / canary.loads + 1.0 / baseline.loads);
    ScoreDifference(canary.mean - baseline.mean, se, baseline_scale.df);
  }
  Remember(canary.mean - baseline.mean, canary, baseline);
}

void ComparisonCheck::ObservePaired(const ArmGroup& canary_arm, const ArmGroup& baseline_arm,
                                    const CountProfile& counts, double margin_log,
                                    double tolerance_log) {
  const ArmGroup& canary = reversed_ ? baseline_arm : canary_arm;
  const ArmGroup& baseline = reversed_ ? canary_arm : baseline_arm;
  if (!ChooseMethod(counts, RowsPerLoad(canary_arm))) return;
  margin_log_ = margin_log;
  const double difference = canary.mean - baseline.mean;
  divergent_streak_ = difference > tolerance_log ? divergent_streak_ + 1 : 0;
  if (method_ == CheckMethod::kCounts) {
    ScoreCounts(canary, baseline, counts, /*non_inferiority=*/false);
    ScorePairedCountsNonInferiority(canary, baseline);
  } else {
    const ScaleEstimate scale = paired_.Estimate();
    paired_.Add(difference);
    if (paired_.count() <= static_cast<std::uint64_t>(options_->min_scale_loads)) return;
    ScoreDifference(difference, std::max(scale.sd, options_->scale_floor), scale.df);
  }
  ++paired_observations_;
  Remember(difference, canary, baseline);
}

double ComparisonCheck::Effect(const Recent& sums, std::size_t n) const {
  if (n == 0) return 0.0;
  if (method_ == CheckMethod::kCounts) {
    if (sums.canary_rows <= 0 || sums.baseline_rows <= 0) return 0.0;
    return std::log(((sums.canary_count + 0.5) / sums.canary_rows) /
                    ((sums.baseline_count + 0.5) / sums.baseline_rows));
  }
  return sums.difference / static_cast<double>(n);
}

}  // namespace canaryd
