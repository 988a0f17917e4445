#include "detector/engine/shard.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <string>

#include <spdlog/spdlog.h>

#include "detector/steady_clock.h"

namespace canaryd {
namespace {
// Applied batches kept for the producer to refill: enough to cover the queue draining in bursts.
constexpr std::size_t kRecycledBatches = 8;
}  // namespace

Shard::Shard(int id, const EngineOptions* options, DecisionSink* sink, ApplyObserver* observer,
             const RulesSlot* rules)
    : id_(id),
      options_(options),
      sink_(sink),
      observer_(observer),
      rules_(rules),
      queue_(options->queue_batches),
      recycled_(kRecycledBatches) {
  snapshot_ = std::make_shared<const ShardSnapshot>();
}

Shard::~Shard() {
  Stop();
  SampleBatch* batch = nullptr;
  while (recycled_.pop(batch)) delete batch;
}

std::unique_ptr<SampleBatch> Shard::TakeRecycled() {
  SampleBatch* batch = nullptr;
  return recycled_.pop(batch) ? std::unique_ptr<SampleBatch>(batch) : nullptr;
}

void Shard::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void Shard::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  pushed_.fetch_add(1);
  pushed_.notify_one();
  thread_.join();
}

void Shard::Push(std::unique_ptr<SampleBatch> batch) {
  SampleBatch* raw = batch.release();
  while (!queue_.push(raw)) {
    // Full: wait for the writer to apply a batch (backpressure rather than unbounded memory).
    const std::uint64_t seen = applied_.load();
    if (queue_.write_available() == 0) applied_.wait(seen);
  }
  ++submitted_;
  pushed_.fetch_add(1);
  pushed_.notify_one();
}

void Shard::WaitIdle() {
  // An empty batch asks the writer to publish a snapshot once everything before it is applied.
  Push(std::make_unique<SampleBatch>());
  for (;;) {
    const std::uint64_t seen = applied_.load();
    if (seen == submitted_) return;
    applied_.wait(seen);
  }
}

void Shard::Run() {
  // Named so that top -H and perf tell the shards from the consumer and each other.
  const std::string name = "canaryd-shard" + std::to_string(id_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  for (;;) {
    const std::uint64_t seen = pushed_.load();
    SampleBatch* batch = nullptr;
    if (queue_.pop(batch)) {
      const std::int64_t start = observer_ != nullptr ? SteadyNs() : 0;
      Apply(*batch);
      if (observer_ != nullptr && !batch->empty()) {
        observer_->OnBatchApplied(id_, batch->size(), SteadyNs() - start);
      }
      if (!recycled_.push(batch)) delete batch;
      applied_.fetch_add(1);
      applied_.notify_all();
      continue;
    }
    if (stopping_.load()) break;
    pushed_.wait(seen);
  }
  Publish(/*all=*/true);
}

void Shard::Apply(SampleBatch& batch) {
  bool forgot = false;
  const std::shared_ptr<const JudgeOptionsSource> rules =
      rules_ != nullptr ? rules_->Get() : nullptr;
  // Counted per batch: a locked add per report was most of this loop's own time (perf). Readers
  // see the counters at most one batch behind, and always before the batch counts as applied.
  std::array<std::uint64_t, kApplyOutcomes> outcomes{};
  for (SequencedSample& item : batch) {
    const Sample& s = item.sample;
    if (item.forget) {
      auto gone = datasets_.find(s.dataset);
      if (gone != datasets_.end()) {
        std::erase(decided_datasets_, gone->second.get());
        datasets_.erase(gone);
        forgot = true;  // publish, so readers stop seeing it
      }
      continue;
    }
    auto it = datasets_.find(s.dataset);
    if (it == datasets_.end()) {
      it =
          datasets_.emplace(s.dataset, std::make_unique<DatasetMonitor>(s.dataset, options_)).first;
    }
    decided_.clear();
    DatasetMonitor* monitor = it->second.get();
    const ApplyOutcome outcome = monitor->Apply(s, &decided_, rules.get());
    ++outcomes[static_cast<std::size_t>(outcome)];
    if (outcome == ApplyOutcome::kFuture) {
      spdlog::warn("event=future_ts dataset={} load_id={} (ts far ahead of the dataset's newest)",
                   s.dataset, s.load_id);
    }
    for (ReleaseDatasetView& view : decided_) {
      spdlog::info(
          "event=decision shard={} release={} dataset={} decision={} check={} reason=\"{}\"", id_,
          view.release, view.dataset, DecisionName(view.decision), view.deciding_check,
          view.reason);
      if (sink_ != nullptr) sink_->OnDecision(DecisionEvent{item.seq, std::move(view)});
    }
    if (!decided_.empty()) decided_datasets_.push_back(monitor);
  }
  const auto add = [&](std::atomic<std::uint64_t>& counter, ApplyOutcome outcome) {
    const std::uint64_t n = outcomes[static_cast<std::size_t>(outcome)];
    if (n > 0) counter.fetch_add(n, std::memory_order_relaxed);
  };
  add(counters_.applied, ApplyOutcome::kApplied);
  add(counters_.duplicates, ApplyOutcome::kDuplicate);
  add(counters_.too_old, ApplyOutcome::kTooOld);
  add(counters_.after_decision, ApplyOutcome::kAfterDecision);
  add(counters_.future_ts, ApplyOutcome::kFuture);
  const std::int64_t now = SteadyNs();
  if (batch.empty() || now - last_publish_ns_ >= options_->snapshot_interval_ms * 1'000'000) {
    Publish(/*all=*/true);
    last_publish_ns_ = now;
  } else if (!decided_datasets_.empty() || forgot) {
    Publish(/*all=*/false);
  }
}

void Shard::Publish(bool all) {
  auto snap = std::make_shared<ShardSnapshot>();
  snap->batches_applied = applied_.load();
  snap->datasets.reserve(datasets_.size());
  for (const auto& [name, monitor] : datasets_) {
    const bool decided = std::find(decided_datasets_.begin(), decided_datasets_.end(),
                                   monitor.get()) != decided_datasets_.end();
    std::shared_ptr<const std::vector<ReleaseDatasetView>> views =
        all || decided ? monitor->Views() : monitor->last_views();
    if (views != nullptr && !views->empty()) snap->datasets.push_back(std::move(views));
  }
  decided_datasets_.clear();
  std::shared_ptr<const ShardSnapshot> published = std::move(snap);
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_.swap(published);  // the old snapshot is released after the lock, below
}

}  // namespace canaryd
