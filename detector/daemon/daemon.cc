#include "detector/daemon/daemon.h"

#include <unistd.h>

#include <ostream>

#include <spdlog/spdlog.h>

#include "detector/signal/decision_message.h"

namespace canaryd {

Daemon::Daemon(DaemonConfig config, std::ostream* out) : config_(std::move(config)), out_(out) {
  if (config_.instance_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    config_.instance_id = std::string(host) + ":" + std::to_string(getpid());
  }
}

Daemon::~Daemon() {
  consumer_.reset();
  if (engine_) engine_->Stop();
  if (publisher_) publisher_->Stop();
}

bool Daemon::Start(std::string* error) {
  if (!config_.rules_file.empty()) {
    *error =
        "rules: a rules file is not supported by this build yet (remove the key to use the "
        "built-in default rules)";
    return false;
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

  EngineOptions engine_options;
  engine_options.shards = config_.shards;
  engine_options.retire_after_ms = config_.retire_after_ms;
  DecisionSink* sink = this;
  engine_ = std::make_unique<Engine>(engine_options, sink);

  kafka::ReportConsumerOptions consumer_options;
  consumer_options.properties = props;
  consumer_options.properties["group.id"] = config_.group;
  consumer_options.topics = config_.topics;
  consumer_options.checkpoint_interval_ms = static_cast<int>(config_.checkpoint_interval_ms);
  consumer_ = std::make_unique<kafka::ReportConsumer>(std::move(consumer_options), engine_.get(),
                                                      publisher_.get());
  if (!consumer_->Start(error)) return false;
  spdlog::info("event=started instance={} bootstrap={} group={} topics={} signal_topic={}",
               config_.instance_id, bootstrap_, config_.group, config_.topics.front(),
               config_.signal_topic);
  return true;
}

void Daemon::Run(const std::atomic<bool>* stop) {
  consumer_->Run(stop);
  engine_->Stop();
  publisher_->Stop();
  spdlog::info("event=stopped instance={}", config_.instance_id);
}

void Daemon::OnDecision(DecisionEvent event) {
  PublishedDecision d;
  d.signal = !publisher_->has_signal_topic()   ? "off"
             : publisher_->Publish(event.view) ? "sent"
                                               : "already_sent";
  nlohmann::ordered_json line = DecisionJson(event.view, event.view.decision);
  line.erase("release_decision");
  line["signal"] = d.signal;
  d.view = std::move(event.view);
  std::lock_guard<std::mutex> lock(decisions_mu_);
  if (out_ != nullptr) {
    *out_ << line.dump() << '\n';
    out_->flush();
  }
  decisions_.push_back(std::move(d));
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
