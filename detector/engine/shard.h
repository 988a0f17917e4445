// One writer thread that owns a disjoint set of datasets (design §3): reports arrive in batches
// through a single-producer single-consumer lock-free queue; readers get immutable snapshots and
// never block the writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/sample.h"

namespace canaryd {

struct SequencedSample {
  std::uint64_t seq = 0;  // position in the input; orders output deterministically
  Sample sample;
  // Instead of a report: drop everything known about sample.dataset (its partition moved to
  // another instance). Travels in the batch so it is ordered with the reports before it.
  bool forget = false;
};
using SampleBatch = std::vector<SequencedSample>;

struct DecisionEvent {
  std::uint64_t seq = 0;  // the report that made the decision
  ReleaseDatasetView view;
};

// Receives decisions from shard threads. Decisions are rare (at most two per release), so an
// implementation may lock.
class DecisionSink {
 public:
  virtual ~DecisionSink() = default;
  virtual void OnDecision(DecisionEvent event) = 0;
};

// Told how long each batch took to apply (the evaluation-time histogram of /metrics). Called on
// the shard threads; must be cheap and thread-safe.
class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  virtual void OnBatchApplied(int shard, std::size_t reports, std::int64_t nanoseconds) = 0;
};

struct ShardCounters {
  std::atomic<std::uint64_t> applied{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> too_old{0};
  std::atomic<std::uint64_t> after_decision{0};
  std::atomic<std::uint64_t> future_ts{0};
};

struct ShardSnapshot {
  std::uint64_t batches_applied = 0;
  // Each dataset's views (datasets without releases left out). A dataset without new reports
  // shares its entry with the previous snapshot instead of being viewed again.
  std::vector<std::shared_ptr<const std::vector<ReleaseDatasetView>>> datasets;
};

// The current rules, shared by the shards; swapped whole on reload.
class RulesSlot {
 public:
  explicit RulesSlot(std::shared_ptr<const JudgeOptionsSource> rules) : rules_(std::move(rules)) {}
  std::shared_ptr<const JudgeOptionsSource> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rules_;
  }
  void Set(std::shared_ptr<const JudgeOptionsSource> rules) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.swap(rules);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const JudgeOptionsSource> rules_;
};

class Shard {
 public:
  Shard(int id, const EngineOptions* options, DecisionSink* sink, ApplyObserver* observer = nullptr,
        const RulesSlot* rules = nullptr);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  void Start();
  void Stop();  // drains what was pushed, then joins

  // Producer side (one thread). Waits while the queue is full. Takes ownership.
  void Push(std::unique_ptr<SampleBatch> batch);
  // Producer side: a batch this shard has applied, samples still in it (their strings keep
  // their storage for the next samples), or null. Saves the producer allocating every batch
  // and every sample's strings, and the shard freeing them.
  std::unique_ptr<SampleBatch> TakeRecycled();
  // Waits until every pushed batch has been applied and a fresh snapshot is published.
  void WaitIdle();

  std::shared_ptr<const ShardSnapshot> snapshot() const {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    return snapshot_;
  }
  const ShardCounters& counters() const { return counters_; }
  std::size_t queue_depth() const { return queue_.read_available(); }

 private:
  void Run();
  void Apply(SampleBatch& batch);
  // Views every dataset that had reports since it was last viewed (all: true), or only those in
  // decided_datasets_, the others as last viewed (all: false: a decision is shown at once without
  // viewing every dataset again; the rest follow within snapshot_interval_ms).
  void Publish(bool all);

  int id_;
  const EngineOptions* options_;
  DecisionSink* sink_;
  ApplyObserver* observer_;
  const RulesSlot* rules_;
  boost::lockfree::spsc_queue<SampleBatch*> queue_;
  boost::lockfree::spsc_queue<SampleBatch*> recycled_;  // applied batches, back to the producer
  std::uint64_t submitted_ = 0;                         // producer thread only
  std::atomic<std::uint64_t> pushed_{0};                // wakes the writer
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<bool> stopping_{false};
  // Readers copy the pointer under a lock held for nothing else; the writer builds the snapshot
  // outside it, so neither waits on the other's work. (libstdc++ 12's atomic<shared_ptr> is not
  // race-free under TSan.)
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const ShardSnapshot> snapshot_;
  ShardCounters counters_;
  std::thread thread_;

  // Writer-thread state.
  std::unordered_map<std::string, std::unique_ptr<DatasetMonitor>> datasets_;
  std::int64_t last_publish_ns_ = 0;  // of the last Publish(all = true)
  std::vector<ReleaseDatasetView> decided_;
  std::vector<const DatasetMonitor*> decided_datasets_;  // since the last Publish
};

}  // namespace canaryd
