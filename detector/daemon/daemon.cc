#include "detector/daemon/daemon.h"

#include <unistd.h>

#include <chrono>
#include <ostream>

#include <spdlog/spdlog.h>

#include "detector/signal/decision_message.h"
#include "metrics/duration_histogram.h"
#include "rules/rules_judge_source.h"
#include "rules/rules_summary.h"

namespace canaryd {

Daemon::Daemon(DaemonConfig config, std::ostream* out)
    : config_(std::move(config)), out_(out), rules_(std::make_shared<const RuleSet>()) {
  if (config_.instance_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    config_.instance_id = std::string(host) + ":" + std::to_string(getpid());
  }
}

Daemon::~Daemon() {
  if (http_) http_->Stop();
  consumer_.reset();
  if (engine_) engine_->Stop();
  if (publisher_) publisher_->Stop();
  if (actions_) actions_->Stop();
}

bool Daemon::Start(std::string* error) {
  std::shared_ptr<const RulesJudgeSource> rules;
  if (!config_.rules_file.empty() || !config_.rules_yaml.empty()) {
    std::vector<std::string> errors;
    const std::string& name =
        config_.rules_file.empty() ? config_.rules_yaml_name : config_.rules_file;
    rules = config_.rules_file.empty()
                ? ParseRulesSource(config_.rules_yaml, config_.rules_yaml_name, &errors)
                : LoadRulesSource(config_.rules_file, &errors);
    if (!rules) {
      *error = "rules file " + name + " has errors:";
      for (const std::string& e : errors) *error += "\n  " + e;
      return false;
    }
  }
  bootstrap_ = config_.brokers;
  if (bootstrap_.empty()) {
    kafka::EmbeddedBrokerOptions options;
    for (const std::string& t : config_.topics) {
      options.topics.push_back({t, config_.embedded_partitions});
    }
    if (!config_.signal_topic.empty()) options.topics.push_back({config_.signal_topic, 1});
    if (!config_.dead_letter_topic.empty())
      options.topics.push_back({config_.dead_letter_topic, 1});
    broker_ = std::make_unique<kafka::EmbeddedBroker>();
    if (!broker_->Start(options, error)) return false;
    bootstrap_ = broker_->bootstrap_servers();
    spdlog::warn(
        "event=embedded_broker bootstrap={} topics={} note=\"no brokers configured: serving Kafka "
        "on loopback; keeps only recent messages, for trying canaryd, not for production\"",
        bootstrap_, config_.topics.front());
  }
  kafka::Properties props = config_.kafka_properties;
  props["bootstrap.servers"] = bootstrap_;
  props.emplace("client.id", "canaryd-" + config_.instance_id);

  kafka::SignalPublisherOptions publisher_options;
  publisher_options.properties = props;
  publisher_options.signal_topic = config_.signal_topic;
  publisher_options.dead_letter_topic = config_.dead_letter_topic;
  publisher_ = std::make_unique<kafka::SignalPublisher>(std::move(publisher_options));
  if (!publisher_->Start(error)) return false;

  if (!config_.actions.empty()) {
    if (!config_.audit_log.empty()) {
      audit_ = std::make_unique<AuditLog>(config_.audit_log);
      if (!audit_->ok()) {
        *error = "audit_log: " + audit_->error();
        return false;
      }
    }
    actions_ = std::make_unique<ActionDispatcher>(config_.actions, audit_.get());
  }

  EngineOptions engine_options;
  engine_options.shards = config_.shards;
  engine_options.retire_after_ms = config_.retire_after_ms;
  engine_options.rules = rules;
  SetCurrentRules(rules);
  apply_time_ = std::make_unique<DurationHistogram>();
  start_time_s_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  DecisionSink* sink = this;
  ApplyObserver* observer = this;
  engine_ = std::make_unique<Engine>(engine_options, sink, observer);

  kafka::ReportConsumerOptions consumer_options;
  consumer_options.properties = props;
  consumer_options.properties["group.id"] = config_.group;
  consumer_options.topics = config_.topics;
  consumer_options.checkpoint_interval_ms = static_cast<int>(config_.checkpoint_interval_ms);
  // "On time" is the fleet objective's bound, fixed for the process: a reload that changed it
  // would mix two bounds in one counter.
  if (rules) {
    consumer_options.freshness_slo_s =
        static_cast<double>(rules->rules().fleet_freshness().within_ms) / 1000.0;
  }
  consumer_ = std::make_unique<kafka::ReportConsumer>(std::move(consumer_options), engine_.get(),
                                                      publisher_.get());
  if (!consumer_->Start(error)) return false;

  if (!config_.http_listen.empty()) {
    HttpServerOptions http_options;
    if (!ParseListenAddress(config_.http_listen, &http_options, error)) {
      *error = "http.listen: " + *error;
      return false;
    }
    http_options.bearer_token = config_.http_token;
    http_ = std::make_unique<HttpServer>(http_options, *this);
    if (!http_->Start(error)) {
      *error = "http.listen: " + *error;
      return false;
    }
    spdlog::warn(
        "event=http_listening address={}:{} routes=\"/metrics /healthz /readyz "
        "/v1/releases\"",
        http_options.bind_address, http_->port());
  }
  spdlog::info("event=started instance={} bootstrap={} group={} topics={} signal_topic={}",
               config_.instance_id, bootstrap_, config_.group, config_.topics.front(),
               config_.signal_topic);
  return true;
}

void Daemon::Run(const std::atomic<bool>* stop) {
  consumer_->Run(stop);
  engine_->Stop();
  publisher_->Stop();
  if (actions_) {
    actions_->Drain();
    actions_->Stop();
  }
  if (http_) http_->Stop();
  spdlog::info("event=stopped instance={}", config_.instance_id);
}

void Daemon::OnDecision(DecisionEvent event) {
  PublishedDecision d;
  d.signal = !publisher_->has_signal_topic()   ? "off"
             : publisher_->Publish(event.view) ? "sent"
                                               : "already_sent";
  std::lock_guard<std::mutex> lock(decisions_mu_);
  auto& per_dataset = release_state_[event.view.release];
  per_dataset[event.view.dataset] = event.view.decision;
  const Decision release_decision = ReleaseDecision(per_dataset);
  // Actions fire once across restarts too: a decision the signal topic already holds was acted
  // on by whoever published it.
  if (actions_ && d.signal != "already_sent") actions_->Submit({event.view, release_decision});
  nlohmann::ordered_json line = DecisionJson(event.view, release_decision);
  line["signal"] = d.signal;
  d.view = std::move(event.view);
  if (out_ != nullptr) {
    *out_ << line.dump() << '\n';
    out_->flush();
  }
  decisions_.push_back(std::move(d));
}

void Daemon::OnBatchApplied(int, std::size_t, std::int64_t nanoseconds) {
  apply_time_->Observe(static_cast<double>(nanoseconds) * 1e-9);
}

HealthStats Daemon::Health() const {
  HealthStats h;
  h.engine = engine_->Stats();
  const kafka::ConsumerStats c = consumer_->Stats();
  h.reports_consumed = c.messages;
  h.rejected_by_reason = c.rejected_by_reason;
  h.consumer_rebalances = c.rebalances;
  for (const auto& [key, p] : c.partitions) {
    if (p.high_watermark < 0) continue;
    const std::size_t bracket = key.rfind('[');
    PartitionLag lag;
    lag.topic = key.substr(0, bracket);
    lag.partition = static_cast<std::int32_t>(std::stol(key.substr(bracket + 1)));
    // Nothing read or committed yet: the position is the partition's start, not -1.
    std::int64_t position = std::max(p.next_offset, p.committed);
    if (position < 0) position = std::max<std::int64_t>(p.low_watermark, 0);
    lag.lag_messages = std::max<std::int64_t>(0, p.high_watermark - position);
    h.consumer_lag.push_back(std::move(lag));
  }
  for (const auto& [name, d] : c.datasets) {
    DatasetHealth& out = h.datasets[name];
    out.last_report_ms = d.last_report_ms;
    for (const Arm arm : {Arm::kBaseline, Arm::kCanary}) {
      const auto i = static_cast<std::size_t>(arm);
      out.loads_with_freshness[std::string(ArmName(arm))] = d.loads_with_freshness[i];
      out.loads_within_freshness_slo[std::string(ArmName(arm))] = d.loads_within_slo[i];
    }
  }
  h.fleet_freshness = FleetFreshnessOf(h.datasets);
  for (std::size_t depth : engine_->QueueDepths()) h.shard_queue_depth.push_back(depth);
  h.evaluation_seconds = apply_time_->Snapshot();
  const kafka::PublisherStats p = publisher_->Stats();
  h.signals_published = p.published;
  h.signal_delivery_failures = p.delivery_failures;
  h.signals_pending = p.pending;
  h.dead_lettered = p.dead_lettered;
  if (actions_) {
    h.actions_delivered = actions_->delivered();
    h.actions_failed = actions_->failed();
  }
  h.start_time_s = start_time_s_;
  return h;
}

std::string Daemon::NotReadyReason() const {
  if (!consumer_) return "starting";
  const kafka::ConsumerStats c = consumer_->Stats();
  if (c.rebalances == 0) return "joining consumer group " + config_.group;
  return "rebuilding the open releases of the assigned partitions";
}

void Daemon::SetCurrentRules(const std::shared_ptr<const RulesJudgeSource>& rules) {
  std::shared_ptr<const RuleSet> set =
      rules ? rules->shared_rules() : std::make_shared<const RuleSet>();
  std::lock_guard<std::mutex> lock(rules_mu_);
  rules_ = std::move(set);
}

std::shared_ptr<const RuleSet> Daemon::CurrentRules() const {
  std::lock_guard<std::mutex> lock(rules_mu_);
  return rules_;
}

FleetFreshness Daemon::FleetFreshnessOf(
    const std::map<std::string, DatasetHealth>& datasets) const {
  const std::shared_ptr<const RuleSet> rules = CurrentRules();
  const RuleSet& set = *rules;
  const FleetFreshnessSlo& slo = set.fleet_freshness();
  FleetFreshness fleet;
  fleet.tag = slo.tag;
  fleet.within_s = static_cast<double>(slo.within_ms) / 1000.0;
  fleet.target = slo.target;
  const std::string production(ArmName(Arm::kBaseline));
  for (const auto& [name, d] : datasets) {
    if (!set.InFleetFreshnessSlo(name)) continue;
    const auto loads = d.loads_with_freshness.find(production);
    const auto within = d.loads_within_freshness_slo.find(production);
    if (loads != d.loads_with_freshness.end()) fleet.loads += loads->second;
    if (within != d.loads_within_freshness_slo.end()) fleet.landed_within += within->second;
  }
  return fleet;
}

std::string Daemon::RulesJson(const std::string& dataset) const {
  const std::shared_ptr<const RuleSet> rules = CurrentRules();
  const RuleSet& set = *rules;
  nlohmann::json j =
      dataset.empty() ? RulesSummaryJson(set) : EffectiveRulesJson(set.Resolve(dataset));
  // Running releases keep the rules they started with; these are what a new release gets.
  j["applies_to"] = "releases that start from now on";
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool Daemon::ReloadRules(std::string* error) {
  if (config_.rules_file.empty()) {
    *error = "no rules file configured (rules:)";
    return false;
  }
  std::vector<std::string> errors;
  std::shared_ptr<const RulesJudgeSource> rules = LoadRulesSource(config_.rules_file, &errors);
  if (!rules) {
    *error = "kept the previous rules; " + config_.rules_file + " has errors:";
    for (const std::string& e : errors) *error += "\n  " + e;
    return false;
  }
  SetCurrentRules(rules);
  engine_->SetRules(std::move(rules));
  return true;
}

std::vector<PublishedDecision> Daemon::Decisions() const {
  std::lock_guard<std::mutex> lock(decisions_mu_);
  return decisions_;
}

nlohmann::ordered_json Daemon::Summary() const {
  const kafka::ConsumerStats c = consumer_->Stats();
  const EngineStats e = engine_->Stats();
  const kafka::PublisherStats p = publisher_->Stats();
  nlohmann::ordered_json by_reason = nlohmann::ordered_json::object();
  for (const auto& [reason, n] : c.rejected_by_reason) by_reason[reason] = n;
  nlohmann::ordered_json partitions = nlohmann::ordered_json::object();
  for (const auto& [key, pp] : c.partitions) {
    partitions[key] = {{"first_offset", pp.first_offset},
                       {"next_offset", pp.next_offset},
                       {"committed", pp.committed},
                       {"read", pp.read},
                       {"rejected", pp.rejected}};
  }
  std::uint64_t rollbacks = 0;
  std::uint64_t promotes = 0;
  for (const PublishedDecision& d : Decisions()) {
    (d.view.decision == Decision::kRollback ? rollbacks : promotes) += 1;
  }
  return {{"summary",
           {{"instance", config_.instance_id},
            {"messages", c.messages},
            {"accepted", c.accepted},
            {"rejected", c.rejected},
            {"rejected_by_reason", std::move(by_reason)},
            {"applied", e.applied},
            {"duplicate_deliveries", e.duplicates},
            {"too_old", e.too_old},
            {"after_decision", e.after_decision},
            {"future_ts", e.future_ts},
            {"dead_lettered", p.dead_lettered},
            {"signals_published", p.published},
            {"signals_already_published", p.already_published},
            {"decisions", {{"rollback", rollbacks}, {"promote", promotes}}},
            {"rebalances", c.rebalances},
            {"partitions", std::move(partitions)}}}};
}

}  // namespace canaryd
