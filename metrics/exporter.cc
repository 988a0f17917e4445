#include "metrics/exporter.h"

#include <cmath>
#include <map>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace canaryd {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

constexpr Verdict kVerdicts[] = {Verdict::kNotEvaluated, Verdict::kInconclusive, Verdict::kPass,
                                 Verdict::kWarn, Verdict::kFail};
constexpr Decision kDecisions[] = {Decision::kContinue, Decision::kPromote, Decision::kRollback};

// The text format has +Inf, but dashboards and alert expressions comparing e-values behave
// better with a huge finite number, and the JSON API says the same (verdict_json.cc).
double Finite(double x) {
  if (std::isnan(x)) return 0.0;
  return std::isfinite(x) ? x : (x > 0 ? 1e308 : -1e308);
}

double Seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

Family<Gauge>& G(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
Family<Counter>& C(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
void Set(Family<Gauge>& f, const Labels& labels, double v) { f.Add(labels).Set(Finite(v)); }
void Count(Family<Counter>& f, const Labels& labels, double v) {
  if (v > 0) {
    f.Add(labels).Increment(v);
  } else {
    f.Add(labels);  // a zero counter is still a series, so rate() and absent() work from start
  }
}

// Estimates carry their unit in the metric name (Prometheus base units), not in a label.
const char* EstimateFamilyFor(std::string_view unit) {
  if (unit == "rate" || unit == "share") return "ratio";
  if (unit == "rows") return "rows";
  if (unit == "s") return "seconds";
  return nullptr;
}

struct ReleaseFamilies {
  explicit ReleaseFamilies(prometheus::Registry& r)
      : decision(G(r, "canaryd_release_decision",
                   "Decision for a (release, dataset): 1 for the current state in label "
                   "'decision' (continue, promote, rollback), 0 for the others.")),
        rollback_required(G(r, "canaryd_rollback_required",
                            "1 while a rollback decision stands for this (release, dataset).")),
        loads(C(r, "canaryd_release_loads_total",
                "Loads of each arm seen since the release started, per (release, dataset).")),
        start(G(r, "canaryd_release_start_timestamp_seconds",
                "Report time of the release's first canary load on this dataset.")),
        last_report(G(r, "canaryd_release_last_report_timestamp_seconds",
                      "Report time of the newest load of this (release, dataset).")),
        decided(G(r, "canaryd_release_decision_timestamp_seconds",
                  "Report time of the load that decided this (release, dataset); absent while "
                  "continuing.")),
        verdict(G(r, "canaryd_check_verdict",
                  "Verdict of a check: 1 for the current state in label 'verdict' "
                  "(NOT_EVALUATED, INCONCLUSIVE, PASS, WARN, FAIL), 0 for the others.")),
        log_e(G(r, "canaryd_check_log_e_value",
                "Natural log of the regression e-value (evidence the canary is worse).")),
        log_threshold(G(r, "canaryd_check_log_e_threshold",
                        "Natural log of the e-value that rolls back: log(K/alpha).")),
        log_e_ni(G(r, "canaryd_check_non_inferiority_log_e_value",
                   "Natural log of the e-value that the canary is no worse than the margin.")),
        log_ni_threshold(G(r, "canaryd_check_non_inferiority_log_e_threshold",
                           "Natural log of the non-inferiority e-value that counts toward "
                           "promote.")),
        effect(G(r, "canaryd_check_effect_log",
                 "Recent effect on the log scale, positive = canary worse.")),
        margin(G(r, "canaryd_check_margin_log",
                 "Practical margin on the log scale an effect must exceed to roll back.")),
        est_ratio(G(r, "canaryd_check_estimate_ratio",
                    "Estimate per arm of a rate or share check (0..1) over the release span.")),
        est_rows(G(r, "canaryd_check_estimate_rows",
                   "Estimate per arm of rows per load over the release span.")),
        est_seconds(G(r, "canaryd_check_estimate_seconds",
                      "Estimate per arm of a duration check (freshness) over the release span.")),
        observations(C(r, "canaryd_check_observations_total",
                       "Scored comparisons that fed the check's e-process.")),
        releases(G(r, "canaryd_releases",
                   "Known releases by release-level decision (rollback if any dataset rolled "
                   "back, promote once all are promoted).")) {}

  Family<Gauge>& decision;
  Family<Gauge>& rollback_required;
  Family<Counter>& loads;
  Family<Gauge>& start;
  Family<Gauge>& last_report;
  Family<Gauge>& decided;
  Family<Gauge>& verdict;
  Family<Gauge>& log_e;
  Family<Gauge>& log_threshold;
  Family<Gauge>& log_e_ni;
  Family<Gauge>& log_ni_threshold;
  Family<Gauge>& effect;
  Family<Gauge>& margin;
  Family<Gauge>& est_ratio;
  Family<Gauge>& est_rows;
  Family<Gauge>& est_seconds;
  Family<Counter>& observations;
  Family<Gauge>& releases;
};

void AddRelease(ReleaseFamilies& f, const ReleaseDatasetView& v) {
  const Labels rd = {{"release", v.release}, {"dataset", v.dataset}};
  for (Decision d : kDecisions) {
    Labels l = rd;
    l.emplace("decision", std::string(DecisionName(d)));
    Set(f.decision, l, v.decision == d ? 1 : 0);
  }
  Set(f.rollback_required, rd, v.decision == Decision::kRollback ? 1 : 0);
  Labels canary = rd, baseline = rd;
  canary.emplace("arm", "canary");
  baseline.emplace("arm", "baseline");
  Count(f.loads, canary, static_cast<double>(v.canary_loads));
  Count(f.loads, baseline, static_cast<double>(v.baseline_loads));
  if (v.release_start_ms != 0) Set(f.start, rd, Seconds(v.release_start_ms));
  if (v.last_report_ms != 0) Set(f.last_report, rd, Seconds(v.last_report_ms));
  if (v.decision != Decision::kContinue) Set(f.decided, rd, Seconds(v.decided_at_ms));

  for (const CheckEvidence& e : v.checks) {
    Labels c = rd;
    c.emplace("check", e.check);
    for (Verdict s : kVerdicts) {
      Labels l = c;
      l.emplace("verdict", std::string(VerdictName(s)));
      Set(f.verdict, l, e.verdict == s ? 1 : 0);
    }
    if (e.method == "rule") continue;  // deterministic rules carry no statistics
    // An absolute limit judges the canary alone: its observed value, no e-value, no baseline.
    const bool limit = e.method == "limit";
    if (!limit) {
      Set(f.log_e, c, e.log_e_regression);
      Set(f.log_threshold, c, e.log_threshold);
    }
    if (const char* unit = EstimateFamilyFor(e.unit)) {
      Family<Gauge>& est = std::string_view(unit) == "ratio"  ? f.est_ratio
                           : std::string_view(unit) == "rows" ? f.est_rows
                                                              : f.est_seconds;
      Labels ca = c;
      ca.emplace("arm", "canary");
      Set(est, ca, e.canary_estimate);
      if (!limit) {
        Labels ba = c;
        ba.emplace("arm", "baseline");
        Set(est, ba, e.baseline_estimate);
      }
    }
    if (limit) continue;
    if (e.method == "slo") continue;  // an absolute SLO has no margin or promote side
    Set(f.log_e_ni, c, e.log_e_non_inferiority);
    Set(f.log_ni_threshold, c, e.log_promote_threshold);
    Set(f.effect, c, e.effect_log);
    Set(f.margin, c, e.margin_log);
    Count(f.observations, c, static_cast<double>(e.observations));
  }
}

void AddReleaseCounts(ReleaseFamilies& f, const std::vector<ReleaseDatasetView>& releases) {
  std::map<std::string, std::vector<const ReleaseDatasetView*>> by_release;
  for (const ReleaseDatasetView& v : releases) by_release[v.release].push_back(&v);
  std::map<Decision, int> counts;
  for (const auto& [release, views] : by_release) ++counts[ReleaseDecisionOf(views)];
  for (Decision d : kDecisions) {
    Set(f.releases, {{"decision", std::string(DecisionName(d))}}, counts[d]);
  }
}

void AddHealth(prometheus::Registry& r, const HealthStats& h, bool ready) {
  Set(G(r, "canaryd_ready", "1 once assigned partitions are rebuilt and verdicts are current."), {},
      ready ? 1 : 0);
  Set(G(r, "canaryd_build_info", "Always 1; the version is in label 'version'."),
      {{"version", CANARYD_VERSION}}, 1);
  if (h.start_time_s > 0) {
    Set(G(r, "process_start_time_seconds", "Start time of the process since the Unix epoch."), {},
        h.start_time_s);
  }
  Count(C(r, "canaryd_reports_consumed_total", "Reports read from the Kafka report topic(s)."), {},
        static_cast<double>(h.reports_consumed));
  auto& rejected = C(r, "canaryd_reports_rejected_total",
                     "Reports that broke the sample contract, by reject reason.");
  for (const auto& [reason, n] : h.rejected_by_reason) {
    Count(rejected, {{"reason", reason}}, static_cast<double>(n));
  }
  Count(C(r, "canaryd_reports_submitted_total", "Valid reports handed to the engine."), {},
        static_cast<double>(h.engine.submitted));
  Count(C(r, "canaryd_reports_applied_total", "Reports applied by the engine's shards."), {},
        static_cast<double>(h.engine.applied));
  Count(C(r, "canaryd_reports_deduplicated_total",
          "Redelivered reports ignored by the (dataset, arm, load_id) idempotency key."),
        {}, static_cast<double>(h.engine.duplicates));
  auto& dropped = C(r, "canaryd_reports_dropped_total",
                    "Valid reports the engine did not apply, by reason (too_old: older than the "
                    "idempotency memory; after_decision; future_ts: clock error).");
  Count(dropped, {{"reason", "too_old"}}, static_cast<double>(h.engine.too_old));
  Count(dropped, {{"reason", "after_decision"}}, static_cast<double>(h.engine.after_decision));
  Count(dropped, {{"reason", "future_ts"}}, static_cast<double>(h.engine.future_ts));
  Count(C(r, "canaryd_consumer_rebalances_total", "Kafka consumer group rebalances."), {},
        static_cast<double>(h.consumer_rebalances));
  Count(C(r, "canaryd_signals_published_total", "Decisions delivered to the signal topic."), {},
        static_cast<double>(h.signals_published));
  Count(C(r, "canaryd_signal_delivery_failures_total",
          "Failed attempts to deliver a decision to the signal topic (retried)."),
        {}, static_cast<double>(h.signal_delivery_failures));
  Set(G(r, "canaryd_signals_pending", "Decisions not yet delivered to the signal topic."), {},
      static_cast<double>(h.signals_pending));
  Count(C(r, "canaryd_reports_dead_lettered_total",
          "Rejected reports sent to the dead-letter topic."),
        {}, static_cast<double>(h.dead_lettered));
  auto& actions = C(r, "canaryd_actions_total",
                    "Decision action deliveries (webhook, command) by final outcome "
                    "(delivered, failed: gave up after its retries).");
  Count(actions, {{"outcome", "delivered"}}, static_cast<double>(h.actions_delivered));
  Count(actions, {{"outcome", "failed"}}, static_cast<double>(h.actions_failed));

  auto& lag = G(r, "canaryd_consumer_lag_messages",
                "Messages not yet consumed per assigned partition (high watermark - position).");
  for (const PartitionLag& p : h.consumer_lag) {
    Set(lag, {{"topic", p.topic}, {"partition", std::to_string(p.partition)}},
        static_cast<double>(p.lag_messages));
  }
  auto& depth =
      G(r, "canaryd_shard_queue_depth_batches", "Report batches waiting for a shard's writer.");
  for (std::size_t i = 0; i < h.shard_queue_depth.size(); ++i) {
    Set(depth, {{"shard", std::to_string(i)}}, static_cast<double>(h.shard_queue_depth[i]));
  }

  auto& last = G(r, "canaryd_dataset_last_report_timestamp_seconds",
                 "Report time (ts) of the newest accepted report of a dataset.");
  auto& with_freshness = C(r, "canaryd_dataset_loads_with_freshness_total",
                           "Accepted loads that reported freshness_s, per dataset and arm.");
  auto& within_slo = C(r, "canaryd_dataset_loads_within_freshness_slo_total",
                       "Accepted loads with freshness_s within the freshness SLO (15 minutes by "
                       "default), per dataset and arm.");
  for (const auto& [dataset, d] : h.datasets) {
    if (d.last_report_ms != 0) Set(last, {{"dataset", dataset}}, Seconds(d.last_report_ms));
    for (const auto& [arm, n] : d.loads_with_freshness) {
      Count(with_freshness, {{"dataset", dataset}, {"arm", arm}}, static_cast<double>(n));
    }
    for (const auto& [arm, n] : d.loads_within_freshness_slo) {
      Count(within_slo, {{"dataset", dataset}, {"arm", arm}}, static_cast<double>(n));
    }
  }

  if (h.fleet_freshness) {
    const FleetFreshness& f = *h.fleet_freshness;
    const prometheus::Labels tag{{"tag", f.tag}};
    Count(C(r, "canaryd_fleet_freshness_loads_total",
            "Production (baseline) loads that reported freshness_s, of the datasets the rules' "
            "fleet freshness objective covers (tagged `tag`)."),
          tag, static_cast<double>(f.loads));
    Count(C(r, "canaryd_fleet_freshness_landed_within_total",
            "Of those, loads that landed within the objective's bound of their schedule."),
          tag, static_cast<double>(f.landed_within));
    Set(G(r, "canaryd_fleet_freshness_target_ratio",
          "The fleet freshness objective's target share (fleet.freshness_slo.target)."),
        tag, f.target);
    Set(G(r, "canaryd_fleet_freshness_within_seconds",
          "The fleet freshness objective's bound (fleet.freshness_slo.within)."),
        tag, f.within_s);
  }

  if (h.evaluation_seconds &&
      h.evaluation_seconds->counts.size() == h.evaluation_seconds->upper_bounds_s.size() + 1) {
    const HistogramSnapshot& s = *h.evaluation_seconds;
    auto& hist = prometheus::BuildHistogram()
                     .Name("canaryd_evaluation_duration_seconds")
                     .Help("Time for a shard to apply one batch of reports and re-judge.")
                     .Register(r);
    std::vector<double> increments(s.counts.begin(), s.counts.end());
    hist.Add({}, s.upper_bounds_s).ObserveMultiple(increments, s.sum_s);
  }
}

}  // namespace

std::string RenderMetrics(const std::vector<ReleaseDatasetView>& releases,
                          const HealthStats& health, bool ready) {
  prometheus::Registry registry;
  ReleaseFamilies families(registry);
  for (const ReleaseDatasetView& v : releases) AddRelease(families, v);
  AddReleaseCounts(families, releases);
  AddHealth(registry, health, ready);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return std::move(out).str();
}

std::string MetricsExporter::Render() const {
  const HealthStats health = source_.Health();
  const bool ready = source_.Ready();
  return RenderMetrics(source_.Releases(), health, ready);
}

}  // namespace canaryd
