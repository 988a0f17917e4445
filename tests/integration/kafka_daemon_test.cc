// `canaryd run` on Kafka, end to end with real processes on loopback: an independent Kafka client
// (kafka-python) produces reports and reads the signal and dead-letter topics; instances are
// killed and restarted mid-release. Every wait is bounded.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detector/http/http_client.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"
#include "tests/integration/child_process.h"
#include "tests/integration/command_output.h"
#include "tests/integration/report_lines.h"

namespace canaryd {
namespace {

using testing::Capture;
using testing::ChildProcess;
using testing::JsonLines;
using testing::ReadFile;
using testing::Reports;
using testing::WaitFor;
using json = nlohmann::json;

std::string Bin() {
  const char* bin = std::getenv("CANARYD_BIN");
  return bin != nullptr ? bin : CANARYD_BIN_PATH;
}
std::string Python() { return "/usr/bin/python3"; }
std::string ClientScript() {
  return std::string(CANARYD_SOURCE_DIR) + "/tests/integration/kafka_client.py";
}

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "kafka_" + name + "_" + std::to_string(getpid());
  std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
  return dir;
}

std::string WriteLines(const std::string& path, const std::vector<std::string>& lines,
                       std::size_t from = 0, std::size_t to = SIZE_MAX) {
  std::ofstream out(path);
  for (std::size_t i = from; i < lines.size() && i < to; ++i) out << lines[i] << '\n';
  return path;
}

sim::Scenario Regression(std::uint64_t seed, const std::string& dataset, double to) {
  sim::Scenario s = sim::NullRateScenario(seed, 0.01, to, 10'000, 0.5, 0.1);
  s.dataset = dataset;
  s.release = dataset.substr(dataset.find('.') + 1) + "-release-" + std::to_string(seed);
  s.loads = 160;
  // Healthy at first, so a kill or restart can land in the middle of the release.
  s.regression_after_canary_loads = 20;
  return s;
}

int Produce(const std::string& bootstrap, const std::string& topic, const std::string& file) {
  const std::vector<json> r = JsonLines(Capture(Python() + " " + ClientScript() + " produce " +
                                                bootstrap + " " + topic + " " + file + " 2>&1"));
  return r.empty() ? -1 : r.front().value("sent", -1);
}

std::vector<json> Consume(const std::string& bootstrap, const std::string& topic, int min,
                          int timeout_s) {
  return JsonLines(Capture(Python() + " " + ClientScript() + " consume " + bootstrap + " " + topic +
                           " " + std::to_string(min) + " " + std::to_string(timeout_s)));
}

std::string Config(const std::string& dir) {
  const std::string path = dir + "/canaryd.yaml";
  std::ofstream(path) << "engine:\n  checkpoint_interval: 200ms\nhttp:\n  listen: 127.0.0.1:0\n";
  return path;
}

std::string Bootstrap(const std::string& log) {
  std::smatch m;
  static const std::regex re("bootstrap=([0-9.:,]+)");
  return std::regex_search(log, m, re) ? m[1].str() : "";
}

// The HTTP port a daemon logged (event=http_listening ... port=N); 0 until it has.
std::uint16_t HttpPort(const std::string& log) {
  std::smatch m;
  static const std::regex re("event=http_listening address=[0-9.]+ port=([0-9]+)");
  return std::regex_search(log, m, re) ? static_cast<std::uint16_t>(std::stoi(m[1].str())) : 0;
}

// Whether the daemon's HTTP API knows the release (it has applied one of its canary loads).
bool ReleaseKnown(std::uint16_t port, const std::string& release) {
  HttpUrl url;
  url.host = "127.0.0.1";
  url.port = std::to_string(port);
  HttpRequestSpec spec;
  spec.target = "/v1/releases/" + release;
  spec.timeout = std::chrono::milliseconds(2000);
  const HttpResult r = HttpFetch(url, spec);
  return r.ok && r.status == 200;
}

// Starts `canaryd broker`; returns its bootstrap address.
std::string StartBroker(ChildProcess* broker, const std::string& dir, int partitions) {
  broker->Start({Bin(), "broker", "--partitions", std::to_string(partitions)}, dir + "/broker.out",
                dir + "/broker.err");
  std::string bootstrap;
  WaitFor(
      [&] {
        bootstrap = broker->out();
        return !bootstrap.empty() && bootstrap.back() == '\n';
      },
      10'000);
  if (!bootstrap.empty()) bootstrap.pop_back();
  return bootstrap;
}

std::vector<json> Decisions(const std::string& out) {
  std::vector<json> d;
  for (json& j : JsonLines(out)) {
    if (j.contains("decision")) d.push_back(std::move(j));
  }
  return d;
}

json Summary(const std::string& out) {
  for (json& j : JsonLines(out)) {
    if (j.contains("summary")) return j["summary"];
  }
  return json();
}

class KafkaDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (system((Python() + " -c 'import kafka' 2>/dev/null").c_str()) != 0) {
      FAIL() << "python3-kafka is missing: run scripts/install-deps.sh";
    }
  }
};

TEST_F(KafkaDaemonTest, IndependentClientProducesAndReadsTheRollbackSignal) {
  const std::string dir = Dir("signal");
  ChildProcess canaryd;
  ASSERT_TRUE(
      canaryd.Start({Bin(), "run", "--config", Config(dir)}, dir + "/run.out", dir + "/run.err"));
  std::string bootstrap;
  ASSERT_TRUE(WaitFor([&] { return !(bootstrap = Bootstrap(canaryd.err())).empty(); }, 10'000))
      << canaryd.err();

  const sim::Scenario bad = Regression(11, "analytics.customers", 0.03);
  std::vector<std::string> lines = Reports({bad});
  lines.insert(lines.begin() + 10, "this is not json");
  lines.insert(lines.begin() + 20, R"({"v":1,"dataset":"analytics.customers","arm":"canary"})");
  const int sent = Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/reports.jsonl", lines));
  ASSERT_EQ(sent, static_cast<int>(lines.size()));

  const std::vector<json> signals = Consume(bootstrap, "canaryd.signals", 1, 30);
  ASSERT_EQ(signals.size(), 1u) << canaryd.err();
  EXPECT_EQ(signals[0]["key"], bad.release);
  EXPECT_EQ(signals[0]["headers"]["canaryd-idempotency-key"],
            bad.release + "|analytics.customers|rollback");
  const json body = json::parse(signals[0]["value"].get<std::string>());
  EXPECT_EQ(body["v"], 1);
  EXPECT_EQ(body["release"], bad.release);
  EXPECT_EQ(body["decision"], "rollback");
  EXPECT_EQ(body["check"], "null_rate(email)");
  ASSERT_FALSE(body["failed_checks"].empty());
  EXPECT_EQ(body["failed_checks"][0]["verdict"], "FAIL");
  EXPECT_TRUE(body.contains("decided_at"));
  EXPECT_TRUE(body.contains("emitted_at"));

  const std::vector<json> dead = Consume(bootstrap, "canaryd.dead-letter", 2, 20);
  ASSERT_EQ(dead.size(), 2u);
  std::set<std::string> reasons;
  for (const json& d : dead)
    reasons.insert(d["headers"]["canaryd-reject-reason"].get<std::string>());
  EXPECT_EQ(reasons, (std::set<std::string>{"invalid_json", "missing_release"}));
  EXPECT_EQ(dead[0]["headers"]["canaryd-source-topic"], "canaryd.reports");

  canaryd.Signal(SIGTERM);
  ASSERT_TRUE(canaryd.Wait(20'000)) << "canaryd did not stop within 20 s of SIGTERM";
  EXPECT_EQ(canaryd.exit_code(), 0) << canaryd.err();
  const std::vector<json> decisions = Decisions(canaryd.out());
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0]["signal"], "sent");
  // Reconcile: every message read was accepted or rejected; every accepted one applied, a
  // duplicate, or arrived after the decision.
  const json s = Summary(canaryd.out());
  ASSERT_FALSE(s.is_null()) << canaryd.out();
  EXPECT_EQ(s["messages"], lines.size());
  EXPECT_EQ(s["rejected"], 2);
  EXPECT_EQ(s["dead_lettered"], 2);
  EXPECT_EQ(s["accepted"].get<std::uint64_t>(),
            s["applied"].get<std::uint64_t>() + s["duplicate_deliveries"].get<std::uint64_t>() +
                s["too_old"].get<std::uint64_t>() + s["after_decision"].get<std::uint64_t>() +
                s["future_ts"].get<std::uint64_t>());
  EXPECT_EQ(s["signals_published"], 1);
}

TEST_F(KafkaDaemonTest, RestartAfterSigkillReachesTheSameDecisionAndPublishesItOnce) {
  const std::string dir = Dir("restart");
  ChildProcess broker;
  const std::string bootstrap = StartBroker(&broker, dir, 2);
  ASSERT_FALSE(bootstrap.empty()) << broker.err();

  // A modest regression, so the decision comes well into the release.
  const sim::Scenario bad = Regression(21, "analytics.orders", 0.016);
  const std::vector<std::string> lines = Reports({bad});
  const std::string all = WriteLines(dir + "/all.jsonl", lines);
  const std::vector<json> replayed = Decisions(Capture(Bin() + " replay " + all + " 2>/dev/null"));
  ASSERT_EQ(replayed.size(), 1u);
  ASSERT_EQ(replayed[0]["decision"], "rollback");
  const int loads = replayed[0]["canary_loads"];
  ASSERT_GE(loads, 6) << "the scenario decides too early to kill the daemon before it";
  // Split where the canary has half the loads the decision needed.
  std::size_t split = 0;
  for (int canary = 0; split < lines.size() && canary < loads / 2; ++split) {
    if (lines[split].find(R"("arm":"canary")") != std::string::npos) ++canary;
  }

  ASSERT_EQ(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/a.jsonl", lines, 0, split)),
            static_cast<int>(split));
  {
    ChildProcess first;
    ASSERT_TRUE(
        first.Start({Bin(), "run", "--config", Config(dir), "--brokers", bootstrap, "--group",
                     "restart", "--instance-id", "first", "--log-level", "debug"},
                    dir + "/first.out", dir + "/first.err"));
    // Killed once everything produced so far is applied and committed.
    const std::string committed = "offset=" + std::to_string(split) + " metadata=";
    ASSERT_TRUE(WaitFor([&] { return first.err().find(committed) != std::string::npos; }, 30'000))
        << first.err();
    first.Signal(SIGKILL);
    ASSERT_TRUE(first.Wait(5000));
    EXPECT_TRUE(Decisions(first.out()).empty());
  }
  ASSERT_EQ(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/b.jsonl", lines, split)),
            static_cast<int>(lines.size() - split));

  ChildProcess second;
  ASSERT_TRUE(second.Start({Bin(), "run", "--config", Config(dir), "--brokers", bootstrap,
                            "--group", "restart", "--instance-id", "second"},
                           dir + "/second.out", dir + "/second.err"));
  ASSERT_TRUE(WaitFor([&] { return !Decisions(second.out()).empty(); }, 40'000)) << second.err();
  const json decision = Decisions(second.out())[0];
  // The same decision as an uninterrupted replay, at the same report and load count.
  EXPECT_EQ(decision["decision"], "rollback");
  EXPECT_EQ(decision["canary_loads"], replayed[0]["canary_loads"]);
  EXPECT_EQ(decision["ts"], replayed[0]["ts"]);
  EXPECT_EQ(decision["check"], replayed[0]["check"]);

  second.Signal(SIGTERM);
  ASSERT_TRUE(second.Wait(20'000));
  EXPECT_EQ(second.exit_code(), 0);
  const json s = Summary(second.out());
  // Rebuilt from the release's start: nothing lost (every report read by the second instance),
  // nothing counted twice (same loads as the replay).
  EXPECT_EQ(s["messages"], lines.size());
  EXPECT_EQ(s["rejected"], 0);

  const std::vector<json> signals = Consume(bootstrap, "canaryd.signals", 1, 15);
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0]["key"], bad.release);
  broker.Signal(SIGTERM);
  EXPECT_TRUE(broker.Wait(10'000));
}

TEST_F(KafkaDaemonTest, TwoInstancesShareTheTopicAndTheSurvivorFinishesAfterAKill) {
  const std::string dir = Dir("group");
  ChildProcess broker;
  const std::string bootstrap = StartBroker(&broker, dir, 4);
  ASSERT_FALSE(bootstrap.empty()) << broker.err();

  std::vector<sim::Scenario> scenarios;
  // crc32(name) mod 4 = 0, 1, 2, 3 (kafka_client.py's partitioner): one per partition, so each
  // instance owns some when the first is killed.
  const std::vector<std::string> datasets = {"mart.orders", "mart.shipments", "mart.refunds",
                                             "mart.inventory"};
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    scenarios.push_back(Regression(31 + i, datasets[i], 0.016));
  }
  const std::vector<std::string> lines = Reports(scenarios);

  ChildProcess a;
  ChildProcess b;
  ASSERT_TRUE(a.Start({Bin(), "run", "--config", Config(dir), "--brokers", bootstrap, "--group",
                       "pair", "--instance-id", "a", "--log-level", "debug"},
                      dir + "/a.out", dir + "/a.err"));
  ASSERT_TRUE(WaitFor([&] { return a.err().find("event=partition_assigned") != std::string::npos; },
                      20'000))
      << a.err();
  ASSERT_TRUE(b.Start({Bin(), "run", "--config", Config(dir), "--brokers", bootstrap, "--group",
                       "pair", "--instance-id", "b"},
                      dir + "/b.out", dir + "/b.err"));
  // Generous: a rebalance waits on heartbeats, slow on a loaded 2-core machine.
  ASSERT_TRUE(WaitFor([&] { return b.err().find("event=partition_assigned") != std::string::npos; },
                      40'000))
      << b.err();
  // After the rebalance both own two partitions.
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return count(a.err(), "event=partition_assigned") >= 6; }, 40'000))
      << a.err();

  const std::size_t split = lines.size() / 4;
  ASSERT_GT(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/1.jsonl", lines, 0, split)),
            0);
  // Killed once it has committed what it read, with every release still open.
  ASSERT_TRUE(
      WaitFor([&] { return a.err().find("event=checkpoint") != std::string::npos; }, 20'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(Decisions(a.out()).empty());
  a.Signal(SIGKILL);
  ASSERT_TRUE(a.Wait(5000));
  ASSERT_GT(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/2.jsonl", lines, split)), 0);

  // Every release's rollback arrives once on the signal topic.
  const std::vector<json> signals = Consume(bootstrap, "canaryd.signals", 4, 60);
  std::map<std::string, int> per_key;
  for (const json& s : signals)
    ++per_key[s["headers"]["canaryd-idempotency-key"].get<std::string>()];
  ASSERT_EQ(per_key.size(), 4u) << b.err();
  for (const auto& [key, n] : per_key) EXPECT_EQ(n, 1) << key;

  // The survivor owns every dataset now and judged each the same way the replay does.
  const std::vector<json> replayed = Decisions(
      Capture(Bin() + " replay " + WriteLines(dir + "/all.jsonl", lines) + " 2>/dev/null"));
  ASSERT_EQ(replayed.size(), 4u);
  std::map<std::string, json> by_dataset;
  for (const json& d : Decisions(b.out())) by_dataset[d["dataset"]] = d;
  for (const json& r : replayed) {
    ASSERT_TRUE(by_dataset.count(r["dataset"])) << r["dataset"];
    const json& d = by_dataset[r["dataset"]];
    EXPECT_EQ(d["decision"], r["decision"]) << r["dataset"];
    EXPECT_EQ(d["canary_loads"], r["canary_loads"]) << r["dataset"];
  }
  // It rebuilt the killed instance's partitions from the releases' start.
  EXPECT_GE(count(b.err(), "event=partition_assigned"), 6u);
  b.Signal(SIGTERM);
  EXPECT_TRUE(b.Wait(20'000));
  EXPECT_EQ(b.exit_code(), 0);
  broker.Signal(SIGTERM);
  EXPECT_TRUE(broker.Wait(10'000));
}

TEST_F(KafkaDaemonTest, SighupReloadsRulesKeepsOldOnesWhenBadAndRunningReleasesUnchanged) {
  const std::string dir = Dir("reload");
  const std::string rules = dir + "/rules.yaml";
  std::ofstream(rules) << "version: 1\n";
  const std::string config = dir + "/canaryd.yaml";
  std::ofstream(config) << "engine:\n  checkpoint_interval: 200ms\nhttp:\n  listen: 127.0.0.1:0\n"
                        << "rules: " << rules << "\n";
  ChildProcess canaryd;
  ASSERT_TRUE(
      canaryd.Start({Bin(), "run", "--config", config}, dir + "/run.out", dir + "/run.err"));
  std::string bootstrap;
  ASSERT_TRUE(WaitFor([&] { return !(bootstrap = Bootstrap(canaryd.err())).empty(); }, 10'000))
      << canaryd.err();

  const sim::Scenario bad = Regression(41, "analytics.orders", 0.03);
  const std::vector<std::string> lines = Reports({bad});
  const std::string all = WriteLines(dir + "/all.jsonl", lines);
  const std::vector<json> replayed = Decisions(Capture(Bin() + " replay " + all + " 2>/dev/null"));
  ASSERT_EQ(replayed.size(), 1u);
  const std::size_t half = lines.size() / 4;
  ASSERT_GT(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/a.jsonl", lines, 0, half)), 0);
  // The release must be running (created under the first rules) before they change: the daemon
  // joins its group and reads the topic a few seconds after it starts.
  const std::uint16_t port = HttpPort(canaryd.err());
  ASSERT_NE(port, 0) << canaryd.err();
  ASSERT_TRUE(WaitFor([&] { return ReleaseKnown(port, bad.release); }, 30'000)) << canaryd.err();

  // A broken file: logged with its position, the old rules stay.
  std::ofstream(rules) << "version: 1\ndefaults:\n  alpha: 2\n";
  canaryd.Signal(SIGHUP);
  ASSERT_TRUE(
      WaitFor([&] { return canaryd.err().find("event=rules_reload_failed") != std::string::npos; },
              10'000));
  EXPECT_NE(canaryd.err().find("rules.yaml:3:10: alpha must be between 0 and 1"),
            std::string::npos);
  // A good file with a far stricter alpha: only new releases would use it.
  std::ofstream(rules) << "version: 1\ndefaults:\n  alpha: 1e-12\n";
  canaryd.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor(
      [&] { return canaryd.err().find("event=rules_reloaded") != std::string::npos; }, 10'000));
  EXPECT_TRUE(canaryd.running());

  ASSERT_GT(Produce(bootstrap, "canaryd.reports", WriteLines(dir + "/b.jsonl", lines, half)), 0);
  ASSERT_TRUE(WaitFor([&] { return !Decisions(canaryd.out()).empty(); }, 30'000)) << canaryd.err();
  // The running release kept the rules it started with: the same decision as the default replay.
  const json d = Decisions(canaryd.out())[0];
  EXPECT_EQ(d["decision"], replayed[0]["decision"]);
  EXPECT_EQ(d["canary_loads"], replayed[0]["canary_loads"]);
  canaryd.Signal(SIGTERM);
  ASSERT_TRUE(canaryd.Wait(20'000));
  EXPECT_EQ(canaryd.exit_code(), 0);
}

}  // namespace
}  // namespace canaryd
