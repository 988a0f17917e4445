// The engine: routes reports by dataset to single-writer shards in batches and merges their
// published snapshots for readers. Replay and the daemon use the same engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detector/engine/engine_options.h"
#include "detector/engine/shard.h"
#include "detector/engine/shard_router.h"

namespace canaryd {

struct EngineStats {
  std::uint64_t submitted = 0;
  std::uint64_t applied = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t too_old = 0;
  std::uint64_t after_decision = 0;
  std::uint64_t future_ts = 0;
};

class Engine {
 public:
  // sink receives decisions from the shard threads; it must outlive the engine.
  Engine(EngineOptions options, DecisionSink* sink, ApplyObserver* observer = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Producer side: one thread. seq orders decisions deterministically (e.g. the input line).
  // The sample is moved or copied into a slot of a batch that a shard has handed back, so a
  // producer that decodes into one Sample and submits it by const reference does not allocate.
  void Submit(std::uint64_t seq, Sample&& sample);
  void Submit(std::uint64_t seq, const Sample& sample);
  // Submit by copy to the shard ShardOf(sample.dataset) returned: a producer that keeps it per
  // dataset saves hashing the name for every report.
  void SubmitTo(int shard, std::uint64_t seq, const Sample& sample);
  // The shard that owns a dataset (fixed for the engine's life).
  int ShardOf(std::string_view dataset) const { return router_.ShardOf(dataset); }
  // Drops all state of these datasets, in order with the reports submitted before (used when a
  // Kafka partition is revoked: another instance owns them now).
  void Forget(const std::vector<std::string>& datasets);
  // Hands over partial batches without waiting (a quiet stream should not leave reports sitting in
  // a half-full batch).
  void Handover();
  // Hands over partial batches and waits until every submitted report is applied.
  void Flush();
  // Stops the shard threads after applying what was submitted.
  void Stop();

  // New releases from now on are judged with these rules; running releases keep theirs.
  void SetRules(std::shared_ptr<const JudgeOptionsSource> rules) { rules_.Set(std::move(rules)); }

  EngineStats Stats() const;
  // Batches waiting in each shard's queue (index = shard).
  std::vector<std::size_t> QueueDepths() const;
  // Every known (release, dataset), from the shards' latest snapshots.
  std::vector<ReleaseDatasetView> Releases() const;
  const EngineOptions& options() const { return options_; }

 private:
  // The next free slot of shard's filling batch; hands the batch over when it is full.
  SequencedSample& NextSlot(std::size_t shard);
  // Routes by dataset, lets fill(Sample*) write the slot, and hands a full batch over.
  template <class Fill>
  void SubmitWith(std::uint64_t seq, const std::string& dataset, Fill&& fill);
  template <class Fill>
  void SubmitToShard(std::size_t shard, std::uint64_t seq, Fill&& fill);
  void HandOver(std::size_t shard);

  EngineOptions options_;
  ShardRouter router_;
  RulesSlot rules_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // One filling batch per shard. A batch that came back from its shard still holds its old
  // samples: the first pending_size_[i] are this batch's, the rest are slots to overwrite.
  std::vector<std::unique_ptr<SampleBatch>> pending_;
  std::vector<std::size_t> pending_size_;
  std::atomic<std::uint64_t> submitted_{0};  // written by the producer, read by Stats()
  bool stopped_ = false;
};

}  // namespace canaryd
