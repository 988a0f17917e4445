#include "detector/judge/release_judge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detector/judge/evidence_text.h"

namespace canaryd {
namespace {

constexpr std::size_t kMaxPending = 256;  // loads awaiting a partner; oldest dropped beyond

bool IsRate(const MetricKey& key) {
  return key.kind == MetricKind::kNullRate || key.kind == MetricKind::kDuplicateRate;
}

// The absolute part of a rate margin on the log scale: log((p + abs) / p).
double AbsoluteRateMarginLog(const BaselineTracker& baseline, int metric, double absolute) {
  if (!baseline.HasLevel(metric)) return 0.0;
  const double p = std::exp(baseline.Level(metric));
  return std::log((p + absolute) / p);
}

double MarginLog(const MetricKey& key, int metric, const DatasetContext& ctx) {
  const JudgeOptions& o = *ctx.options;
  switch (key.kind) {
    case MetricKind::kNullRate:
    case MetricKind::kDuplicateRate:
      return std::max(std::log1p(o.rate_margin_relative),
                      AbsoluteRateMarginLog(*ctx.baseline, metric, o.rate_margin_absolute));
    case MetricKind::kRowCount:
      return -std::log1p(-o.row_count_margin_relative);
    case MetricKind::kFreshness:
      return std::log1p(o.freshness_margin_relative);
    case MetricKind::kFreshnessTail:
      return std::log1p(o.freshness_tail_margin_relative);  // see TailMarginLog
  }
  return 0.0;
}

double ToleranceLog(const MetricKey& key, int metric, const DatasetContext& ctx) {
  const double relative = std::log1p(ctx.options->shadow_tolerance_relative);
  if (!IsRate(key)) return relative;
  return std::max(relative,
                  AbsoluteRateMarginLog(*ctx.baseline, metric, ctx.options->rate_margin_absolute));
}

double WilsonLowerBound(double successes, double n, double z) {
  if (n <= 0) return 0.0;
  const double p = successes / n;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * n);
  const double spread = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return std::max(0.0, (centre - spread) / (1 + z2 / n));
}

template <class Container>
void PushBounded(Container* c, typename Container::value_type v) {
  c->push_back(std::move(v));
  if (c->size() > kMaxPending) c->erase(c->begin());
}

}  // namespace

ReleaseJudge::ReleaseJudge(std::string release, std::string dataset, std::int64_t start_ms)
    : release_(std::move(release)), dataset_(std::move(dataset)), start_ms_(start_ms) {}

ComparisonCheck& ReleaseJudge::CheckFor(int metric, const DatasetContext& ctx) {
  const auto i = static_cast<std::size_t>(metric);
  if (checks_.size() <= i) checks_.resize(i + 1);
  if (!checks_[i]) {
    checks_[i] = std::make_unique<ComparisonCheck>(ctx.registry->key(metric), ctx.options);
    ++check_count_;
  }
  return *checks_[i];
}

bool ReleaseJudge::OnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                            const DatasetContext& ctx) {
  if (!open()) return false;
  last_report_ms_ = std::max(last_report_ms_, sample.ts_ms);
  canary_series_.Add(sample);
  last_canary_ms_ = std::max(last_canary_ms_, sample.ts_ms);
  ++canary_loads_;
  if (canary_loads_ >= 2 && regular_runs_ >= 0) {
    if (regular_runs_ == 0 || baseline_since_canary_ == regular_run_) {
      regular_run_ = baseline_since_canary_;
      ++regular_runs_;
    } else {
      regular_runs_ = -1;
    }
  }
  baseline_since_canary_ = 0;
  if (!sample.schema.empty()) last_canary_schema_ = sample.schema;
  if (sample.freshness_s) {
    if (!late_share_) late_share_.emplace(1.0 - ctx.options->freshness_slo_share);
    late_share_->Update(*sample.freshness_s > ctx.options->freshness_slo_s);
    ++freshness_loads_;
  }

  for (const LoadValue& v : values) CheckFor(v.metric, ctx);
  if (sample.freshness_s && ctx.options->freshness_tail_enabled && !tail_check_) {
    tail_check_ =
        std::make_unique<ComparisonCheck>(MetricKey{MetricKind::kFreshnessTail, ""}, ctx.options);
    ++check_count_;
  }
  CheckRulesOnCanary(sample, values, ctx);

  LoadRecord record{sample.load_id, values};
  auto partner = std::find_if(recent_baseline_.begin(), recent_baseline_.end(),
                              [&](const LoadRecord& b) { return b.load_id == sample.load_id; });
  if (partner != recent_baseline_.end()) {
    // Take the partner out before pairing: Pair may clear the pending lists.
    const LoadRecord baseline = std::move(*partner);
    recent_baseline_.erase(partner);
    std::erase_if(baseline_pending_,
                  [&](const LoadRecord& b) { return b.load_id == sample.load_id; });
    Pair(record, baseline, ctx);
  } else {
    PushBounded(&canary_pending_, std::move(record));
    if (!paired_mode_ && !baseline_pending_.empty()) ScoreSplit(ctx);
  }
  return Evaluate(sample.ts_ms, ctx);
}

bool ReleaseJudge::OnBaseline(const Sample& sample, const std::vector<LoadValue>& values,
                              const DatasetContext& ctx) {
  if (!open()) return false;
  last_report_ms_ = std::max(last_report_ms_, sample.ts_ms);
  ++baseline_loads_;
  if (!sample.schema.empty() && !last_canary_schema_.empty() &&
      sample.schema != last_canary_schema_ && !rule_failure_) {
    rule_failure_ =
        RuleFailure{"schema", "schema: canary " + last_canary_schema_ + " differs from baseline " +
                                  sample.schema + "; rollback"};
  }

  LoadRecord record{sample.load_id, values};
  auto partner = std::find_if(canary_pending_.begin(), canary_pending_.end(),
                              [&](const LoadRecord& c) { return c.load_id == sample.load_id; });
  if (partner != canary_pending_.end()) {
    const LoadRecord canary = std::move(*partner);
    canary_pending_.erase(partner);
    Pair(canary, record, ctx);
  } else {
    if (!paired_mode_) {
      // The group's scale is fixed before its first baseline load is seen, so the scale and
      // the group's own values are independent (the tracker is updated after the judges).
      if (baseline_pending_.empty()) SnapshotGroupScales(ctx);
      baseline_pending_.push_back(record);
    }
    PushBounded(&recent_baseline_, std::move(record));
    if (!paired_mode_ && !canary_pending_.empty()) ScoreSplit(ctx);
  }
  CheckSilence(sample.ts_ms, ctx);
  return Evaluate(sample.ts_ms, ctx);
}

namespace {
ArmGroup GroupOf(const LoadValue& v) { return ArmGroup{v.value, 1, v.count, v.rows}; }

void AddTo(ArmGroup* g, const LoadValue& v, const ClipBounds& bounds) {
  g->mean += bounds.Clip(v.value);  // a sum until Finish
  ++g->loads;
  g->count += v.count;
  g->rows += v.rows;
}

void Finish(ArmGroup* g) {
  if (g->loads > 0) g->mean /= g->loads;
}
}  // namespace

void ReleaseJudge::Pair(const LoadRecord& canary, const LoadRecord& baseline,
                        const DatasetContext& ctx) {
  if (!paired_mode_) {
    // From the first shadow pair on, the dataset is judged on pairs only: split groups would
    // count the same loads twice.
    paired_mode_ = true;
    canary_pending_.clear();
    baseline_pending_.clear();
  }
  ScoreTail({canary}, {baseline}, ctx);
  for (const LoadValue& c : canary.values) {
    for (const LoadValue& b : baseline.values) {
      if (b.metric != c.metric) continue;
      const MetricKey& key = ctx.registry->key(c.metric);
      CheckFor(c.metric, ctx)
          .ObservePaired(GroupOf(c), GroupOf(b), ctx.baseline->Counts(c.metric),
                         MarginLog(key, c.metric, ctx), ToleranceLog(key, c.metric, ctx));
    }
  }
}

std::vector<const ComparisonCheck*> ReleaseJudge::AllChecks() const {
  std::vector<const ComparisonCheck*> all;
  all.reserve(checks_.size() + 1);
  for (const auto& check : checks_) {
    if (check) all.push_back(check.get());
  }
  if (tail_check_) all.push_back(tail_check_.get());
  return all;
}

double ReleaseJudge::TailMarginLog(const DatasetContext& ctx) const {
  const JudgeOptions& o = *ctx.options;
  // The absolute part is relative to the baseline's late share over the release so far, with
  // half a late load added so that a baseline without late loads does not make it infinite.
  const double loads = static_cast<double>(tail_check_ ? tail_check_->baseline_rows_total() : 0);
  const double late = static_cast<double>(tail_check_ ? tail_check_->baseline_count_total() : 0);
  const double p = (late + 0.5) / (loads + 1.0);
  return std::max(std::log1p(o.freshness_tail_margin_relative),
                  std::log((p + o.freshness_tail_margin_absolute) / p));
}

void ReleaseJudge::ScoreTail(const std::vector<LoadRecord>& canary,
                             const std::vector<LoadRecord>& baseline, const DatasetContext& ctx) {
  if (!tail_check_) return;
  // A load is late when its freshness misses the SLO; each load is one trial, so the counts
  // method's binomial is exact and needs no dispersion.
  const double late_log = OrientedFreshness(ctx.options->freshness_slo_s);
  const auto group = [&](const std::vector<LoadRecord>& records) {
    ArmGroup g;
    for (const LoadRecord& r : records) {
      for (const LoadValue& v : r.values) {
        if (v.metric != MetricRegistry::kFreshness) continue;
        ++g.loads;
        ++g.rows;
        if (v.value > late_log) ++g.count;
      }
    }
    g.mean = g.loads > 0 ? static_cast<double>(g.count) / g.loads : 0.0;
    return g;
  };
  const ArmGroup c = group(canary);
  const ArmGroup b = group(baseline);
  if (c.loads == 0 || b.loads == 0) return;
  // mean_count 0 selects the counts method; dispersion 1: loads are independent trials.
  const CountProfile profile{0.0, 1.0, static_cast<std::size_t>(ctx.options->min_scale_loads)};
  const double margin = TailMarginLog(ctx);
  if (paired_mode_) {
    tail_check_->ObservePaired(c, b, profile, margin, 1e300);
  } else {
    tail_check_->ObserveSplit(c, b, ScaleEstimate{}, profile, margin);
  }
}

void ReleaseJudge::SnapshotGroupScales(const DatasetContext& ctx) {
  group_scales_.assign(checks_.size(), GroupScale{});
  for (std::size_t m = 0; m < checks_.size(); ++m) {
    if (!checks_[m]) continue;
    group_scales_[m].scale = ctx.baseline->Scale(static_cast<int>(m));
    group_scales_[m].counts = ctx.baseline->Counts(static_cast<int>(m));
    group_scales_[m].bounds = ctx.baseline->Bounds(static_cast<int>(m));
  }
}

void ReleaseJudge::ScoreSplit(const DatasetContext& ctx) {
  for (std::size_t m = 0; m < checks_.size() && m < group_scales_.size(); ++m) {
    if (!checks_[m]) continue;
    const int metric = static_cast<int>(m);
    ArmGroup canary, baseline;
    for (const LoadRecord& r : canary_pending_) {
      for (const LoadValue& v : r.values) {
        if (v.metric == metric) AddTo(&canary, v, group_scales_[m].bounds);
      }
    }
    for (const LoadRecord& r : baseline_pending_) {
      for (const LoadValue& v : r.values) {
        if (v.metric == metric) AddTo(&baseline, v, group_scales_[m].bounds);
      }
    }
    if (canary.loads == 0 || baseline.loads == 0) continue;
    Finish(&canary);
    Finish(&baseline);
    checks_[m]->ObserveSplit(canary, baseline, group_scales_[m].scale, group_scales_[m].counts,
                             MarginLog(checks_[m]->key(), metric, ctx));
  }
  ScoreTail(canary_pending_, baseline_pending_, ctx);
  canary_pending_.clear();
  baseline_pending_.clear();
}

void ReleaseJudge::CheckRulesOnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                                      const DatasetContext& ctx) {
  if (rule_failure_) return;
  const std::string& base_schema = ctx.baseline->schema();
  if (!sample.schema.empty() && !base_schema.empty() && sample.schema != base_schema) {
    rule_failure_ =
        RuleFailure{"schema", "schema: canary " + sample.schema + " differs from baseline " +
                                  base_schema + "; rollback"};
    return;
  }
  for (const LoadValue& v : values) {
    const MetricKey& key = ctx.registry->key(v.metric);
    if (key.kind != MetricKind::kNullRate || !v.every_row) continue;
    if (ctx.baseline->Reported(v.metric) && !ctx.baseline->LastAllNull(v.metric)) {
      rule_failure_ =
          RuleFailure{key.Name(), key.Name() + ": every row null in canary load " + sample.load_id +
                                      " while the baseline's are not; rollback"};
      return;
    }
  }
}

void ReleaseJudge::CheckSilence(std::int64_t baseline_ts_ms, const DatasetContext& ctx) {
  if (rule_failure_ || canary_loads_ == 0) return;
  const JudgeOptions& o = *ctx.options;
  ++baseline_since_canary_;
  const std::int64_t baseline_gap = ctx.baseline->MedianGapMs();
  if (baseline_gap == 0) return;  // the baseline's rhythm is not known yet
  const auto time_limit = std::max(
      o.silent_min_ms,
      static_cast<std::int64_t>(o.silent_gap_multiple * static_cast<double>(baseline_gap)));
  const std::int64_t silent_for = baseline_ts_ms - last_canary_ms_;
  if (silent_for <= time_limit) return;
  // A canary with a rhythm is overdue once its usual gap has been clearly exceeded.
  const bool regular =
      regular_runs_ >= o.silent_regular_runs && baseline_since_canary_ > regular_run_ + 1;
  if (regular) {
    rule_failure_ = RuleFailure{
        "canary_silent", "canary_silent: no canary load for " + FormatDuration(silent_for) +
                             " while the baseline delivered " +
                             std::to_string(baseline_since_canary_) + " loads (usually " +
                             std::to_string(regular_run_) + " between canary loads); rollback"};
    return;
  }
  // Canary loads may be a random share of all loads, so a run of baseline-only loads happens by
  // chance; it counts as silence only once its chance is below silent_chance even at a low
  // (Wilson, z = silent_share_z) bound on the canary's share of the loads before the silence.
  const double share = WilsonLowerBound(
      static_cast<double>(canary_loads_),
      static_cast<double>(canary_loads_ + baseline_loads_ - baseline_since_canary_),
      o.silent_share_z);
  if (share <= 0.0) return;
  const double needed = std::log(o.silent_chance) / std::log1p(-share);
  if (static_cast<double>(baseline_since_canary_) < needed) return;
  rule_failure_ = RuleFailure{"canary_silent",
                              "canary_silent: no canary load for " + FormatDuration(silent_for) +
                                  " while the baseline delivered " +
                                  std::to_string(baseline_since_canary_) + " loads; rollback"};
}

double ReleaseJudge::LogThreshold(const DatasetContext& ctx) const {
  // Bonferroni on e-values: each of the K statistical checks gets alpha / K.
  return std::log(static_cast<double>(std::max(1, check_count_)) / ctx.options->alpha);
}

Verdict ReleaseJudge::StatisticalVerdict(const ComparisonCheck& check,
                                         const DatasetContext& ctx) const {
  const JudgeOptions& o = *ctx.options;
  if (baseline_loads_ == 0) return Verdict::kInconclusive;
  if (canary_loads_ < static_cast<std::uint64_t>(o.min_canary_loads) ||
      baseline_loads_ < static_cast<std::uint64_t>(o.min_baseline_loads)) {
    return Verdict::kNotEvaluated;
  }
  // The shadow tolerance rule needs no scale, so it applies before the scores have one.
  if (o.shadow_tolerance_enabled && check.divergent_streak() >= o.shadow_tolerance_loads) {
    return Verdict::kFail;
  }
  if (check.observations() == 0) return Verdict::kNotEvaluated;
  const double log_threshold = LogThreshold(ctx);
  // Significance alone never rolls back: the effect must clear the margin, over the recent
  // comparisons (a late regression is not diluted by the healthy part before it) or over the
  // whole release (a small effect in noisy loads, where 16 comparisons are too few to show it),
  // and over the whole release the canary must be worse, so the reason's estimates agree.
  const bool practical =
      (check.RecentEffect() >= check.margin_log() || check.TotalEffect() >= check.margin_log()) &&
      check.TotalEffect() > 0;
  if (check.log_e_regression() >= log_threshold && practical) return Verdict::kFail;
  // A difference shown to be smaller than the margin passes even when it is certainly real.
  if (NonInferior(check, ctx)) return Verdict::kPass;
  if (check.log_e_regression() >= 0.5 * log_threshold && check.RecentEffect() > 0) {
    return Verdict::kWarn;
  }
  return Verdict::kPass;
}

bool ReleaseJudge::NonInferior(const ComparisonCheck& check, const DatasetContext& ctx) const {
  const double needed = -std::log(ctx.options->promote_alpha);
  if (check.observations() == 0) return false;
  if (check.log_e_non_inferiority() >= needed) return true;
  // A rate with no counts at all in the canary (a key column never null) cannot be compared by
  // ratio, but n rows without a single count make a rate above the absolute margin a unlikely:
  // P(no count in n rows | rate >= a) <= exp(-n a), and the event only shrinks as n grows.
  return check.method() == CheckMethod::kCounts && check.canary_count_total() == 0 &&
         static_cast<double>(check.canary_rows_total()) * ctx.options->rate_margin_absolute >=
             needed;
}

bool ReleaseJudge::Evaluate(std::int64_t ts_ms, const DatasetContext& ctx) {
  if (!open()) return false;
  if (rule_failure_) {
    Decide(Decision::kRollback, ts_ms, rule_failure_->check, rule_failure_->sentence);
    return true;
  }
  const ComparisonCheck* worst = nullptr;
  bool all_non_inferior = true;
  int evaluated = 0;
  for (const ComparisonCheck* check : AllChecks()) {
    const Verdict v = StatisticalVerdict(*check, ctx);
    if (v == Verdict::kFail &&
        (worst == nullptr || check->log_e_regression() > worst->log_e_regression())) {
      worst = check;
    }
    if (check == tail_check_.get()) {
      // A rollback guard that need not be proven small, but a tail that looks worse than its
      // margin, or evidence half-way to rollback, holds promotion back.
      if (check->observations() > 0 &&
          (check->TotalEffect() >= check->margin_log() || v == Verdict::kWarn)) {
        all_non_inferior = false;
      }
      continue;
    }
    if (check->observations() == 0) continue;  // never comparable: does not block promotion
    ++evaluated;
    if (v != Verdict::kPass || !NonInferior(*check, ctx)) all_non_inferior = false;
  }
  if (worst != nullptr) {
    const bool tolerance_rule = ctx.options->shadow_tolerance_enabled &&
                                worst->divergent_streak() >= ctx.options->shadow_tolerance_loads &&
                                worst->log_e_regression() < LogThreshold(ctx);
    // A statistical reason is the deciding check's sentence, written when the view is frozen.
    std::string reason =
        tolerance_rule
            ? worst->key().Name() + ": paired difference beyond the shadow tolerance on " +
                  std::to_string(worst->divergent_streak()) + " consecutive loads; rollback"
            : std::string();
    Decide(Decision::kRollback, ts_ms, worst->key().Name(), std::move(reason));
    return true;
  }
  if (evaluated > 0 && all_non_inferior &&
      canary_loads_ >= static_cast<std::uint64_t>(ctx.options->promote_min_canary_loads)) {
    Decide(Decision::kPromote, ts_ms, "all",
           "every check shown no worse than its margin over " + std::to_string(canary_loads_) +
               " canary loads; promote");
    return true;
  }
  return false;
}

void ReleaseJudge::Decide(Decision decision, std::int64_t ts_ms, std::string check,
                          std::string reason) {
  decision_ = decision;
  decided_at_ms_ = ts_ms;
  deciding_check_ = std::move(check);
  reason_ = std::move(reason);
}

CheckEvidence ReleaseJudge::EvidenceFor(const ComparisonCheck& check, Verdict verdict,
                                        const DatasetContext& ctx) const {
  CheckEvidence e;
  e.check = check.key().Name();
  e.verdict = verdict;
  const bool counts = check.method() == CheckMethod::kCounts;
  if (check.paired_observations() > 0) {
    e.method = counts ? "paired_counts" : "paired";
  } else {
    e.method = counts ? "split_counts" : "split";
  }
  e.non_inferior = NonInferior(check, ctx);
  e.log_e_regression = check.log_e_regression();
  e.log_threshold = LogThreshold(ctx);
  e.log_e_non_inferiority = check.log_e_non_inferiority();
  e.log_promote_threshold = -std::log(ctx.options->promote_alpha);
  e.effect_log = check.RecentEffect();
  e.margin_log = check.margin_log();
  e.observations = check.observations();
  e.canary_loads = canary_loads_;
  e.baseline_loads = baseline_loads_;

  const ArmTotals& canary = canary_series_.Since(start_ms_);
  const ArmTotals& baseline = ctx.baseline_series->Since(start_ms_);
  const auto set_rate = [&e](const RateTotals& c, const RateTotals& b) {
    e.unit = "rate";
    e.canary_estimate = c.Rate();
    e.baseline_estimate = b.Rate();
    e.canary_rows = c.rows;
    e.baseline_rows = b.rows;
  };
  switch (check.key().kind) {
    case MetricKind::kNullRate: {
      const auto c = canary.nulls.find(check.key().column);
      const auto b = baseline.nulls.find(check.key().column);
      set_rate(c == canary.nulls.end() ? RateTotals{} : c->second,
               b == baseline.nulls.end() ? RateTotals{} : b->second);
      break;
    }
    case MetricKind::kDuplicateRate:
      set_rate(canary.duplicates, baseline.duplicates);
      break;
    case MetricKind::kRowCount:
      e.unit = "rows";
      e.canary_estimate = canary.MeanRows();
      e.baseline_estimate = baseline.MeanRows();
      e.canary_rows = canary.rows;
      e.baseline_rows = baseline.rows;
      break;
    case MetricKind::kFreshnessTail:
      e.unit = "share";
      e.canary_estimate = check.canary_rows_total() > 0
                              ? static_cast<double>(check.canary_count_total()) /
                                    static_cast<double>(check.canary_rows_total())
                              : 0.0;
      e.baseline_estimate = check.baseline_rows_total() > 0
                                ? static_cast<double>(check.baseline_count_total()) /
                                      static_cast<double>(check.baseline_rows_total())
                                : 0.0;
      e.canary_rows = canary.rows;
      e.baseline_rows = baseline.rows;
      break;
    case MetricKind::kFreshness:
      e.unit = "s";
      e.canary_estimate = canary.freshness.empty() ? 0.0 : canary.freshness.Quantile(0.5);
      e.baseline_estimate = baseline.freshness.empty() ? 0.0 : baseline.freshness.Quantile(0.5);
      e.canary_rows = canary.rows;
      e.baseline_rows = baseline.rows;
      break;
  }
  e.sentence = SentenceFor(e);
  return e;
}

void ReleaseJudge::Freeze(const DatasetContext& ctx) {
  if (open() || frozen_) return;
  ReleaseDatasetView view = View(ctx);
  if (reason_.empty()) {
    for (const CheckEvidence& e : view.checks) {
      if (e.check == deciding_check_) reason_ = e.sentence;
    }
    view.reason = reason_;
  }
  frozen_ = std::move(view);
}

ReleaseDatasetView ReleaseJudge::View(const DatasetContext& ctx) const {
  if (frozen_) return *frozen_;
  ReleaseDatasetView view;
  view.release = release_;
  view.dataset = dataset_;
  view.decision = decision_;
  view.release_start_ms = start_ms_;
  view.last_report_ms = last_report_ms_;
  view.decided_at_ms = decided_at_ms_;
  view.deciding_check = deciding_check_;
  view.canary_loads = canary_loads_;
  view.baseline_loads = baseline_loads_;
  view.reason = reason_;
  for (const ComparisonCheck* check : AllChecks()) {
    Verdict v = StatisticalVerdict(*check, ctx);
    if (decision_ == Decision::kRollback && deciding_check_ == check->key().Name()) {
      v = Verdict::kFail;
    }
    view.checks.push_back(EvidenceFor(*check, v, ctx));
  }
  if (rule_failure_) {
    CheckEvidence e;
    e.check = rule_failure_->check;
    e.verdict = Verdict::kFail;
    e.method = "rule";
    e.canary_loads = canary_loads_;
    e.baseline_loads = baseline_loads_;
    e.sentence = rule_failure_->sentence;
    view.checks.push_back(std::move(e));
  }
  if (late_share_) {
    CheckEvidence e;
    e.check = "freshness_slo";
    e.method = "slo";
    e.unit = "share";
    const ArmTotals& canary = canary_series_.Since(start_ms_);
    const ArmTotals& baseline = ctx.baseline_series->Since(start_ms_);
    e.canary_estimate = canary.ShareWithinSlo();
    e.baseline_estimate = baseline.ShareWithinSlo();
    e.canary_loads = freshness_loads_;
    e.baseline_loads = baseline_loads_;
    e.log_e_regression = late_share_->log_e();
    e.log_threshold = -std::log(ctx.options->alpha);
    e.verdict = freshness_loads_ < static_cast<std::uint64_t>(ctx.options->min_canary_loads)
                    ? Verdict::kNotEvaluated
                : e.log_e_regression >= e.log_threshold ? Verdict::kWarn
                                                        : Verdict::kPass;
    e.sentence = SloSentence(e, ctx.options->freshness_slo_s, ctx.options->freshness_slo_share);
    view.checks.push_back(std::move(e));
  }
  return view;
}

}  // namespace canaryd
