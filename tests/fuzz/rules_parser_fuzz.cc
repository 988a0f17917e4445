// libFuzzer target for the rules parser: any bytes must give either a RuleSet or errors with
// positions inside the file, never a crash, a hang, an exception or undefined behaviour. A valid
// file is also resolved, mapped onto the judge and summarised, so those paths see fuzzed rules.
// Built and run by scripts/fuzz-rules.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rules/fleet_slo.h"
#include "rules/judge_mapping.h"
#include "rules/rules_parser.h"
#include "rules/rules_summary.h"

namespace {

int LineCount(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  canaryd::RulesResult result = canaryd::ParseRules(text, "fuzz.yaml");
  if (!result) {
    const int lines = LineCount(text) + 1;
    for (const canaryd::RuleError& error : result.error()) {
      // Positions must point into the file (yaml-cpp may point one line past its end).
      if (error.pos.line < 0 || error.pos.line > lines || error.pos.column < 0) std::abort();
      if (error.message.empty()) std::abort();
      (void)canaryd::FormatRuleError(error);
    }
    return 0;
  }
  const canaryd::RuleSet& rules = result.value();
  const std::vector<std::string> columns{"email", "customer_id", "tmp_a"};
  std::vector<std::string> datasets = rules.NamedDatasets();
  datasets.push_back("analytics.orders");
  for (const std::string& dataset : datasets) {
    const canaryd::EffectiveRules effective = rules.Resolve(dataset, columns);
    if (effective.checks.empty()) std::abort();
    (void)effective.NullRateFor("email");
    (void)canaryd::ToJudgeOptions(effective, rules.fleet_freshness());
    for (const canaryd::EffectiveCheck& check : effective.checks) {
      (void)canaryd::ToCheckPolicy(check);
    }
  }
  (void)canaryd::RulesSummaryText(rules);
  (void)canaryd::RulesSummaryJson(rules).dump();
  const std::vector<canaryd::DatasetLandings> landings{{"a", 9, 10}, {"b", 0, 0}};
  (void)canaryd::EvaluateFleetSlo(landings, rules.fleet_freshness().target);
  return 0;
}
