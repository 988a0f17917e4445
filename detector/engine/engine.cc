#include "detector/engine/engine.h"

#include <cassert>

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
    pending_size_.push_back(0);
  }
  // The default logger is created on first use; create it here, before the shard threads log.
  spdlog::default_logger_raw();
  for (auto& shard : shards_) shard->Start();
}

Engine::~Engine() { Stop(); }

SequencedSample& Engine::NextSlot(std::size_t shard) {
  SampleBatch& batch = *pending_[shard];
  const std::size_t i = pending_size_[shard]++;
  if (i < batch.size()) return batch[i];
  return batch.emplace_back();
}

void Engine::HandOver(std::size_t shard) {
  pending_[shard]->resize(pending_size_[shard]);  // drops unused slots of a recycled batch
  shards_[shard]->Push(std::move(pending_[shard]));
  pending_[shard] = shards_[shard]->TakeRecycled();
  if (pending_[shard] == nullptr) {
    pending_[shard] = std::make_unique<SampleBatch>();
    pending_[shard]->reserve(options_.batch_size);
  }
  pending_size_[shard] = 0;
}

template <class Fill>
void Engine::SubmitWith(std::uint64_t seq, const std::string& dataset, Fill&& fill) {
  SubmitToShard(static_cast<std::size_t>(router_.ShardOf(dataset)), seq, std::forward<Fill>(fill));
}

template <class Fill>
void Engine::SubmitToShard(std::size_t shard, std::uint64_t seq, Fill&& fill) {
  SequencedSample& slot = NextSlot(shard);
  slot.seq = seq;
  slot.forget = false;
  fill(&slot.sample);
  // One writer: a plain store, not a locked add. The lock drained the store buffer, full of the
  // slot's writes to memory another core last held, and perf put half of submitting there.
  submitted_.store(submitted_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (pending_size_[shard] >= options_.batch_size) HandOver(shard);
}

void Engine::Submit(std::uint64_t seq, Sample&& sample) {
  SubmitWith(seq, sample.dataset, [&](Sample* slot) { *slot = std::move(sample); });
}

void Engine::Submit(std::uint64_t seq, const Sample& sample) {
  // Into the slot's existing strings: no allocation once warm.
  SubmitWith(seq, sample.dataset, [&](Sample* slot) { *slot = sample; });
}

void Engine::SubmitTo(int shard, std::uint64_t seq, const Sample& sample) {
  assert(shard == router_.ShardOf(sample.dataset));
  SubmitToShard(static_cast<std::size_t>(shard), seq, [&](Sample* slot) { *slot = sample; });
}

void Engine::Forget(const std::vector<std::string>& datasets) {
  for (const std::string& name : datasets) {
    const auto shard = static_cast<std::size_t>(router_.ShardOf(name));
    SequencedSample& slot = NextSlot(shard);
    slot.seq = 0;
    slot.sample = Sample();
    slot.sample.dataset = name;
    slot.forget = true;
  }
}

void Engine::Handover() {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (pending_size_[i] > 0) HandOver(i);
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
