// The rules file as the engine's source of per-dataset judging options (replay --rules, the
// daemon's `rules:` and its SIGHUP reload).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "detector/engine/judge_options_source.h"
#include "rules/rule_set.h"

namespace canaryd {

class RulesJudgeSource : public JudgeOptionsSource {
 public:
  explicit RulesJudgeSource(RuleSet rules, JudgeOptions base = {})
      : rules_(std::make_shared<const RuleSet>(std::move(rules))), base_(std::move(base)) {}
  // The release-wide options and, per check, the rules' policies (which keep this RuleSet alive
  // for as long as the release runs, across reloads).
  JudgeOptions For(const std::string& dataset) const override;
  // Also logs, once per rule and dataset, a rule of a selector naming the dataset that cannot
  // apply to its columns (event=rules_column_error with file:line:column and a hint).
  JudgeOptions ForColumns(const std::string& dataset,
                          const std::vector<ColumnNulls>& columns) const override;
  const RuleSet& rules() const { return *rules_; }
  const std::shared_ptr<const RuleSet>& shared_rules() const { return rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  JudgeOptions base_;
  mutable std::mutex logged_mu_;
  mutable std::set<std::string> logged_;
};

// Loads and validates a rules file. On errors returns null and fills *errors with
// "file:line:column: message (hint)" lines; nothing else changes (safe for a reload).
std::shared_ptr<const RulesJudgeSource> LoadRulesSource(const std::string& path,
                                                        std::vector<std::string>* errors);
// The same from YAML text (errors name `file_name`).
std::shared_ptr<const RulesJudgeSource> ParseRulesSource(std::string_view yaml,
                                                         std::string_view file_name,
                                                         std::vector<std::string>* errors);

}  // namespace canaryd
