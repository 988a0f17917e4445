#include "detector/ingest/signal_publisher.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "detector/signal/decision_message.h"
#include "detector/steady_clock.h"

namespace canaryd::kafka {
namespace {

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kKeyHeader = "canaryd-idempotency-key";

// What a produce call carries so its delivery report can find its way back.
struct DeliveryTag {
  bool signal = false;
  std::string key;      // signal: the idempotency key
  std::string release;  // signal
  std::string body;     // signal: re-sent on failure
  int attempts = 0;
};

}  // namespace

SignalPublisher::SignalPublisher(SignalPublisherOptions options) : options_(std::move(options)) {}

SignalPublisher::~SignalPublisher() { Stop(); }

bool SignalPublisher::Start(std::string* error) {
  if (options_.signal_topic.empty() && options_.dead_letter_topic.empty()) return true;
  Properties props = options_.properties;
  // Idempotent producer: a retried send never duplicates a message on the topic.
  props["enable.idempotence"] = "true";
  props.emplace("linger.ms", "2");
  props.emplace("message.timeout.ms", "30000");
  Conf conf = MakeConf(props, error);
  if (!conf) return false;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &SignalPublisher::OnDelivery);
  rd_kafka_conf_set_opaque(conf.get(), this);
  producer_ = MakeClient(RD_KAFKA_PRODUCER, std::move(conf), error);
  if (!producer_) return false;
  // Learn the topics' leaders now, so the first decision is not delayed by a metadata round
  // trip (measured: ~1 s for the first signals without this). Failure here is not fatal.
  for (const std::string* topic : {&options_.signal_topic, &options_.dead_letter_topic}) {
    if (topic->empty()) continue;
    std::vector<PartitionRange> ranges;
    std::string ignored;
    TopicRanges(producer_.get(), *topic, 2000, &ranges, &ignored);
  }
  thread_ = std::thread([this] { Loop(); });
  return true;
}

void SignalPublisher::Stop() {
  if (!thread_.joinable()) return;
  Drain(10'000);
  stopping_.store(true);
  cv_.notify_all();
  thread_.join();
  producer_.reset();
}

long SignalPublisher::LoadPublished(std::string* error) {
  if (options_.signal_topic.empty()) return 0;
  Properties props = options_.properties;
  props["enable.auto.commit"] = "false";
  props["group.id"] = "canaryd-signal-reader";  // required by the API; no offsets are committed
  props["enable.partition.eof"] = "true";
  props.emplace("fetch.wait.max.ms", "10");
  Conf conf = MakeConf(props, error);
  if (!conf) return -1;
  Handle reader = MakeClient(RD_KAFKA_CONSUMER, std::move(conf), error);
  if (!reader) return -1;
  std::vector<PartitionRange> ranges;
  if (!TopicRanges(reader.get(), options_.signal_topic, options_.load_timeout_ms, &ranges, error)) {
    return -1;
  }
  PartitionList assign(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
  std::size_t remaining = 0;
  for (const PartitionRange& r : ranges) {
    if (r.high <= r.low) continue;
    rd_kafka_topic_partition_list_add(assign.get(), options_.signal_topic.c_str(), r.partition)
        ->offset = r.low;
    ++remaining;
  }
  std::set<std::string> keys;
  if (remaining > 0) {
    rd_kafka_assign(reader.get(), assign.get());
    const std::int64_t deadline = SteadyMs() + options_.load_timeout_ms;
    while (remaining > 0 && SteadyMs() < deadline) {
      Message m(rd_kafka_consumer_poll(reader.get(), 50));
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        --remaining;
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      rd_kafka_headers_t* headers = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, kKeyHeader, &value, &size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        keys.emplace(static_cast<const char*>(value), size);
      }
    }
    rd_kafka_consumer_close(reader.get());
    if (remaining > 0) {
      *error = "timed out reading the signal topic '" + options_.signal_topic + "'";
      return -1;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  published_.insert(keys.begin(), keys.end());
  return static_cast<long>(published_.size());
}

bool SignalPublisher::Publish(const ReleaseDatasetView& view) {
  if (options_.signal_topic.empty()) return true;
  Pending p;
  p.key = DecisionIdempotencyKey(view);
  p.release = view.release;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (published_.count(p.key) != 0 || in_flight_.count(p.key) != 0) {
      ++stats_.already_published;
      spdlog::info("event=signal_skipped key={} (already on the signal topic)", p.key);
      return false;
    }
    in_flight_.insert(p.key);
  }
  p.body = SignalMessage(view, WallMs()).dump();
  ProduceSignal(&p);
  return true;
}

void SignalPublisher::ProduceSignal(Pending* p) {
  auto* tag = new DeliveryTag{true, p->key, p->release, p->body, p->attempts + 1};
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++outstanding_;
  }
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(options_.signal_topic.c_str()),
      RD_KAFKA_V_KEY(p->release.data(), p->release.size()),
      RD_KAFKA_V_VALUE(p->body.data(), p->body.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER(kKeyHeader, p->key.data(), static_cast<ssize_t>(p->key.size())),
      RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Queue full or similar: no delivery report will come, so retry from our own queue.
    spdlog::warn("event=signal_produce_failed key={} error=\"{}\"", p->key, rd_kafka_err2str(err));
    std::lock_guard<std::mutex> lock(mu_);
    --outstanding_;
    ++stats_.delivery_failures;
    Pending again = std::move(*p);
    again.attempts = tag->attempts;
    again.next_attempt_ms =
        SteadyMs() + std::min(10'000, options_.retry_backoff_ms << std::min(again.attempts, 6));
    retry_.push_back(std::move(again));
    delete tag;
    cv_.notify_all();
  }
}

void SignalPublisher::DeadLetter(std::string_view payload, std::string_view key,
                                 std::string_view reason, const std::string& source_topic,
                                 std::int32_t partition, std::int64_t offset) {
  if (options_.dead_letter_topic.empty() || !producer_) return;
  const std::string part = std::to_string(partition);
  const std::string off = std::to_string(offset);
  auto* tag = new DeliveryTag{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++outstanding_;
  }
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(options_.dead_letter_topic.c_str()),
      RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER("canaryd-reject-reason", reason.data(),
                        static_cast<ssize_t>(reason.size())),
      RD_KAFKA_V_HEADER("canaryd-source-topic", source_topic.data(),
                        static_cast<ssize_t>(source_topic.size())),
      RD_KAFKA_V_HEADER("canaryd-source-partition", part.data(), static_cast<ssize_t>(part.size())),
      RD_KAFKA_V_HEADER("canaryd-source-offset", off.data(), static_cast<ssize_t>(off.size())),
      RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("event=dead_letter_failed partition={} offset={} error=\"{}\"", partition, offset,
                  rd_kafka_err2str(err));
    std::lock_guard<std::mutex> lock(mu_);
    --outstanding_;
    ++stats_.dead_letter_failures;
    delete tag;
    cv_.notify_all();
  }
}

void SignalPublisher::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<SignalPublisher*>(opaque);
  auto* tag = static_cast<DeliveryTag*>(const_cast<void*>(static_cast<const void*>(m->_private)));
  std::lock_guard<std::mutex> lock(self->mu_);
  --self->outstanding_;
  if (!tag->signal) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++self->stats_.dead_lettered;
    } else {
      ++self->stats_.dead_letter_failures;
      spdlog::error("event=dead_letter_failed error=\"{}\"", rd_kafka_err2str(m->err));
    }
  } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->stats_.published;
    self->in_flight_.erase(tag->key);
    self->published_.insert(tag->key);
    spdlog::info("event=signal_delivered key={} topic={} partition={} offset={}", tag->key,
                 self->options_.signal_topic, m->partition, m->offset);
  } else {
    ++self->stats_.delivery_failures;
    Pending again{tag->key, tag->release, tag->body, tag->attempts, 0};
    const int backoff =
        std::min(10'000, self->options_.retry_backoff_ms << std::min(tag->attempts - 1, 6));
    again.next_attempt_ms = SteadyMs() + backoff;
    spdlog::warn("event=signal_delivery_failed key={} attempt={} retry_in_ms={} error=\"{}\"",
                 tag->key, tag->attempts, backoff, rd_kafka_err2str(m->err));
    self->retry_.push_back(std::move(again));
  }
  delete tag;
  self->cv_.notify_all();
}

void SignalPublisher::Loop() {
  while (!stopping_.load()) {
    rd_kafka_poll(producer_.get(), 20);  // serves delivery reports
    std::vector<Pending> due;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::int64_t now = SteadyMs();
      for (auto it = retry_.begin(); it != retry_.end();) {
        if (it->next_attempt_ms <= now) {
          due.push_back(std::move(*it));
          it = retry_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (Pending& p : due) ProduceSignal(&p);
  }
  rd_kafka_flush(producer_.get(), 5000);
  rd_kafka_poll(producer_.get(), 0);
}

bool SignalPublisher::Drain(int timeout_ms) {
  if (!producer_) return true;
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return outstanding_ == 0 && retry_.empty(); });
}

PublisherStats SignalPublisher::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PublisherStats s = stats_;
  s.pending = in_flight_.size();
  return s;
}

}  // namespace canaryd::kafka
