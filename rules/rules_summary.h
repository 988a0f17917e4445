// What a rules file means, for people (check-rules) and programs (check-rules --format json, the
// HTTP API): the effective rules of every dataset the file names, of any other dataset, and of
// datasets asked about, plus what each selector sets.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/rule_error.h"
#include "rules/rule_set.h"

namespace canaryd {

// A dataset to show resolved, with the columns its loads report (may be empty).
struct DatasetQuery {
  std::string dataset;
  std::vector<std::string> columns;
};

nlohmann::json EffectiveRulesJson(const EffectiveRules& rules);
nlohmann::json RulesSummaryJson(const RuleSet& rules, std::span<const DatasetQuery> asked = {});
std::string RulesSummaryText(const RuleSet& rules, std::span<const DatasetQuery> asked = {});
nlohmann::json RuleErrorsJson(const RuleErrors& errors);

}  // namespace canaryd
