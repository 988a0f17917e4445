// The rules a file says, and what they mean for one dataset: RuleSet::Resolve layers the built-in
// defaults, the file's defaults and the dataset selectors that match (tag < glob < exact name;
// later beats earlier within a kind) into EffectiveRules. Immutable once loaded, so a daemon can
// share one RuleSet between threads and swap it whole on reload.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detector/judge/check_policy.h"
#include "rules/rule_error.h"

namespace canaryd {

enum class RuleMetric : std::uint8_t { kNullRate, kDuplicateRate, kRowCount, kFreshness, kSchema };
// "null_rate", "duplicate_rate", "row_count", "freshness", "schema".
std::string_view RuleMetricName(RuleMetric metric);
bool IsRate(RuleMetric metric);

// Which way is worse, canary against baseline.
enum class BadDirection : std::uint8_t { kUp, kDown, kBoth };
std::string_view BadDirectionName(BadDirection direction);

// warn: a failing check shows WARN and never rolls back. fail: it rolls the release back.
enum class Severity : std::uint8_t { kWarn, kFail };
std::string_view SeverityName(Severity severity);

// How much worse the canary may be before it matters: the larger of the two applies. absolute is
// in rate units for rates (0.001 = +0.1pp) and in seconds for freshness; other checks have none.
struct Margin {
  double relative = 0.0;
  double absolute = 0.0;
  bool operator==(const Margin&) const = default;
};
// "+20% or +0.1pp", "+20% or +1m" (freshness).
std::string FormatMargin(const Margin& margin, RuleMetric metric);

// An absolute limit as the file wrote it (the judge's AbsoluteLimit, plus where it was written).
struct Limit : AbsoluteLimit {
  SourcePos pos;
};

// One place's settings for a check; unset fields inherit from less specific places.
struct CheckSettings {
  std::optional<bool> enabled;
  std::optional<BadDirection> bad;
  std::optional<Margin> margin;
  std::optional<Severity> severity;
  std::optional<bool> critical;
  std::optional<int> warm_up_canary;
  std::optional<int> warm_up_baseline;
  std::optional<int> confirm_loads;
  std::vector<Limit> limits;
};

// One entry under `checks:`.
struct CheckRule {
  RuleMetric metric = RuleMetric::kRowCount;
  std::string column;  // null_rate: a column, or a glob over columns ("*": every column)
  CheckSettings settings;
  SourcePos pos;
  std::string Name() const;  // "null_rate(email)", "row_count"
};

// What `defaults:` or one selector says.
struct ScopeSettings {
  std::optional<double> alpha;
  std::optional<std::int64_t> canary_silent_ms;
  std::optional<double> canary_min_share;
  CheckSettings every_check;  // severity, critical, warm_up, confirm_loads given beside checks
  std::vector<CheckRule> checks;
};

// One item of `datasets:`: which datasets (name: exact names or globs; tag:) and what for them.
struct DatasetSelector {
  std::vector<std::string> names;  // exact dataset names and globs
  std::string tag;                 // or: the datasets carrying this tag
  std::vector<std::string> tags;   // tags this selector gives to the datasets it names
  std::string description;
  ScopeSettings settings;
  SourcePos pos;

  std::string Describe() const;  // "name analytics.orders", "tag critical"
};

// A fleet objective: the share of loads of datasets tagged `tag` that land within `within_ms` of
// their schedule must be at least `target`.
struct FleetFreshnessSlo {
  std::string tag = "critical";
  std::int64_t within_ms = 15 * 60 * 1000;
  double target = 0.95;
  SourcePos pos;
};

// A check as it applies to one dataset, all layers merged.
struct EffectiveCheck {
  RuleMetric metric = RuleMetric::kRowCount;
  std::string column;  // null_rate: a column, or "*" for columns not listed
  bool enabled = true;
  BadDirection bad = BadDirection::kUp;
  Margin margin;
  Severity severity = Severity::kFail;
  bool critical = false;
  int warm_up_canary = 3;
  int warm_up_baseline = 3;
  // Consecutive canary loads that must break an absolute limit before the check fails; a
  // critical check fails on the first.
  int confirm_loads = 3;
  std::vector<Limit> limits;
  std::vector<SourcePos> sources;  // the file positions that set anything here, in order applied

  std::string Name() const;
  int LimitConfirmLoads() const { return critical ? 1 : confirm_loads; }
};

struct EffectiveRules {
  std::string dataset;
  std::vector<std::string> tags;
  double alpha = 0.01;
  std::int64_t canary_silent_ms = 10 * 60 * 1000;
  double canary_min_share = 0.02;
  int warm_up_canary = 3;
  int warm_up_baseline = 3;
  // In a fixed order: null_rate(*) (the rule for any column not listed), null_rate of each
  // column (seen or named by a rule) by name, duplicate_rate, row_count, freshness, schema.
  // Disabled checks are listed with enabled = false.
  std::vector<EffectiveCheck> checks;
  std::vector<std::string> applied;  // "built-in", "defaults", "tag critical (line 31)", ...
  // Rules of a selector naming this dataset exactly that cannot apply to the columns seen: an
  // exact column that is not there, a column glob that matches none.
  RuleErrors errors;

  // Both point into checks: keep this EffectiveRules alive while using them.
  const EffectiveCheck* Find(std::string_view check_name) const;
  // The null_rate check for a column: its own entry, else null_rate(*). A column that was not in
  // Resolve's list may match a column glob: resolve again when new columns appear.
  const EffectiveCheck& NullRateFor(std::string_view column) const;
};

class RuleSet {
 public:
  // No file: the built-in defaults (the judge's JudgeOptions defaults).
  RuleSet();

  EffectiveRules Resolve(std::string_view dataset,
                         std::span<const std::string> columns_seen = {}) const;
  // What a dataset that no selector matches gets: built-in, then defaults.
  EffectiveRules ResolveUnmatched() const;
  std::vector<std::string> TagsOf(std::string_view dataset) const;
  bool InFleetFreshnessSlo(std::string_view dataset) const;

  const std::string& file() const { return file_; }
  const ScopeSettings& defaults() const { return defaults_; }
  const std::vector<DatasetSelector>& selectors() const { return selectors_; }
  const FleetFreshnessSlo& fleet_freshness() const { return fleet_freshness_; }
  // Every exact dataset name the file mentions, sorted: what a summary can show resolved.
  std::vector<std::string> NamedDatasets() const;

  // The built-in layer every file starts from.
  static const ScopeSettings& BuiltIn();

 private:
  friend class RulesParser;
  EffectiveRules ResolveLayers(std::string_view dataset, std::span<const std::string> columns_seen,
                               bool with_selectors) const;

  std::string file_;
  ScopeSettings defaults_;
  std::vector<DatasetSelector> selectors_;
  FleetFreshnessSlo fleet_freshness_;
};

}  // namespace canaryd
