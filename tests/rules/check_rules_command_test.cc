#include "rules/check_rules_command.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace canaryd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct CommandRun {
  int code;
  std::string out;
  std::string err;
};

CommandRun CheckRules(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunCheckRules(args, out, err);
  return {code, out.str(), err.str()};
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const std::string kDemo = std::string(CANARYD_SOURCE_DIR) + "/rules/examples/demo.yaml";

TEST(CheckRulesCommand, ValidFilePrintsTheEffectiveRules) {
  CommandRun r = CheckRules({kDemo});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, IsEmpty());
  EXPECT_THAT(r.out, HasSubstr("demo.yaml: ok (version 1, 4 dataset selectors)"));
  EXPECT_THAT(r.out, HasSubstr("fleet freshness SLO: 95% of the loads of datasets tagged "
                               "'critical' land within 15m of schedule"));
  EXPECT_THAT(r.out, HasSubstr("any other dataset\n"));
  EXPECT_THAT(r.out, HasSubstr("analytics.customers  [tags: critical]"));
  EXPECT_THAT(r.out, HasSubstr("null_rate(email)"));
  EXPECT_THAT(r.out, HasSubstr("< 5%"));
  EXPECT_THAT(r.out, HasSubstr("fail, critical"));
}

TEST(CheckRulesCommand, ErrorsGoToStderrWithPositionsAndExit2) {
  const std::string path =
      WriteFile("check_rules_bad.yaml", "version: 1\ndefaults:\n  alpha: 1.5\n  sevrity: warn\n");
  CommandRun r = CheckRules({path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, path +
                       ":3:10: alpha must be between 0 and 1 (exclusive) (alpha is a probability, "
                       "e.g. 0.01 or 1%)\n" +
                       path +
                       ":4:3: unknown key 'sevrity' in defaults (did you mean 'severity'?)\n" +
                       path + ": 2 errors\n");
}

TEST(CheckRulesCommand, JsonOnSuccessAndOnErrors) {
  CommandRun ok = CheckRules({"--format", "json", kDemo});
  ASSERT_EQ(ok.code, 0) << ok.err;
  nlohmann::json j = nlohmann::json::parse(ok.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["fleet"]["freshness_slo"]["within_s"].get<double>(), 900);
  EXPECT_TRUE(j["datasets"][0]["any_other_dataset"].get<bool>());
  bool found = false;
  for (const auto& d : j["datasets"]) {
    if (d["dataset"] != "analytics.customers") continue;
    for (const auto& c : d["checks"]) {
      if (c["check"] != "null_rate(email)") continue;
      found = true;
      EXPECT_EQ(c["limits"][0]["op"], "<");
      EXPECT_DOUBLE_EQ(c["limits"][0]["value"].get<double>(), 0.05);
      EXPECT_EQ(c["limits"][0]["unit"], "fraction");
    }
  }
  EXPECT_TRUE(found);

  const std::string path = WriteFile("check_rules_bad.json.yaml", "version: 3\n");
  CommandRun bad = CheckRules({"--format=json", path});
  EXPECT_EQ(bad.code, 2);
  nlohmann::json e = nlohmann::json::parse(bad.out);
  EXPECT_FALSE(e["ok"].get<bool>());
  EXPECT_EQ(e["errors"][0]["line"], 1);
  EXPECT_EQ(e["errors"][0]["column"], 10);
  EXPECT_EQ(e["errors"][0]["message"], "unsupported version '3'");
}

TEST(CheckRulesCommand, DatasetWithColumnsIsResolvedAndChecked) {
  CommandRun ok = CheckRules({kDemo, "--dataset", "analytics.customers=email,customer_id"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  CommandRun typo = CheckRules({kDemo, "--dataset=analytics.customers=e_mail,customer_id"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_THAT(typo.err, HasSubstr("demo.yaml:47:9: column 'email' is not among the columns seen "
                                  "for analytics.customers (did you mean 'e_mail'?)"));
  CommandRun other = CheckRules({kDemo, "--dataset", "staging.x"});
  EXPECT_EQ(other.code, 0);
  EXPECT_THAT(other.out, HasSubstr("\nstaging.x\n  from: built-in < defaults\n"));
}

TEST(CheckRulesCommand, UsageErrors) {
  EXPECT_EQ(CheckRules({}).code, 2);
  EXPECT_THAT(CheckRules({}).err, HasSubstr("missing FILE"));
  EXPECT_EQ(CheckRules({"--format", "xml", kDemo}).code, 2);
  EXPECT_EQ(CheckRules({"--format"}).code, 2);
  EXPECT_EQ(CheckRules({"--bogus", kDemo}).code, 2);
  EXPECT_EQ(CheckRules({kDemo, kDemo}).code, 2);
  EXPECT_EQ(CheckRules({"--dataset", "=a", kDemo}).code, 2);
  CommandRun missing = CheckRules({"/nonexistent.yaml"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err,
            "/nonexistent.yaml: cannot open: No such file or directory\n/nonexistent.yaml: 1 "
            "error\n");
}

TEST(CheckRulesCommand, Help) {
  CommandRun r = CheckRules({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: canaryd check-rules"));
  EXPECT_THAT(r.out, Not(HasSubstr("TODO")));
}

}  // namespace
}  // namespace canaryd
