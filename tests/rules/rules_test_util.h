// Helpers shared by the rules tests: YAML written inline, errors as the lines users see.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "rules/rules_parser.h"

namespace canaryd::testing {

// Raw strings start with the newline after R"( : drop it so line 1 is the first line written.
inline std::string Doc(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

// Every error, formatted as check-rules prints it; empty when the file is valid.
inline std::vector<std::string> Errors(std::string_view yaml) {
  RulesResult result = ParseRules(Doc(yaml), "r.yaml");
  std::vector<std::string> out;
  if (!result) {
    for (const RuleError& e : result.error()) out.push_back(FormatRuleError(e));
  }
  return out;
}

inline RuleSet Parse(std::string_view yaml) {
  RulesResult result = ParseRules(Doc(yaml), "r.yaml");
  if (!result) {
    std::string all;
    for (const RuleError& e : result.error()) all += FormatRuleError(e) + "\n";
    ADD_FAILURE() << "unexpected errors:\n" << all;
    return RuleSet();
  }
  return std::move(result).value();
}

}  // namespace canaryd::testing
