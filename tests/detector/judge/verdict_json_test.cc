// The verdict API's check objects carry the fields their method has, and no zeros for the rest
// (detector/http/README.md, "Each element of checks").
#include "detector/judge/verdict_json.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "detector/judge/verdict.h"

namespace canaryd {
namespace {

// `method` must outlive the evidence (CheckEvidence::method is a view of a static string): a
// std::string parameter left it dangling once the call's full expression ended.
CheckEvidence Evidence(const char* method) {
  CheckEvidence e;
  e.check = "null_rate(email)";
  e.verdict = Verdict::kPass;
  e.method = method;
  e.sentence = "a sentence";
  e.unit = "rate";
  e.canary_estimate = 0.012;
  e.baseline_estimate = 0.010;
  e.canary_loads = 9;
  e.baseline_loads = 7;
  return e;
}

std::set<std::string> Keys(const nlohmann::ordered_json& j) {
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  return keys;
}

const std::set<std::string> kAlways = {"check",    "verdict",      "method",
                                       "sentence", "canary_loads", "baseline_loads"};

std::set<std::string> With(std::set<std::string> keys) {
  keys.insert(kAlways.begin(), kAlways.end());
  return keys;
}

TEST(VerdictJsonTest, EachMethodCarriesItsOwnFields) {
  EXPECT_EQ(Keys(ToJson(Evidence("rule"))), kAlways);
  EXPECT_EQ(Keys(ToJson(Evidence("limit"))), With({"unit", "canary_estimate"}));
  EXPECT_EQ(Keys(ToJson(Evidence("slo"))),
            With({"unit", "canary_estimate", "baseline_estimate", "log_e_value", "log_threshold"}));
  const std::set<std::string> statistical =
      With({"unit", "canary_estimate", "baseline_estimate", "canary_rows", "baseline_rows",
            "observations", "effect_log", "margin_log", "log_e_value", "log_threshold",
            "log_e_non_inferiority", "log_promote_threshold", "non_inferior"});
  for (const char* method : {"split", "paired", "split_counts", "paired_counts"}) {
    EXPECT_EQ(Keys(ToJson(Evidence(method))), statistical) << method;
  }
  // The scores method's margin test.
  CheckEvidence tested = Evidence("split");
  tested.margin_tested = true;
  std::set<std::string> with_margin = statistical;
  with_margin.insert({"log_e_beyond_margin", "log_margin_threshold"});
  EXPECT_EQ(Keys(ToJson(tested)), with_margin);
}

TEST(VerdictJsonTest, LimitShowsTheCanaryValueItJudged) {
  const nlohmann::ordered_json j = ToJson(Evidence("limit"));
  EXPECT_DOUBLE_EQ(j["canary_estimate"].get<double>(), 0.012);
  EXPECT_EQ(j["unit"], "rate");
}

}  // namespace
}  // namespace canaryd
