#include "detector/engine/engine.h"

#include <spdlog/spdlog.h>

namespace canaryd {

Engine::Engine(EngineOptions options, DecisionSink* sink, ApplyObserver* observer)
    : options_(std::move(options)), router_(options_.shards), rules_(options_.rules) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  if (options_.queue_batches < 2) options_.queue_batches = 2;
  for (int i = 0; i < router_.shards(); ++i) {
    shards_.push_back(std::make_unique<Shard>(i, &options_, sink, observer, &rules_));
    pending_.push_back(std::make_unique<SampleBatch>());
    pending_.back()->reserve(options_.batch_size);
  }
  // The default logger is created on first use; create it here, before the shard threads log.
  spdlog::default_logger_raw();
  for (auto& shard : shards_) shard->Start();
}

Engine::~Engine() { Stop(); }

void Engine::Submit(std::uint64_t seq, Sample sample) {
  const auto shard = static_cast<std::size_t>(router_.ShardOf(sample.dataset));
  auto& batch = pending_[shard];
  batch->push_back(SequencedSample{seq, std::move(sample)});
  submitted_.fetch_add(1, std::memory_order_relaxed);
  if (batch->size() >= options_.batch_size) {
    shards_[shard]->Push(std::move(batch));
    batch = std::make_unique<SampleBatch>();
    batch->reserve(options_.batch_size);
  }
}

void Engine::Forget(const std::vector<std::string>& datasets) {
  for (const std::string& name : datasets) {
    const auto shard = static_cast<std::size_t>(router_.ShardOf(name));
    SequencedSample item;
    item.sample.dataset = name;
    item.forget = true;
    pending_[shard]->push_back(std::move(item));
  }
}

void Engine::Handover() {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!pending_[i]->empty()) {
      shards_[i]->Push(std::move(pending_[i]));
      pending_[i] = std::make_unique<SampleBatch>();
      pending_[i]->reserve(options_.batch_size);
    }
  }
}

void Engine::Flush() {
  Handover();
  for (auto& shard : shards_) shard->WaitIdle();
}

void Engine::Stop() {
  if (stopped_) return;
  Flush();
  for (auto& shard : shards_) shard->Stop();
  stopped_ = true;
}

EngineStats Engine::Stats() const {
  EngineStats stats;
  stats.submitted = submitted_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    const ShardCounters& c = shard->counters();
    stats.applied += c.applied.load();
    stats.duplicates += c.duplicates.load();
    stats.too_old += c.too_old.load();
    stats.after_decision += c.after_decision.load();
    stats.future_ts += c.future_ts.load();
  }
  return stats;
}

std::vector<std::size_t> Engine::QueueDepths() const {
  std::vector<std::size_t> depths;
  for (const auto& shard : shards_) depths.push_back(shard->queue_depth());
  return depths;
}

std::vector<ReleaseDatasetView> Engine::Releases() const {
  std::vector<ReleaseDatasetView> out;
  for (const auto& shard : shards_) {
    const auto snap = shard->snapshot();
    for (const auto& views : snap->datasets) out.insert(out.end(), views->begin(), views->end());
  }
  return out;
}

}  // namespace canaryd
