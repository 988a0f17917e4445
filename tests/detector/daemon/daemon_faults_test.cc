// The daemon under broker faults, in one process so the mock cluster's fault injection can be
// driven: the broker goes down and comes back, requests fail, and still no crash, no report
// counted twice or lost, and the decision is made and published once.
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "detector/daemon/daemon.h"
#include "detector/engine/engine.h"
#include "detector/ingest/embedded_broker.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"

namespace canaryd {
namespace {

using Clock = std::chrono::steady_clock;

// Kafka protocol API keys (rdkafka_protocol.h is not installed).
constexpr int16_t kProduce = 0;
constexpr int16_t kFetch = 1;
constexpr int16_t kOffsetCommit = 8;

sim::Scenario Scenario() {
  sim::Scenario s = sim::NullRateScenario(5, 0.01, 0.03, 10'000, 0.5, 0.1);
  s.dataset = "analytics.customers";
  s.release = "customers-faults-1";
  s.loads = 160;
  s.regression_after_canary_loads = 20;
  return s;
}

std::vector<std::string> Lines() {
  sim::LoadSimulator simulator(Scenario());
  std::vector<std::string> lines;
  Sample s;
  while (simulator.Next(&s)) lines.push_back(EncodeSampleJson(s));
  return lines;
}

// What an uninterrupted run decides on the same reports, through the same engine.
ReleaseDatasetView Reference(const std::vector<std::string>& lines) {
  struct Sink : DecisionSink {
    void OnDecision(DecisionEvent e) override { views.push_back(std::move(e.view)); }
    std::vector<ReleaseDatasetView> views;
  } sink;
  {
    Engine engine(EngineOptions{}, &sink);
    SampleDecoder decoder;
    std::uint64_t seq = 0;
    for (const std::string& line : lines) {
      DecodeResult r = decoder.Decode(line);
      if (r.has_value()) engine.Submit(++seq, std::move(r).value());
    }
    engine.Stop();
  }
  return sink.views.empty() ? ReleaseDatasetView{} : sink.views.front();
}

TEST(DaemonFaultsTest, BrokerDownAndRequestErrorsLoseNothingAndStillDecideOnce) {
  kafka::EmbeddedBroker broker;
  std::string error;
  ASSERT_TRUE(broker.Start(
      {1, {{"canaryd.reports", 2}, {"canaryd.signals", 1}, {"canaryd.dead-letter", 1}}}, &error))
      << error;
  DaemonConfig config;
  config.brokers = broker.bootstrap_servers();
  config.checkpoint_interval_ms = 100;
  config.instance_id = "faults";
  config.http_listen = "127.0.0.1:0";
  config.kafka_properties["reconnect.backoff.max.ms"] = "200";
  std::ostringstream out;
  Daemon daemon(config, &out);
  ASSERT_TRUE(daemon.Start(&error)) << error;
  std::atomic<bool> stop{false};
  std::thread runner([&] { daemon.Run(&stop); });
  // Stops the daemon however the test ends (a failed ASSERT returns early).
  struct Joiner {
    std::atomic<bool>* stop;
    std::thread* thread;
    ~Joiner() {
      stop->store(true);
      if (thread->joinable()) thread->join();
    }
  } joiner{&stop, &runner};

  std::vector<std::string> lines = Lines();
  const ReleaseDatasetView reference = Reference(lines);
  ASSERT_EQ(reference.decision, Decision::kRollback);
  for (std::size_t i = 15; i < lines.size(); i += 40) lines.insert(lines.begin() + i, "{broken");

  kafka::Conf conf = kafka::MakeConf({{"bootstrap.servers", broker.bootstrap_servers()},
                                      {"enable.idempotence", "true"},
                                      {"message.timeout.ms", "60000"}},
                                     &error);
  ASSERT_TRUE(conf) << error;
  kafka::Handle producer = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(conf), &error);
  ASSERT_TRUE(producer) << error;
  auto send = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < lines.size(); ++i) {
      const std::string key = "analytics.customers";
      ASSERT_EQ(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("canaryd.reports"),
                                  RD_KAFKA_V_KEY(key.data(), key.size()),
                                  RD_KAFKA_V_VALUE(lines[i].data(), lines[i].size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    rd_kafka_flush(producer.get(), 30'000);
  };

  const std::size_t third = lines.size() / 3;
  send(0, third);
  // The broker goes away for two seconds while the daemon is consuming.
  rd_kafka_mock_broker_set_down(broker.cluster(), 1);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  rd_kafka_mock_broker_set_up(broker.cluster(), 1);
  send(third, 2 * third);
  // Fetches, commits and the signal's produce requests fail a few times each (retriable).
  rd_kafka_mock_push_request_errors(
      broker.cluster(), kFetch, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  rd_kafka_mock_push_request_errors(broker.cluster(), kOffsetCommit, 2,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
  rd_kafka_mock_push_request_errors(broker.cluster(), kProduce, 2,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  send(2 * third, lines.size());

  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (daemon.Decisions().empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Let it read to the end of the topic before stopping.
  while (daemon.ConsumerCounters().messages < lines.size() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto publish_deadline = Clock::now() + std::chrono::seconds(30);
  while (daemon.PublisherCounters().published < 1 && Clock::now() < publish_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop.store(true);
  runner.join();

  const std::vector<PublishedDecision> decisions = daemon.Decisions();
  ASSERT_EQ(decisions.size(), 1u) << out.str();
  // Same decision at the same report as without faults: nothing double-counted or missed.
  EXPECT_EQ(decisions[0].view.decision, Decision::kRollback);
  EXPECT_EQ(decisions[0].view.canary_loads, reference.canary_loads);
  EXPECT_EQ(decisions[0].view.decided_at_ms, reference.decided_at_ms);
  EXPECT_EQ(decisions[0].signal, "sent");
  const kafka::ConsumerStats c = daemon.ConsumerCounters();
  EXPECT_GE(c.messages, lines.size());
  EXPECT_GE(c.rejected_by_reason.at("invalid_json"), 4u);
  const kafka::PublisherStats p = daemon.PublisherCounters();
  EXPECT_EQ(p.published, 1u);
  EXPECT_GE(p.dead_lettered, 4u);
}

TEST(DaemonConfigTest, ParsesEveryKeyAndReportsErrorsWithPositions) {
  DaemonConfig c;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(ParseDaemonConfig(R"(kafka:
  brokers: "k1:9092,k2:9092"
  topics: [reports.a, reports.b]
  group: canary-prod
  signal_topic: signals
  dead_letter_topic: ~
  properties:
    security.protocol: SASL_SSL
embedded:
  partitions: 8
http:
  listen: 0.0.0.0:9000
  token: s3cret
rules: rules/examples/demo.yaml
engine:
  shards: 4
  checkpoint_interval: 250ms
  retire_after: 2h
  instance_id: pod-1
)",
                                "c.yaml", &c, &errors));
  EXPECT_EQ(c.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.topics, (std::vector<std::string>{"reports.a", "reports.b"}));
  EXPECT_EQ(c.group, "canary-prod");
  EXPECT_EQ(c.signal_topic, "signals");
  EXPECT_EQ(c.dead_letter_topic, "");
  EXPECT_EQ(c.kafka_properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c.embedded_partitions, 8);
  EXPECT_EQ(c.http_listen, "0.0.0.0:9000");
  EXPECT_EQ(c.http_token, "s3cret");
  EXPECT_EQ(c.rules_file, "rules/examples/demo.yaml");
  EXPECT_EQ(c.shards, 4);
  EXPECT_EQ(c.checkpoint_interval_ms, 250);
  EXPECT_EQ(c.retire_after_ms, 2 * 3600 * 1000);
  EXPECT_EQ(c.instance_id, "pod-1");

  DaemonConfig d;
  errors.clear();
  EXPECT_FALSE(
      ParseDaemonConfig("kafka:\n  brokerz: x\nengine:\n  shards: 0\n  checkpoint_interval: "
                        "soon\nhttp: 3\n",
                        "bad.yaml", &d, &errors));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].ToString().substr(0, 27), "bad.yaml:2:3: unknown key '");
  EXPECT_NE(errors[0].message.find("brokers"), std::string::npos);  // names the known keys
  EXPECT_EQ(errors[1].ToString(), "bad.yaml:4:11: engine.shards must be between 1 and 64 (got 0)");
  EXPECT_EQ(errors[2].line, 5);
  EXPECT_EQ(errors[3].ToString(), "bad.yaml:6:7: http must be a mapping");

  errors.clear();
  EXPECT_FALSE(ParseDaemonConfig("kafka: [unclosed\n", "broken.yaml", &d, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, "broken.yaml");
  EXPECT_GT(errors[0].line, 0);

  EXPECT_TRUE(ParseDaemonConfig("", "empty.yaml", &d, &errors) || !errors.empty());
}

// The config takes durations as the rules language does (rules/units.h, tested there): with a
// unit, and a bare number is an error with a hint rather than a guess.
TEST(DaemonConfigTest, DurationsAreTheRulesLanguagesDurations) {
  DaemonConfig d;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(ParseDaemonConfig("engine:\n  checkpoint_interval: 1.5s\n  retire_after: 1h 30m\n",
                                "c.yaml", &d, &errors));
  EXPECT_EQ(d.checkpoint_interval_ms, 1500);
  EXPECT_EQ(d.retire_after_ms, 5'400'000);
  EXPECT_FALSE(ParseDaemonConfig("engine:\n  checkpoint_interval: 2\n", "c.yaml", &d, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString().rfind("c.yaml:2:24: engine.checkpoint_interval: ", 0), 0u)
      << errors[0].ToString();
  EXPECT_NE(errors[0].message.find("unit"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace canaryd
