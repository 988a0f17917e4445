// The ingest loop (design §3): a librdkafka high-level consumer in a group feeding the engine.
//
// At-least-once with exactly-once effect: offsets are committed only at a checkpoint, after the
// engine has applied every report before them and the publisher has delivered every decision and
// dead letter they caused; a redelivered report is then a duplicate (dataset, arm, load_id) and
// counts once.
//
// Rebuild on assignment: each commit carries, in the offset's metadata, the offset from which the
// partition's open releases can be rebuilt ("rebuild_from"): where the oldest open release began,
// less `rebuild_history_ms` of the dataset's reports before it (the baseline history its scale and
// clipping bounds were learnt from). An instance that gains a partition (a rebalance, or a
// restart) starts reading there, so it rebuilds the same state the previous owner had; decisions
// it re-makes are recognised on the signal topic and not sent twice. Datasets of a revoked
// partition are dropped from the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detector/engine/engine.h"
#include "detector/ingest/kafka_client.h"
#include "detector/ingest/signal_publisher.h"
#include "detector/sample_decoder.h"

namespace canaryd::kafka {

struct ReportConsumerOptions {
  Properties properties;  // bootstrap.servers, group.id and any pass-through properties
  std::vector<std::string> topics;
  int checkpoint_interval_ms = 1000;  // how often applied offsets are committed
  int max_logged_rejects = 100;
  double freshness_slo_s = 900.0;  // a load "lands on time" within this (the 15-minute promise)
  // Open releases older than this (report time) stop holding back rebuild_from: a release that
  // never decides must not make every rebuild re-read the topic from its beginning.
  std::int64_t max_rebuild_span_ms = 24LL * 3600 * 1000;
  // Baseline history re-read before an open release's start (report time).
  std::int64_t rebuild_history_ms = 6LL * 3600 * 1000;
};

// Per partition, for reconciliation: every offset read was accepted (then applied, deduplicated
// or dropped by the engine) or rejected (then dead-lettered when a topic is configured).
struct PartitionProgress {
  std::int64_t first_offset = -1;  // first offset read by this instance (after rebuild seek)
  std::int64_t next_offset = -1;   // one past the last offset read
  std::int64_t committed = -1;     // last committed (one past the last applied)
  std::int64_t high_watermark = -1;
  std::int64_t low_watermark = -1;
  std::uint64_t read = 0;
  std::uint64_t rejected = 0;
};

// Per dataset, whether or not a release runs on it: the newest report and the freshness SLO
// counters (loads that reported freshness_s, and those within freshness_slo_s), per arm.
struct DatasetCounters {
  std::int64_t last_report_ms = 0;
  std::uint64_t loads_with_freshness[2] = {0, 0};  // index = Arm
  std::uint64_t loads_within_slo[2] = {0, 0};
};

// The two counters a progress check needs, readable without copying ConsumerStats.
struct ConsumerProgress {
  std::uint64_t messages = 0;
  std::uint64_t accepted = 0;
};

struct ConsumerStats {
  std::uint64_t messages = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::uint64_t checkpoints = 0;
  std::uint64_t rebalances = 0;
  std::map<std::string, PartitionProgress> partitions;  // "topic[p]"
  std::map<std::string, DatasetCounters> datasets;
};

class ReportConsumer {
 public:
  ReportConsumer(ReportConsumerOptions options, Engine* engine, SignalPublisher* publisher);
  ~ReportConsumer();
  ReportConsumer(const ReportConsumer&) = delete;
  ReportConsumer& operator=(const ReportConsumer&) = delete;

  bool Start(std::string* error);
  // Polls until *stop is set, then drains: applies what was read, commits, leaves the group.
  void Run(const std::atomic<bool>* stop);

  ConsumerStats Stats() const;
  // Lock-free: for polling while the consumer runs at full speed (Stats() copies every dataset's
  // counters under the lock the consumer takes for each message).
  ConsumerProgress Progress() const {
    return {messages_read_.load(std::memory_order_relaxed),
            messages_accepted_.load(std::memory_order_relaxed)};
  }
  // True once every assigned partition has been read up to the offset committed before it was
  // assigned (the rebuild is done and decisions are live).
  bool Ready() const { return ready_.load(); }

 private:
  struct PartitionState {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t rebuild_until = -1;  // committed offset at assignment
    PartitionProgress progress;
    std::unordered_map<std::string, bool> datasets;  // seen on this partition
  };
  struct OpenRelease {
    std::string state_key;  // "topic[p]"
    std::int64_t first_offset = 0;
    std::int64_t first_ts_ms = 0;
  };
  // Where a dataset's reports were, sampled every kMarkEveryMs of report time (bounded).
  struct HistoryMark {
    std::int64_t ts_ms = 0;
    std::int64_t offset = 0;
  };
  static constexpr std::int64_t kMarkEveryMs = 10 * 60 * 1000;
  static constexpr std::uint32_t kMessagesPerClockRead = 64;

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque);
  void Assign(rd_kafka_topic_partition_list_t* parts);
  void Revoke(rd_kafka_topic_partition_list_t* parts);
  // Clears every track's open_release (open_ is losing entries).
  void ForgetOpenReleases();
  // Drops the state of revoked partitions that the last assignment did not give back.
  void ForgetRevoked();
  void Handle(const rd_kafka_message_t* m);
  // The state of m's partition (created on first sight); sets last_key_ to its "topic[p]" key.
  PartitionState& StateOf(const rd_kafka_message_t* m);
  // Drops the cached partition of the last message, and the tracks' recorded_on (partitions_ is
  // about to change).
  void ForgetLastPartition();
  // Applies, delivers and commits. Returns false if something was not yet delivered (the commit
  // waits for the next checkpoint).
  bool Checkpoint(bool sync);
  std::int64_t RebuildFrom(const std::string& state_key, std::int64_t next_offset,
                           std::int64_t newest_ts_ms) const;
  void UpdateReady();

  ReportConsumerOptions options_;
  Engine* engine_;
  SignalPublisher* publisher_;
  kafka::Handle consumer_;
  SampleDecoder decoder_;
  Sample sample_;  // the report being handled; its storage is reused for the next (see Handle)
  // The partition of the last message handled (see StateOf).
  const rd_kafka_topic_t* last_rkt_ = nullptr;
  std::int32_t last_partition_ = -1;
  PartitionState* last_state_ = nullptr;
  const std::string* last_key_ = nullptr;
  std::uint64_t seq_ = 0;
  std::int64_t newest_ts_ms_ = 0;
  std::map<std::string, PartitionState> partitions_;  // "topic[p]" -> state
  std::map<std::string, PartitionState> revoked_;     // until the next assignment
  // (dataset, release) without copying either, for looking open_ up.
  struct ReleaseRef {
    std::string_view dataset;
    std::string_view release;
  };
  struct ReleaseLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      // The order of std::pair<std::string, std::string>'s operator<.
      if (Dataset(a) != Dataset(b)) return Dataset(a) < Dataset(b);
      return Release(a) < Release(b);
    }
    static std::string_view Dataset(const std::pair<std::string, std::string>& k) {
      return k.first;
    }
    static std::string_view Dataset(const ReleaseRef& k) { return k.dataset; }
    static std::string_view Release(const std::pair<std::string, std::string>& k) {
      return k.second;
    }
    static std::string_view Release(const ReleaseRef& k) { return k.release; }
  };
  // (dataset, release) -> where the release's first report was; pruned at checkpoints.
  std::map<std::pair<std::string, std::string>, OpenRelease, ReleaseLess> open_;
  // What Handle keeps per dataset, found with one lookup per message. `counters` is the
  // dataset's node in stats_.datasets (written under stats_mu_); both go in ForgetRevoked.
  struct DatasetTrack {
    const std::string* name = nullptr;    // the map key (node keys do not move)
    DatasetCounters* counters = nullptr;  // null until the first PublishStats after it was seen
    DatasetCounters pending;              // not yet added to *counters
    bool dirty = false;                   // in dirty_tracks_
    int shard = 0;                        // Engine::ShardOf(*name)
    // The partition this dataset was last recorded on (PartitionState::datasets), so the record
    // is not looked up again for every report.
    const PartitionState* recorded_on = nullptr;
    std::deque<HistoryMark> marks;
    // When the next mark is due: marks.back().ts_ms + kMarkEveryMs, kept here so that a report
    // reads the deque only when it adds one (its last element was a cache miss per report).
    std::int64_t next_mark_ms = std::numeric_limits<std::int64_t>::min();
    // A release of this dataset that open_ holds (empty: none known), so a canary report of it
    // does not look open_ up again; cleared whenever open_ loses entries.
    std::string open_release;
  };
  std::unordered_map<std::string, DatasetTrack> datasets_;
  // Reports are counted in messages_read_/messages_accepted_ and the tracks' pending counters
  // first, and copied to stats_ under its lock every kMessagesPerClockRead messages, when a poll
  // comes back empty, and before the datasets change or a checkpoint: taking the lock for every
  // message cost ~7% of the consumer thread.
  void PublishStats();
  std::vector<DatasetTrack*> dirty_tracks_;
  std::atomic<bool> ready_{false};

  // Every message read and accepted so far (stats_ has them as of the last PublishStats);
  // written by the consumer thread only, read lock-free by Progress().
  std::atomic<std::uint64_t> messages_read_{0};
  std::atomic<std::uint64_t> messages_accepted_{0};
  mutable std::mutex stats_mu_;
  ConsumerStats stats_;
};

}  // namespace canaryd::kafka
