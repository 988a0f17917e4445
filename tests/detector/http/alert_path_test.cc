// The alert-driven rollback path with real processes on loopback: canaryd's listener and exporter
// (over a fake verdict source) -> Prometheus (Debian package) evaluating deploy/prometheus's rules
// -> Alertmanager routing with deploy/alertmanager's config -> a webhook receiver here. Skipped
// when the Prometheus binaries are not installed; bounded to a minute.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "detector/http/http_server.h"
#include "tests/detector/http/fake_verdict_source.h"
#include "tests/detector/http/webhook_receiver.h"

extern char** environ;

namespace canaryd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;

bool OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::uint16_t FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Replace(std::string* s, const std::string& from, const std::string& to) {
  const std::size_t at = s->find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s->replace(at, from.size(), to);
}

// A child process with stdout+stderr to a log file; killed when it goes out of scope.
class Process {
 public:
  Process(std::vector<std::string> argv, const fs::path& log) : log_(log) {
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &files, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&files);
  }
  ~Process() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }
  std::string log() const { return Slurp(log_); }

 private:
  pid_t pid_ = -1;
  fs::path log_;
};

TEST(AlertPathTest, RollbackDecisionReachesTheRollbackWebhookThroughPrometheusAndAlertmanager) {
  if (!OnPath("prometheus") || !OnPath("prometheus-alertmanager")) {
    GTEST_SKIP() << "prometheus / prometheus-alertmanager not installed";
  }
  const fs::path repo = CANARYD_SOURCE_DIR;
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("canaryd_alert_path_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  testing::FakeVerdictSource source;
  source.SetReleases({testing::View("bad-1", "analytics.orders", Decision::kRollback),
                      testing::View("good-1", "analytics.orders", Decision::kPromote),
                      testing::View("running-1", "analytics.customers", Decision::kContinue)});
  HttpServerOptions options;
  options.port = 0;
  HttpServer canaryd(options, source);
  std::string error;
  ASSERT_TRUE(canaryd.Start(&error)) << error;

  testing::Receiver receiver;
  const std::uint16_t am_port = FreePort();
  const std::uint16_t prom_port = FreePort();

  // The project's Alertmanager config, pointed at the receiver here.
  std::string am = Slurp(repo / "deploy/alertmanager/alertmanager.yml");
  Replace(&am, "http://127.0.0.1:9479/rollback", receiver.base_url() + "/rollback");
  Replace(&am, "http://127.0.0.1:9480/oncall", receiver.base_url() + "/oncall");
  std::ofstream(dir / "alertmanager.yml") << am;

  // The project's rules, with intervals short enough for a test.
  std::ofstream(dir / "prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
      << "rule_files: ['" << (repo / "deploy/prometheus/canaryd-rules.yml").string() << "']\n"
      << "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:" << am_port
      << "']}]}]}\n"
      << "scrape_configs:\n"
      << "  - job_name: canaryd\n"
      << "    static_configs: [{targets: ['127.0.0.1:" << canaryd.port() << "']}]\n";

  Process alertmanager(
      {"prometheus-alertmanager", "--config.file=" + (dir / "alertmanager.yml").string(),
       "--storage.path=" + (dir / "am").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
      dir / "alertmanager.log");
  Process prometheus({"prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                      "--storage.tsdb.path=" + (dir / "prom").string(),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                     dir / "prometheus.log");
  ASSERT_TRUE(alertmanager.started());
  ASSERT_TRUE(prometheus.started());

  // Wait for the rollback notification.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<Json> rollback_alerts;
  while (std::chrono::steady_clock::now() < deadline && rollback_alerts.empty()) {
    for (const auto& r : receiver.requests()) {
      if (r.target != "/rollback") continue;
      const Json body = Json::parse(r.body, nullptr, false);
      if (!body.is_object()) continue;
      for (const Json& a : body["alerts"]) rollback_alerts.push_back(a);
    }
    if (rollback_alerts.empty()) std::this_thread::sleep_for(200ms);
  }
  ASSERT_FALSE(rollback_alerts.empty())
      << "no rollback notification within 60 s\n--- prometheus log:\n"
      << prometheus.log() << "\n--- alertmanager log:\n"
      << alertmanager.log();
  for (const Json& a : rollback_alerts) {
    EXPECT_EQ(a["status"], "firing");
    EXPECT_EQ(a["labels"]["alertname"], "CanaryRollbackRequired");
    // Only the rolled-back release: the promoted and running ones raise nothing.
    EXPECT_EQ(a["labels"]["release"], "bad-1");
    EXPECT_EQ(a["labels"]["dataset"], "analytics.orders");
    EXPECT_EQ(a["labels"]["job"], "canaryd");
  }
  canaryd.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace canaryd
