#include "detector/judge/release_judge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detector/judge/evidence_text.h"

namespace canaryd {
namespace {

// Natural units: a rate or freshness going up, rows going down. The judge's oriented values are
// positive-is-worse in the metric's built-in direction; a reversed test flips that.
bool NaturalUp(const ComparisonCheck& test) {
  return (test.key().kind != MetricKind::kRowCount) != test.reversed();
}

// A metric the baseline has not reported in this many of its loads is one it dropped.
constexpr std::uint64_t kDroppedAfterLoads = 8;

// A relative margin on the log scale, in the test's direction ("10% fewer" reads as a share less).
double RelativeMarginLog(const ComparisonCheck& test, double relative) {
  return MarginLogAt(NaturalUp(test), relative, 0.0, 0.0);
}

// Where an absolute margin is added, on the scale whose log the judge compares: a rate's pooled
// level, or freshness's median (seconds + 1, as OrientedFreshness takes the log of); 0: none.
double AbsoluteMarginLevel(const ComparisonCheck& test, int metric, const DatasetContext& ctx) {
  if (test.key().IsRowRate()) return ctx.baseline->PooledRate(metric);
  if (test.key().kind == MetricKind::kFreshness) {
    const double median = ctx.baseline->Median(metric);
    return std::isnan(median) ? 0.0 : std::exp(median);
  }
  return 0.0;
}

// How much worse, in the test's direction on the log scale, matters: the larger of the relative
// margin and the absolute one (rate points, or seconds of freshness) at the baseline's level.
double DirectionalMarginLog(const ComparisonCheck& test, int metric, double relative,
                            double absolute, const DatasetContext& ctx) {
  const double level = absolute > 0 ? AbsoluteMarginLevel(test, metric, ctx) : 0.0;
  return MarginLogAt(NaturalUp(test), relative, absolute, level);
}

double MarginLog(const ComparisonCheck& test, int metric, const DatasetContext& ctx) {
  const CheckPolicy& policy = test.policy();
  return DirectionalMarginLog(test, metric, policy.margin_relative, policy.margin_absolute, ctx);
}

// The shadow tolerance: both arms process the same input, so counts (rows, nulls, duplicates)
// should come out the same. Freshness is a time, not a count: two runs of one load finish at
// different times, and a 2% tolerance rolled back shadow A/A releases at 10% timing jitter (and
// on a constant 6-second lag); freshness is judged by its test and margin alone.
double ToleranceLog(const ComparisonCheck& test, int metric, const DatasetContext& ctx) {
  if (ctx.registry->key(metric).kind == MetricKind::kFreshness) return 1e300;
  return DirectionalMarginLog(test, metric, ctx.options->shadow_tolerance_relative,
                              test.policy().margin_absolute, ctx);
}

// A limit's natural value in one load: a rate, rows, or seconds; empty when the load does not
// report the metric.
std::optional<double> NaturalValue(const MetricKey& key, const Sample& sample) {
  switch (key.kind) {
    case MetricKind::kRowCount:
      return static_cast<double>(sample.rows);
    case MetricKind::kFreshness:
      return sample.freshness_s;
    case MetricKind::kDuplicateRate:
      if (sample.rows == 0 || !sample.duplicates) return std::nullopt;
      return static_cast<double>(*sample.duplicates) / static_cast<double>(sample.rows);
    case MetricKind::kNullRate:
      if (sample.rows == 0) return std::nullopt;
      for (const ColumnNulls& c : sample.nulls) {
        if (c.column == key.column) {
          return static_cast<double>(c.nulls) / static_cast<double>(sample.rows);
        }
      }
      return std::nullopt;
    case MetricKind::kFreshnessTail:
    case MetricKind::kEmptyLoads:
      break;
  }
  return std::nullopt;
}

std::string_view UnitOf(const MetricKey& key) {
  switch (key.kind) {
    case MetricKind::kRowCount:
      return "rows";
    case MetricKind::kFreshness:
      return "s";
    default:
      return "rate";
  }
}

}  // namespace

ReleaseJudge::ReleaseJudge(std::string release, std::string dataset, std::int64_t start_ms)
    : release_(std::move(release)), dataset_(std::move(dataset)), start_ms_(start_ms) {}

CheckPolicy ReleaseJudge::PolicyFor(std::string_view check, const DatasetContext& ctx) const {
  return ctx.options->checks ? ctx.options->checks->For(check) : BuiltInPolicy(check, *ctx.options);
}

void ReleaseJudge::AddTest(MetricChecks* checks, const MetricKey& key, bool natural_up,
                           bool named_direction, const DatasetContext& ctx) {
  const bool reversed = (key.kind != MetricKind::kRowCount) != natural_up;
  std::string name = key.Name();
  if (named_direction) name += natural_up ? " (up)" : " (down)";
  checks->tests.push_back(std::make_unique<ComparisonCheck>(key, std::move(name), ctx.options,
                                                            &checks->policy, reversed));
  if (checks->policy.rolls_back) ++rollback_tests_;
}

ReleaseJudge::MetricChecks& ReleaseJudge::ChecksFor(int metric, const DatasetContext& ctx) {
  const auto i = static_cast<std::size_t>(metric);
  if (metrics_.size() <= i) metrics_.resize(i + 1);
  if (!metrics_[i]) {
    // The policy is fixed when the release first sees the metric, and lives as long as the
    // tests that point at it.
    const MetricKey& key = ctx.registry->key(metric);
    auto checks = std::make_unique<MetricChecks>();
    checks->policy = PolicyFor(key.Name(), ctx);
    const CheckPolicy& policy = checks->policy;
    if (policy.enabled) {
      const bool both = policy.bad_up && policy.bad_down;
      if (policy.bad_up) AddTest(checks.get(), key, /*natural_up=*/true, both, ctx);
      if (policy.bad_down) AddTest(checks.get(), key, /*natural_up=*/false, both, ctx);
      if (!policy.limits.empty()) {
        checks->limits = std::make_unique<LimitWatch>(&checks->policy, UnitOf(key));
      }
    }
    metrics_[i] = std::move(checks);
    RebuildAllChecks(*ctx.options);
  }
  return *metrics_[i];
}

bool ReleaseJudge::OnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                            const DatasetContext& ctx) {
  if (!open()) return false;
  if (!empty_history_) empty_history_ = ctx.baseline->EmptyLoads();
  last_report_ms_ = std::max(last_report_ms_, sample.ts_ms);
  canary_totals_.Add(sample, ctx.options->freshness_slo_s);
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
  trailing_run_chance_ = 1.0;
  if (!sample.schema.empty()) {
    last_canary_schema_ = sample.schema;
    last_canary_schema_ts_ms_ = sample.ts_ms;
  }
  if (sample.freshness_s) {
    if (!late_share_) late_share_.emplace(1.0 - ctx.options->freshness_slo_share);
    late_share_->Update(*sample.freshness_s > ctx.options->freshness_slo_s);
    ++freshness_loads_;
  }

  for (const LoadValue& v : values) ChecksFor(v.metric, ctx).last_canary_load = canary_loads_;
  // An empty load reports its size (none), judged as a share: row_count is still reported.
  if (sample.rows == 0) ChecksFor(MetricRegistry::kRowCount, ctx).last_canary_load = canary_loads_;
  if (sample.rows == 0 && !canary_empty_run_) empty_run_confirmed_ = false;
  canary_empty_run_ = sample.rows == 0;
  if (sample.freshness_s && ctx.options->freshness_tail_enabled && !shares_[kLateLoads].test) {
    const CheckPolicy& freshness = ChecksFor(MetricRegistry::kFreshness, ctx).policy;
    if (freshness.enabled && freshness.bad_up) {
      StartShare(kLateLoads, freshness, ctx.options->freshness_tail_margin_relative,
                 ctx.options->freshness_tail_margin_absolute, ctx);
    }
  }
  StartEmptyShare(sample, ctx);
  WatchLimits(sample, values, ctx);
  CheckRulesOnCanary(sample, values, ctx);

  const std::size_t id_hash = LoadQueue::HashOf(sample.load_id);
  if (const auto partner = recent_baseline_.Find(sample.load_id, id_hash)) {
    // Copied out before pairing: Pair may clear the pending queues.
    canary_scratch_.Assign(sample.load_id, id_hash, values);
    partner_scratch_.Assign(recent_baseline_[*partner]);
    recent_baseline_.Erase(*partner);
    while (const auto pending = baseline_pending_.Find(sample.load_id, id_hash)) {
      baseline_pending_.Erase(*pending);
    }
    Pair(canary_scratch_, partner_scratch_, ctx);
  } else {
    canary_pending_.Push(sample.load_id, id_hash, values);
    if (!paired_mode_ && !baseline_pending_.empty()) ScoreSplit(ctx);
  }
  PoolEmptyShare();
  return Evaluate(sample.ts_ms, ctx);
}

bool ReleaseJudge::OnBaseline(const Sample& sample, const std::vector<LoadValue>& values,
                              const DatasetContext& ctx) {
  if (!open()) return false;
  if (!empty_history_) empty_history_ = ctx.baseline->EmptyLoads();
  last_report_ms_ = std::max(last_report_ms_, sample.ts_ms);
  ++baseline_loads_;
  baseline_totals_.Add(sample, ctx.options->freshness_slo_s);
  for (const LoadValue& v : values) NoteBaselineReported(v.metric);
  if (sample.rows == 0) NoteBaselineReported(MetricRegistry::kRowCount);
  StartEmptyShare(sample, ctx);
  const bool confirms_empty_run = sample.rows > 0 && !empty_run_confirmed_;
  if (confirms_empty_run) empty_run_confirmed_ = true;
  // The canary's last schema against this baseline load's, for a canary that reported before
  // any baseline schema was known. A baseline moving on from the schema the canary matched at
  // its load's time is a migration both arms make, not the canary's change: the canary's next
  // load is compared on its own arrival.
  if (!sample.schema.empty() && !last_canary_schema_.empty() &&
      sample.schema != last_canary_schema_ && !rule_failure_ && schema_policy_ &&
      schema_policy_->enabled &&
      !ctx.baseline->SchemaMatches(last_canary_schema_ts_ms_, last_canary_schema_)) {
    RuleFired(*schema_policy_, "schema",
              "schema: canary " + last_canary_schema_ + " differs from baseline " + sample.schema);
  }

  const std::size_t id_hash = LoadQueue::HashOf(sample.load_id);
  bool compared = false;
  if (const auto partner = canary_pending_.Find(sample.load_id, id_hash)) {
    partner_scratch_.Assign(canary_pending_[*partner]);
    canary_pending_.Erase(*partner);
    baseline_scratch_.Assign(sample.load_id, id_hash, values);
    Pair(partner_scratch_, baseline_scratch_, ctx);
    compared = true;
  } else {
    if (!paired_mode_) {
      // The group's scale is fixed before its first baseline load is seen, so the scale and
      // the group's own values are independent (the tracker is updated after the judges).
      if (baseline_pending_.empty()) SnapshotGroupScales(ctx);
      baseline_pending_.Push(sample.load_id, id_hash, values);
    }
    recent_baseline_.Push(sample.load_id, id_hash, values);
    if (!paired_mode_ && !canary_pending_.empty()) {
      ScoreSplit(ctx);
      compared = true;
    }
  }
  CheckSilence(sample.ts_ms, ctx);
  // Most baseline loads only wait for a partner. Without a comparison or a rule firing, a
  // baseline load changes a verdict only by ending a warm-up (or being the first one), or by
  // confirming a canary's run of empty loads, so the evaluation would come out as the last one
  // did.
  if (!compared && !rule_failure_ && !confirms_empty_run &&
      baseline_loads_ > std::max<std::uint64_t>(1, warm_up_baseline_max_)) {
    return false;
  }
  PoolEmptyShare();
  return Evaluate(sample.ts_ms, ctx);
}

namespace {
ArmGroup GroupOf(const LoadValue& v, const CountProfile& counts, double margin_log) {
  return ArmGroup{
      .mean = v.value,
      .loads = 1,
      .count = v.count,
      .capped_count = std::min(v.count, counts.CapAt(v.rows)),
      .margin_capped_count = std::min(v.count, counts.CapAt(v.rows, std::exp(margin_log))),
      .rows = v.rows};
}

void AddTo(ArmGroup* g, const LoadValue& v, const ClipBounds& bounds, const CountProfile& counts,
           double margin_factor) {
  g->mean += bounds.Clip(v.value);  // a sum until Finish
  ++g->loads;
  g->count += v.count;
  g->rows += v.rows;
  g->capped_count += std::min(v.count, counts.CapAt(v.rows));
  g->margin_capped_count += std::min(v.count, counts.CapAt(v.rows, margin_factor));
}

// The clip interval is at least twice each margin wide on either side of the baseline's median:
// clipped at ~x2 (ln 2, a few robust sd), a freshness of 90 s against a 2 s baseline (margin
// +30 s, x11) could never show an effect beyond its margin, and was never rolled back.
ClipBounds WidenedForMargin(ClipBounds b, double margin_log) {
  if (!(b.hi - b.lo < 1e300)) return b;  // no bounds yet
  const double center = 0.5 * (b.hi + b.lo);
  const double half = std::max(0.5 * (b.hi - b.lo), 2.0 * margin_log);
  return ClipBounds{center - half, center + half};
}

void Finish(ArmGroup* g) {
  if (g->loads > 0) g->mean /= g->loads;
}
}  // namespace

void ReleaseJudge::Pair(const LoadQueue::Load& canary, const LoadQueue::Load& baseline,
                        const DatasetContext& ctx) {
  if (!paired_mode_) {
    // From the first shadow pair on, the dataset is judged on pairs only: split groups would
    // count the same loads twice.
    paired_mode_ = true;
    canary_pending_.Clear();
    baseline_pending_.Clear();
  }
  ScoreShares(canary, baseline, ctx);
  for (const LoadValue& c : canary.values) {
    for (const LoadValue& b : baseline.values) {
      if (b.metric != c.metric) continue;
      const MetricChecks& checks = ChecksFor(c.metric, ctx);
      const CountProfile counts = CountsFor(checks, c.metric, ctx);
      for (const auto& test : checks.tests) {
        const double margin = MarginLog(*test, c.metric, ctx);
        test->ObservePaired(GroupOf(c, counts, margin), GroupOf(b, counts, margin), counts, margin,
                            ToleranceLog(*test, c.metric, ctx));
      }
    }
  }
}

CountProfile ReleaseJudge::CountsFor(const MetricChecks& checks, int metric,
                                     const DatasetContext& ctx) {
  // The profile is recomputed after every baseline load; most tests stop reading it once their
  // method is chosen.
  const bool needed = std::any_of(checks.tests.begin(), checks.tests.end(),
                                  [](const auto& test) { return test->NeedsCounts(); });
  return needed ? ctx.baseline->Counts(metric) : CountProfile{};
}

void ReleaseJudge::RebuildAllChecks(const JudgeOptions& options) {
  all_checks_.clear();
  warm_up_baseline_max_ = 0;
  const auto add = [this](const ComparisonCheck* check) {
    all_checks_.push_back(check);
    warm_up_baseline_max_ = std::max<std::uint64_t>(
        warm_up_baseline_max_,
        static_cast<std::uint64_t>(std::max(0, check->policy().warm_up_baseline)));
  };
  // K changed with the tests: so did every test's rollback threshold.
  const double rollback_log = RollbackLogThreshold(options);
  for (const auto& checks : metrics_) {
    if (!checks) continue;
    for (const auto& test : checks->tests) {
      test->SetRollbackLogThreshold(rollback_log);
      add(test.get());
    }
  }
  for (const ShareCheck& share : shares_) {
    if (!share.test) continue;
    share.test->SetRollbackLogThreshold(rollback_log);
    add(share.test.get());
  }
}

void ReleaseJudge::StartShare(LoadShare share, const CheckPolicy& guarded, double margin_relative,
                              double margin_absolute, const DatasetContext& ctx) {
  ShareCheck& s = shares_[share];
  s.policy = guarded;  // off, warn, warm-ups: as the check it guards
  s.policy.limits.clear();
  s.policy.bad_up = true;
  s.policy.bad_down = false;
  s.policy.margin_relative = margin_relative;
  s.policy.margin_absolute = margin_absolute;
  const MetricKey key{share == kLateLoads ? MetricKind::kFreshnessTail : MetricKind::kEmptyLoads,
                      ""};
  s.test = std::make_unique<ComparisonCheck>(key, key.Name(), ctx.options, &s.policy);
  if (s.policy.rolls_back) ++rollback_tests_;
  RebuildAllChecks(*ctx.options);
}

void ReleaseJudge::StartEmptyShare(const Sample& sample, const DatasetContext& ctx) {
  // From the release's first empty load, in either arm: a dataset that never loads nothing keeps
  // its Bonferroni K (and every other check its threshold).
  if (sample.rows != 0 || shares_[kEmptyLoads].test) return;
  const CheckPolicy& rows = ChecksFor(MetricRegistry::kRowCount, ctx).policy;
  if (!rows.enabled || !rows.bad_down) return;
  StartShare(kEmptyLoads, rows, ctx.options->empty_loads_margin_relative,
             ctx.options->empty_loads_margin_absolute, ctx);
}

bool ReleaseJudge::EmptyRunUnconfirmed(const ComparisonCheck& check) const {
  return !empty_run_confirmed_ && &check == shares_[kEmptyLoads].test.get();
}

const ReleaseJudge::ShareCheck* ReleaseJudge::ShareOf(const ComparisonCheck* check) const {
  for (const ShareCheck& s : shares_) {
    if (s.test.get() == check) return &s;
  }
  return nullptr;
}

namespace {
// A share with half a hit and one trial added, so that none in a few trials is not zero.
double SmoothedShare(double hits, double trials) { return (hits + 0.5) / (trials + 1.0); }

// The larger of the relative margin and the absolute one (points of the share) at level p.
double ShareMarginLogAt(const CheckPolicy& policy, double p) {
  return std::max(std::log1p(policy.margin_relative), std::log((p + policy.margin_absolute) / p));
}
}  // namespace

double ReleaseJudge::ShareMarginLog(const ShareCheck& share) const {
  // At the baseline's share over the release so far.
  return ShareMarginLogAt(share.policy,
                          SmoothedShare(static_cast<double>(share.test->baseline_count_total()),
                                        static_cast<double>(share.test->baseline_rows_total())));
}

namespace {
template <class F>
void ForEachLoad(const LoadQueue::Load& load, F f) {
  f(load);
}
template <class F>
void ForEachLoad(const LoadQueue& loads, F f) {
  for (std::size_t i = 0; i < loads.size(); ++i) f(loads[i]);
}

// Every load with rows reports row_count (MetricRegistry::Extract).
bool IsEmpty(const LoadQueue::Load& load) {
  return std::none_of(load.values.begin(), load.values.end(),
                      [](const LoadValue& v) { return v.metric == MetricRegistry::kRowCount; });
}
}  // namespace

template <class Loads>
ArmGroup ReleaseJudge::ShareGroup(LoadShare share, const Loads& loads,
                                  const DatasetContext& ctx) const {
  // Each load is one trial (rows); a hit (count) is a late load among those with freshness, or an
  // empty load among all.
  ArmGroup g;
  const double late_log = OrientedFreshness(ctx.options->freshness_slo_s);
  ForEachLoad(loads, [&](const LoadQueue::Load& load) {
    if (share == kEmptyLoads) {
      ++g.loads;
      if (IsEmpty(load)) ++g.count;
      return;
    }
    for (const LoadValue& v : load.values) {
      if (v.metric != MetricRegistry::kFreshness) continue;
      ++g.loads;
      if (v.value > late_log) ++g.count;
    }
  });
  g.rows = static_cast<std::uint64_t>(g.loads);
  g.mean = g.loads > 0 ? static_cast<double>(g.count) / g.loads : 0.0;
  g.capped_count = g.count;  // a load is a hit or not: nothing to cap
  g.margin_capped_count = g.count;
  return g;
}

template <class Loads>
void ReleaseJudge::ScoreShares(const Loads& canary, const Loads& baseline,
                               const DatasetContext& ctx) {
  // Each load is one trial, so the counts method's binomial is exact and needs no dispersion.
  CountProfile profile;  // mean_count 0 selects the counts method
  profile.dispersion = 1.0;
  profile.loads = static_cast<std::size_t>(ctx.options->min_scale_loads);
  for (std::size_t s = 0; s < kLoadShares; ++s) {
    ShareCheck& share = shares_[s];
    if (!share.test) continue;
    const ArmGroup c = ShareGroup(static_cast<LoadShare>(s), canary, ctx);
    const ArmGroup b = ShareGroup(static_cast<LoadShare>(s), baseline, ctx);
    if (c.loads == 0 || b.loads == 0) continue;
    const double margin = ShareMarginLog(share);
    if (paired_mode_) {
      // Shadow arms share their input: an empty canary load against a baseline load with rows
      // is a divergence (the shadow tolerance rule, as row_count's was); a late one is not.
      share.test->ObservePaired(c, b, profile, margin, s == kEmptyLoads ? 0.5 : 1e300);
      share.test->SetRegressionLogE(std::nullopt);
    } else {
      share.test->ObserveSplit(c, b, ScaleEstimate{}, profile, margin);
    }
  }
}

void ReleaseJudge::PoolEmptyShare() {
  ShareCheck& share = shares_[kEmptyLoads];
  if (!share.test || paired_mode_ || share.test->observations() == 0) return;
  // Random assignment keeps the arms independent, so each arm pools: the canary's loads against
  // the baseline's history and its loads in the release, every load so far (a canary load still
  // waiting for its group counts too: the value depends on the totals alone).
  const BernoulliCounts history = empty_history_.value_or(BernoulliCounts{});
  const BernoulliCounts canary{canary_totals_.empty_loads, canary_totals_.loads};
  const BernoulliCounts baseline{history.hits + baseline_totals_.empty_loads,
                                 history.trials + baseline_totals_.loads};
  share.test->SetRegressionLogE(LogEShareAbove(canary, baseline));
  const double canary_share =
      SmoothedShare(static_cast<double>(canary.hits), static_cast<double>(canary.trials));
  const double baseline_share =
      SmoothedShare(static_cast<double>(baseline.hits), static_cast<double>(baseline.trials));
  // The margin at the level it is read against: 3 empty canary loads against 2 of the baseline's
  // in a short shared outage (2% against 0.9% with the history) is x2.2 but inside +2 points,
  // and held promotion for 150 canary loads.
  share.pooled_beyond_margin =
      std::log(canary_share / baseline_share) >= ShareMarginLogAt(share.policy, baseline_share);
}

void ReleaseJudge::SnapshotGroupScales(const DatasetContext& ctx) {
  group_scales_.assign(metrics_.size(), GroupScale{});
  for (std::size_t m = 0; m < metrics_.size(); ++m) {
    if (!metrics_[m] || metrics_[m]->tests.empty()) continue;
    group_scales_[m].scale = ctx.baseline->Scale(static_cast<int>(m));
    group_scales_[m].counts = CountsFor(*metrics_[m], static_cast<int>(m), ctx);
    group_scales_[m].bounds = ctx.baseline->Bounds(static_cast<int>(m));
  }
}

void ReleaseJudge::ScoreSplit(const DatasetContext& ctx) {
  for (std::size_t m = 0; m < metrics_.size() && m < group_scales_.size(); ++m) {
    if (!metrics_[m] || metrics_[m]->tests.empty()) continue;
    const int metric = static_cast<int>(m);
    // A metric has at most an up and a down test (ChecksFor).
    const std::size_t tests = std::min<std::size_t>(metrics_[m]->tests.size(), 2);
    double margins[2] = {0.0, 0.0};
    double widest = 0.0;
    for (std::size_t t = 0; t < tests; ++t) {
      margins[t] = MarginLog(*metrics_[m]->tests[t], metric, ctx);
      widest = std::max(widest, margins[t]);
    }
    const ClipBounds bounds = WidenedForMargin(group_scales_[m].bounds, widest);
    const CountProfile& counts = group_scales_[m].counts;
    // One group serves both directions' tests: capped for the wider margin.
    const double margin_factor = std::exp(widest);
    ArmGroup canary, baseline;
    for (std::size_t i = 0; i < canary_pending_.size(); ++i) {
      for (const LoadValue& v : canary_pending_[i].values) {
        if (v.metric == metric) AddTo(&canary, v, bounds, counts, margin_factor);
      }
    }
    for (std::size_t i = 0; i < baseline_pending_.size(); ++i) {
      for (const LoadValue& v : baseline_pending_[i].values) {
        if (v.metric == metric) AddTo(&baseline, v, bounds, counts, margin_factor);
      }
    }
    if (canary.loads == 0 || baseline.loads == 0) continue;
    Finish(&canary);
    Finish(&baseline);
    for (std::size_t t = 0; t < tests; ++t) {
      metrics_[m]->tests[t]->ObserveSplit(canary, baseline, group_scales_[m].scale, counts,
                                          margins[t]);
    }
  }
  ScoreShares(canary_pending_, baseline_pending_, ctx);
  canary_pending_.Clear();
  baseline_pending_.Clear();
}

void ReleaseJudge::RuleFired(const CheckPolicy& policy, std::string check, std::string sentence) {
  if (policy.rolls_back) {
    if (!rule_failure_) rule_failure_ = RuleFailure{std::move(check), sentence + "; rollback"};
    return;
  }
  // A warning is shown once per check: a schema that stays different is one finding.
  for (const RuleFailure& w : rule_warnings_) {
    if (w.check == check) return;
  }
  rule_warnings_.push_back(
      RuleFailure{std::move(check), sentence + "; warning only (severity warn)"});
}

void ReleaseJudge::WatchLimits(const Sample& sample, const std::vector<LoadValue>& values,
                               const DatasetContext& ctx) {
  const auto watch = [&](int metric) {
    MetricChecks& checks = ChecksFor(metric, ctx);
    if (!checks.limits) return;
    const std::optional<double> value = NaturalValue(ctx.registry->key(metric), sample);
    if (!value) return;
    if (const auto failed = checks.limits->Observe(*value, sample.load_id)) {
      const CheckEvidence e = checks.limits->Evidence(*failed);
      if (checks.policy.rolls_back && !rule_failure_) {
        rule_failure_ = RuleFailure{e.check, e.sentence};
      }
    }
  };
  for (const LoadValue& v : values) watch(v.metric);
  // An empty load has no row_count value (its emptiness is a share), but its 0 rows are what a
  // row-count limit is for.
  if (sample.rows == 0) watch(MetricRegistry::kRowCount);
}

void ReleaseJudge::NoteBaselineReported(int metric) {
  const auto i = static_cast<std::size_t>(metric);
  if (baseline_last_load_.size() <= i) baseline_last_load_.resize(i + 1, 0);
  baseline_last_load_[i] = baseline_loads_;
}

bool ReleaseJudge::LimitsHoldPromotion() const {
  for (const auto& checks : metrics_) {
    if (!checks || !checks->limits || !checks->policy.rolls_back) continue;
    if (checks->limits->Breaking() || !checks->limits->AllEvaluated()) return true;
  }
  return false;
}

void ReleaseJudge::CheckRulesOnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                                      const DatasetContext& ctx) {
  if (rule_failure_) return;
  if (!schema_policy_) schema_policy_ = PolicyFor("schema", ctx);
  const std::string& base_schema = ctx.baseline->SchemaAt(sample.ts_ms);
  if (schema_policy_->enabled && !sample.schema.empty() && !base_schema.empty() &&
      !ctx.baseline->SchemaMatches(sample.ts_ms, sample.schema)) {
    RuleFired(*schema_policy_, "schema",
              "schema: canary " + sample.schema + " differs from baseline " + base_schema);
    if (rule_failure_) return;
  }
  for (const LoadValue& v : values) {
    const MetricKey& key = ctx.registry->key(v.metric);
    if (key.kind != MetricKind::kNullRate || !v.every_row) continue;
    const CheckPolicy& policy = ChecksFor(v.metric, ctx).policy;
    if (!policy.enabled) continue;
    if (ctx.baseline->Reported(v.metric) &&
        !ctx.baseline->AllNullLoadPlausible(v.metric, sample.rows)) {
      RuleFired(policy, key.Name(),
                key.Name() + ": every row null in canary load " + sample.load_id +
                    " while the baseline's are not");
      if (rule_failure_) return;
    }
  }
}

void ReleaseJudge::CheckSilence(std::int64_t baseline_ts_ms, const DatasetContext& ctx) {
  if (rule_failure_ || canary_loads_ == 0) return;
  const JudgeOptions& o = *ctx.options;
  ++baseline_since_canary_;
  ++baseline_after_first_canary_;
  // Under random assignment every arrangement of the c canary loads among the n loads since the
  // first one is equally likely, whatever the share, so the chance that the last `run` are all
  // baseline is C(n - run, c) / C(n, c) exactly; each baseline load of the run multiplies it by
  // 1 - c / n. Conditioning on c is what makes it hold at every share: a low bound on the share
  // estimated from the same loads was too optimistic when the first canary loads came early by
  // chance (1.1% false rollbacks per release at a 5% canary share).
  const auto c = static_cast<double>(canary_loads_ - 1);
  trailing_run_chance_ *= 1.0 - c / (c + static_cast<double>(baseline_after_first_canary_));
  const std::int64_t baseline_gap = ctx.baseline->MedianGapMs();
  if (baseline_gap == 0) return;  // the baseline's rhythm is not known yet
  const auto time_limit = std::max(
      o.silent_min_ms,
      static_cast<std::int64_t>(o.silent_gap_multiple * static_cast<double>(baseline_gap)));
  const std::int64_t silent_for = baseline_ts_ms - last_canary_ms_;
  if (silent_for <= time_limit) return;
  // A canary with a rhythm is overdue once its usual gap has been clearly exceeded. Canary loads
  // back to back (no baseline load between) are a batch, not a rhythm: a canary that delivered 6
  // loads at once had "usually 0 between canary loads" and was silent after 2 baseline loads.
  const bool regular = regular_runs_ >= o.silent_regular_runs && regular_run_ > 0 &&
                       baseline_since_canary_ > regular_run_ + 1;
  if (regular) {
    rule_failure_ = RuleFailure{
        "canary_silent", "canary_silent: no canary load for " + FormatDuration(silent_for) +
                             " while the baseline delivered " +
                             std::to_string(baseline_since_canary_) + " loads (usually " +
                             std::to_string(regular_run_) + " between canary loads); rollback"};
    return;
  }
  // Canary loads may be a random share of all loads, so a run of baseline-only loads happens by
  // chance; it counts as silence once its chance is below this gap's share of silent_alpha.
  const auto k = static_cast<double>(canary_loads_);
  const double gap_alpha = o.silent_alpha / (k * (k + 1));
  const double at_min_share =
      std::pow(1.0 - o.silent_min_share, static_cast<double>(baseline_since_canary_));
  if (std::min(trailing_run_chance_, at_min_share) >= gap_alpha) return;
  rule_failure_ = RuleFailure{"canary_silent",
                              "canary_silent: no canary load for " + FormatDuration(silent_for) +
                                  " while the baseline delivered " +
                                  std::to_string(baseline_since_canary_) + " loads; rollback"};
}

double ReleaseJudge::RollbackLogThreshold(const JudgeOptions& options) const {
  // Bonferroni on e-values: each of the K tests that can roll back gets alpha / K (a warn-only
  // check spends none of the release's false-rollback budget).
  const double k = static_cast<double>(std::max(1, rollback_tests_));
  return std::log(k / options.alpha);
}

ReleaseJudge::Thresholds ReleaseJudge::ThresholdsOf(const DatasetContext& ctx) const {
  return Thresholds{RollbackLogThreshold(*ctx.options), -std::log(ctx.options->promote_alpha),
                    -std::log(ctx.options->margin_alpha)};
}

namespace {
int ToleranceLoads(const ComparisonCheck& check, const JudgeOptions& o) {
  return check.policy().critical ? 1 : o.shadow_tolerance_loads;
}
}  // namespace

Verdict ReleaseJudge::StatisticalVerdict(const ComparisonCheck& check, const DatasetContext& ctx,
                                         const Thresholds& thresholds) const {
  const JudgeOptions& o = *ctx.options;
  const CheckPolicy& policy = check.policy();
  if (baseline_loads_ == 0) return Verdict::kInconclusive;
  if (canary_loads_ < static_cast<std::uint64_t>(policy.warm_up_canary) ||
      baseline_loads_ < static_cast<std::uint64_t>(policy.warm_up_baseline)) {
    return Verdict::kNotEvaluated;
  }
  // The shadow tolerance rule needs no scale, so it applies before the scores have one.
  if (o.shadow_tolerance_enabled && check.divergent_streak() >= ToleranceLoads(check, o)) {
    return policy.rolls_back ? Verdict::kFail : Verdict::kWarn;
  }
  if (check.observations() == 0) return Verdict::kNotEvaluated;
  const double log_threshold = thresholds.rollback_log;
  // Significance alone never rolls back: there must also be evidence that the effect exceeds the
  // margin (ComparisonCheck::BeyondMargin), or a small real effect at high volume, certain within
  // a few dozen loads, rolls back whenever noise lifts its estimate past the margin.
  if (check.log_e_regression() >= log_threshold && check.BeyondMargin(thresholds.margin_log)) {
    return policy.rolls_back && !EmptyRunUnconfirmed(check) ? Verdict::kFail : Verdict::kWarn;
  }
  // A difference shown to be smaller than the margin passes even when it is certainly real.
  if (NonInferior(check, thresholds)) return Verdict::kPass;
  if (check.log_e_regression() >= 0.5 * log_threshold && check.RecentEffect() > 0) {
    return Verdict::kWarn;
  }
  return Verdict::kPass;
}

bool ReleaseJudge::BaselineStillReports(std::size_t metric) const {
  return metric < baseline_last_load_.size() && baseline_last_load_[metric] > 0 &&
         baseline_loads_ - baseline_last_load_[metric] < kDroppedAfterLoads;
}

bool ReleaseJudge::CanaryStillReports(const MetricChecks& checks) const {
  // The latest load, not the last few: promotion comes on a canary load, and a column dropped
  // just before it must not slip through.
  return checks.last_canary_load > 0 && checks.last_canary_load == canary_loads_;
}

std::vector<const ComparisonCheck*> ReleaseJudge::RetiredTests() const {
  std::vector<const ComparisonCheck*> retired;
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    if (!metrics_[i] || i >= baseline_last_load_.size() || baseline_last_load_[i] == 0 ||
        BaselineStillReports(i)) {
      continue;
    }
    for (const auto& test : metrics_[i]->tests) retired.push_back(test.get());
  }
  return retired;
}

std::vector<std::string> ReleaseJudge::UnjudgedBaselineMetrics(const DatasetContext& ctx) const {
  std::vector<std::string> unjudged;
  for (std::size_t i = 0; i < baseline_last_load_.size(); ++i) {
    if (!BaselineStillReports(i)) continue;  // never, or dropped: nothing to wait for
    const int metric = static_cast<int>(i);
    const MetricKey& key = ctx.registry->key(metric);
    const MetricChecks* checks = i < metrics_.size() ? metrics_[i].get() : nullptr;
    if (checks == nullptr) {
      // The canary never reported it: judged by the policy it would have had.
      const CheckPolicy policy = PolicyFor(key.Name(), ctx);
      if (policy.enabled && policy.rolls_back) unjudged.push_back(key.Name());
      continue;
    }
    if (!checks->policy.enabled || !checks->policy.rolls_back || checks->tests.empty()) continue;
    const bool compared = std::any_of(
        checks->tests.begin(), checks->tests.end(),
        [](const std::unique_ptr<ComparisonCheck>& t) { return t->observations() > 0; });
    if (!compared || !CanaryStillReports(*checks)) unjudged.push_back(key.Name());
  }
  return unjudged;
}

bool ReleaseJudge::NonInferior(const ComparisonCheck& check, const Thresholds& thresholds) const {
  const double needed = thresholds.promote_log;
  if (check.observations() == 0) return false;
  if (check.log_e_non_inferiority() >= needed) return true;
  // A rate with no counts at all in the canary (a key column never null) cannot be compared by
  // ratio, but n rows without a single count make a rate above the absolute margin a unlikely:
  // P(no count in n rows | rate >= a) <= exp(-n a), and the event only shrinks as n grows.
  return check.method() == CheckMethod::kCounts && !check.reversed() &&
         check.canary_count_total() == 0 &&
         static_cast<double>(check.canary_rows_total()) * check.policy().margin_absolute >= needed;
}

bool ReleaseJudge::Evaluate(std::int64_t ts_ms, const DatasetContext& ctx) {
  if (!open()) return false;
  if (rule_failure_) {
    Decide(Decision::kRollback, ts_ms, rule_failure_->check, rule_failure_->sentence);
    return true;
  }
  const ComparisonCheck* worst = nullptr;
  bool all_non_inferior = !LimitsHoldPromotion();
  int evaluated = 0;
  const Thresholds thresholds = ThresholdsOf(ctx);
  // Tests of metrics the baseline dropped neither count as evaluated nor hold promotion back.
  // Worked out only when that matters (a check would hold promotion, or it would be decided):
  // this runs on every report.
  std::optional<std::vector<const ComparisonCheck*>> retired;
  const auto is_retired = [&](const ComparisonCheck* check) {
    if (!retired) retired = RetiredTests();
    return std::find(retired->begin(), retired->end(), check) != retired->end();
  };
  for (const ComparisonCheck* check : all_checks_) {
    const Verdict v = StatisticalVerdict(*check, ctx, thresholds);
    if (v == Verdict::kFail &&
        (worst == nullptr || check->log_e_regression() > worst->log_e_regression())) {
      worst = check;
    }
    if (const ShareCheck* share = ShareOf(check)) {
      // A rollback guard that need not be proven small, but a share that looks worse than its
      // margin (over the release, or against the baseline's history too), or evidence half-way
      // to rollback, holds promotion back. A canary at 30% empty loads against a baseline at 5%
      // was promoted when the baseline's loads in the release happened to be 18% empty (x1.9).
      if (check->observations() > 0 && (check->TotalEffect() >= check->margin_log() ||
                                        share->pooled_beyond_margin || v == Verdict::kWarn)) {
        all_non_inferior = false;
      }
      continue;
    }
    if (check->observations() == 0) continue;  // never comparable: does not block promotion
    ++evaluated;
    // A warn-only check informs; it neither rolls back nor holds promotion.
    if (!check->policy().rolls_back) continue;
    if (all_non_inferior && (v != Verdict::kPass || !NonInferior(*check, thresholds)) &&
        !is_retired(check)) {
      all_non_inferior = false;
    }
  }
  if (worst != nullptr) {
    const bool tolerance_rule = ctx.options->shadow_tolerance_enabled &&
                                worst->divergent_streak() >= ToleranceLoads(*worst, *ctx.options) &&
                                worst->log_e_regression() < thresholds.rollback_log;
    // A statistical reason is the deciding check's sentence, written when the view is frozen.
    std::string reason =
        tolerance_rule
            ? worst->name() + ": paired difference beyond the shadow tolerance on " +
                  std::to_string(worst->divergent_streak()) + " consecutive loads; rollback"
            : std::string();
    Decide(Decision::kRollback, ts_ms, worst->name(), std::move(reason));
    return true;
  }
  const auto evaluated_live = [&] {
    return std::any_of(all_checks_.begin(), all_checks_.end(), [&](const ComparisonCheck* c) {
      return ShareOf(c) == nullptr && c->observations() > 0 && !is_retired(c);
    });
  };
  if (evaluated > 0 && all_non_inferior &&
      canary_loads_ >= static_cast<std::uint64_t>(ctx.options->promote_min_canary_loads) &&
      baseline_totals_.rows > 0 && UnjudgedBaselineMetrics(ctx).empty() && evaluated_live()) {
    const std::string warnings = WarningNames(ctx, thresholds);
    Decide(Decision::kPromote, ts_ms, "all",
           warnings.empty()
               ? "every check shown no worse than its margin over " +
                     std::to_string(canary_loads_) + " canary loads; promote"
               : "every rolling-back check shown no worse than its margin over " +
                     std::to_string(canary_loads_) + " canary loads; promote with warnings (" +
                     warnings + ", severity warn)");
    return true;
  }
  return false;
}

std::string ReleaseJudge::WarningNames(const DatasetContext& ctx,
                                       const Thresholds& thresholds) const {
  std::vector<std::string> names;
  for (const RuleFailure& w : rule_warnings_) names.push_back(w.check);
  for (const ComparisonCheck* check : all_checks_) {
    if (check->policy().rolls_back || check->observations() == 0) continue;
    if (StatisticalVerdict(*check, ctx, thresholds) == Verdict::kWarn) {
      names.push_back(check->name());
    }
  }
  std::string out;
  for (const std::string& name : names) {
    if (out.find(name) != std::string::npos) continue;
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

void ReleaseJudge::Decide(Decision decision, std::int64_t ts_ms, std::string check,
                          std::string reason) {
  decision_ = decision;
  decided_at_ms_ = ts_ms;
  deciding_check_ = std::move(check);
  reason_ = std::move(reason);
}

CheckEvidence ReleaseJudge::EvidenceFor(const ComparisonCheck& check, Verdict verdict,
                                        const Thresholds& thresholds) const {
  CheckEvidence e;
  e.check = check.name();
  e.verdict = verdict;
  e.bad_down = !NaturalUp(check);
  const bool counts = check.method() == CheckMethod::kCounts;
  if (check.paired_observations() > 0) {
    e.method = counts ? "paired_counts" : "paired";
  } else {
    e.method = counts ? "split_counts" : "split";
  }
  e.non_inferior = NonInferior(check, thresholds);
  e.warn_only = !check.policy().rolls_back;
  e.awaiting_baseline = EmptyRunUnconfirmed(check);
  e.log_e_regression = check.log_e_regression();
  e.log_threshold = thresholds.rollback_log;
  e.log_e_non_inferiority = check.log_e_non_inferiority();
  e.log_promote_threshold = thresholds.promote_log;
  e.margin_tested = check.MarginTested();
  e.log_e_beyond_margin = check.log_e_beyond_margin();
  e.log_margin_threshold = thresholds.margin_log;
  e.effect_log = check.RecentEffect();
  e.margin_log = check.margin_log();
  const CheckPolicy& policy = check.policy();
  if (policy.margin_absolute > 0 &&
      e.margin_log > RelativeMarginLog(check, policy.margin_relative) + 1e-9) {
    e.margin_absolute = policy.margin_absolute;
  }
  e.observations = check.observations();
  e.canary_loads = canary_loads_;
  e.baseline_loads = baseline_loads_;

  const ArmTotals& canary = canary_totals_;
  const ArmTotals& baseline = baseline_totals_;
  const auto set = [&](std::string_view unit, double canary_estimate, double baseline_estimate) {
    e.unit = unit;
    e.canary_estimate = canary_estimate;
    e.baseline_estimate = baseline_estimate;
    e.canary_rows = canary.rows;
    e.baseline_rows = baseline.rows;
  };
  const auto set_rate = [&e](const RateTotals& c, const RateTotals& b) {
    e.unit = "rate";
    e.canary_estimate = c.Rate();
    e.baseline_estimate = b.Rate();
    e.canary_rows = c.rows;
    e.baseline_rows = b.rows;
  };
  const auto share = [](std::uint64_t hits, std::uint64_t trials) {
    return trials > 0 ? static_cast<double>(hits) / static_cast<double>(trials) : 0.0;
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
      set("rows", canary.MeanRows(), baseline.MeanRows());
      break;
    case MetricKind::kEmptyLoads:
      // Over the release: the test starts at its first empty load, and "3 of 40 canary loads
      // empty" is what the reader needs, not "3 of 5 since the first".
      set("share", canary.EmptyShare(), baseline.EmptyShare());
      break;
    case MetricKind::kFreshnessTail:
      set("share", share(check.canary_count_total(), check.canary_rows_total()),
          share(check.baseline_count_total(), check.baseline_rows_total()));
      break;
    case MetricKind::kFreshness:
      set("s", canary.freshness.empty() ? 0.0 : canary.freshness.Quantile(0.5),
          baseline.freshness.empty() ? 0.0 : baseline.freshness.Quantile(0.5));
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
  const Thresholds thresholds = ThresholdsOf(ctx);
  for (const ComparisonCheck* check : all_checks_) {
    Verdict v = StatisticalVerdict(*check, ctx, thresholds);
    if (decision_ == Decision::kRollback && deciding_check_ == check->name()) {
      v = Verdict::kFail;
    }
    CheckEvidence e = EvidenceFor(*check, v, thresholds);
    const CheckPolicy& policy = check->policy();
    if (v == Verdict::kNotEvaluated && check->observations() == 0 &&
        canary_loads_ >= static_cast<std::uint64_t>(policy.warm_up_canary) &&
        baseline_loads_ >= static_cast<std::uint64_t>(policy.warm_up_baseline)) {
      // Past warm-up: "warming up" would say more loads will do, when these never compare.
      e.sentence = e.check + ": nothing compared yet over " + std::to_string(canary_loads_) +
                   " canary and " + std::to_string(baseline_loads_) +
                   " baseline loads (loads without rows, or reported by one arm only)";
    }
    view.checks.push_back(std::move(e));
  }
  if (decision_ == Decision::kContinue) {
    // What the baseline reports and the canary never did: shown, since it holds promotion.
    for (const std::string& name : UnjudgedBaselineMetrics(ctx)) {
      const auto shown = std::find_if(view.checks.begin(), view.checks.end(),
                                      [&](const CheckEvidence& e) { return e.check == name; });
      if (shown != view.checks.end()) {
        if (shown->observations > 0) {  // compared before the canary stopped reporting it
          shown->verdict = Verdict::kNotEvaluated;
          shown->sentence = name +
                            ": not in the canary's latest load while the baseline still reports "
                            "it; holds promotion";
        }
        continue;
      }
      CheckEvidence e;
      e.check = name;
      e.verdict = Verdict::kNotEvaluated;
      e.method = "rule";
      e.canary_loads = canary_loads_;
      e.baseline_loads = baseline_loads_;
      e.sentence = name + ": reported by the baseline, not by the canary (" +
                   std::to_string(canary_loads_) + " canary loads); holds promotion";
      view.checks.push_back(std::move(e));
    }
  }
  for (const auto& checks : metrics_) {
    if (!checks || !checks->limits) continue;
    for (std::size_t i = 0; i < checks->limits->size(); ++i) {
      view.checks.push_back(checks->limits->Evidence(i));
    }
  }
  const auto add_rule = [&](const RuleFailure& rule, Verdict verdict) {
    CheckEvidence e;
    e.check = rule.check;
    e.verdict = verdict;
    e.method = "rule";
    e.canary_loads = canary_loads_;
    e.baseline_loads = baseline_loads_;
    e.sentence = rule.sentence;
    view.checks.push_back(std::move(e));
  };
  for (const RuleFailure& warning : rule_warnings_) add_rule(warning, Verdict::kWarn);
  // A limit's failure is already shown by its own evidence line.
  if (rule_failure_ &&
      std::none_of(view.checks.begin(), view.checks.end(), [&](const CheckEvidence& e) {
        return e.check == rule_failure_->check && e.method == "limit";
      })) {
    add_rule(*rule_failure_, Verdict::kFail);
  }
  if (late_share_) {
    CheckEvidence e;
    e.check = "freshness_slo";
    e.method = "slo";
    e.unit = "share";
    e.canary_estimate = canary_totals_.ShareWithinSlo();
    e.baseline_estimate = baseline_totals_.ShareWithinSlo();
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
