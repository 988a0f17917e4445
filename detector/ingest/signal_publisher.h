// Tells the world (design §3): decision messages on the signal topic, keyed by release, through
// an idempotent producer; rejected reports on the dead-letter topic with their reason. A decision
// is published once across instances and restarts: the topic itself remembers which idempotency
// keys were delivered, and is re-read on start and on every partition assignment.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "detector/ingest/kafka_client.h"
#include "detector/judge/verdict.h"

namespace canaryd::kafka {

struct SignalPublisherOptions {
  Properties properties;          // bootstrap.servers and any pass-through client properties
  std::string signal_topic;       // empty: decisions are not published to Kafka
  std::string dead_letter_topic;  // empty: rejects are only counted and logged
  int retry_backoff_ms = 200;     // first retry after a failed delivery; doubles up to 10 s
  int load_timeout_ms = 5000;     // reading the signal topic's history
};

struct PublisherStats {
  std::uint64_t published = 0;          // signal messages delivered
  std::uint64_t already_published = 0;  // skipped: the key was on the topic already
  std::uint64_t delivery_failures = 0;  // attempts that failed and were retried
  std::uint64_t dead_lettered = 0;
  std::uint64_t dead_letter_failures = 0;
  std::uint64_t pending = 0;  // decisions not yet delivered
};

class SignalPublisher {
 public:
  explicit SignalPublisher(SignalPublisherOptions options);
  ~SignalPublisher();
  SignalPublisher(const SignalPublisher&) = delete;
  SignalPublisher& operator=(const SignalPublisher&) = delete;

  bool Start(std::string* error);
  void Stop();  // waits (bounded) for pending deliveries

  // Re-reads the signal topic and remembers every idempotency key on it. Returns the number of
  // keys known afterwards, or -1 with *error.
  long LoadPublished(std::string* error);

  // Queues a decision; returns false if its key is already published (nothing is sent). Thread
  // safe; called from the engine's shard threads.
  bool Publish(const ReleaseDatasetView& view);

  // Queues a rejected report for the dead-letter topic (a no-op when none is configured).
  void DeadLetter(std::string_view payload, std::string_view key, std::string_view reason,
                  const std::string& source_topic, std::int32_t partition, std::int64_t offset);

  // Waits until every queued decision and dead letter is delivered, up to timeout. True if so:
  // only then may the consumer commit the offsets that caused them.
  bool Drain(int timeout_ms);

  PublisherStats Stats() const;
  bool has_signal_topic() const { return !options_.signal_topic.empty(); }

 private:
  struct Pending {
    std::string key;
    std::string release;
    std::string body;
    int attempts = 0;
    std::int64_t next_attempt_ms = 0;
  };
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  void Loop();
  void ProduceSignal(Pending* p);

  SignalPublisherOptions options_;
  Handle producer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> published_;  // idempotency keys known delivered
  std::set<std::string> in_flight_;  // keys queued or being delivered
  std::deque<Pending> retry_;        // failed deliveries waiting for their backoff
  std::uint64_t outstanding_ = 0;    // produce calls without a delivery report yet
  PublisherStats stats_;
};

}  // namespace canaryd::kafka
