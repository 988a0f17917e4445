#include "rules/rules_judge_source.h"

#include <spdlog/spdlog.h>

#include "rules/judge_mapping.h"
#include "rules/rules_parser.h"

namespace canaryd {

JudgeOptions RulesJudgeSource::For(const std::string& dataset) const {
  return JudgeOptionsFor(rules_, dataset, base_);
}

JudgeOptions RulesJudgeSource::ForColumns(const std::string& dataset,
                                          const std::vector<ColumnNulls>& columns) const {
  if (!columns.empty()) {
    std::vector<std::string> names;
    names.reserve(columns.size());
    for (const ColumnNulls& c : columns) names.push_back(c.column);
    for (const RuleError& e : rules_->Resolve(dataset, names).errors) {
      std::string line = FormatRuleError(e);
      {
        std::lock_guard<std::mutex> lock(logged_mu_);
        if (!logged_.insert(line).second) continue;
      }
      spdlog::error("event=rules_column_error dataset={} error=\"{}\"", dataset, line);
    }
  }
  return For(dataset);
}

namespace {
std::shared_ptr<const RulesJudgeSource> SourceOf(RulesResult result,
                                                 std::vector<std::string>* errors) {
  if (result.has_error()) {
    for (const RuleError& e : result.error()) errors->push_back(FormatRuleError(e));
    return nullptr;
  }
  return std::make_shared<const RulesJudgeSource>(std::move(result).value());
}
}  // namespace

std::shared_ptr<const RulesJudgeSource> LoadRulesSource(const std::string& path,
                                                        std::vector<std::string>* errors) {
  return SourceOf(LoadRulesFile(path), errors);
}

std::shared_ptr<const RulesJudgeSource> ParseRulesSource(std::string_view yaml,
                                                         std::string_view file_name,
                                                         std::vector<std::string>* errors) {
  return SourceOf(ParseRules(yaml, file_name), errors);
}

}  // namespace canaryd
