// What canaryd does on a decision besides publishing it: call an HTTP webhook and/or run a
// command (design §5 "webhooks / actions"; issue 6). Deliveries run on a thread of their own so
// a slow receiver never holds a shard; every attempt and result goes to the audit log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "detector/http/actions/audit_log.h"
#include "detector/judge/verdict.h"

namespace canaryd {

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};  // doubled after each failed attempt
  std::chrono::milliseconds max_backoff{30'000};
};

// POSTs the decision as JSON. Headers: Content-Type: application/json, Idempotency-Key,
// X-Canaryd-Event: decision, X-Canaryd-Attempt, and with a secret
// X-Canaryd-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>.
// 2xx is success; 408, 429, 5xx and transport errors are retried; other statuses are final.
struct WebhookAction {
  std::string url;     // http:// only (see http_client.h)
  std::string secret;  // empty = unsigned
  std::chrono::milliseconds timeout{5'000};
};

// Runs argv directly (no shell) with the decision in environment variables (CANARYD_RELEASE,
// CANARYD_DATASET, CANARYD_DECISION, CANARYD_RELEASE_DECISION, CANARYD_REASON,
// CANARYD_DECIDING_CHECK, CANARYD_DECIDED_AT, CANARYD_IDEMPOTENCY_KEY, CANARYD_EVENT_JSON), stdin
// from /dev/null and stdout to canaryd's stderr. Exit 0 is success; anything else is retried. A
// command still running at the timeout is killed (its whole process group).
struct CommandAction {
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{30'000};
};

struct ActionConfig {
  std::string name;  // names the action in the audit log
  std::set<Decision> on = {Decision::kRollback};
  RetryPolicy retry;
  // Exactly one of the two kinds is used: a webhook when url is set, else the command.
  WebhookAction webhook;
  CommandAction command;
};

struct ActionEvent {
  ReleaseDatasetView view;      // the (release, dataset) just decided
  Decision release_decision{};  // the whole release's decision at that moment
};

// The body a webhook receives and CANARYD_EVENT_JSON holds; schema in detector/http/README.md.
nlohmann::ordered_json ActionEventJson(const ActionEvent& event, std::string_view idempotency_key);
// Stable across retries and restarts (the engine re-emits decisions when it rebuilds), so a
// receiver can drop repeats: "release|dataset|decision", the signal topic's key too.
std::string IdempotencyKey(const ReleaseDatasetView& view);
// Lowercase hex HMAC-SHA256.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

class ActionDispatcher {
 public:
  // audit may be null (no audit log). Starts the delivery thread.
  ActionDispatcher(std::vector<ActionConfig> actions, AuditLog* audit);
  ~ActionDispatcher();  // Stop()
  ActionDispatcher(const ActionDispatcher&) = delete;
  ActionDispatcher& operator=(const ActionDispatcher&) = delete;

  // Queues the event for every action configured for its decision. Never blocks on delivery;
  // safe from any thread (e.g. a DecisionSink called by shard threads). An (action, idempotency
  // key) already delivered or queued is skipped, so re-emitted decisions are not re-sent.
  void Submit(ActionEvent event);
  // Waits until everything submitted so far was delivered or given up (tests, shutdown).
  void Drain();
  // Stops retrying: queued deliveries get one last attempt each, then the thread ends. Call from
  // one thread.
  void Stop();

  std::uint64_t failed() const;     // deliveries that gave up (HealthStats::actions_failed)
  std::uint64_t delivered() const;  // deliveries that succeeded

 private:
  struct Job {
    std::size_t action = 0;
    ActionEvent event;
    std::string key;
  };
  void Run();
  void Deliver(const Job& job);
  // One attempt: true on success; *retryable says whether another attempt could help.
  bool Attempt(const ActionConfig& a, const Job& job, const std::string& body, int attempt,
               bool* retryable, nlohmann::ordered_json* audit_fields);

  std::vector<ActionConfig> actions_;
  AuditLog* audit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::set<std::pair<std::size_t, std::string>> seen_;
  bool stopping_ = false;
  std::size_t in_flight_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t delivered_ = 0;
  std::thread thread_;
};

}  // namespace canaryd
