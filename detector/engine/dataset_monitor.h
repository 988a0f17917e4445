// Everything one dataset needs: the idempotency memory, the baseline's rolling statistics and
// the judges of the releases under test. Owned by exactly one shard.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detector/engine/engine_options.h"
#include "detector/engine/judge_options_source.h"
#include "detector/judge/baseline_tracker.h"
#include "detector/judge/metric.h"
#include "detector/judge/release_judge.h"
#include "detector/load_deduper.h"

namespace canaryd {

enum class ApplyOutcome : std::uint8_t {
  kApplied,
  kDuplicate,      // (dataset, arm, load_id) already counted
  kTooOld,         // older than the idempotency memory: dropped rather than risk counting twice
  kAfterDecision,  // canary report of a release that was already decided
  kFuture,         // ts far ahead of the dataset's newest report: a clock error, dropped so it
                   // cannot expire the idempotency memory of every report after it
};
inline constexpr std::size_t kApplyOutcomes = static_cast<std::size_t>(ApplyOutcome::kFuture) + 1;

class DatasetMonitor {
 public:
  DatasetMonitor(std::string dataset, const EngineOptions* options);

  // Applies one report; appends the views of releases this report decided. A new release takes
  // its options from `rules` (the engine's defaults when null).
  ApplyOutcome Apply(const Sample& sample, std::vector<ReleaseDatasetView>* decided,
                     const JudgeOptionsSource* rules = nullptr);

  void AppendViews(std::vector<ReleaseDatasetView>* out) const;
  // Every release's view, built again only when a report was applied since the last call (a
  // snapshot of an unchanged dataset shares the previous one's views). Empty: no releases.
  std::shared_ptr<const std::vector<ReleaseDatasetView>> Views();
  // The views as of the last Views() call, even if reports were applied since; null before it.
  const std::shared_ptr<const std::vector<ReleaseDatasetView>>& last_views() const {
    return views_;
  }
  std::size_t retired_releases() const { return retired_.size(); }
  std::size_t open_releases() const;
  std::size_t releases() const { return releases_.size(); }

 private:
  struct Release {
    std::unique_ptr<ReleaseJudge> judge;
    // Fixed when the release started (rules reloads do not change them); null: the engine's.
    std::unique_ptr<const JudgeOptions> options;
  };

  DatasetContext Context(const Release& release) const;
  // Forgets releases decided more than retire_after_ms (this dataset's report time) ago.
  void Retire();

  std::string dataset_;
  const EngineOptions* options_;
  LoadDeduper deduper_;
  MetricRegistry registry_;
  BaselineTracker baseline_;
  std::map<std::string, Release, std::less<>> releases_;
  std::map<std::string, std::int64_t, std::less<>> retired_;  // release -> decided at
  std::int64_t newest_ts_ms_ = 0;
  std::int64_t next_retire_check_ms_ = 0;
  bool seen_any_ = false;
  std::vector<LoadValue> values_;  // the report being applied; kept to reuse its storage
  std::shared_ptr<const std::vector<ReleaseDatasetView>> views_;
  bool views_stale_ = true;  // a report was applied after views_ was built
};

}  // namespace canaryd
