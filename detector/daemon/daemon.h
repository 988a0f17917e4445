// `canaryd run`: the long-running shape users deploy (design §3, §5). Wires the rooms together:
// embedded broker (when no brokers are configured) -> report consumer -> engine -> decisions to
// stdout and the signal topic. One object, owned by main() or by `canaryd demo`.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detector/daemon/daemon_config.h"
#include "detector/engine/engine.h"
#include "detector/http/actions/actions.h"
#include "detector/http/actions/audit_log.h"
#include "detector/http/http_server.h"
#include "detector/http/verdict_source.h"
#include "detector/ingest/embedded_broker.h"
#include "detector/ingest/report_consumer.h"
#include "detector/ingest/signal_publisher.h"

namespace canaryd {

struct PublishedDecision {
  ReleaseDatasetView view;
  std::string signal;  // "sent" (queued for the signal topic), "already_sent", "off"
};

class Daemon : public VerdictSource, private DecisionSink, private ApplyObserver {
 public:
  // Decisions are written to `out` as JSON lines (may be null).
  Daemon(DaemonConfig config, std::ostream* out);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool Start(std::string* error);
  // Re-reads the rules file: new releases are judged by it, running ones keep the rules they
  // started with. A bad file changes nothing (false, *error lists every error). Any thread.
  bool ReloadRules(std::string* error);

  // Consumes until *stop is set; then drains, commits and stops everything.
  void Run(const std::atomic<bool>* stop);

  const DaemonConfig& config() const { return config_; }
  const std::string& bootstrap_servers() const { return bootstrap_; }
  bool embedded() const { return broker_ != nullptr; }
  kafka::EmbeddedBroker* broker() { return broker_.get(); }

  // The HTTP listener's port (the real one when http.listen asked for port 0); 0 when off.
  std::uint16_t http_port() const { return http_ ? http_->port() : 0; }

  // VerdictSource (the HTTP API and /metrics; any thread).
  std::vector<ReleaseDatasetView> Releases() const override { return engine_->Releases(); }
  HealthStats Health() const override;
  bool Ready() const override { return consumer_ && consumer_->Ready(); }
  std::string NotReadyReason() const override;
  std::string RulesJson(const std::string& dataset) const override;
  // The rules' fleet freshness objective over the datasets it covers (production loads).
  FleetFreshness FleetFreshnessOf(const std::map<std::string, DatasetHealth>& datasets) const;

  // Readers (any thread).
  EngineStats EngineCounters() const { return engine_->Stats(); }
  kafka::ConsumerStats ConsumerCounters() const { return consumer_->Stats(); }
  kafka::ConsumerProgress ConsumerProgress() const { return consumer_->Progress(); }
  kafka::PublisherStats PublisherCounters() const { return publisher_->Stats(); }
  std::vector<PublishedDecision> Decisions() const;
  // The summary line printed when the daemon stops.
  nlohmann::ordered_json Summary() const;

 private:
  void OnDecision(DecisionEvent event) override;
  void OnBatchApplied(int shard, std::size_t reports, std::int64_t nanoseconds) override;

  DaemonConfig config_;
  std::ostream* out_;
  std::string bootstrap_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<kafka::SignalPublisher> publisher_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<kafka::ReportConsumer> consumer_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ActionDispatcher> actions_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<class DurationHistogram> apply_time_;
  // The rules new releases get (the built-in rules without a file), for the HTTP API and the
  // fleet objective; swapped whole on reload.
  void SetCurrentRules(const std::shared_ptr<const class RulesJudgeSource>& rules);
  std::shared_ptr<const class RuleSet> CurrentRules() const;
  mutable std::mutex rules_mu_;
  std::shared_ptr<const class RuleSet> rules_;
  double start_time_s_ = 0;

  mutable std::mutex decisions_mu_;
  std::vector<PublishedDecision> decisions_;
  std::map<std::string, std::map<std::string, Decision>> release_state_;  // release -> dataset
};

}  // namespace canaryd
