// What the HTTP API and /metrics read from the running daemon. The daemon implements it; the
// listener's threads call it at request time, so every method must be cheap, thread-safe and
// must never wait on the ingest path (return copies of published snapshots and atomic counters).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detector/engine/engine.h"
#include "detector/judge/verdict.h"

namespace canaryd {

// A latency distribution already bucketed (see metrics/duration_histogram.h, which produces it).
struct HistogramSnapshot {
  std::vector<double> upper_bounds_s;  // ascending, in seconds; +Inf is implicit
  std::vector<std::uint64_t> counts;   // per bucket, NOT cumulative; size = bounds + 1 (+Inf)
  double sum_s = 0.0;
};

struct PartitionLag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t lag_messages = 0;  // high watermark minus the committed/next offset
};

// Per-dataset figures that exist whether or not a release is running on the dataset.
struct DatasetHealth {
  std::int64_t last_report_ms = 0;  // report time (`ts`) of the newest accepted report, 0 = none
  // Freshness SLO (design: 95% of critical tables within 15 minutes): accepted loads that carried
  // freshness_s, and those of them within the SLO, per arm ("canary" / "baseline"). Counters.
  std::map<std::string, std::uint64_t> loads_with_freshness;
  std::map<std::string, std::uint64_t> loads_within_freshness_slo;
};

// The fleet freshness objective of the rules (rules/fleet_slo.h): production (baseline) loads of
// the datasets carrying `tag`, and those that landed within `within_s` of schedule. Counters.
struct FleetFreshness {
  std::string tag;
  double within_s = 900.0;
  double target = 0.95;
  std::uint64_t loads = 0;
  std::uint64_t landed_within = 0;
};

// canaryd's own health. Counters are totals since the process started (monotonic).
struct HealthStats {
  EngineStats engine;  // submitted/applied/duplicates/too_old/after_decision/future_ts
  std::uint64_t reports_consumed = 0;                       // messages read from Kafka/HTTP
  std::map<std::string, std::uint64_t> rejected_by_reason;  // decoder reject reasons
  std::vector<PartitionLag> consumer_lag;                   // assigned partitions only
  std::vector<std::uint64_t> shard_queue_depth;             // batches waiting, index = shard
  std::map<std::string, DatasetHealth> datasets;            // key = dataset
  std::optional<FleetFreshness> fleet_freshness;
  std::optional<HistogramSnapshot> evaluation_seconds;  // time to apply one report batch
  std::uint64_t consumer_rebalances = 0;
  // Signal topic (design §3): decisions delivered, failed attempts (retried), not yet delivered.
  std::uint64_t signals_published = 0;
  std::uint64_t signal_delivery_failures = 0;
  std::uint64_t signals_pending = 0;
  std::uint64_t dead_lettered = 0;  // rejected reports sent to the dead-letter topic
  // Decision actions (detector/http/actions): ActionDispatcher::delivered() / failed().
  std::uint64_t actions_delivered = 0;
  std::uint64_t actions_failed = 0;
  double start_time_s = 0.0;  // process start, Unix seconds (wall clock), 0 = unknown
};

class VerdictSource {
 public:
  virtual ~VerdictSource() = default;

  // Every known (release, dataset): Engine::Releases(). Retired releases are absent.
  virtual std::vector<ReleaseDatasetView> Releases() const = 0;
  virtual HealthStats Health() const = 0;
  // Ready once the assigned partitions are rebuilt (design §3); /readyz says 503 until then.
  virtual bool Ready() const = 0;
  // Why not ready, for /readyz's body (e.g. "rebuilding 3 partitions"). Names only, no values.
  virtual std::string NotReadyReason() const { return "starting"; }
  // The rules new releases are judged by, as JSON text: the whole summary for an empty dataset,
  // else that dataset's effective rules (rules/rules_summary.h). Empty: no rules to show.
  virtual std::string RulesJson(const std::string& dataset) const {
    (void)dataset;
    return {};
  }
};

// A release spanning several datasets rolls back as soon as one of them does, and is promoted
// once every dataset it touched is (the same rule as replay's release_decision).
Decision ReleaseDecisionOf(const std::vector<const ReleaseDatasetView*>& datasets);

}  // namespace canaryd
