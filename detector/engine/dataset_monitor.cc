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

DatasetContext DatasetMonitor::Context(const Release& release) const {
  const JudgeOptions* options = release.options ? release.options.get() : &options_->judge;
  return DatasetContext{options, &registry_, &baseline_};
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

  if (sample.arm == Arm::kBaseline) {
    registry_.Extract(sample, &values_);
    std::vector<Release*> newly_decided;
    for (auto& [name, release] : releases_) {
      if (release.judge->OnBaseline(sample, values_, Context(release))) {
        newly_decided.push_back(&release);
      }
    }
    baseline_.Add(sample, values_);
    for (Release* release : newly_decided) {
      const DatasetContext ctx = Context(*release);
      release->judge->Freeze(ctx);
      decided->push_back(release->judge->View(ctx));
    }
    return ApplyOutcome::kApplied;
  }

  auto it = releases_.find(sample.release);
  if (it == releases_.end()) {
    // retired_ and releases_ never share a name: retired_ is read only for a release not held.
    if (retired_.contains(sample.release)) return ApplyOutcome::kAfterDecision;
    Release release{std::make_unique<ReleaseJudge>(sample.release, dataset_, sample.ts_ms),
                    rules != nullptr ? std::make_unique<const JudgeOptions>(
                                           rules->ForColumns(dataset_, sample.nulls))
                                     : nullptr};
    it = releases_.emplace(sample.release, std::move(release)).first;
  }
  Release& release = it->second;
  // A decided release's reports change nothing: not even their metrics are worked out.
  if (!release.judge->open()) return ApplyOutcome::kAfterDecision;
  registry_.Extract(sample, &values_);
  const DatasetContext ctx = Context(release);
  if (release.judge->OnCanary(sample, values_, ctx)) {
    release.judge->Freeze(ctx);
    decided->push_back(release.judge->View(ctx));
  }
  return ApplyOutcome::kApplied;
}

void DatasetMonitor::AppendViews(std::vector<ReleaseDatasetView>* out) const {
  for (const auto& [name, release] : releases_) {
    out->push_back(release.judge->View(Context(release)));
  }
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
    const ReleaseJudge& judge = *entry.second.judge;
    if (judge.open() || newest_ts_ms_ - judge.decided_at_ms() <= options_->retire_after_ms) {
      return false;
    }
    retired_.emplace(entry.first, judge.decided_at_ms());
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
  for (const auto& [name, release] : releases_) n += release.judge->open() ? 1 : 0;
  return n;
}

}  // namespace canaryd
