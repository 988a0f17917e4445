#include "metrics/exporter.h"

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "metrics/duration_histogram.h"
#include "tests/detector/http/fake_verdict_source.h"

namespace canaryd {
namespace {

using testing::View;

// A parsed text exposition: series key "name{a="x",b="y"}" (labels sorted, values unescaped) ->
// value, plus the TYPE of every family.
struct Exposition {
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;

  bool Has(const std::string& key) const { return series.count(key) > 0; }
  double At(const std::string& key) const {
    auto it = series.find(key);
    if (it == series.end()) {
      ADD_FAILURE() << "no series " << key;
      return NAN;
    }
    return it->second;
  }
  std::size_t CountWithPrefix(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& [k, v] : series) n += k.rfind(prefix, 0) == 0;
    return n;
  }
};

// Parses the subset of the format prometheus-cpp writes; fails the test on anything else, so a
// malformed line (e.g. an unescaped quote in a label) is caught.
Exposition Parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      e.helps.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      e.types[name] = type;
      continue;
    }
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    const std::string name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(name, name_re)) << line;
    std::map<std::string, std::string> labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        const std::string label = line.substr(i, eq - i);
        i = eq + 1;
        EXPECT_EQ(line[i], '"') << line;
        ++i;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
          ++i;
        }
        ++i;  // closing quote
        labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      EXPECT_EQ(line[i], '}') << line;
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << line;
    std::string key = name + "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) key += ",";
      first = false;
      key += k + "=\"" + v + "\"";
    }
    key += "}";
    const std::string value = line.substr(i + 1);
    double x = 0;
    if (value == "+Inf") {
      x = INFINITY;
    } else {
      std::size_t used = 0;
      x = std::stod(value, &used);
      EXPECT_EQ(used, value.size()) << line;  // no timestamps
    }
    EXPECT_TRUE(e.series.emplace(key, x).second) << "duplicate series " << key;
  }
  return e;
}

TEST(ExporterTest, RollbackRequiredIsOneOnlyWhileRollbackStands) {
  const Exposition e = Parse(RenderMetrics({View("r1", "analytics.orders", Decision::kRollback),
                                            View("r2", "analytics.orders", Decision::kContinue),
                                            View("r3", "analytics.orders", Decision::kPromote)},
                                           {}, true));
  EXPECT_EQ(e.At(R"(canaryd_rollback_required{dataset="analytics.orders",release="r1"})"), 1);
  EXPECT_EQ(e.At(R"(canaryd_rollback_required{dataset="analytics.orders",release="r2"})"), 0);
  EXPECT_EQ(e.At(R"(canaryd_rollback_required{dataset="analytics.orders",release="r3"})"), 0);
  EXPECT_EQ(e.types.at("canaryd_rollback_required"), "gauge");
}

TEST(ExporterTest, DecisionIsOneGaugePerStateWithExactlyOneSet) {
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kPromote)}, {}, true));
  const std::string p = R"(canaryd_release_decision{dataset="d",decision=")";
  EXPECT_EQ(e.At(p + R"(continue",release="r1"})"), 0);
  EXPECT_EQ(e.At(p + R"(promote",release="r1"})"), 1);
  EXPECT_EQ(e.At(p + R"(rollback",release="r1"})"), 0);
  EXPECT_EQ(e.At(R"(canaryd_release_decision_timestamp_seconds{dataset="d",release="r1"})"),
            1'795'000'500);
  EXPECT_EQ(e.At(R"(canaryd_releases{decision="promote"})"), 1);
  EXPECT_EQ(e.At(R"(canaryd_releases{decision="rollback"})"), 0);
}

TEST(ExporterTest, ContinuingReleaseHasNoDecisionTimestamp) {
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kContinue)}, {}, true));
  EXPECT_FALSE(e.Has(R"(canaryd_release_decision_timestamp_seconds{dataset="d",release="r1"})"));
  EXPECT_EQ(e.At(R"(canaryd_release_start_timestamp_seconds{dataset="d",release="r1"})"),
            1'795'000'000);
}

TEST(ExporterTest, VerdictPerCheckIsOneHot) {
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kRollback)}, {}, true));
  const std::string p =
      R"q(canaryd_check_verdict{check="null_rate(email)",dataset="d",release="r1",verdict=")q";
  EXPECT_EQ(e.At(p + R"(FAIL"})"), 1);
  for (const char* other : {"NOT_EVALUATED", "INCONCLUSIVE", "PASS", "WARN"}) {
    EXPECT_EQ(e.At(p + other + "\"}"), 0) << other;
  }
  // 4 checks x 5 states.
  EXPECT_EQ(e.CountWithPrefix("canaryd_check_verdict{"), 20u);
}

TEST(ExporterTest, EvidenceGaugesCarryEValueThresholdAndEstimatesInBaseUnits) {
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kRollback)}, {}, true));
  const std::string c = R"q(check="null_rate(email)",dataset="d",release="r1")q";
  EXPECT_DOUBLE_EQ(e.At("canaryd_check_log_e_value{" + c + "}"), 10.85);
  EXPECT_DOUBLE_EQ(e.At("canaryd_check_log_e_threshold{" + c + "}"), 6.40);
  EXPECT_DOUBLE_EQ(e.At("canaryd_check_non_inferiority_log_e_value{" + c + "}"), 1.25);
  EXPECT_DOUBLE_EQ(e.At("canaryd_check_effect_log{" + c + "}"), 0.267);
  EXPECT_DOUBLE_EQ(e.At(R"(canaryd_check_estimate_ratio{arm="canary",)" + c + "}"), 0.0174);
  EXPECT_DOUBLE_EQ(e.At(R"(canaryd_check_estimate_ratio{arm="baseline",)" + c + "}"), 0.0103);
  EXPECT_DOUBLE_EQ(
      e.At(
          R"(canaryd_check_estimate_rows{arm="canary",check="row_count",dataset="d",release="r1"})"),
      12099);
  EXPECT_DOUBLE_EQ(
      e.At(
          R"(canaryd_check_estimate_seconds{arm="canary",check="freshness",dataset="d",release="r1"})"),
      252);
  EXPECT_EQ(e.At("canaryd_check_observations_total{" + c + "}"), 10);
  EXPECT_EQ(e.At(R"(canaryd_release_loads_total{arm="canary",dataset="d",release="r1"})"), 19);
  EXPECT_EQ(e.At(R"(canaryd_release_loads_total{arm="baseline",dataset="d",release="r1"})"), 11);
}

TEST(ExporterTest, RuleChecksHaveAVerdictButNoStatistics) {
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kContinue)}, {}, true));
  EXPECT_TRUE(
      e.Has(R"(canaryd_check_verdict{check="schema",dataset="d",release="r1",verdict="PASS"})"));
  EXPECT_FALSE(e.Has(R"(canaryd_check_log_e_value{check="schema",dataset="d",release="r1"})"));
}

TEST(ExporterTest, LimitChecksHaveTheCanaryValueButNoEValueOrBaseline) {
  ReleaseDatasetView v = View("r1", "d", Decision::kContinue);
  CheckEvidence limit;
  limit.check = "null_rate(email) < 2%";
  limit.method = "limit";
  limit.verdict = Verdict::kPass;
  limit.unit = "rate";
  limit.canary_estimate = 0.012;
  v.checks.push_back(limit);
  const Exposition e = Parse(RenderMetrics({v}, {}, true));
  const std::string c = R"q(check="null_rate(email) < 2%",dataset="d",release="r1")q";
  EXPECT_EQ(e.At("canaryd_check_verdict{" + c + R"(,verdict="PASS"})"), 1);
  EXPECT_DOUBLE_EQ(e.At(R"(canaryd_check_estimate_ratio{arm="canary",)" + c + "}"), 0.012);
  EXPECT_FALSE(e.Has(R"(canaryd_check_estimate_ratio{arm="baseline",)" + c + "}"));
  EXPECT_FALSE(e.Has("canaryd_check_log_e_value{" + c + "}"));
  EXPECT_FALSE(e.Has("canaryd_check_log_e_threshold{" + c + "}"));
  EXPECT_FALSE(e.Has("canaryd_check_margin_log{" + c + "}"));
}

TEST(ExporterTest, InfiniteEvidenceIsRenderedFinite) {
  ReleaseDatasetView v = View("r1", "d", Decision::kRollback);
  v.checks[0].log_e_regression = INFINITY;
  v.checks[1].log_e_regression = NAN;
  const Exposition e = Parse(RenderMetrics({v}, {}, true));
  EXPECT_EQ(
      e.At(R"q(canaryd_check_log_e_value{check="null_rate(email)",dataset="d",release="r1"})q"),
      1e308);
  EXPECT_EQ(e.At(R"(canaryd_check_log_e_value{check="row_count",dataset="d",release="r1"})"), 0);
}

TEST(ExporterTest, RetiredReleasesDisappear) {
  testing::FakeVerdictSource source;
  MetricsExporter exporter(source);
  source.SetReleases(
      {View("old", "d", Decision::kRollback), View("new", "d", Decision::kContinue)});
  EXPECT_GT(
      Parse(exporter.Render())
          .CountWithPrefix(
              "canaryd_check_verdict{check=\"null_rate(email)\",dataset=\"d\",release=\"old\""),
      0u);
  source.SetReleases({View("new", "d", Decision::kContinue)});  // the engine retired "old"
  const std::string text = exporter.Render();
  EXPECT_EQ(text.find("release=\"old\""), std::string::npos);
  EXPECT_NE(text.find("release=\"new\""), std::string::npos);
}

TEST(ExporterTest, LabelValuesAreEscaped) {
  // Column names come from reports' nulls keys: any JSON string.
  ReleaseDatasetView v = View("r1", "d", Decision::kContinue);
  v.checks[0].check = "null_rate(we\"ird\\col\numn)";
  const Exposition e = Parse(RenderMetrics({v}, {}, true));
  EXPECT_TRUE(
      e.Has("canaryd_check_log_e_value{check=\"null_rate(we\"ird\\col\numn)\",dataset=\"d\","
            "release=\"r1\"}"));
}

TEST(ExporterTest, SelfHealth) {
  HealthStats h;
  h.engine.submitted = 100;
  h.engine.applied = 98;
  h.engine.duplicates = 7;
  h.engine.too_old = 1;
  h.reports_consumed = 120;
  h.rejected_by_reason = {{"bad_ts", 3}, {"invalid_json", 2}};
  h.consumer_lag = {{"canary-reports", 0, 5}, {"canary-reports", 3, 0}};
  h.shard_queue_depth = {0, 4};
  h.datasets["analytics.orders"].last_report_ms = 1'795'000'600'500;
  h.datasets["analytics.orders"].loads_with_freshness = {{"baseline", 10}, {"canary", 2}};
  h.datasets["analytics.orders"].loads_within_freshness_slo = {{"baseline", 9}, {"canary", 2}};
  h.start_time_s = 1'795'000'000;
  DurationHistogram hist({0.001, 0.01});
  hist.Observe(0.0005);
  hist.Observe(0.001);  // upper bounds are inclusive
  hist.Observe(0.005);
  hist.Observe(2.0);
  h.evaluation_seconds = hist.Snapshot();

  const Exposition e = Parse(RenderMetrics({}, h, false));
  EXPECT_EQ(e.At("canaryd_ready{}"), 0);
  EXPECT_EQ(e.At("canaryd_reports_consumed_total{}"), 120);
  EXPECT_EQ(e.types.at("canaryd_reports_consumed_total"), "counter");
  EXPECT_EQ(e.At(R"(canaryd_reports_rejected_total{reason="bad_ts"})"), 3);
  EXPECT_EQ(e.At(R"(canaryd_reports_rejected_total{reason="invalid_json"})"), 2);
  EXPECT_EQ(e.At("canaryd_reports_deduplicated_total{}"), 7);
  EXPECT_EQ(e.At("canaryd_reports_applied_total{}"), 98);
  EXPECT_EQ(e.At(R"(canaryd_reports_dropped_total{reason="too_old"})"), 1);
  EXPECT_EQ(e.At(R"(canaryd_reports_dropped_total{reason="future_ts"})"), 0);
  EXPECT_EQ(e.At(R"(canaryd_consumer_lag_messages{partition="0",topic="canary-reports"})"), 5);
  EXPECT_EQ(e.At(R"(canaryd_consumer_lag_messages{partition="3",topic="canary-reports"})"), 0);
  EXPECT_EQ(e.At(R"(canaryd_shard_queue_depth_batches{shard="1"})"), 4);
  EXPECT_DOUBLE_EQ(
      e.At(R"(canaryd_dataset_last_report_timestamp_seconds{dataset="analytics.orders"})"),
      1'795'000'600.5);
  EXPECT_EQ(
      e.At(
          R"(canaryd_dataset_loads_within_freshness_slo_total{arm="baseline",dataset="analytics.orders"})"),
      9);
  EXPECT_EQ(e.At("process_start_time_seconds{}"), 1'795'000'000);
  EXPECT_EQ(e.types.at("canaryd_evaluation_duration_seconds"), "histogram");
  EXPECT_EQ(e.At(R"(canaryd_evaluation_duration_seconds_bucket{le="0.001"})"), 2);
  EXPECT_EQ(e.At(R"(canaryd_evaluation_duration_seconds_bucket{le="0.01"})"), 3);
  EXPECT_EQ(e.At(R"(canaryd_evaluation_duration_seconds_bucket{le="+Inf"})"), 4);
  EXPECT_EQ(e.At("canaryd_evaluation_duration_seconds_count{}"), 4);
  EXPECT_NEAR(e.At("canaryd_evaluation_duration_seconds_sum{}"), 2.0065, 1e-9);
  EXPECT_EQ(e.At(R"(canaryd_build_info{version=")" CANARYD_VERSION R"("})"), 1);
}

TEST(ExporterTest, FleetFreshnessObjectiveIsCountersAndItsTarget) {
  HealthStats h;
  h.fleet_freshness = FleetFreshness{"critical", 900.0, 0.95, 40, 37};
  const Exposition e = Parse(RenderMetrics({}, h, true));
  EXPECT_EQ(e.At(R"(canaryd_fleet_freshness_loads_total{tag="critical"})"), 40);
  EXPECT_EQ(e.At(R"(canaryd_fleet_freshness_landed_within_total{tag="critical"})"), 37);
  EXPECT_DOUBLE_EQ(e.At(R"(canaryd_fleet_freshness_target_ratio{tag="critical"})"), 0.95);
  EXPECT_EQ(e.At(R"(canaryd_fleet_freshness_within_seconds{tag="critical"})"), 900);
}

TEST(ExporterTest, NamesFollowPrometheusConventions) {
  HealthStats h;
  h.fleet_freshness = FleetFreshness{};
  h.evaluation_seconds = DurationHistogram().Snapshot();
  h.datasets["d"].last_report_ms = 1;
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kRollback)}, h, true));
  ASSERT_FALSE(e.types.empty());
  for (const auto& [name, type] : e.types) {
    EXPECT_TRUE(name.rfind("canaryd_", 0) == 0 || name == "process_start_time_seconds") << name;
    EXPECT_EQ(type == "counter", name.size() > 6 && name.ends_with("_total")) << name;
    EXPECT_TRUE(e.helps.count(name)) << name;
    // No unit-less ambiguity: durations and times are in seconds, never ms.
    EXPECT_EQ(name.find("_ms"), std::string::npos) << name;
    EXPECT_EQ(name.find("milli"), std::string::npos) << name;
  }
}

TEST(ExporterTest, LabelsCarryOnlyNames) {
  // The labels the exporter may use; a value of a report would need another.
  const std::set<std::string> allowed = {"release", "dataset", "check",  "decision",  "verdict",
                                         "arm",     "reason",  "topic",  "partition", "shard",
                                         "le",      "version", "outcome"};
  HealthStats h;
  h.rejected_by_reason = {{"bad_ts", 1}};
  h.consumer_lag = {{"t", 0, 1}};
  h.shard_queue_depth = {1};
  h.evaluation_seconds = DurationHistogram().Snapshot();
  const Exposition e = Parse(RenderMetrics({View("r1", "d", Decision::kRollback)}, h, true));
  const std::regex label_re(R"(([a-z_]+)=")");
  for (const auto& [key, value] : e.series) {
    for (std::sregex_iterator it(key.begin(), key.end(), label_re), end; it != end; ++it) {
      EXPECT_TRUE(allowed.count((*it)[1])) << key;
    }
  }
}

TEST(DurationHistogramTest, BucketsAreInclusiveAndCountsNotCumulative) {
  DurationHistogram h({0.1, 1.0});
  h.Observe(0.1);
  h.Observe(0.5);
  h.Observe(0.5);
  h.Observe(-1);  // clock went backwards: counted as zero
  h.Observe(10);
  const HistogramSnapshot s = h.Snapshot();
  ASSERT_EQ(s.counts.size(), 3u);
  EXPECT_EQ(s.counts[0], 2u);
  EXPECT_EQ(s.counts[1], 2u);
  EXPECT_EQ(s.counts[2], 1u);
  EXPECT_NEAR(s.sum_s, 11.1, 1e-9);
}

}  // namespace
}  // namespace canaryd
