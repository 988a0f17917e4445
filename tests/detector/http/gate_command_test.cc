#include "detector/http/gate_command.h"

#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "detector/http/http_server.h"
#include "tests/detector/http/fake_verdict_source.h"

namespace canaryd {
namespace {

using namespace std::chrono_literals;
using testing::FakeVerdictSource;
using testing::View;

class GateTest : public ::testing::Test {
 protected:
  void Start(std::string token = "") {
    HttpServerOptions o;
    o.port = 0;
    o.bearer_token = std::move(token);
    server_ = std::make_unique<HttpServer>(o, source_);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  int Gate(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunGate(args, out_, err_);
  }

  FakeVerdictSource source_;
  std::unique_ptr<HttpServer> server_;
  std::string url_;
  std::ostringstream out_, err_;
};

TEST_F(GateTest, PromoteExitsZero) {
  source_.SetReleases({View("r1", "a", Decision::kPromote), View("r1", "b", Decision::kPromote)});
  Start();
  EXPECT_EQ(Gate({"--release", "r1", "--wait", "5s", "--url", url_}), kGateExitPromote);
  EXPECT_EQ(out_.str(), "promote: release r1: all 2 datasets promoted\n");
}

TEST_F(GateTest, RollbackExitsThreeWithTheReason) {
  source_.SetReleases({View("r1", "a", Decision::kPromote), View("r1", "b", Decision::kRollback)});
  Start();
  EXPECT_EQ(Gate({"--release=r1", "--wait=5s", "--url=" + url_}), kGateExitRollback);
  EXPECT_EQ(out_.str(), "rollback: release r1: b: null_rate(email) 1.74% vs 1.03% baseline\n");
}

TEST_F(GateTest, WaitsForTheDecision) {
  source_.SetReleases({View("r1", "a", Decision::kContinue)});
  Start();
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    source_.SetReleases({View("r1", "a", Decision::kRollback)});
  });
  const auto start = std::chrono::steady_clock::now();
  const int code = Gate({"--release", "r1", "--wait", "10s", "--interval", "50ms", "--url", url_});
  later.join();
  EXPECT_EQ(code, kGateExitRollback) << err_.str();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(GateTest, UndecidedAtTheDeadlineExitsFour) {
  source_.SetReleases({View("r1", "a", Decision::kContinue)});
  Start();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Gate({"--release", "r1", "--wait", "400ms", "--interval", "100ms", "--url", url_}),
            kGateExitTimeout);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(err_.str(),
            "timeout: release r1 still undecided: 0 of 1 datasets decided; waiting on a after "
            "400ms\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(GateTest, UnknownReleaseTimesOutSayingSo) {
  Start();
  EXPECT_EQ(Gate({"--release", "nope", "--wait", "200ms", "--interval", "50ms", "--url", url_}),
            kGateExitTimeout);
  EXPECT_NE(err_.str().find("unknown to canaryd"), std::string::npos) << err_.str();
}

TEST_F(GateTest, TokenIsSentAndARefusedTokenIsAConfigError) {
  source_.SetReleases({View("r1", "a", Decision::kPromote)});
  Start("tok");
  EXPECT_EQ(Gate({"--release", "r1", "--wait", "5s", "--url", url_, "--token", "tok"}),
            kGateExitPromote);
  EXPECT_EQ(Gate({"--release", "r1", "--wait", "5s", "--url", url_, "--token", "bad"}),
            kGateExitUsage);
  EXPECT_NE(err_.str().find("401"), std::string::npos) << err_.str();
}

TEST_F(GateTest, UnreachableDaemonIsAConfigError) {
  Start();
  const std::string dead = url_;
  server_->Stop();
  EXPECT_EQ(Gate({"--release", "r1", "--wait", "300ms", "--interval", "50ms", "--url", dead}),
            kGateExitUsage);
  EXPECT_NE(err_.str().find("cannot reach canaryd at " + dead), std::string::npos) << err_.str();
}

TEST_F(GateTest, BadUsageExitsTwo) {
  EXPECT_EQ(Gate({}), kGateExitUsage);
  EXPECT_NE(err_.str().find("--release is required"), std::string::npos);
  EXPECT_EQ(Gate({"--release", "r", "--wait", "soon"}), kGateExitUsage);
  EXPECT_EQ(Gate({"--release", "r", "--bogus", "1"}), kGateExitUsage);
  EXPECT_EQ(Gate({"--release"}), kGateExitUsage);
  EXPECT_EQ(Gate({"--release", "r", "--url", "https://x"}), kGateExitUsage);
  EXPECT_EQ(Gate({"--release", "r", "--url", "ftp://x"}), kGateExitUsage);
  EXPECT_EQ(Gate({"--help"}), 0);
  EXPECT_NE(out_.str().find("usage: canaryd gate"), std::string::npos);
}

TEST(ParseDurationTest, Forms) {
  EXPECT_EQ(ParseDuration("10m"), 600'000ms);
  EXPECT_EQ(ParseDuration("90s"), 90'000ms);
  EXPECT_EQ(ParseDuration("1h30m"), 5'400'000ms);
  EXPECT_EQ(ParseDuration("250ms"), 250ms);
  EXPECT_EQ(ParseDuration("2"), 2'000ms);
  EXPECT_EQ(ParseDuration("1.5"), 1'500ms);
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("m"));
  EXPECT_FALSE(ParseDuration("10x"));
  EXPECT_FALSE(ParseDuration("-5s"));
}

}  // namespace
}  // namespace canaryd
