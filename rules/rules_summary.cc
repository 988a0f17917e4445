#include "rules/rules_summary.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "rules/text_match.h"
#include "rules/units.h"

namespace canaryd {
namespace {

std::string FormatRows(double rows) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", rows);
  return buffer;
}

nlohmann::json LimitJson(const Limit& limit, RuleMetric metric) {
  nlohmann::json j;
  j["text"] = limit.text;
  j["statistic"] = limit.quantile ? "p" + FormatRows(*limit.quantile * 100) : "each_load";
  j["op"] = std::string(LimitOpText(limit.op));
  j["value"] = limit.value;
  j["unit"] = IsRate(metric) ? "fraction" : metric == RuleMetric::kRowCount ? "rows" : "seconds";
  j["line"] = limit.pos.line;
  return j;
}

nlohmann::json CheckJson(const EffectiveCheck& check) {
  nlohmann::json j;
  j["check"] = check.Name();
  j["enabled"] = check.enabled;
  if (check.metric != RuleMetric::kSchema) {
    j["bad"] = std::string(BadDirectionName(check.bad));
    j["margin"] = {{"relative", check.margin.relative}, {"absolute", check.margin.absolute}};
    if (check.metric == RuleMetric::kFreshness) j["margin"]["absolute_unit"] = "seconds";
    if (IsRate(check.metric)) j["margin"]["absolute_unit"] = "fraction";
    j["warm_up"] = {{"canary", check.warm_up_canary}, {"baseline", check.warm_up_baseline}};
  }
  j["severity"] = std::string(SeverityName(check.severity));
  j["critical"] = check.critical;
  nlohmann::json limits = nlohmann::json::array();
  for (const Limit& limit : check.limits) limits.push_back(LimitJson(limit, check.metric));
  j["limits"] = limits;
  if (!check.limits.empty()) j["confirm_loads"] = check.LimitConfirmLoads();
  nlohmann::json lines = nlohmann::json::array();
  for (const SourcePos& pos : check.sources) lines.push_back(pos.line);
  j["lines"] = lines;
  return j;
}

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string LimitText(const Limit& limit, RuleMetric metric) {
  std::string out = limit.quantile ? "p" + FormatRows(*limit.quantile * 100) + " " : "";
  out += std::string(LimitOpText(limit.op)) + " ";
  if (IsRate(metric)) {
    out += FormatPercent(limit.value);
  } else if (metric == RuleMetric::kRowCount) {
    out += FormatRows(limit.value);
  } else {
    out += FormatDurationMs(static_cast<std::int64_t>(limit.value * 1000));
  }
  return out;
}

void AppendDataset(std::ostringstream& out, const std::string& title, const EffectiveRules& r) {
  out << title;
  if (!r.tags.empty()) {
    out << "  [tags:";
    for (const std::string& tag : r.tags) out << ' ' << tag;
    out << ']';
  }
  out << "\n  from: ";
  for (std::size_t i = 0; i < r.applied.size(); ++i) out << (i ? " < " : "") << r.applied[i];
  out << "\n  release: alpha " << FormatPercent(r.alpha) << ", warm-up " << r.warm_up_canary
      << " canary / " << r.warm_up_baseline << " baseline loads, canary silent after "
      << FormatDurationMs(r.canary_silent_ms) << " (canary share at least "
      << FormatPercent(r.canary_min_share) << ")\n";
  std::size_t width = 16;
  for (const EffectiveCheck& c : r.checks) width = std::max(width, c.Name().size() + 2);
  out << "  " << Pad("check", width) << Pad("vs baseline", 28) << Pad("absolute limits", 26)
      << "on failure\n";
  for (const EffectiveCheck& c : r.checks) {
    std::string compare, limits, failure;
    if (!c.enabled) {
      out << "  " << Pad(c.Name(), width) << "off\n";
      continue;
    }
    if (c.metric == RuleMetric::kSchema) {
      compare = "must match";
    } else {
      // The margin's sign is its direction: "down, margin -10%" (fewer rows), "both, +/-15%".
      std::string margin = FormatMargin(c.margin, c.metric);
      const std::string sign = c.bad == BadDirection::kDown   ? "-"
                               : c.bad == BadDirection::kBoth ? "+/-"
                                                              : "+";
      for (std::size_t at = margin.find('+'); at != std::string::npos;
           at = margin.find('+', at + sign.size())) {
        margin.replace(at, 1, sign);
      }
      compare = std::string(BadDirectionName(c.bad)) + ", margin " + margin;
    }
    for (const Limit& limit : c.limits) {
      limits += (limits.empty() ? "" : ", ") + LimitText(limit, c.metric);
    }
    if (limits.empty()) limits = "-";
    failure = std::string(SeverityName(c.severity));
    if (c.critical) {
      failure += ", critical";
    } else if (!c.limits.empty()) {
      failure += " after " + std::to_string(c.confirm_loads) + " loads";
    }
    if (c.metric != RuleMetric::kSchema &&
        (c.warm_up_canary != r.warm_up_canary || c.warm_up_baseline != r.warm_up_baseline)) {
      failure += ", warm-up " + std::to_string(c.warm_up_canary) + "/" +
                 std::to_string(c.warm_up_baseline);
    }
    out << "  " << Pad(c.Name(), width) << Pad(compare, 28) << Pad(limits, 26) << failure << '\n';
  }
}

std::vector<DatasetQuery> Datasets(const RuleSet& rules, std::span<const DatasetQuery> asked) {
  std::vector<DatasetQuery> all(asked.begin(), asked.end());
  for (const std::string& name : rules.NamedDatasets()) {
    const bool already = std::any_of(all.begin(), all.end(),
                                     [&name](const DatasetQuery& q) { return q.dataset == name; });
    if (!already) all.push_back({name, {}});
  }
  return all;
}

std::string SelectorKind(const DatasetSelector& s) {
  if (!s.tag.empty()) return "tag";
  return std::all_of(s.names.begin(), s.names.end(), [](const std::string& n) { return IsGlob(n); })
             ? "glob"
             : "name";
}

std::string SelectorSets(const DatasetSelector& s) {
  std::vector<std::string> parts;
  const ScopeSettings& scope = s.settings;
  if (!s.tags.empty()) {
    std::string tags = "tags";
    for (const std::string& t : s.tags) tags += " " + t;
    parts.push_back(tags);
  }
  if (scope.alpha) parts.push_back("alpha " + FormatPercent(*scope.alpha));
  if (scope.canary_silent_ms) {
    parts.push_back("canary silent after " + FormatDurationMs(*scope.canary_silent_ms));
  }
  if (scope.canary_min_share) {
    parts.push_back("canary share at least " + FormatPercent(*scope.canary_min_share));
  }
  const CheckSettings& every = scope.every_check;
  if (every.warm_up_canary || every.warm_up_baseline) {
    const auto loads = [](const std::optional<int>& n) { return n ? std::to_string(*n) : "-"; };
    parts.push_back("warm-up " + loads(every.warm_up_canary) + " canary / " +
                    loads(every.warm_up_baseline) + " baseline loads");
  }
  if (every.severity) parts.push_back("severity " + std::string(SeverityName(*every.severity)));
  if (every.critical) parts.push_back(*every.critical ? "critical" : "not critical");
  if (every.confirm_loads) parts.push_back("confirm_loads " + std::to_string(*every.confirm_loads));
  for (const CheckRule& c : scope.checks) {
    if (!c.settings.limits.empty()) {
      for (const Limit& l : c.settings.limits) parts.push_back(l.text);
    } else {
      parts.push_back(c.Name() + (c.settings.enabled == false ? " off" : ""));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out.empty() ? "(nothing)" : out;
}

}  // namespace

nlohmann::json EffectiveRulesJson(const EffectiveRules& r) {
  nlohmann::json j;
  j["dataset"] = r.dataset;
  j["tags"] = r.tags;
  j["applied"] = r.applied;
  j["alpha"] = r.alpha;
  j["warm_up"] = {{"canary", r.warm_up_canary}, {"baseline", r.warm_up_baseline}};
  j["canary_silent_after_s"] = static_cast<double>(r.canary_silent_ms) / 1000.0;
  j["canary_min_share"] = r.canary_min_share;
  nlohmann::json checks = nlohmann::json::array();
  for (const EffectiveCheck& c : r.checks) checks.push_back(CheckJson(c));
  j["checks"] = checks;
  return j;
}

nlohmann::json RulesSummaryJson(const RuleSet& rules, std::span<const DatasetQuery> asked) {
  nlohmann::json j;
  j["file"] = rules.file();
  j["ok"] = true;
  j["version"] = 1;
  const FleetFreshnessSlo& slo = rules.fleet_freshness();
  j["fleet"]["freshness_slo"] = {{"tag", slo.tag},
                                 {"within_s", static_cast<double>(slo.within_ms) / 1000.0},
                                 {"target", slo.target}};
  nlohmann::json datasets = nlohmann::json::array();
  EffectiveRules other = rules.ResolveUnmatched();
  nlohmann::json other_json = EffectiveRulesJson(other);
  other_json["dataset"] = nullptr;
  other_json["any_other_dataset"] = true;
  datasets.push_back(other_json);
  for (const DatasetQuery& q : Datasets(rules, asked)) {
    datasets.push_back(EffectiveRulesJson(rules.Resolve(q.dataset, q.columns)));
  }
  j["datasets"] = datasets;
  nlohmann::json selectors = nlohmann::json::array();
  for (const DatasetSelector& s : rules.selectors()) {
    nlohmann::json sj;
    sj["line"] = s.pos.line;
    sj["kind"] = SelectorKind(s);
    if (s.tag.empty()) {
      sj["names"] = s.names;
    } else {
      sj["tag"] = s.tag;
    }
    sj["tags"] = s.tags;
    if (!s.description.empty()) sj["description"] = s.description;
    sj["sets"] = SelectorSets(s);
    selectors.push_back(sj);
  }
  j["selectors"] = selectors;
  return j;
}

std::string RulesSummaryText(const RuleSet& rules, std::span<const DatasetQuery> asked) {
  std::ostringstream out;
  const FleetFreshnessSlo& slo = rules.fleet_freshness();
  out << rules.file() << ": ok (version 1, " << rules.selectors().size() << " dataset selector"
      << (rules.selectors().size() == 1 ? "" : "s") << ")\n";
  out << "fleet freshness SLO: " << FormatPercent(slo.target)
      << " of the loads of datasets tagged '" << slo.tag << "' land within "
      << FormatDurationMs(slo.within_ms) << " of schedule\n\n";
  AppendDataset(out, "any other dataset", rules.ResolveUnmatched());
  for (const DatasetQuery& q : Datasets(rules, asked)) {
    out << '\n';
    AppendDataset(out, q.dataset, rules.Resolve(q.dataset, q.columns));
  }
  if (!rules.selectors().empty()) {
    out << "\nselectors (precedence: tag < glob < name; later wins within a kind)\n";
    for (const DatasetSelector& s : rules.selectors()) {
      out << "  line " << s.pos.line << "  " << s.Describe() << ": " << SelectorSets(s);
      if (!s.description.empty()) out << "  # " << s.description;
      out << '\n';
    }
  }
  return out.str();
}

nlohmann::json RuleErrorsJson(const RuleErrors& errors) {
  nlohmann::json list = nlohmann::json::array();
  for (const RuleError& e : errors) {
    list.push_back({{"file", e.file},
                    {"line", e.pos.line},
                    {"column", e.pos.column},
                    {"message", e.message},
                    {"hint", e.hint},
                    {"text", FormatRuleError(e)}});
  }
  return list;
}

}  // namespace canaryd
