#include "rules/rule_set.h"

#include <algorithm>
#include <cstdio>

#include "detector/judge/judge_options.h"
#include "rules/text_match.h"
#include "rules/units.h"

namespace canaryd {

std::string_view RuleMetricName(RuleMetric metric) {
  switch (metric) {
    case RuleMetric::kNullRate:
      return "null_rate";
    case RuleMetric::kDuplicateRate:
      return "duplicate_rate";
    case RuleMetric::kRowCount:
      return "row_count";
    case RuleMetric::kFreshness:
      return "freshness";
    case RuleMetric::kSchema:
      return "schema";
  }
  return "unknown";
}

bool IsRate(RuleMetric metric) {
  return metric == RuleMetric::kNullRate || metric == RuleMetric::kDuplicateRate;
}

std::string_view BadDirectionName(BadDirection direction) {
  switch (direction) {
    case BadDirection::kUp:
      return "up";
    case BadDirection::kDown:
      return "down";
    case BadDirection::kBoth:
      return "both";
  }
  return "unknown";
}

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kWarn ? "warn" : "fail";
}

std::string FormatMargin(const Margin& margin, RuleMetric metric) {
  std::string out;
  if (margin.relative > 0 || margin.absolute == 0) out = "+" + FormatPercent(margin.relative);
  if (margin.absolute > 0) {
    std::string term;
    if (metric == RuleMetric::kFreshness) {
      term = FormatDurationMs(std::llround(margin.absolute * 1000.0));
    } else {
      term = FormatPercent(margin.absolute);
      term.back() = 'p';
      term += 'p';
    }
    if (!out.empty()) out += " or ";
    out += "+" + term;
  }
  return out;
}

namespace {

std::string CheckName(RuleMetric metric, const std::string& column) {
  std::string name(RuleMetricName(metric));
  if (metric == RuleMetric::kNullRate) name += "(" + column + ")";
  return name;
}

ScopeSettings MakeBuiltIn() {
  const JudgeOptions judge;
  ScopeSettings s;
  s.alpha = judge.alpha;
  s.canary_silent_ms = judge.silent_min_ms;
  s.canary_min_share = judge.silent_min_share;
  s.every_check.severity = Severity::kFail;
  s.every_check.critical = false;
  s.every_check.warm_up_canary = judge.min_canary_loads;
  s.every_check.warm_up_baseline = judge.min_baseline_loads;
  s.every_check.confirm_loads = judge.shadow_tolerance_loads;
  auto add = [&s](RuleMetric metric, std::string column, BadDirection bad,
                  std::optional<Margin> margin) {
    CheckRule rule;
    rule.metric = metric;
    rule.column = std::move(column);
    rule.settings.enabled = true;
    rule.settings.bad = bad;
    rule.settings.margin = margin;
    s.checks.push_back(std::move(rule));
  };
  const Margin rate{judge.rate_margin_relative, judge.rate_margin_absolute};
  add(RuleMetric::kNullRate, "*", BadDirection::kUp, rate);
  add(RuleMetric::kDuplicateRate, "", BadDirection::kUp, rate);
  add(RuleMetric::kRowCount, "", BadDirection::kDown, Margin{judge.row_count_margin_relative, 0});
  add(RuleMetric::kFreshness, "", BadDirection::kUp,
      Margin{judge.freshness_margin_relative, judge.freshness_margin_absolute_s});
  add(RuleMetric::kSchema, "", BadDirection::kBoth, std::nullopt);
  return s;
}

struct Layer {
  const ScopeSettings* scope;
  bool exact_name;  // a selector naming the dataset exactly
  std::string label;
};

void AddSource(EffectiveCheck& check, SourcePos pos) {
  if (pos.line == 0) return;
  if (std::find(check.sources.begin(), check.sources.end(), pos) == check.sources.end()) {
    check.sources.push_back(pos);
  }
}

void Apply(EffectiveCheck& check, const CheckSettings& s, SourcePos pos) {
  bool touched = false;
  auto set = [&touched](auto& field, const auto& value) {
    if (value) {
      field = *value;
      touched = true;
    }
  };
  set(check.enabled, s.enabled);
  set(check.bad, s.bad);
  set(check.margin, s.margin);
  set(check.severity, s.severity);
  set(check.critical, s.critical);
  set(check.warm_up_canary, s.warm_up_canary);
  set(check.warm_up_baseline, s.warm_up_baseline);
  set(check.confirm_loads, s.confirm_loads);
  for (const Limit& limit : s.limits) {
    // A more specific limit replaces the inherited one on the same side of the same statistic.
    std::erase_if(check.limits, [&limit](const Limit& old) {
      return old.quantile == limit.quantile && ((limit.BoundsAbove() && old.BoundsAbove()) ||
                                                (limit.BoundsBelow() && old.BoundsBelow()));
    });
    check.limits.push_back(limit);
    touched = true;
  }
  if (touched) AddSource(check, pos);
}

// Whether a rule entry applies to a check, and how specifically: 0 no, 1 every column (*),
// 2 column glob, 3 the check itself.
int Specificity(const CheckRule& rule, RuleMetric metric, const std::string& column) {
  if (rule.metric != metric) return 0;
  if (metric != RuleMetric::kNullRate) return 3;
  if (rule.column == "*") return 1;
  if (column == "*") return 0;
  if (rule.column == column) return 3;
  if (IsGlob(rule.column) && GlobMatch(rule.column, column)) return 2;
  return 0;
}

EffectiveCheck ResolveCheck(const std::vector<Layer>& layers, RuleMetric metric,
                            const std::string& column) {
  EffectiveCheck check;
  check.metric = metric;
  check.column = column;
  for (const Layer& layer : layers) {
    Apply(check, layer.scope->every_check, {});
    for (int level = 1; level <= 3; ++level) {
      for (const CheckRule& rule : layer.scope->checks) {
        if (Specificity(rule, metric, column) == level) Apply(check, rule.settings, rule.pos);
      }
    }
  }
  return check;
}

std::string JoinSome(const std::vector<std::string>& items, std::size_t at_most) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < at_most; ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  if (items.size() > at_most) out += ", ...";
  return out;
}

}  // namespace

std::string CheckRule::Name() const { return CheckName(metric, column); }
std::string EffectiveCheck::Name() const { return CheckName(metric, column); }

std::string DatasetSelector::Describe() const {
  if (!tag.empty()) return "tag " + tag;
  std::string out = "name ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

const EffectiveCheck* EffectiveRules::Find(std::string_view check_name) const {
  for (const EffectiveCheck& check : checks) {
    if (check.Name() == check_name) return &check;
  }
  return nullptr;
}

const EffectiveCheck& EffectiveRules::NullRateFor(std::string_view column) const {
  const EffectiveCheck* every_column = nullptr;
  for (const EffectiveCheck& check : checks) {
    if (check.metric != RuleMetric::kNullRate) continue;
    if (check.column == column) return check;
    if (check.column == "*") every_column = &check;
  }
  // Resolve always lists null_rate(*) first.
  return every_column ? *every_column : checks.front();
}

const ScopeSettings& RuleSet::BuiltIn() {
  static const ScopeSettings built_in = MakeBuiltIn();
  return built_in;
}

RuleSet::RuleSet() = default;

std::vector<std::string> RuleSet::TagsOf(std::string_view dataset) const {
  std::vector<std::string> tags;
  for (const DatasetSelector& selector : selectors_) {
    if (selector.tags.empty()) continue;
    const bool matches =
        std::any_of(selector.names.begin(), selector.names.end(),
                    [dataset](const std::string& name) { return GlobMatch(name, dataset); });
    if (matches) tags.insert(tags.end(), selector.tags.begin(), selector.tags.end());
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

bool RuleSet::InFleetFreshnessSlo(std::string_view dataset) const {
  const std::vector<std::string> tags = TagsOf(dataset);
  return std::find(tags.begin(), tags.end(), fleet_freshness_.tag) != tags.end();
}

std::vector<std::string> RuleSet::NamedDatasets() const {
  std::vector<std::string> names;
  for (const DatasetSelector& selector : selectors_) {
    for (const std::string& name : selector.names) {
      if (!IsGlob(name)) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

EffectiveRules RuleSet::Resolve(std::string_view dataset,
                                std::span<const std::string> columns_seen) const {
  return ResolveLayers(dataset, columns_seen, true);
}

EffectiveRules RuleSet::ResolveUnmatched() const { return ResolveLayers("*", {}, false); }

EffectiveRules RuleSet::ResolveLayers(std::string_view dataset,
                                      std::span<const std::string> columns_seen,
                                      bool with_selectors) const {
  EffectiveRules out;
  out.dataset = std::string(dataset);
  if (with_selectors) out.tags = TagsOf(dataset);

  // Precedence: built-in < defaults < tag selectors < glob selectors < exact names; within a
  // kind, file order (later wins).
  std::vector<Layer> layers;
  layers.push_back({&BuiltIn(), false, "built-in"});
  layers.push_back({&defaults_, false, "defaults"});
  auto label = [](const DatasetSelector& s) {
    return s.Describe() + " (line " + std::to_string(s.pos.line) + ")";
  };
  const std::span<const DatasetSelector> selectors =
      with_selectors ? std::span<const DatasetSelector>(selectors_)
                     : std::span<const DatasetSelector>();
  for (const DatasetSelector& s : selectors) {
    if (!s.tag.empty() && std::find(out.tags.begin(), out.tags.end(), s.tag) != out.tags.end()) {
      layers.push_back({&s.settings, false, label(s)});
    }
  }
  for (const DatasetSelector& s : selectors) {
    const bool exact = std::find(s.names.begin(), s.names.end(), dataset) != s.names.end();
    const bool glob = std::any_of(s.names.begin(), s.names.end(), [dataset](const std::string& n) {
      return IsGlob(n) && GlobMatch(n, dataset);
    });
    if (glob && !exact) layers.push_back({&s.settings, false, label(s)});
  }
  for (const DatasetSelector& s : selectors) {
    if (std::find(s.names.begin(), s.names.end(), dataset) != s.names.end()) {
      layers.push_back({&s.settings, true, label(s)});
    }
  }

  for (const Layer& layer : layers) {
    out.applied.push_back(layer.label);
    const ScopeSettings& scope = *layer.scope;
    if (scope.alpha) out.alpha = *scope.alpha;
    if (scope.canary_silent_ms) out.canary_silent_ms = *scope.canary_silent_ms;
    if (scope.canary_min_share) out.canary_min_share = *scope.canary_min_share;
    if (scope.every_check.warm_up_canary) out.warm_up_canary = *scope.every_check.warm_up_canary;
    if (scope.every_check.warm_up_baseline) {
      out.warm_up_baseline = *scope.every_check.warm_up_baseline;
    }
  }

  std::vector<std::string> columns(columns_seen.begin(), columns_seen.end());
  for (const Layer& layer : layers) {
    for (const CheckRule& rule : layer.scope->checks) {
      if (rule.metric == RuleMetric::kNullRate && !IsGlob(rule.column)) {
        columns.push_back(rule.column);
      }
    }
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());

  out.checks.push_back(ResolveCheck(layers, RuleMetric::kNullRate, "*"));
  for (const std::string& column : columns) {
    out.checks.push_back(ResolveCheck(layers, RuleMetric::kNullRate, column));
  }
  for (RuleMetric metric : {RuleMetric::kDuplicateRate, RuleMetric::kRowCount,
                            RuleMetric::kFreshness, RuleMetric::kSchema}) {
    out.checks.push_back(ResolveCheck(layers, metric, ""));
  }

  // A selector naming this dataset means these columns; a miss is most likely a typo.
  if (!columns_seen.empty()) {
    std::vector<std::string> seen(columns_seen.begin(), columns_seen.end());
    std::sort(seen.begin(), seen.end());
    std::vector<std::string_view> seen_views(seen.begin(), seen.end());
    for (const Layer& layer : layers) {
      if (!layer.exact_name) continue;
      for (const CheckRule& rule : layer.scope->checks) {
        if (rule.metric != RuleMetric::kNullRate || rule.column == "*") continue;
        if (IsGlob(rule.column)) {
          const bool any = std::any_of(seen.begin(), seen.end(), [&rule](const std::string& c) {
            return GlobMatch(rule.column, c);
          });
          if (!any) {
            out.errors.push_back({file_, rule.pos,
                                  "column glob '" + rule.column +
                                      "' matches none of the columns seen for " + out.dataset,
                                  "columns seen: " + JoinSome(seen, 8)});
          }
        } else if (!std::binary_search(seen.begin(), seen.end(), rule.column)) {
          const std::string close = ClosestMatch(rule.column, seen_views);
          out.errors.push_back(
              {file_, rule.pos,
               "column '" + rule.column + "' is not among the columns seen for " + out.dataset,
               close.empty() ? "columns seen: " + JoinSome(seen, 8)
                             : "did you mean '" + close + "'?"});
        }
      }
    }
  }
  return out;
}

}  // namespace canaryd
