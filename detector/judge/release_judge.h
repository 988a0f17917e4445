// The judge of one (release, dataset): feeds each canary and baseline load to the checks, applies
// the deterministic rules, and makes the decision once (design §4). Owned and driven by exactly
// one shard thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detector/judge/arm_totals.h"
#include "detector/judge/baseline_tracker.h"
#include "detector/judge/comparison_check.h"
#include "detector/judge/judge_options.h"
#include "detector/judge/limit_watch.h"
#include "detector/judge/load_queue.h"
#include "detector/judge/metric.h"
#include "detector/judge/verdict.h"

namespace canaryd {

// Dataset-level state every release of the dataset reads; kept by the dataset's owner.
struct DatasetContext {
  const JudgeOptions* options = nullptr;
  const MetricRegistry* registry = nullptr;
  // Both as of before the report being applied: a baseline load is judged against the
  // baseline's past, then added to it.
  const BaselineTracker* baseline = nullptr;
};

class ReleaseJudge {
 public:
  ReleaseJudge(std::string release, std::string dataset, std::int64_t start_ms);

  // Each returns true when this report made the decision (ROLLBACK or PROMOTE). Reports after
  // the decision change nothing: a decision never flaps.
  bool OnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                const DatasetContext& ctx);
  bool OnBaseline(const Sample& sample, const std::vector<LoadValue>& values,
                  const DatasetContext& ctx);

  Decision decision() const { return decision_; }
  bool open() const { return decision_ == Decision::kContinue; }
  const std::string& release() const { return release_; }
  const std::string& dataset() const { return dataset_; }
  std::int64_t last_report_ms() const { return last_report_ms_; }
  std::int64_t decided_at_ms() const { return decided_at_ms_; }

  // Records the view at the decision (after the deciding report was added everywhere), so the
  // reason and the evidence agree and a decided release keeps showing what it was decided on.
  void Freeze(const DatasetContext& ctx);

  // The full picture with evidence and sentences: builds every check's evidence and sentence
  // from running totals: call it for decisions and snapshots, not per report.
  ReleaseDatasetView View(const DatasetContext& ctx) const;

 private:
  static constexpr std::size_t kMaxPending =
      256;  // loads awaiting a partner; oldest dropped beyond
  struct RuleFailure {
    std::string check;
    std::string sentence;
  };
  // One metric's checks under its policy: a statistical test per bad direction (none when the
  // check is off) and its absolute limits.
  struct MetricChecks {
    CheckPolicy policy;
    std::vector<std::unique_ptr<ComparisonCheck>> tests;
    std::unique_ptr<LimitWatch> limits;
    std::uint64_t last_canary_load = 0;  // canary_loads_ at the canary's last report of it
  };

  MetricChecks& ChecksFor(int metric, const DatasetContext& ctx);
  // Metrics the baseline reports that no rolling-back test has compared yet (the canary does not
  // report them, or no load of either arm had rows for them): promotion waits for them, since
  // "no worse" was never shown. A metric only the canary reports (a new column) is not one.
  std::vector<std::string> UnjudgedBaselineMetrics(const DatasetContext& ctx) const;
  // Whether the baseline still reports the metric (in one of its last 8 loads of the release),
  // and whether the canary does (in its latest load). A column the baseline dropped mid-release
  // has nothing left to compare: its tests stop holding promotion. One only the canary dropped
  // holds it.
  bool BaselineStillReports(std::size_t metric) const;
  bool CanaryStillReports(const MetricChecks& checks) const;
  // The tests of metrics the baseline no longer reports.
  std::vector<const ComparisonCheck*> RetiredTests() const;
  // The baseline's count profile of the metric if one of its tests reads it, else empty.
  static CountProfile CountsFor(const MetricChecks& checks, int metric, const DatasetContext& ctx);
  CheckPolicy PolicyFor(std::string_view check, const DatasetContext& ctx) const;
  void AddTest(MetricChecks* checks, const MetricKey& key, bool natural_up, bool named_direction,
               const DatasetContext& ctx);
  // Refreshes all_checks_ after a test was added.
  void RebuildAllChecks(const JudgeOptions& options);
  void WatchLimits(const Sample& sample, const std::vector<LoadValue>& values,
                   const DatasetContext& ctx);
  void NoteBaselineReported(int metric);
  // A rule (schema, all-null column, absolute limit) fired: a rollback, or a warning when its
  // policy's severity is warn.
  void RuleFired(const CheckPolicy& policy, std::string check, std::string sentence);
  bool LimitsHoldPromotion() const;
  // The shares of loads: each load is one trial of the counts method. freshness_tail (late
  // loads) guards freshness from the canary's first load with freshness; empty_loads guards
  // row_count from the release's first load without rows. Both roll back, and need not be shown
  // small to promote (a share of rare loads takes hundreds of loads to bound).
  enum LoadShare : std::size_t { kLateLoads, kEmptyLoads, kLoadShares };
  struct ShareCheck {
    CheckPolicy policy;
    std::unique_ptr<ComparisonCheck> test;  // null until the share applies
    // empty_loads: the canary's share beyond the margin against the baseline's with its history,
    // which holds promotion as the effect over the release's own loads does; false for the tail.
    bool pooled_beyond_margin = false;
  };
  // The share's test under the policy of the check it guards, upwards only, with its own margin.
  void StartShare(LoadShare share, const CheckPolicy& guarded, double margin_relative,
                  double margin_absolute, const DatasetContext& ctx);
  void StartEmptyShare(const Sample& sample, const DatasetContext& ctx);
  const ShareCheck* ShareOf(const ComparisonCheck* check) const;  // null: not a share's test
  // Whether the check is empty_loads and the canary's current run of empty loads has not been
  // followed by a baseline load with rows (see empty_run_confirmed_).
  bool EmptyRunUnconfirmed(const ComparisonCheck& check) const;
  template <class Loads>
  ArmGroup ShareGroup(LoadShare share, const Loads& loads, const DatasetContext& ctx) const;
  // Scores every started share on these loads of each arm (a shadow pair, or a split group).
  template <class Loads>
  void ScoreShares(const Loads& canary, const Loads& baseline, const DatasetContext& ctx);
  // empty_loads' evidence and pooled effect (split mode) from every load so far of both arms and
  // the baseline's history; before each evaluation, as they depend on the totals alone.
  void PoolEmptyShare();
  // The margin against the baseline's share over the release so far.
  double ShareMarginLog(const ShareCheck& share) const;
  void Pair(const LoadQueue::Load& canary, const LoadQueue::Load& baseline,
            const DatasetContext& ctx);
  void ScoreSplit(const DatasetContext& ctx);
  void SnapshotGroupScales(const DatasetContext& ctx);
  void CheckRulesOnCanary(const Sample& sample, const std::vector<LoadValue>& values,
                          const DatasetContext& ctx);
  void CheckSilence(std::int64_t baseline_ts_ms, const DatasetContext& ctx);
  // The log e-values a test needs to roll back (alpha / K), to be shown non-inferior, and to be
  // shown beyond its margin.
  double RollbackLogThreshold(const JudgeOptions& options) const;
  struct Thresholds {
    double rollback_log;
    double promote_log;
    double margin_log;
  };
  Thresholds ThresholdsOf(const DatasetContext& ctx) const;
  Verdict StatisticalVerdict(const ComparisonCheck& check, const DatasetContext& ctx,
                             const Thresholds& thresholds) const;
  bool NonInferior(const ComparisonCheck& check, const Thresholds& thresholds) const;
  // Warn-only checks and rules showing WARN, "a, b": a promotion names them, since "every check
  // shown no worse" would read as if they were fine too.
  std::string WarningNames(const DatasetContext& ctx, const Thresholds& thresholds) const;
  CheckEvidence EvidenceFor(const ComparisonCheck& check, Verdict verdict,
                            const Thresholds& thresholds) const;
  bool Evaluate(std::int64_t ts_ms, const DatasetContext& ctx);
  void Decide(Decision decision, std::int64_t ts_ms, std::string check, std::string reason);

  std::string release_;
  std::string dataset_;
  std::int64_t start_ms_;
  std::int64_t last_report_ms_ = 0;

  // Both arms since the release started, for the estimates its evidence shows.
  ArmTotals canary_totals_;
  ArmTotals baseline_totals_;
  std::uint64_t canary_loads_ = 0;
  std::uint64_t baseline_loads_ = 0;  // since the release started
  std::int64_t last_canary_ms_ = 0;
  std::uint64_t baseline_since_canary_ = 0;
  std::uint64_t baseline_after_first_canary_ = 0;
  double trailing_run_chance_ = 1.0;  // of baseline_since_canary_ by chance; see CheckSilence
  // The canary's rhythm: how many baseline loads arrived between consecutive canary loads, and
  // for how many gaps that number has stayed the same (-1 once it varied).
  std::uint64_t regular_run_ = 0;
  int regular_runs_ = 0;
  std::string last_canary_schema_;
  std::int64_t last_canary_schema_ts_ms_ = 0;

  std::vector<std::unique_ptr<MetricChecks>> metrics_;  // by metric id; null if not reported
  // baseline_loads_ at the metric's last baseline report since the release started, by metric
  // id; 0: not reported.
  std::vector<std::uint64_t> baseline_last_load_;
  int rollback_tests_ = 0;  // tests that can roll back: the Bonferroni K
  ShareCheck shares_[kLoadShares];
  // The baseline's empty loads before the release (its tracker's window at the release's first
  // report): with the release's own, the baseline side of empty_loads' pooled test.
  std::optional<BernoulliCounts> empty_history_;
  // empty_loads rolls back only once a baseline load with rows has arrived since the canary's
  // current run of empty loads began: until then the run may be an upstream outage that the
  // baseline's next loads will share, which the history cannot tell from a broken canary.
  bool canary_empty_run_ = false;
  bool empty_run_confirmed_ = true;
  // Every statistical test, in metric order with the shares last: what Evaluate and View walk.
  std::vector<const ComparisonCheck*> all_checks_;
  std::uint64_t warm_up_baseline_max_ = 0;  // the largest warm_up_baseline of all_checks_
  std::optional<CheckPolicy> schema_policy_;
  std::optional<BernoulliMixtureEProcess> late_share_;  // share of loads missing the SLO
  std::uint64_t freshness_loads_ = 0;

  bool paired_mode_ = false;
  LoadQueue canary_pending_{kMaxPending};
  LoadQueue baseline_pending_;              // the current split batch, unbounded
  LoadQueue recent_baseline_{kMaxPending};  // for shadow pairing
  LoadQueue::Load canary_scratch_, baseline_scratch_, partner_scratch_;  // a pair being scored
  struct GroupScale {
    ScaleEstimate scale;
    CountProfile counts;
    ClipBounds bounds;
  };
  std::vector<GroupScale> group_scales_;  // by metric, as of the current group's start

  std::optional<RuleFailure> rule_failure_;
  std::vector<RuleFailure> rule_warnings_;  // rules of severity warn that fired
  std::optional<ReleaseDatasetView> frozen_;
  Decision decision_ = Decision::kContinue;
  std::int64_t decided_at_ms_ = 0;
  std::string deciding_check_;
  std::string reason_;
};

}  // namespace canaryd
