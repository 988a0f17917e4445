#include "detector/engine/dataset_monitor.h"

#include <algorithm>

namespace canaryd {
namespace {
constexpr std::int64_t kRetireCheckEveryMs = 5 * 60 * 1000;
constexpr std::size_t kMaxRetiredNames = 4096;
}  // namespace
}  // namespace canaryd

namespace canaryd {

DatasetMonitor::DatasetMonitor(std::string dataset, const EngineOptions* options)
    : dataset_(std::move(dataset)), options_(options), deduper_(options->dedupe) {}

DatasetContext DatasetMonitor::Context(const JudgeOptions* options) const {
  return DatasetContext{options, &registry_, &baseline_};
}

const JudgeOptions* DatasetMonitor::OptionsOf(const std::string& release) const {
  auto it = release_options_.find(release);
  return it != release_options_.end() ? it->second.get() : &options_->judge;
}

ApplyOutcome DatasetMonitor::Apply(const Sample& sample, std::vector<ReleaseDatasetView>* decided,
                                   const JudgeOptionsSource* rules) {
  if (seen_any_ && sample.ts_ms > newest_ts_ms_ + options_->max_future_skew_ms) {
    return ApplyOutcome::kFuture;
  }
  switch (deduper_.Observe(sample.arm, sample.load_id, sample.ts_ms)) {
    case Delivery::kDuplicate:
      return ApplyOutcome::kDuplicate;
    case Delivery::kTooOld:
      return ApplyOutcome::kTooOld;
    case Delivery::kFirst:
      break;
  }
  views_stale_ = true;
  seen_any_ = true;
  if (sample.ts_ms > newest_ts_ms_) {
    newest_ts_ms_ = sample.ts_ms;
    Retire();
  }
  registry_.Extract(sample, &values_);
  const std::vector<LoadValue>& values = values_;

  if (sample.arm == Arm::kBaseline) {
    std::vector<ReleaseJudge*> newly_decided;
    for (auto& [name, judge] : releases_) {
      if (judge->OnBaseline(sample, values, Context(OptionsOf(name)))) {
        newly_decided.push_back(judge.get());
      }
    }
    baseline_.Add(sample, values);
    for (ReleaseJudge* judge : newly_decided) {
      const DatasetContext ctx = Context(OptionsOf(judge->release()));
      judge->Freeze(ctx);
      decided->push_back(judge->View(ctx));
    }
    return ApplyOutcome::kApplied;
  }

  if (retired_.contains(sample.release)) return ApplyOutcome::kAfterDecision;
  auto it = releases_.find(sample.release);
  if (it == releases_.end()) {
    if (rules != nullptr) {
      release_options_.emplace(sample.release, std::make_unique<const JudgeOptions>(
                                                   rules->ForColumns(dataset_, sample.nulls)));
    }
    it = releases_
             .emplace(sample.release,
                      std::make_unique<ReleaseJudge>(sample.release, dataset_, sample.ts_ms))
             .first;
  }
  ReleaseJudge& judge = *it->second;
  if (!judge.open()) return ApplyOutcome::kAfterDecision;
  const DatasetContext ctx = Context(OptionsOf(sample.release));
  if (judge.OnCanary(sample, values, ctx)) {
    judge.Freeze(ctx);
    decided->push_back(judge.View(ctx));
  }
  return ApplyOutcome::kApplied;
}

void DatasetMonitor::AppendViews(std::vector<ReleaseDatasetView>* out) const {
  for (const auto& [name, judge] : releases_) out->push_back(judge->View(Context(OptionsOf(name))));
}

std::shared_ptr<const std::vector<ReleaseDatasetView>> DatasetMonitor::Views() {
  if (views_stale_ || views_ == nullptr) {
    auto views = std::make_shared<std::vector<ReleaseDatasetView>>();
    views->reserve(releases_.size());
    AppendViews(views.get());
    views_ = std::move(views);
    views_stale_ = false;
  }
  return views_;
}

void DatasetMonitor::Retire() {
  // Report time of this dataset only, so replay is the same for any shard count or timing.
  if (newest_ts_ms_ < next_retire_check_ms_) return;
  next_retire_check_ms_ = newest_ts_ms_ + kRetireCheckEveryMs;
  std::erase_if(releases_, [&](const auto& entry) {
    const ReleaseJudge& judge = *entry.second;
    if (judge.open() || newest_ts_ms_ - judge.decided_at_ms() <= options_->retire_after_ms) {
      return false;
    }
    retired_.emplace(entry.first, judge.decided_at_ms());
    release_options_.erase(entry.first);
    return true;
  });
  // The names of retired releases are kept (bounded) so a late canary report of one is not
  // judged again as a new release: a decision never flaps.
  while (retired_.size() > kMaxRetiredNames) {
    auto oldest =
        std::min_element(retired_.begin(), retired_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    retired_.erase(oldest);
  }
}

std::size_t DatasetMonitor::open_releases() const {
  std::size_t n = 0;
  for (const auto& [name, judge] : releases_) n += judge->open() ? 1 : 0;
  return n;
}

}  // namespace canaryd
