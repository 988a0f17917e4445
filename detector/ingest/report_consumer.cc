#include "detector/ingest/report_consumer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "detector/steady_clock.h"

namespace canaryd::kafka {
namespace {

constexpr std::string_view kMetadataPrefix = "canaryd:v1:rebuild_from=";

std::string StateKey(const char* topic, std::int32_t partition) {
  return std::string(topic) + "[" + std::to_string(partition) + "]";
}

// The rebuild offset stored with a commit, or -1 when absent or not ours.
std::int64_t ParseRebuildFrom(const void* metadata, std::size_t size) {
  if (metadata == nullptr || size <= kMetadataPrefix.size()) return -1;
  const std::string_view text(static_cast<const char*>(metadata), size);
  if (text.substr(0, kMetadataPrefix.size()) != kMetadataPrefix) return -1;
  const std::string digits(text.substr(kMetadataPrefix.size()));
  char* end = nullptr;
  const long long v = std::strtoll(digits.c_str(), &end, 10);
  return (end != nullptr && *end == '\0' && v >= 0) ? v : -1;
}

}  // namespace

ReportConsumer::ReportConsumer(ReportConsumerOptions options, Engine* engine,
                               SignalPublisher* publisher)
    : options_(std::move(options)), engine_(engine), publisher_(publisher) {}

ReportConsumer::~ReportConsumer() = default;

bool ReportConsumer::Start(std::string* error) {
  Properties props = options_.properties;
  // Offsets move only at checkpoints (see the header); the rest are the settings that keep
  // rebalances quick and fetches prompt with librdkafka 2.0.
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props.emplace("group.id", "canaryd");
  props.emplace("auto.offset.reset", "earliest");
  props.emplace("fetch.wait.max.ms", "10");
  // librdkafka 2.0 stops fetching a partition once queued.min.messages of it (100000 by default)
  // wait in the local queue, and looks again only when its broker thread next wakes up, which
  // can be hundreds of milliseconds later. A consumer catching up (slower than the fetch) kept
  // stalling with every thread idle: kafka_e2e_bench went from ~175k to 215k-310k reports/s
  // with this raised. The byte bound, queued.max.messages.kbytes (64 MB by default), still caps
  // what is prefetched.
  props.emplace("queued.min.messages", "1000000");
  props.emplace("session.timeout.ms", "6000");
  props.emplace("heartbeat.interval.ms", "500");
  props.emplace("partition.assignment.strategy", "range,roundrobin");
  Conf conf = MakeConf(props, error);
  if (!conf) return false;
  rd_kafka_conf_set_rebalance_cb(conf.get(), &ReportConsumer::OnRebalance);
  rd_kafka_conf_set_opaque(conf.get(), this);
  consumer_ = MakeClient(RD_KAFKA_CONSUMER, std::move(conf), error);
  if (!consumer_) return false;
  rd_kafka_poll_set_consumer(consumer_.get());
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
  for (const std::string& t : options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("subscribe: ") + rd_kafka_err2str(err);
    return false;
  }
  return true;
}

void ReportConsumer::OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<ReportConsumer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->Assign(parts);
  } else {
    self->Revoke(parts);
  }
}

void ReportConsumer::Assign(rd_kafka_topic_partition_list_t* parts) {
  ForgetLastPartition();
  // Where the group got to, and where each partition's open releases began.
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), parts, 10'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("event=committed_fetch_failed error=\"{}\" (reading from the reset position)",
                  rd_kafka_err2str(err));
  }
  // What previous owners already published, so re-made decisions are not sent twice.
  std::string error;
  if (publisher_->LoadPublished(&error) < 0) {
    spdlog::error("event=signal_history_unreadable error=\"{}\"", error);
  }
  for (int i = 0; i < parts->cnt; ++i) {
    rd_kafka_topic_partition_t& p = parts->elems[i];
    const std::string key = StateKey(p.topic, p.partition);
    const std::int64_t group_offset = p.err == RD_KAFKA_RESP_ERR_NO_ERROR ? p.offset : -1;
    auto kept = revoked_.find(key);
    if (kept != revoked_.end() && group_offset >= 0 &&
        group_offset == kept->second.progress.committed) {
      // Ours before this rebalance and nobody moved it since: our state is whole; go on from
      // where we committed instead of rebuilding.
      PartitionState state = std::move(kept->second);
      revoked_.erase(kept);
      state.rebuild_until = group_offset;
      state.progress.next_offset = group_offset;
      p.offset = group_offset;
      spdlog::info("event=partition_assigned topic={} partition={} committed={} start={} kept=true",
                   p.topic, p.partition, group_offset, p.offset);
      partitions_[key] = std::move(state);
      continue;
    }
    PartitionState state;
    state.topic = p.topic;
    state.partition = p.partition;
    const std::int64_t committed = p.err == RD_KAFKA_RESP_ERR_NO_ERROR ? p.offset : -1;
    const std::int64_t rebuild_from = ParseRebuildFrom(p.metadata, p.metadata_size);
    if (committed >= 0) {
      state.rebuild_until = committed;
      state.progress.committed = committed;
      if (rebuild_from >= 0 && rebuild_from < committed) p.offset = rebuild_from;
      state.progress.next_offset = p.offset;
    } else {
      p.offset = RD_KAFKA_OFFSET_INVALID;  // auto.offset.reset: earliest
    }
    spdlog::info("event=partition_assigned topic={} partition={} committed={} start={}", p.topic,
                 p.partition, committed, p.offset);
    partitions_[key] = std::move(state);
  }
  ForgetRevoked();
  err = rd_kafka_assign(consumer_.get(), parts);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("event=assign_failed error=\"{}\"", rd_kafka_err2str(err));
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.rebalances;
  }
  UpdateReady();
}

void ReportConsumer::Revoke(rd_kafka_topic_partition_list_t* parts) {
  ForgetLastPartition();
  Checkpoint(/*sync=*/true);
  // Kept until the next assignment: an eager rebalance revokes everything and usually hands
  // most partitions straight back.
  for (int i = 0; i < parts->cnt; ++i) {
    const std::string key = StateKey(parts->elems[i].topic, parts->elems[i].partition);
    auto it = partitions_.find(key);
    if (it == partitions_.end()) continue;
    revoked_[key] = std::move(it->second);
    partitions_.erase(it);
  }
  rd_kafka_assign(consumer_.get(), nullptr);
  UpdateReady();
}

void ReportConsumer::PublishStats() {
  // Only this thread writes stats_, so reading it here needs no lock.
  const std::uint64_t read = messages_read_.load(std::memory_order_relaxed);
  if (read == stats_.messages && dirty_tracks_.empty()) return;
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.messages = read;
  stats_.accepted = messages_accepted_.load(std::memory_order_relaxed);
  for (DatasetTrack* track : dirty_tracks_) {
    if (track->counters == nullptr) track->counters = &stats_.datasets[*track->name];
    DatasetCounters& to = *track->counters;
    const DatasetCounters& from = track->pending;
    to.last_report_ms = std::max(to.last_report_ms, from.last_report_ms);
    for (std::size_t arm = 0; arm < 2; ++arm) {
      to.loads_with_freshness[arm] += from.loads_with_freshness[arm];
      to.loads_within_slo[arm] += from.loads_within_slo[arm];
    }
    track->pending = DatasetCounters{};
    track->dirty = false;
  }
  dirty_tracks_.clear();
}

void ReportConsumer::ForgetRevoked() {
  PublishStats();  // dirty_tracks_ points into datasets_, which is about to lose entries
  std::vector<std::string> forget;
  for (auto& [key, state] : revoked_) {
    spdlog::info("event=partition_released partition={} datasets={}", key, state.datasets.size());
    for (const auto& [dataset, seen] : state.datasets) forget.push_back(dataset);
    for (auto o = open_.begin(); o != open_.end();) {
      o = o->second.state_key == key ? open_.erase(o) : std::next(o);
    }
    ForgetOpenReleases();
  }
  revoked_.clear();
  if (forget.empty()) return;
  for (const std::string& dataset : forget) datasets_.erase(dataset);
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const std::string& dataset : forget) stats_.datasets.erase(dataset);
  }
  engine_->Forget(forget);
  engine_->Flush();
}

void ReportConsumer::ForgetOpenReleases() {
  for (auto& [name, track] : datasets_) track.open_release.clear();
}

ReportConsumer::PartitionState& ReportConsumer::StateOf(const rd_kafka_message_t* m) {
  // Messages come in runs from one partition: remember the last one's state rather than build
  // its "topic[p]" key and look it up for every message.
  if (m->rkt == last_rkt_ && m->partition == last_partition_ && last_state_ != nullptr) {
    return *last_state_;
  }
  const char* topic = rd_kafka_topic_name(m->rkt);
  const auto it = partitions_.try_emplace(StateKey(topic, m->partition)).first;
  PartitionState& state = it->second;
  if (state.topic.empty()) {
    state.topic = topic;
    state.partition = m->partition;
  }
  last_rkt_ = m->rkt;
  last_partition_ = m->partition;
  last_state_ = &state;
  last_key_ = &it->first;
  return state;
}

void ReportConsumer::ForgetLastPartition() {
  last_rkt_ = nullptr;
  last_state_ = nullptr;
  last_key_ = nullptr;
  // A PartitionState built after this may reuse a freed one's address.
  for (auto& [name, track] : datasets_) track.recorded_on = nullptr;
}

void ReportConsumer::Handle(const rd_kafka_message_t* m) {
  PartitionState& state = StateOf(m);
  const std::string& key = *last_key_;
  const char* topic = state.topic.c_str();
  PartitionProgress& progress = state.progress;
  if (progress.first_offset < 0) progress.first_offset = m->offset;
  progress.next_offset = m->offset + 1;
  ++progress.read;

  const std::string_view payload(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  // Into this thread's own Sample, then copied into a recycled batch slot on submit: no
  // allocation per report once warm. Swapping it with the slot instead saved the copy but handed
  // the decoder storage that a shard thread had last touched on the other core, so every field
  // written was a cache line fetched from there: this thread took 1.6-1.8 us per report under
  // perf against 1.0 now (bench/RESULTS.md, "Kafka end to end, session 13").
  std::optional<Rejection> rejection = decoder_.DecodeInto(payload, &sample_);
  DatasetTrack* track = nullptr;
  if (!rejection) {
    const auto [it, added] = datasets_.try_emplace(sample_.dataset);
    track = &it->second;
    if (added) {
      track->name = &it->first;
      track->shard = engine_->ShardOf(it->first);
    }
  }
  messages_read_.store(messages_read_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  if (rejection) {
    // Rare: counted at once, with what is pending.
    PublishStats();
    std::unique_lock<std::mutex> lock(stats_mu_);
    const Rejection& r = *rejection;
    const std::string_view reason = RejectReasonName(r.reason);
    ++stats_.rejected;
    ++progress.rejected;
    ++stats_.rejected_by_reason[std::string(reason)];
    const std::uint64_t rejected = stats_.rejected;
    lock.unlock();
    if (rejected <= static_cast<std::uint64_t>(options_.max_logged_rejects)) {
      spdlog::warn("event=reject topic={} partition={} offset={} reason={} detail=\"{}\"", topic,
                   m->partition, m->offset, reason, r.detail);
    }
    const std::string_view msg_key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    publisher_->DeadLetter(payload, msg_key, reason, topic, m->partition, m->offset);
    return;
  }
  messages_accepted_.store(messages_accepted_.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  const Sample& sample = sample_;
  DatasetCounters& counters = track->pending;
  counters.last_report_ms = std::max(counters.last_report_ms, sample.ts_ms);
  if (sample.freshness_s.has_value()) {
    const auto arm = static_cast<std::size_t>(sample.arm);
    ++counters.loads_with_freshness[arm];
    if (*sample.freshness_s <= options_.freshness_slo_s) ++counters.loads_within_slo[arm];
  }
  if (!track->dirty) {
    track->dirty = true;
    dirty_tracks_.push_back(track);
  }
  if (track->recorded_on != &state) {
    state.datasets.try_emplace(sample.dataset, true);  // no node built when already there
    track->recorded_on = &state;
  }
  newest_ts_ms_ = std::max(newest_ts_ms_, sample.ts_ms);
  if (sample.ts_ms >= track->next_mark_ms) {
    std::deque<HistoryMark>& marks = track->marks;
    marks.push_back({sample.ts_ms, m->offset});
    track->next_mark_ms = sample.ts_ms + kMarkEveryMs;
    const std::int64_t keep = options_.max_rebuild_span_ms + options_.rebuild_history_ms;
    while (marks.size() > 1 && sample.ts_ms - marks.front().ts_ms > keep) marks.pop_front();
  }
  if (sample.arm == Arm::kCanary && track->open_release != sample.release) {
    if (open_.find(ReleaseRef{sample.dataset, sample.release}) == open_.end()) {
      open_.try_emplace({sample.dataset, sample.release},
                        OpenRelease{key, m->offset, sample.ts_ms});
    }
    track->open_release = sample.release;
  }
  engine_->SubmitTo(track->shard, ++seq_, sample_);
}

std::int64_t ReportConsumer::RebuildFrom(const std::string& state_key, std::int64_t next_offset,
                                         std::int64_t newest_ts_ms) const {
  std::int64_t from = next_offset;
  for (const auto& [id, open] : open_) {
    if (open.state_key != state_key) continue;
    if (newest_ts_ms - open.first_ts_ms > options_.max_rebuild_span_ms) continue;
    from = std::min(from, open.first_offset);
    // The dataset's history before the release: the last mark far enough back, else the first.
    auto h = datasets_.find(id.first);
    if (h == datasets_.end() || h->second.marks.empty()) continue;
    std::int64_t mark_offset = h->second.marks.front().offset;
    for (const HistoryMark& mark : h->second.marks) {
      if (mark.ts_ms > open.first_ts_ms - options_.rebuild_history_ms) break;
      mark_offset = mark.offset;
    }
    from = std::min(from, mark_offset);
  }
  return from;
}

bool ReportConsumer::Checkpoint(bool sync) {
  PublishStats();
  engine_->Flush();
  if (!publisher_->Drain(sync ? 10'000 : 2'000)) {
    spdlog::warn(
        "event=checkpoint_deferred reason=\"decisions or dead letters not delivered yet\"");
    return false;
  }
  // Releases still open after everything read so far was applied.
  std::set<std::pair<std::string, std::string>> open_now;
  for (const ReleaseDatasetView& v : engine_->Releases()) {
    if (v.decision == Decision::kContinue) open_now.emplace(v.dataset, v.release);
  }
  for (auto it = open_.begin(); it != open_.end();) {
    it = open_now.count(it->first) ? std::next(it) : open_.erase(it);
  }
  ForgetOpenReleases();

  PartitionList commit(rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (auto& [key, state] : partitions_) {
    PartitionProgress& progress = state.progress;
    if (progress.next_offset < 0) continue;
    rd_kafka_topic_partition_t* p =
        rd_kafka_topic_partition_list_add(commit.get(), state.topic.c_str(), state.partition);
    p->offset = progress.next_offset;
    const std::string metadata =
        std::string(kMetadataPrefix) +
        std::to_string(RebuildFrom(key, progress.next_offset, newest_ts_ms_));
    p->metadata = std::malloc(metadata.size());  // freed by the list
    std::memcpy(p->metadata, metadata.data(), metadata.size());
    p->metadata_size = metadata.size();
  }
  if (commit->cnt > 0) {
    for (int i = 0; i < commit->cnt; ++i) {
      spdlog::debug("event=checkpoint topic={} partition={} offset={} metadata={}",
                    commit->elems[i].topic, commit->elems[i].partition, commit->elems[i].offset,
                    std::string_view(static_cast<const char*>(commit->elems[i].metadata),
                                     commit->elems[i].metadata_size));
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), commit.get(), sync ? 0 : 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      spdlog::warn("event=commit_failed error=\"{}\"", rd_kafka_err2str(err));
    } else {
      for (int i = 0; i < commit->cnt; ++i) {
        auto it = partitions_.find(StateKey(commit->elems[i].topic, commit->elems[i].partition));
        if (it != partitions_.end()) it->second.progress.committed = commit->elems[i].offset;
      }
    }
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.checkpoints;
  stats_.partitions.clear();
  for (auto& [key, state] : partitions_) {
    std::int64_t low = 0;
    std::int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), state.topic.c_str(), state.partition, &low,
                                       &high) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      state.progress.high_watermark = high;
      state.progress.low_watermark = low;
    }
    stats_.partitions[key] = state.progress;
  }
  return true;
}

void ReportConsumer::UpdateReady() {
  bool ready = true;
  for (const auto& [key, state] : partitions_) {
    if (state.rebuild_until >= 0 && state.progress.next_offset < state.rebuild_until) ready = false;
  }
  ready_.store(ready);
}

void ReportConsumer::Run(const std::atomic<bool>* stop) {
  std::int64_t next_checkpoint = SteadyMs() + options_.checkpoint_interval_ms;
  int logged_errors = 0;
  std::uint32_t since_clock = 0;
  while (!stop->load()) {
    // A waiting poll reads the clock for its deadline; while messages are queued, one that does
    // not wait finds the next without it.
    Message m(rd_kafka_consumer_poll(consumer_.get(), 0));
    if (!m) m.reset(rd_kafka_consumer_poll(consumer_.get(), 20));
    const bool idle = !m;
    if (m) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Handle(m.get());
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && logged_errors++ < 100) {
        spdlog::warn("event=consumer_error error=\"{}\"", rd_kafka_message_errstr(m.get()));
      }
    } else {
      // Nothing more to read right now: what was read goes to the shards at once rather than
      // waiting for a full batch or the next checkpoint (decision latency on quiet topics).
      engine_->Handover();
    }
    // Reading the clock for every message cost ~5% of this thread at full speed; every 64th
    // message, or when idle, is often enough for a checkpoint interval of seconds. The counters
    // go to stats_ as often.
    if (!idle && ++since_clock < kMessagesPerClockRead) continue;
    since_clock = 0;
    PublishStats();
    const std::int64_t now = SteadyMs();
    if (now >= next_checkpoint) {
      Checkpoint(/*sync=*/false);
      UpdateReady();
      next_checkpoint = now + options_.checkpoint_interval_ms;
    }
  }
  // Drain: everything read is applied and delivered before the final, synchronous commit.
  for (int attempt = 0; attempt < 3 && !Checkpoint(/*sync=*/true); ++attempt) {
  }
  rd_kafka_consumer_close(consumer_.get());
}

ConsumerStats ReportConsumer::Stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace canaryd::kafka
