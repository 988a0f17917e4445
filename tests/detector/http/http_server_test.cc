#include "detector/http/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "detector/http/api.h"
#include "detector/http/http_client.h"
#include "tests/detector/http/fake_verdict_source.h"

namespace canaryd {
namespace {

using namespace std::chrono_literals;
using testing::FakeVerdictSource;
using testing::View;
using Json = nlohmann::json;

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions o = {}) {
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, source_);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_NE(server_->port(), 0);
    url_.host = "127.0.0.1";
    url_.port = std::to_string(server_->port());
  }

  HttpResult Get(const std::string& target, const std::string& token = "",
                 const std::string& method = "GET") {
    HttpRequestSpec spec;
    spec.method = method;
    spec.target = target;
    spec.timeout = 5s;
    if (!token.empty()) spec.headers.emplace_back("Authorization", "Bearer " + token);
    return HttpFetch(url_, spec);
  }

  // Sends raw bytes and reads until the server closes; returns what came back.
  std::string Raw(const std::string& bytes, std::chrono::milliseconds budget = 5s) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(socket, boost::asio::buffer(bytes));
    std::string out;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + budget;
    boost::system::error_code ec;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  void SetUp() override {
    source_.SetReleases({View("orders-2026.11.23.2", "analytics.orders", Decision::kRollback),
                         View("orders-2026.11.23.2", "analytics.customers", Decision::kContinue),
                         View("good/1", "analytics.orders", Decision::kPromote)});
  }

  FakeVerdictSource source_;
  std::unique_ptr<HttpServer> server_;
  HttpUrl url_;
};

TEST_F(HttpServerTest, BindsLoopbackOnAnyFreePortAndStopsCleanly) {
  StartServer();
  const HttpResult r = Get("/healthz");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["status"], "ok");
  server_->Stop();
  server_->Stop();  // idempotent
  EXPECT_FALSE(Get("/healthz").ok);
}

TEST_F(HttpServerTest, StartFailsClearlyWhenThePortIsTaken) {
  StartServer();
  HttpServerOptions o;
  o.port = server_->port();
  HttpServer second(o, source_);
  std::string error;
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("127.0.0.1:" + std::to_string(o.port)), std::string::npos) << error;
}

TEST_F(HttpServerTest, ReadyzIs503UntilReady) {
  source_.SetReady(false);
  StartServer();
  HttpResult r = Get("/readyz");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body)["reason"], "rebuilding 2 partitions");
  source_.SetReady(true);
  r = Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["status"], "ready");
}

TEST_F(HttpServerTest, MetricsIsTheTextExposition) {
  StartServer();
  const HttpResult r = Get("/metrics");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kMetricsContentType);
  EXPECT_NE(r.body.find("canaryd_rollback_required{dataset=\"analytics.orders\",release="
                        "\"orders-2026.11.23.2\"} 1"),
            std::string::npos)
      << r.body.substr(0, 2000);
}

TEST_F(HttpServerTest, RulesRouteAsksTheSourceForTheDataset) {
  StartServer();
  HttpResult r = Get("/v1/rules/analytics.orders");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["dataset"], "analytics.orders");
  r = Get("/v1/rules/staging%2Fevents");
  EXPECT_EQ(Json::parse(r.body)["dataset"], "staging/events");
  r = Get("/v1/rules");
  EXPECT_EQ(Json::parse(r.body)["dataset"], "");  // the whole summary
  source_.SetHasRules(false);
  r = Get("/v1/rules");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "no_rules");
}

TEST_F(HttpServerTest, ListsReleasesWithReleaseLevelDecision) {
  StartServer();
  const HttpResult r = Get("/v1/releases");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200);
  const Json j = Json::parse(r.body);
  ASSERT_EQ(j["releases"].size(), 2u);
  EXPECT_EQ(j["releases"][0]["release"], "good/1");
  EXPECT_EQ(j["releases"][0]["decision"], "promote");
  const Json& bad = j["releases"][1];
  EXPECT_EQ(bad["release"], "orders-2026.11.23.2");
  EXPECT_EQ(bad["decision"], "rollback");  // one dataset rolled back rolls back the release
  EXPECT_EQ(bad["reason"], "analytics.orders: null_rate(email) 1.74% vs 1.03% baseline");
  ASSERT_EQ(bad["datasets"].size(), 2u);
  EXPECT_EQ(bad["datasets"][0]["dataset"], "analytics.customers");
  EXPECT_EQ(bad["datasets"][0]["decision"], "continue");
  EXPECT_FALSE(bad["datasets"][0].contains("checks"));  // the list stays small
}

TEST_F(HttpServerTest, ReleaseDetailHasVerdictsEvidenceAndSentences) {
  StartServer();
  const HttpResult r = Get("/v1/releases/orders-2026.11.23.2");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200);
  const Json j = Json::parse(r.body);
  EXPECT_EQ(j["decision"], "rollback");
  EXPECT_EQ(j["decided_at"], "2026-11-18T11:15:00.000Z");
  EXPECT_EQ(j["canary_loads"], 38);
  ASSERT_EQ(j["datasets"].size(), 2u);
  const Json& orders = j["datasets"][1];
  EXPECT_EQ(orders["dataset"], "analytics.orders");
  EXPECT_EQ(orders["decision"], "rollback");
  EXPECT_EQ(orders["deciding_check"], "null_rate(email)");
  const Json& check = orders["checks"][0];
  EXPECT_EQ(check["check"], "null_rate(email)");
  EXPECT_EQ(check["verdict"], "FAIL");
  EXPECT_EQ(check["sentence"], "null_rate(email) sentence");
  EXPECT_DOUBLE_EQ(check["log_e_value"].get<double>(), 10.85);
  EXPECT_DOUBLE_EQ(check["log_threshold"].get<double>(), 6.40);
}

TEST_F(HttpServerTest, ReleaseIdsArePercentDecoded) {
  StartServer();
  const HttpResult r = Get("/v1/releases/good%2F1");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["decision"], "promote");
  EXPECT_EQ(Get("/v1/releases/good/1").status, 200);  // an unencoded slash works too
  EXPECT_EQ(Get("/v1/releases/bad%zz").status, 400);
}

TEST_F(HttpServerTest, ClearJsonErrors) {
  StartServer();
  HttpResult r = Get("/v1/releases/nope");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 404);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "unknown_release");
  EXPECT_EQ(j["error"]["status"], 404);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("'nope'"), std::string::npos);

  r = Get("/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "not_found");

  r = Get("/v1/releases", "", "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "method_not_allowed");
}

TEST_F(HttpServerTest, BearerTokenGuardsEverythingButProbes) {
  HttpServerOptions o;
  o.bearer_token = "s3cret";
  StartServer(o);
  HttpResult r = Get("/v1/releases");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "unauthorized");
  EXPECT_EQ(Get("/v1/releases", "wrong").status, 401);
  EXPECT_EQ(Get("/v1/releases", "s3cre").status, 401);
  EXPECT_EQ(Get("/v1/releases", "s3cret!").status, 401);
  EXPECT_EQ(Get("/metrics").status, 401);
  EXPECT_EQ(Get("/v1/releases", "s3cret").status, 200);
  EXPECT_EQ(Get("/metrics", "s3cret").status, 200);
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(HttpServerTest, OversizedRequestGets413) {
  HttpServerOptions o;
  o.max_request_bytes = 1024;
  StartServer(o);
  const std::string reply =
      Raw("GET /v1/releases HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("request_too_large"), std::string::npos);
  // The limit is per request: a normal one still works.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  StartServer();
  const std::string reply = Raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
}

TEST_F(HttpServerTest, SlowClientIsCutOffAtTheRequestTimeLimit) {
  HttpServerOptions o;
  o.request_timeout = 300ms;
  StartServer(o);
  const auto start = std::chrono::steady_clock::now();
  const std::string reply = Raw("GET /healthz HTTP/1.1\r\nHost: x\r\n", 5s);  // never finished
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(reply.empty()) << reply;
  EXPECT_LT(took, 3s);
  EXPECT_GE(took, 250ms);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  const std::string reply =
      Raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("\"ok\""), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"ready\""), std::string::npos) << reply;
}

TEST_F(HttpServerTest, FailureInsideARouteIs500Json) {
  StartServer();
  source_.SetThrow(true);
  const HttpResult r = Get("/v1/releases");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "internal");
  EXPECT_EQ(r.body.find("snapshot unavailable"), std::string::npos);  // details go to the log
  source_.SetThrow(false);
  EXPECT_EQ(Get("/v1/releases").status, 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HttpServerOptions o;
  o.max_connections = 1;
  o.request_timeout = 2s;
  StartServer(o);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket hog(ioc);
  hog.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  // Give the server a moment to accept the hog before the second connection arrives.
  std::this_thread::sleep_for(100ms);
  HttpRequestSpec spec;
  spec.target = "/healthz";
  spec.timeout = 1s;
  EXPECT_FALSE(HttpFetch(url_, spec).ok);
  hog.close();
  // Served again once the slot is free.
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = HttpFetch(url_, spec).ok;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, StopReturnsPromptlyWithOpenConnections) {
  StartServer();
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket idle(ioc);
  idle.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  char c;
  boost::system::error_code ec;
  idle.read_some(boost::asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec);  // closed by the server
}

TEST_F(HttpServerTest, ConcurrentClientsOnSeveralThreads) {
  HttpServerOptions o;
  o.threads = 2;
  StartServer(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const HttpResult r = Get(i % 2 ? "/metrics" : "/v1/releases/good%2F1");
        if (r.ok && r.status == 200) ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(HttpServerOptionsTest, BadBindAddressIsAClearError) {
  FakeVerdictSource source;
  HttpServerOptions o;
  o.bind_address = "not-an-ip";
  o.port = 0;
  HttpServer server(o, source);
  std::string error;
  EXPECT_FALSE(server.Start(&error));
  EXPECT_NE(error.find("not-an-ip"), std::string::npos) << error;
}

TEST(ParseListenAddressTest, Forms) {
  HttpServerOptions o;
  std::string error;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:8787", &o, &error)) << error;
  EXPECT_EQ(o.bind_address, "127.0.0.1");
  EXPECT_EQ(o.port, 8787);
  ASSERT_TRUE(ParseListenAddress("[::1]:0", &o, &error)) << error;
  EXPECT_EQ(o.bind_address, "::1");
  EXPECT_EQ(o.port, 0);
  ASSERT_TRUE(ParseListenAddress("9000", &o, &error)) << error;
  EXPECT_EQ(o.bind_address, "127.0.0.1");
  EXPECT_EQ(o.port, 9000);
  EXPECT_FALSE(ParseListenAddress("localhost:80", &o, &error));  // an address, not a name
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:", &o, &error));
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:65536", &o, &error));
  EXPECT_FALSE(ParseListenAddress("[::1]8787", &o, &error));
  EXPECT_FALSE(ParseListenAddress(":8787", &o, &error));
  EXPECT_NE(error.find("127.0.0.1:8787 for loopback"), std::string::npos) << error;
}

TEST(ApiHandlerTest, QueryStringsAreIgnoredAndSchemeIsCaseInsensitive) {
  FakeVerdictSource source;
  ApiHandler api(source, "tok");
  EXPECT_EQ(api.Handle("GET", "/healthz?verbose=1", "").status, 200);
  EXPECT_EQ(api.Handle("GET", "/v1/releases", "bearer tok").status, 200);
  EXPECT_EQ(api.Handle("GET", "/v1/releases", "Basic dG9r").status, 401);
}

TEST(PercentDecodeTest, DecodesAndRejectsMalformedEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%2Fb%20c", &out));
  EXPECT_EQ(out, "a/b c");
  EXPECT_FALSE(PercentDecode("a%2", &out));
  EXPECT_FALSE(PercentDecode("a%", &out));
  EXPECT_FALSE(PercentDecode("%g0", &out));
}

}  // namespace
}  // namespace canaryd
