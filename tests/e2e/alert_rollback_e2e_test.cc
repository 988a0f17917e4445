// Issue 6 end to end, every piece a real process on loopback: `canaryd run` (embedded broker,
// HTTP on a free port, a rollback and a promote webhook action with an HMAC secret, an audit log)
// -> Prometheus (Debian package, 1 s scrape and evaluation) with deploy/prometheus's rules ->
// Alertmanager with deploy/alertmanager's config pointed at a receiver in this test. An
// independent Kafka client (kafka-python) produces a regressing canary release and a healthy one
// on two datasets; `canaryd gate` waits on both from before the first report. About 12 s when it
// passes; every wait is bounded; every process is stopped at the end, whatever fails.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detector/http/http_client.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"
#include "tests/detector/http/webhook_receiver.h"
#include "tests/integration/child_process.h"
#include "tests/integration/command_output.h"
#include "tests/integration/report_lines.h"

namespace canaryd {
namespace {

namespace fs = std::filesystem;
using testing::Capture;
using testing::ChildProcess;
using testing::JsonLines;
using testing::ReadFile;
using testing::Receiver;
using testing::Reports;
using testing::WaitFor;
using Json = nlohmann::json;

std::string Bin() {
  const char* bin = std::getenv("CANARYD_BIN");
  return bin != nullptr ? bin : CANARYD_BIN_PATH;
}
const fs::path kRepo = CANARYD_SOURCE_DIR;

// Full path of a program on PATH ("" when absent): ChildProcess execs without a PATH search.
std::string Which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::uint16_t FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

void Replace(std::string* s, const std::string& from, const std::string& to) {
  const std::size_t at = s->find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s->replace(at, from.size(), to);
}

HttpResult Get(std::uint16_t port, const std::string& target) {
  HttpUrl url;
  url.host = "127.0.0.1";
  url.port = std::to_string(port);
  HttpRequestSpec spec;
  spec.target = target;
  spec.timeout = std::chrono::milliseconds(5000);
  return HttpFetch(url, spec);
}

Json GetJson(std::uint16_t port, const std::string& target) {
  const HttpResult r = Get(port, target);
  if (!r.ok || r.status != 200) return Json();
  return Json::parse(r.body, nullptr, false);
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

// One sample of the text exposition: `name{k="v",...} value`.
struct Series {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Series> ParseMetrics(const std::string& text) {
  std::vector<Series> out;
  static const std::regex label_re(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Series s;
    const std::size_t brace = line.find('{');
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    if (brace != std::string::npos && brace < space) {
      s.name = line.substr(0, brace);
      const std::string labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
      for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label_re);
           it != std::sregex_iterator(); ++it) {
        s.labels[(*it)[1].str()] = (*it)[2].str();
      }
    } else {
      s.name = line.substr(0, space);
    }
    s.value = std::strtod(line.c_str() + space + 1, nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the one series `name` whose labels include `labels`; NaN when absent.
double Value(const std::vector<Series>& all, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const Series& s : all) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      const auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return s.value;
  }
  return std::nan("");
}

// Report time: the simulated loads end a few minutes before now (reports from the future would
// be dropped), on a minute boundary.
std::int64_t StartMs(int loads) {
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  return (now_ms / 60'000 - loads - 10) * 60'000;
}

// A steady dataset (as in `canaryd demo`): 20k rows per load, 1% nulls, ±10% overdispersion.
sim::Scenario Steady(std::uint64_t seed, const std::string& dataset, const std::string& release,
                     int loads) {
  return sim::SteadyMartScenario(seed, dataset, release, StartMs(loads), loads);
}

// The email null rate triples in the canary after its 5th load.
sim::Scenario BadRelease() {
  sim::Scenario s = Steady(61, "analytics.customers", "customers-dbt-bad-61", 200);
  s.canary.column_null_rates = {{"email", 0.03}};
  s.regression_after_canary_loads = 5;
  return s;
}

// A/A: the canary behaves like the baseline, long enough to be promoted.
sim::Scenario GoodRelease() { return Steady(62, "analytics.orders", "orders-dbt-good-62", 200); }

class AlertRollbackE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prometheus_ = Which("prometheus");
    alertmanager_ = Which("prometheus-alertmanager");
    if (prometheus_.empty() || alertmanager_.empty()) {
      GTEST_FAIL() << "prometheus / prometheus-alertmanager are missing: run "
                      "scripts/install-deps.sh";
    }
    if (std::system("/usr/bin/python3 -c 'import kafka' 2>/dev/null") != 0) {
      GTEST_FAIL() << "python3-kafka is missing: run scripts/install-deps.sh";
    }
    dir_ = fs::path(::testing::TempDir()) / ("canaryd_e2e_alert_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string prometheus_;
  std::string alertmanager_;
  fs::path dir_;
};

TEST_F(AlertRollbackE2eTest, RegressingReleaseIsRolledBackThroughEveryPathAndHealthyOneIsNot) {
  const auto t_start = std::chrono::steady_clock::now();
  const sim::Scenario bad = BadRelease();
  const sim::Scenario good = GoodRelease();
  const std::vector<std::string> lines = Reports({bad, good});
  {
    std::ofstream out(dir_ / "reports.jsonl");
    for (const std::string& l : lines) out << l << '\n';
  }
  // What the daemon must decide: the same reports replayed offline.
  std::map<std::string, Json> replayed;
  for (const Json& d : JsonLines(
           Capture(Bin() + " replay " + (dir_ / "reports.jsonl").string() + " 2>/dev/null"))) {
    if (d.contains("decision")) replayed[d["release"]] = d;
  }
  ASSERT_TRUE(replayed.count(bad.release)) << "the bad release is not decided by a replay";
  ASSERT_EQ(replayed[bad.release]["decision"], "rollback");
  ASSERT_TRUE(replayed.count(good.release)) << "the healthy release is not decided by a replay";
  ASSERT_EQ(replayed[good.release]["decision"], "promote");

  // canaryd's own actions go to one receiver, Alertmanager's notifications to another.
  Receiver actions;
  Receiver alerts;
  const std::string secret = "e2e-secret-" + std::to_string(::getpid());
  std::ofstream(dir_ / "webhook.secret") << secret << '\n';
  const fs::path audit = dir_ / "audit.jsonl";
  std::ofstream(dir_ / "canaryd.yaml")
      << "http:\n  listen: 127.0.0.1:0\n"
      << "engine:\n  checkpoint_interval: 200ms\n"
      << "actions:\n"
      << "  - name: rollback-hook\n    on: [rollback]\n"
      << "    webhook: " << actions.base_url() << "/rollback\n"
      << "    secret_file: " << (dir_ / "webhook.secret").string() << "\n"
      << "    timeout: 5s\n    retries: 3\n"
      << "  - name: promote-hook\n    on: [promote]\n"
      << "    webhook: " << actions.base_url() << "/promote\n"
      << "    secret_file: " << (dir_ / "webhook.secret").string() << "\n"
      << "audit_log: " << audit.string() << "\n";

  ChildProcess canaryd;
  ASSERT_TRUE(canaryd.Start({Bin(), "run", "--config", (dir_ / "canaryd.yaml").string()},
                            (dir_ / "canaryd.out").string(), (dir_ / "canaryd.err").string()));
  std::smatch m;
  std::string bootstrap;
  std::uint16_t port = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string err = canaryd.err();
        static const std::regex broker_re("bootstrap=([0-9.:,]+)");
        static const std::regex http_re("event=http_listening address=127\\.0\\.0\\.1:([0-9]+)");
        if (bootstrap.empty() && std::regex_search(err, m, broker_re)) bootstrap = m[1].str();
        if (port == 0 && std::regex_search(err, m, http_re)) port = std::stoi(m[1].str());
        return !bootstrap.empty() && port != 0;
      },
      15'000))
      << canaryd.err();
  ASSERT_EQ(Get(port, "/healthz").status, 200);
  // Ready once it has joined the group and rebuilt its (empty) partitions.
  ASSERT_TRUE(WaitFor([&] { return Get(port, "/readyz").status == 200; }, 30'000))
      << Get(port, "/readyz").body << "\n"
      << canaryd.err();

  // Prometheus and Alertmanager: the project's rules and routing, loopback ports, short intervals.
  const std::uint16_t am_port = FreePort();
  const std::uint16_t prom_port = FreePort();
  std::string am = ReadFile((kRepo / "deploy/alertmanager/alertmanager.yml").string());
  Replace(&am, "http://127.0.0.1:9479/rollback", alerts.base_url() + "/rollback");
  Replace(&am, "http://127.0.0.1:9480/oncall", alerts.base_url() + "/oncall");
  std::ofstream(dir_ / "alertmanager.yml") << am;
  std::ofstream(dir_ / "prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
      << "rule_files: ['" << (kRepo / "deploy/prometheus/canaryd-rules.yml").string() << "']\n"
      << "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:" << am_port
      << "']}]}]}\n"
      << "scrape_configs:\n"
      << "  - job_name: canaryd\n"
      << "    static_configs: [{targets: ['127.0.0.1:" << port << "']}]\n";
  ChildProcess alertmanager;
  ChildProcess prometheus;
  ASSERT_TRUE(alertmanager.Start(
      {alertmanager_, "--config.file=" + (dir_ / "alertmanager.yml").string(),
       "--storage.path=" + (dir_ / "am").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
      (dir_ / "alertmanager.out").string(), (dir_ / "alertmanager.err").string()));
  ASSERT_TRUE(prometheus.Start({prometheus_, "--config.file=" + (dir_ / "prometheus.yml").string(),
                                "--storage.tsdb.path=" + (dir_ / "prom").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                               (dir_ / "prometheus.out").string(),
                               (dir_ / "prometheus.err").string()));
  auto logs = [&] {
    return "\n--- canaryd stderr:\n" + canaryd.err() + "\n--- prometheus:\n" + prometheus.err() +
           "\n--- alertmanager:\n" + alertmanager.err();
  };
  // Prometheus scrapes canaryd before any release exists.
  ASSERT_TRUE(WaitFor(
      [&] {
        const Json j = GetJson(prom_port, "/api/v1/query?query=up");
        if (!j.is_object() || !j.contains("data")) return false;
        for (const Json& r : j["data"]["result"]) {
          if (r["metric"].value("job", "") == "canaryd" && r["value"][1] == "1") return true;
        }
        return false;
      },
      30'000))
      << logs();

  // `canaryd gate` on both releases, from before their first report: a CI job waiting.
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ChildProcess gate_bad;
  ChildProcess gate_good;
  ASSERT_TRUE(gate_bad.Start({Bin(), "gate", "--release", bad.release, "--url", url, "--wait",
                              "30s", "--interval", "250ms"},
                             (dir_ / "gate_bad.out").string(), (dir_ / "gate_bad.err").string()));
  ASSERT_TRUE(gate_good.Start({Bin(), "gate", "--release", good.release, "--url", url, "--wait",
                               "30s", "--interval", "250ms"},
                              (dir_ / "gate_good.out").string(),
                              (dir_ / "gate_good.err").string()));

  // The reports, through an independent Kafka client.
  const std::vector<Json> produced = JsonLines(Capture(
      "/usr/bin/python3 " + (kRepo / "tests/integration/kafka_client.py").string() + " produce " +
      bootstrap + " canaryd.reports " + (dir_ / "reports.jsonl").string() + " 2>&1"));
  ASSERT_FALSE(produced.empty());
  ASSERT_EQ(produced.front().value("sent", -1), static_cast<int>(lines.size()));

  // 1. Alertmanager notifies the rollback receiver: a firing CanaryRollbackRequired for the bad
  //    release only.
  std::vector<Json> rollback_alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        rollback_alerts.clear();
        for (const auto& r : alerts.requests()) {
          if (r.target != "/rollback") continue;
          const Json body = Json::parse(r.body, nullptr, false);
          if (!body.is_object()) continue;
          for (const Json& a : body["alerts"]) rollback_alerts.push_back(a);
        }
        return !rollback_alerts.empty();
      },
      45'000))
      << "no rollback notification within 45 s" << logs();
  const double alert_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  for (const Json& a : rollback_alerts) {
    EXPECT_EQ(a["status"], "firing");
    EXPECT_EQ(a["labels"]["alertname"], "CanaryRollbackRequired");
    EXPECT_EQ(a["labels"]["release"], bad.release);
    EXPECT_EQ(a["labels"]["dataset"], bad.dataset);
    EXPECT_EQ(a["labels"]["job"], "canaryd");
    EXPECT_EQ(a["labels"]["severity"], "critical");
  }

  // 2. The gates: rollback exits 3 with the reason, the healthy release is promoted (exit 0).
  ASSERT_TRUE(gate_bad.Wait(35'000));
  EXPECT_EQ(gate_bad.exit_code(), 3) << gate_bad.out() << gate_bad.err();
  EXPECT_EQ(gate_bad.out().rfind("rollback: release " + bad.release + ": ", 0), 0u)
      << gate_bad.out();
  ASSERT_TRUE(gate_good.Wait(35'000));
  EXPECT_EQ(gate_good.exit_code(), 0) << gate_good.out() << gate_good.err();
  EXPECT_EQ(gate_good.out().rfind("promote: release " + good.release + ": ", 0), 0u)
      << gate_good.out();

  // 3. The verdict API on the running daemon: the decision, its reason and the check sentences,
  //    the same deciding check and load count as the offline replay.
  const Json bad_view = GetJson(port, "/v1/releases/" + PercentEncode(bad.release));
  ASSERT_TRUE(bad_view.is_object()) << Get(port, "/v1/releases/" + bad.release).body;
  EXPECT_EQ(bad_view["release"], bad.release);
  EXPECT_EQ(bad_view["decision"], "rollback");
  EXPECT_NE(bad_view.value("reason", "").find(bad.dataset), std::string::npos) << bad_view;
  EXPECT_TRUE(bad_view.contains("decided_at"));
  ASSERT_EQ(bad_view["datasets"].size(), 1u);
  const Json& bad_ds = bad_view["datasets"][0];
  EXPECT_EQ(bad_ds["decision"], "rollback");
  EXPECT_EQ(bad_ds["deciding_check"], replayed[bad.release]["check"]);
  EXPECT_EQ(bad_ds["canary_loads"], replayed[bad.release]["canary_loads"]);
  bool deciding_sentence = false;
  for (const Json& c : bad_ds["checks"]) {
    EXPECT_FALSE(c.value("sentence", "").empty()) << c;
    if (c["check"] == bad_ds["deciding_check"]) {
      EXPECT_EQ(c["verdict"], "FAIL");
      deciding_sentence = !c.value("sentence", "").empty();
    }
  }
  EXPECT_TRUE(deciding_sentence) << bad_ds;
  const Json good_view = GetJson(port, "/v1/releases/" + PercentEncode(good.release));
  ASSERT_TRUE(good_view.is_object());
  EXPECT_EQ(good_view["decision"], "promote");
  EXPECT_EQ(good_view["datasets"][0]["deciding_check"], "all");
  EXPECT_EQ(good_view["datasets"][0]["canary_loads"], replayed[good.release]["canary_loads"]);

  // 4. canaryd's own webhook actions: the rollback hook once for the bad release, signed, with
  //    its idempotency key; the promote hook once for the healthy one. Wait for the audit log
  //    to record both deliveries, then a little longer so a duplicate would show.
  auto audit_lines = [&] { return JsonLines(ReadFile(audit.string())); };
  ASSERT_TRUE(WaitFor(
      [&] {
        int delivered = 0;
        for (const Json& a : audit_lines()) delivered += a["outcome"] == "delivered";
        return delivered >= 2;
      },
      15'000))
      << ReadFile(audit.string()) << logs();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<Receiver::Request> rollback_calls;
  std::vector<Receiver::Request> promote_calls;
  for (const auto& r : actions.requests()) {
    (r.target == "/rollback" ? rollback_calls : promote_calls).push_back(r);
  }
  ASSERT_EQ(rollback_calls.size(), 1u);
  const Receiver::Request& call = rollback_calls[0];
  const std::string key = bad.release + "|" + bad.dataset + "|rollback";
  EXPECT_EQ(call.headers.count("Idempotency-Key") ? call.headers.at("Idempotency-Key") : "", key);
  ASSERT_TRUE(call.headers.count("X-Canaryd-Signature-256"));
  const std::string signature = call.headers.at("X-Canaryd-Signature-256");
  const std::string expected = "sha256=" + HmacSha256Hex(secret, call.body);
  EXPECT_TRUE(signature.size() == expected.size() &&
              CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0)
      << signature << " vs " << expected;
  EXPECT_NE(HmacSha256Hex("wrong-" + secret, call.body), signature.substr(7));
  EXPECT_EQ(call.headers.count("X-Canaryd-Event") ? call.headers.at("X-Canaryd-Event") : "",
            "decision");
  const Json body = Json::parse(call.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << call.body;
  EXPECT_EQ(body["release"], bad.release);
  EXPECT_EQ(body["dataset"], bad.dataset);
  EXPECT_EQ(body["decision"], "rollback");
  EXPECT_EQ(body["idempotency_key"], key);
  ASSERT_EQ(promote_calls.size(), 1u);
  EXPECT_EQ(promote_calls[0].target, "/promote");
  EXPECT_EQ(Json::parse(promote_calls[0].body, nullptr, false)["release"], good.release);
  EXPECT_EQ(promote_calls[0].headers.count("Idempotency-Key")
                ? promote_calls[0].headers.at("Idempotency-Key")
                : "",
            good.release + "|" + good.dataset + "|promote");

  // 5. The audit log: one delivered attempt per action, no secret in it.
  const std::string audit_text = ReadFile(audit.string());
  EXPECT_EQ(audit_text.find(secret), std::string::npos);
  std::map<std::string, int> audited;
  for (const Json& a : audit_lines()) {
    ++audited[a.value("action", "") + " " + a.value("release", "") + " " + a.value("outcome", "")];
    if (a["action"] == "rollback-hook") {
      EXPECT_EQ(a["kind"], "webhook");
      EXPECT_EQ(a["release"], bad.release);
      EXPECT_EQ(a["dataset"], bad.dataset);
      EXPECT_EQ(a["decision"], "rollback");
      EXPECT_EQ(a["idempotency_key"], key);
      EXPECT_EQ(a["attempt"], 1);
      EXPECT_EQ(a["status"], 200);
    }
  }
  EXPECT_EQ(audited,
            (std::map<std::string, int>{{"rollback-hook " + bad.release + " delivered", 1},
                                        {"promote-hook " + good.release + " delivered", 1}}))
      << audit_text;

  // 6. /metrics on the real daemon: the series the alert used, the decision gauges, the
  //    counters, and the actions.
  std::vector<Series> series;
  ASSERT_TRUE(WaitFor(
      [&] {
        const HttpResult r = Get(port, "/metrics");
        series = ParseMetrics(r.body);
        return r.status == 200 &&
               Value(series, "canaryd_reports_consumed_total") == static_cast<double>(lines.size());
      },
      15'000))
      << "canaryd_reports_consumed_total never reached " << lines.size() << ": "
      << Value(series, "canaryd_reports_consumed_total");
  const std::map<std::string, std::string> bad_labels = {{"release", bad.release},
                                                         {"dataset", bad.dataset}};
  const std::map<std::string, std::string> good_labels = {{"release", good.release},
                                                          {"dataset", good.dataset}};
  EXPECT_EQ(Value(series, "canaryd_rollback_required", bad_labels), 1);
  EXPECT_EQ(Value(series, "canaryd_rollback_required", good_labels), 0);
  auto with = [](std::map<std::string, std::string> l, const std::string& k, const std::string& v) {
    l[k] = v;
    return l;
  };
  EXPECT_EQ(Value(series, "canaryd_release_decision", with(bad_labels, "decision", "rollback")), 1);
  EXPECT_EQ(Value(series, "canaryd_release_decision", with(good_labels, "decision", "promote")), 1);
  EXPECT_EQ(Value(series, "canaryd_release_decision", with(good_labels, "decision", "rollback")),
            0);
  EXPECT_EQ(Value(series, "canaryd_check_verdict",
                  with(with(bad_labels, "check", bad_ds["deciding_check"]), "verdict", "FAIL")),
            1);
  EXPECT_EQ(Value(series, "canaryd_ready"), 1);
  EXPECT_EQ(Value(series, "canaryd_reports_consumed_total"), static_cast<double>(lines.size()));
  // No report was rejected (the family has one series per reason seen, so none at all here).
  for (const Series& s : series) {
    if (s.name == "canaryd_reports_rejected_total") {
      EXPECT_EQ(s.value, 0) << s.labels.begin()->second;
    }
  }
  EXPECT_EQ(Value(series, "canaryd_actions_total", {{"outcome", "delivered"}}), 2);
  EXPECT_EQ(Value(series, "canaryd_signals_published_total"), 2);

  // 7. Prometheus holds both releases' rollback series, and fires for the bad one only.
  const Json firing = GetJson(prom_port, "/api/v1/alerts");
  ASSERT_TRUE(firing.is_object());
  std::set<std::string> alerted;
  for (const Json& a : firing["data"]["alerts"]) {
    if (a["labels"]["alertname"] == "CanaryRollbackRequired") {
      alerted.insert(a["labels"]["release"].get<std::string>());
    }
  }
  EXPECT_EQ(alerted, std::set<std::string>{bad.release});
  ASSERT_TRUE(WaitFor(
      [&] {
        const Json j = GetJson(prom_port, "/api/v1/query?query=canaryd_rollback_required");
        if (!j.is_object()) return false;
        std::map<std::string, std::string> seen;
        for (const Json& r : j["data"]["result"]) {
          seen[r["metric"].value("release", "")] = r["value"][1];
        }
        return seen == std::map<std::string, std::string>{{bad.release, "1"}, {good.release, "0"}};
      },
      10'000))
      << "Prometheus does not hold both rollback series";
  // Nothing but the bad release's rollback reached the rollback receiver meanwhile.
  for (const auto& r : alerts.requests()) {
    const Json b = Json::parse(r.body, nullptr, false);
    if (!b.is_object()) continue;
    for (const Json& a : b["alerts"]) EXPECT_NE(a["labels"]["release"], good.release) << r.body;
  }

  // 8. canaryd stops cleanly: one decision line per release, each signalled once.
  canaryd.Signal(SIGTERM);
  ASSERT_TRUE(canaryd.Wait(20'000)) << "canaryd did not stop within 20 s of SIGTERM";
  EXPECT_EQ(canaryd.exit_code(), 0) << canaryd.err();
  std::map<std::string, std::string> decisions;
  for (const Json& d : JsonLines(canaryd.out())) {
    if (d.contains("decision")) {
      EXPECT_FALSE(decisions.count(d["release"])) << "decided twice: " << d;
      decisions[d["release"]] = d["decision"];
      EXPECT_EQ(d["signal"], "sent");
    }
  }
  EXPECT_EQ(decisions, (std::map<std::string, std::string>{{bad.release, "rollback"},
                                                           {good.release, "promote"}}));
  prometheus.Signal(SIGTERM);
  alertmanager.Signal(SIGTERM);
  EXPECT_TRUE(prometheus.Wait(15'000));
  EXPECT_TRUE(alertmanager.Wait(15'000));
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  std::printf("alert at %.1f s, whole test %.1f s\n", alert_s, total_s);
  EXPECT_LT(total_s, 120.0);
}

}  // namespace
}  // namespace canaryd
