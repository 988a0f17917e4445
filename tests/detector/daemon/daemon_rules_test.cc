// The daemon's rules over HTTP: /v1/rules shows what new releases get (the summary, or one
// dataset's effective rules), follows a reload, and keeps the old rules when the new file is bad.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detector/daemon/daemon.h"
#include "detector/http/http_client.h"

namespace canaryd {
namespace {

using Json = nlohmann::json;

class DaemonRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("canaryd-daemon-rules-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteRules(const std::string& yaml) {
    const std::string path = (dir_ / "rules.yaml").string();
    std::ofstream(path) << yaml;
    return path;
  }

  static DaemonConfig Config() {
    DaemonConfig config;
    config.http_listen = "127.0.0.1:0";
    config.instance_id = "rules-test";
    return config;
  }

  static HttpResult Get(const Daemon& daemon, const std::string& target) {
    HttpUrl url;
    url.host = "127.0.0.1";
    url.port = std::to_string(daemon.http_port());
    HttpRequestSpec spec;
    spec.target = target;
    return HttpFetch(url, spec);
  }

  std::filesystem::path dir_;
};

TEST_F(DaemonRulesTest, RulesRouteShowsEffectiveRulesAndFollowsAReload) {
  DaemonConfig config = Config();
  config.rules_file = WriteRules(R"(version: 1
datasets:
  - name: analytics.customers
    checks:
      - null_rate(email) < 2%:
          critical: true
)");
  Daemon daemon(config, nullptr);
  std::string error;
  ASSERT_TRUE(daemon.Start(&error)) << error;

  HttpResult r = Get(daemon, "/v1/rules/analytics.customers");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["dataset"], "analytics.customers");
  EXPECT_EQ(j["applies_to"], "releases that start from now on");
  bool email = false;
  for (const Json& c : j["checks"]) {
    if (c["check"] != "null_rate(email)") continue;
    email = true;
    EXPECT_EQ(c["critical"], true);
    ASSERT_EQ(c["limits"].size(), 1u);
    EXPECT_DOUBLE_EQ(c["limits"][0]["value"].get<double>(), 0.02);
  }
  EXPECT_TRUE(email) << r.body;

  r = Get(daemon, "/v1/rules");
  ASSERT_EQ(r.status, 200) << r.body;
  j = Json::parse(r.body);
  EXPECT_EQ(j["file"], config.rules_file);
  EXPECT_GE(j["datasets"].size(), 2u);  // any other dataset, and analytics.customers

  // A bad file is refused and the route keeps showing the old rules.
  WriteRules("version: 1\ndefaults:\n  alpha: 2\n");
  EXPECT_FALSE(daemon.ReloadRules(&error));
  EXPECT_NE(error.find("rules.yaml:3:10"), std::string::npos) << error;
  r = Get(daemon, "/v1/rules/analytics.customers");
  EXPECT_DOUBLE_EQ(Json::parse(r.body)["alpha"].get<double>(), 0.01);

  WriteRules("version: 1\ndefaults:\n  alpha: 0.5%\n");
  ASSERT_TRUE(daemon.ReloadRules(&error)) << error;
  r = Get(daemon, "/v1/rules/analytics.customers");
  EXPECT_DOUBLE_EQ(Json::parse(r.body)["alpha"].get<double>(), 0.005);
}

TEST_F(DaemonRulesTest, FleetFreshnessCountsProductionLoadsOfTheTaggedDatasets) {
  DaemonConfig config = Config();
  config.http_listen = "";
  config.rules_file = WriteRules(R"(version: 1
fleet:
  freshness_slo: {tag: marts, within: 10m, target: 99%}
datasets:
  - name: "analytics.*"
    tags: [marts]
)");
  Daemon daemon(config, nullptr);
  std::string error;
  ASSERT_TRUE(daemon.Start(&error)) << error;
  std::map<std::string, DatasetHealth> datasets;
  datasets["analytics.orders"].loads_with_freshness = {{"baseline", 10}, {"canary", 5}};
  datasets["analytics.orders"].loads_within_freshness_slo = {{"baseline", 9}, {"canary", 1}};
  datasets["staging.events"].loads_with_freshness = {{"baseline", 100}};
  datasets["staging.events"].loads_within_freshness_slo = {{"baseline", 0}};
  const FleetFreshness fleet = daemon.FleetFreshnessOf(datasets);
  EXPECT_EQ(fleet.tag, "marts");
  EXPECT_DOUBLE_EQ(fleet.within_s, 600);
  EXPECT_DOUBLE_EQ(fleet.target, 0.99);
  EXPECT_EQ(fleet.loads, 10u);  // the canary's loads and untagged datasets are not the fleet's
  EXPECT_EQ(fleet.landed_within, 9u);
}

TEST_F(DaemonRulesTest, WithoutARulesFileTheRouteShowsTheBuiltInRules) {
  DaemonConfig config = Config();
  Daemon daemon(config, nullptr);
  std::string error;
  ASSERT_TRUE(daemon.Start(&error)) << error;
  const HttpResult r = Get(daemon, "/v1/rules/any.dataset");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = Json::parse(r.body);
  EXPECT_DOUBLE_EQ(j["alpha"].get<double>(), 0.01);
  EXPECT_EQ(j["applied"][0], "built-in");
}

}  // namespace
}  // namespace canaryd
