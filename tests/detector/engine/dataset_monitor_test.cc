// The per-dataset owner: idempotency, stale and future reports, retirement of decided releases.
#include "detector/engine/dataset_monitor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/sample.h"
#include "tests/detector/report_times.h"

namespace canaryd {
namespace {

using testing::kMinute;
using testing::kT0;
constexpr std::int64_t kHour = 60 * kMinute;

Sample Report(Arm arm, const std::string& load_id, std::int64_t ts_ms,
              const std::string& schema = "sha256:base", const std::string& release = "r1") {
  Sample s;
  s.dataset = "ds";
  s.arm = arm;
  s.release = arm == Arm::kCanary ? release : "";
  s.load_id = load_id;
  s.ts_ms = ts_ms;
  s.rows = 1000;
  s.nulls = {{"email", 10}};
  s.duplicates = 1;
  s.freshness_s = 120;
  s.schema = schema;
  return s;
}

ReleaseDatasetView ViewOf(const DatasetMonitor& m, const std::string& release) {
  std::vector<ReleaseDatasetView> views;
  m.AppendViews(&views);
  for (auto& v : views) {
    if (v.release == release) return v;
  }
  ADD_FAILURE() << "no view for " << release;
  return {};
}

TEST(DatasetMonitorTest, RedeliveredReportCountsOnce) {
  const EngineOptions options;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "L1", kT0), &decided), ApplyOutcome::kApplied);
  EXPECT_EQ(m.Apply(Report(Arm::kCanary, "L2", kT0 + 1000), &decided), ApplyOutcome::kApplied);
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "L3", kT0 + 2000), &decided), ApplyOutcome::kApplied);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(m.Apply(Report(Arm::kCanary, "L2", kT0 + 1000), &decided), ApplyOutcome::kDuplicate);
    EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "L1", kT0), &decided), ApplyOutcome::kDuplicate);
    EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "L3", kT0 + 2000), &decided),
              ApplyOutcome::kDuplicate);
  }
  // The same load_id in the other arm is a shadow pair, not a duplicate.
  EXPECT_EQ(m.Apply(Report(Arm::kCanary, "L3", kT0 + 3000), &decided), ApplyOutcome::kApplied);
  const ReleaseDatasetView v = ViewOf(m, "r1");
  EXPECT_EQ(v.canary_loads, 2u);
  EXPECT_EQ(v.baseline_loads, 1u);  // L1 came before the release started
}

TEST(DatasetMonitorTest, ReportOlderThanTheIdempotencyHorizonIsTooOld) {
  EngineOptions options;
  options.dedupe.horizon_ms = 2 * kHour;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  for (int i = 0; i <= 6; ++i) {
    EXPECT_EQ(
        m.Apply(Report(Arm::kBaseline, "b" + std::to_string(i), kT0 + i * 30 * kMinute), &decided),
        ApplyOutcome::kApplied);
  }
  // Newest is kT0 + 3h: anything before kT0 + 1h can no longer be told apart from a redelivery.
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "late", kT0 + 10 * kMinute), &decided),
            ApplyOutcome::kTooOld);
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided), ApplyOutcome::kTooOld);
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "recent", kT0 + 2 * kHour), &decided),
            ApplyOutcome::kApplied);
}

TEST(DatasetMonitorTest, ReportFarInTheFutureIsDropped) {
  EngineOptions options;
  options.max_future_skew_ms = kHour;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided), ApplyOutcome::kApplied);
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "clock-error", kT0 + 3 * kHour), &decided),
            ApplyOutcome::kFuture);
  // It did not move the dataset's clock: a normal next report is still accepted.
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "b1", kT0 + kMinute), &decided), ApplyOutcome::kApplied);
  // And it was not remembered as delivered.
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "clock-error", kT0 + 30 * kMinute), &decided),
            ApplyOutcome::kApplied);
}

TEST(DatasetMonitorTest, CanaryReportAfterDecisionIsCountedAsSuch) {
  const EngineOptions options;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided);
  m.Apply(Report(Arm::kCanary, "c0", kT0 + 1000, "sha256:new"), &decided);
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0].decision, Decision::kRollback);
  EXPECT_EQ(m.open_releases(), 0u);
  EXPECT_EQ(m.Apply(Report(Arm::kCanary, "c1", kT0 + 2000), &decided),
            ApplyOutcome::kAfterDecision);
  EXPECT_EQ(decided.size(), 1u);
}

TEST(DatasetMonitorTest, RetireDropsOnlyDecidedReleasesPastTheirTime) {
  EngineOptions options;
  options.retire_after_ms = kHour;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided);
  m.Apply(Report(Arm::kCanary, "bad0", kT0 + 1000, "sha256:new", "bad"), &decided);
  m.Apply(Report(Arm::kCanary, "open0", kT0 + 2000, "sha256:base", "open"), &decided);
  ASSERT_EQ(m.releases(), 2u);
  // Retirement follows the dataset's report time, as every later report advances it.
  m.Apply(Report(Arm::kBaseline, "b1", kT0 + 30 * kMinute), &decided);
  EXPECT_EQ(m.releases(), 2u);  // decided, but not long enough ago
  m.Apply(Report(Arm::kBaseline, "b2", kT0 + 2 * kHour), &decided);
  EXPECT_EQ(m.releases(), 1u);  // the open release stays however old
  EXPECT_EQ(m.open_releases(), 1u);
  EXPECT_EQ(m.retired_releases(), 1u);
}

// A decision is made once per release and never flaps (design section 4). Forgetting a decided
// release must not let its later canary reports start a fresh judgement of the same release.
TEST(DatasetMonitorTest, RetiredReleaseIsNotJudgedAgain) {
  EngineOptions options;
  options.retire_after_ms = kHour;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  for (int i = 0; i < 10; ++i) {
    m.Apply(Report(Arm::kBaseline, "h" + std::to_string(i), kT0 + i * kMinute), &decided);
  }
  m.Apply(Report(Arm::kCanary, "c0", kT0 + 10 * kMinute, "sha256:new"), &decided);
  ASSERT_EQ(decided.size(), 1u);
  ASSERT_EQ(decided[0].decision, Decision::kRollback);

  // The rolled-back canary keeps reporting (a slow rollback executor), now healthy, for longer
  // than retire_after_ms: the release is retired meanwhile.
  std::int64_t t = kT0 + 11 * kMinute;
  for (int i = 0; i < 200; ++i, t += kMinute) {
    m.Apply(Report(Arm::kBaseline, "b" + std::to_string(i), t), &decided);
    const ApplyOutcome outcome =
        m.Apply(Report(Arm::kCanary, "c" + std::to_string(i + 1), t + 1000), &decided);
    EXPECT_EQ(outcome, ApplyOutcome::kAfterDecision) << "canary report " << i + 1;
    if (outcome != ApplyOutcome::kAfterDecision) break;
  }
  for (const auto& v : decided) {
    EXPECT_EQ(v.decision, Decision::kRollback)
        << "release r1 decided again: " << DecisionName(v.decision) << " " << v.reason;
  }
}

// Snapshots reuse a dataset's views until a report changes them (Shard::Publish).
TEST(DatasetMonitorTest, ViewsAreRebuiltOnlyAfterAnAppliedReport) {
  const EngineOptions options;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  EXPECT_TRUE(m.Views()->empty());
  m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided);
  m.Apply(Report(Arm::kCanary, "c0", kT0 + kMinute), &decided);
  const auto first = m.Views();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].canary_loads, 1u);
  EXPECT_EQ(m.Views(), first);  // nothing new: the same views
  EXPECT_EQ(m.last_views(), first);

  // A duplicate or a report from the far future changes nothing.
  EXPECT_EQ(m.Apply(Report(Arm::kCanary, "c0", kT0 + kMinute), &decided), ApplyOutcome::kDuplicate);
  EXPECT_EQ(m.Apply(Report(Arm::kBaseline, "f", kT0 + 1000 * kHour), &decided),
            ApplyOutcome::kFuture);
  EXPECT_EQ(m.Views(), first);

  // A report: shown by the next Views(), not by last_views() before it.
  m.Apply(Report(Arm::kCanary, "c1", kT0 + 2 * kMinute), &decided);
  m.Apply(Report(Arm::kBaseline, "b1", kT0 + 3 * kMinute), &decided);
  EXPECT_EQ(m.last_views(), first);
  const auto second = m.Views();
  EXPECT_NE(second, first);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].canary_loads, 2u);
  EXPECT_EQ((*second)[0].baseline_loads, 1u);
  EXPECT_EQ((*first)[0].canary_loads, 1u);  // a published snapshot never changes
}

TEST(DatasetMonitorTest, DecidedReleaseKeepsShowingItsFrozenView) {
  const EngineOptions options;
  DatasetMonitor m("ds", &options);
  std::vector<ReleaseDatasetView> decided;
  m.Apply(Report(Arm::kBaseline, "b0", kT0), &decided);
  m.Apply(Report(Arm::kCanary, "c0", kT0 + kMinute, "sha256:new"), &decided);
  ASSERT_EQ(decided.size(), 1u);
  const auto at_decision = m.Views();
  ASSERT_EQ(at_decision->size(), 1u);
  EXPECT_EQ((*at_decision)[0].decision, Decision::kRollback);
  // The baseline goes on; the decided release's view does not move.
  for (int i = 1; i < 20; ++i) {
    m.Apply(Report(Arm::kBaseline, "b" + std::to_string(i), kT0 + (i + 1) * kMinute), &decided);
  }
  const auto later = m.Views();
  ASSERT_EQ(later->size(), 1u);
  const ReleaseDatasetView& v = (*later)[0];
  EXPECT_EQ(v.decision, Decision::kRollback);
  EXPECT_EQ(v.baseline_loads, (*at_decision)[0].baseline_loads);
  EXPECT_EQ(v.reason, decided[0].reason);
  ASSERT_EQ(v.checks.size(), decided[0].checks.size());
  for (std::size_t i = 0; i < v.checks.size(); ++i) {
    EXPECT_EQ(v.checks[i].sentence, decided[0].checks[i].sentence);
    EXPECT_EQ(v.checks[i].baseline_rows, decided[0].checks[i].baseline_rows);
  }
}

}  // namespace
}  // namespace canaryd
