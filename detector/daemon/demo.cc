#include "detector/daemon/demo.h"

#include <chrono>
#include <cstdio>
#include <ostream>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "detector/daemon/daemon.h"
#include "detector/daemon/demo_rules.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

constexpr const char* kGoodRelease = "orders-dbt-2026.11.23.1";
constexpr const char* kBadRelease = "customers-dbt-2026.11.23.2";

using Clock = std::chrono::steady_clock;

// Produces reports to the embedded broker with a real Kafka producer, as a pipeline would.
class ReportProducer {
 public:
  bool Start(const std::string& bootstrap, std::string* error) {
    kafka::Conf conf = kafka::MakeConf(
        {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}, {"client.id", "canaryd-demo"}},
        error);
    if (!conf) return false;
    producer_ = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(conf), error);
    return static_cast<bool>(producer_);
  }
  bool Send(const std::string& topic, const std::string& key, const std::string& value) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_poll(producer_.get(), 0);
        return true;
      }
      rd_kafka_poll(producer_.get(), 10);  // queue full: let deliveries drain
    }
    return false;
  }
  void Flush() { rd_kafka_flush(producer_.get(), 5000); }

 private:
  kafka::Handle producer_;
};

struct SignalRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  nlohmann::json body;
};

// Reads the signal topic back: proof of where each decision went.
std::vector<SignalRecord> ReadSignals(const std::string& bootstrap, const std::string& topic) {
  std::vector<SignalRecord> out;
  std::string error;
  kafka::Conf conf = kafka::MakeConf({{"bootstrap.servers", bootstrap},
                                      {"group.id", "canaryd-demo-reader"},
                                      {"enable.auto.commit", "false"},
                                      {"enable.partition.eof", "true"},
                                      {"fetch.wait.max.ms", "10"}},
                                     &error);
  if (!conf) return out;
  kafka::Handle reader = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(conf), &error);
  if (!reader) return out;
  std::vector<kafka::PartitionRange> ranges;
  if (!kafka::TopicRanges(reader.get(), topic, 5000, &ranges, &error)) return out;
  kafka::PartitionList assign(rd_kafka_topic_partition_list_new(1));
  int remaining = 0;
  for (const auto& r : ranges) {
    if (r.high <= r.low) continue;
    rd_kafka_topic_partition_list_add(assign.get(), topic.c_str(), r.partition)->offset = r.low;
    ++remaining;
  }
  if (remaining == 0) return out;
  rd_kafka_assign(reader.get(), assign.get());
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (remaining > 0 && Clock::now() < deadline) {
    kafka::Message m(rd_kafka_consumer_poll(reader.get(), 50));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --remaining;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    SignalRecord rec;
    rec.partition = m->partition;
    rec.offset = m->offset;
    rec.body = nlohmann::json::parse(std::string_view(static_cast<const char*>(m->payload), m->len),
                                     nullptr, false);
    out.push_back(std::move(rec));
  }
  rd_kafka_consumer_close(reader.get());
  return out;
}

// One line per release: how many checks pass, and the check closest to a rollback: a failing
// one, else a warning, else the statistical test with the most evidence for its threshold.
std::string CheckSummary(const ReleaseDatasetView& v) {
  const auto rank = [](const CheckEvidence& e) {
    if (e.verdict == Verdict::kFail) return 2;
    if (e.verdict == Verdict::kWarn) return 1;
    // Limits, rules and the SLO line carry no rollback evidence to compare.
    return e.method == "split" || e.method == "paired" || e.method == "split_counts" ||
                   e.method == "paired_counts"
               ? 0
               : -1;
  };
  const CheckEvidence* worst = nullptr;
  std::size_t pass = 0;
  for (const CheckEvidence& e : v.checks) {
    pass += e.verdict == Verdict::kPass ? 1 : 0;
    if (worst == nullptr || rank(e) > rank(*worst) ||
        (rank(e) == rank(*worst) &&
         e.log_e_regression - e.log_threshold > worst->log_e_regression - worst->log_threshold)) {
      worst = &e;
    }
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%zu/%zu checks pass", pass, v.checks.size());
  std::string s = buf;
  if (worst != nullptr && !worst->sentence.empty()) s += "; " + worst->sentence;
  return s;
}

}  // namespace

int RunDemo(const DemoOptions& options, std::ostream& out) {
  const auto wall_start = Clock::now();
  DaemonConfig config;
  config.instance_id = "demo";
  config.embedded_partitions = 2;
  config.checkpoint_interval_ms = 500;
  config.http_listen = "127.0.0.1:0";  // never collides with a daemon already on 8787
  config.rules_yaml = std::string(DemoRulesYaml());
  config.rules_yaml_name = std::string(kDemoRulesName);
  Daemon daemon(config, nullptr);
  std::string error;
  if (!daemon.Start(&error)) {
    out << "canaryd demo: cannot start: " << error << '\n';
    return 1;
  }
  out << "canaryd demo: embedded Kafka broker on " << daemon.bootstrap_servers()
      << " (any Kafka client can produce to topic " << config.topics.front() << ")\n"
      << "  HTTP API on http://127.0.0.1:" << daemon.http_port() << "/v1/releases\n"
      << "  rules: " << kDemoRulesName << " (built in; `canaryd check-rules` shows them)\n"
      << "  baseline and canary loads of analytics.orders (release " << kGoodRelease
      << ", healthy)\n  and analytics.customers (release " << kBadRelease
      << ", email null rate 1% -> 3% after its 5th canary load),\n"
      << "  one load per simulated minute per dataset, " << 60'000 / options.pace_ms
      << "x faster than real time\n\n";
  out.flush();

  std::atomic<bool> stop{false};
  std::thread daemon_thread([&] { daemon.Run(&stop); });

  // Produce once the daemon has joined its consumer group, so progress is live from the start.
  const auto join_deadline = Clock::now() + std::chrono::seconds(20);
  while (!daemon.Ready() && Clock::now() < join_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out << "daemon joined consumer group " << config.group << "; producing\n";
  out.flush();

  ReportProducer producer;
  if (!producer.Start(daemon.bootstrap_servers(), &error)) {
    out << "canaryd demo: producer: " << error << '\n';
    stop.store(true);
    daemon_thread.join();
    return 1;
  }
  // Simulated time starts at the current minute, so decisions carry today's timestamps.
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::int64_t start_ms = now_ms - now_ms % 60'000;
  sim::Scenario good = sim::SteadyMartScenario(options.seed, "analytics.orders", kGoodRelease,
                                               start_ms, options.max_minutes);
  sim::Scenario bad = sim::SteadyMartScenario(options.seed + 1, "analytics.customers", kBadRelease,
                                              start_ms, options.max_minutes);
  bad.canary.column_null_rates = {{"email", 0.03}};
  bad.regression_after_canary_loads = 5;
  sim::LoadSimulator sims[2] = {sim::LoadSimulator(good), sim::LoadSimulator(bad)};
  Sample next[2];
  bool has[2] = {sims[0].Next(&next[0]), sims[1].Next(&next[1])};

  const std::string& topic = config.topics.front();
  std::uint64_t produced = 0;
  std::int64_t sim_minute = 0;
  auto last_progress = Clock::now();
  bool malformed_sent = false;
  auto decided = [&] { return daemon.Decisions().size() >= 2; };
  while ((has[0] || has[1]) && !decided()) {
    if (Clock::now() - wall_start > std::chrono::seconds(options.timeout_s)) break;
    const std::int64_t minute_end = start_ms + (sim_minute + 1) * 60'000;
    for (int i = 0; i < 2; ++i) {
      while (has[i] && next[i].ts_ms < minute_end) {
        producer.Send(topic, next[i].dataset, EncodeSampleJson(next[i]));
        ++produced;
        has[i] = sims[i].Next(&next[i]);
      }
    }
    if (!malformed_sent && sim_minute == 3) {
      // A broken emitter: rejected with a reason and dead-lettered, and the stream keeps going.
      producer.Send(topic, "analytics.orders",
                    R"({"v":1,"dataset":"analytics.orders","arm":"canary"})");
      ++produced;
      malformed_sent = true;
    }
    ++sim_minute;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.pace_ms));
    if (Clock::now() - last_progress >= std::chrono::seconds(1)) {
      last_progress = Clock::now();
      const kafka::ConsumerStats c = daemon.ConsumerCounters();
      char head[160];
      std::snprintf(
          head, sizeof head, "[+%3lld min] %llu reports produced, %llu consumed, %llu rejected",
          static_cast<long long>(sim_minute), static_cast<unsigned long long>(produced),
          static_cast<unsigned long long>(c.messages), static_cast<unsigned long long>(c.rejected));
      out << head << '\n';
      for (const ReleaseDatasetView& v : daemon.Releases()) {
        out << "    " << v.release << "  canary " << v.canary_loads << " loads, baseline "
            << v.baseline_loads << " loads: " << DecisionName(v.decision) << ", " << CheckSummary(v)
            << '\n';
      }
      out.flush();
    }
  }
  producer.Flush();
  // Let the last reports and the signals land.
  const auto settle = Clock::now() + std::chrono::seconds(3);
  while (!decided() && Clock::now() < settle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop.store(true);
  daemon_thread.join();

  const std::vector<PublishedDecision> decisions = daemon.Decisions();
  const std::vector<SignalRecord> signals =
      ReadSignals(daemon.bootstrap_servers(), config.signal_topic);
  out << "\nDecisions:\n";
  bool good_promoted = false;
  bool bad_rolled_back = false;
  for (const PublishedDecision& d : decisions) {
    const ReleaseDatasetView& v = d.view;
    out << "  " << (v.decision == Decision::kRollback ? "ROLLBACK " : "PROMOTE  ") << v.release
        << " (" << v.dataset << ") at " << FormatTimestampMs(v.decided_at_ms) << " after "
        << v.canary_loads << " canary loads\n    " << v.reason << '\n';
    for (const CheckEvidence& e : v.checks) {
      if (e.check == v.deciding_check && e.sentence != v.reason) {
        out << "    evidence: " << e.sentence << '\n';
      }
    }
    if (v.release == kGoodRelease && v.decision == Decision::kPromote) good_promoted = true;
    if (v.release == kBadRelease && v.decision == Decision::kRollback) bad_rolled_back = true;
  }
  out << "\nSignals on Kafka topic " << config.signal_topic << " (read back from the broker):\n";
  for (const SignalRecord& s : signals) {
    out << "  partition " << s.partition << " offset " << s.offset << ": key "
        << s.body.value("release", "?") << ", decision " << s.body.value("decision", "?")
        << ", idempotency_key " << s.body.value("idempotency_key", "?") << '\n';
  }
  const kafka::PublisherStats p = daemon.PublisherCounters();
  const kafka::ConsumerStats c = daemon.ConsumerCounters();
  out << "\nReports: " << c.messages << " consumed, " << c.rejected << " rejected ("
      << p.dead_lettered << " sent to dead-letter topic " << config.dead_letter_topic << ")\n";
  const double wall_s = std::chrono::duration<double>(Clock::now() - wall_start).count();
  char tail[120];
  std::snprintf(tail, sizeof tail, "Demo finished in %.1f s.\n", wall_s);
  out << tail;
  if (good_promoted && bad_rolled_back && signals.size() >= 2) return 0;
  out << "canaryd demo: expected " << kGoodRelease << " promoted and " << kBadRelease
      << " rolled back, with both signals on the topic; see above\n";
  return 1;
}

}  // namespace canaryd
