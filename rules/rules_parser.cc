#include "rules/rules_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "rules/text_match.h"
#include "rules/units.h"

namespace canaryd {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 4> kTopKeys{"version", "defaults", "datasets", "fleet"};
constexpr std::array<std::string_view, 8> kDefaultsKeys{
    "alpha",    "warm_up",  "canary_silent_after", "canary_min_share",
    "severity", "critical", "confirm_loads",       "checks"};
constexpr std::array<std::string_view, 12> kSelectorKeys{"name",
                                                         "tag",
                                                         "tags",
                                                         "description",
                                                         "alpha",
                                                         "warm_up",
                                                         "canary_silent_after",
                                                         "canary_min_share",
                                                         "severity",
                                                         "critical",
                                                         "confirm_loads",
                                                         "checks"};
constexpr std::array<std::string_view, 6> kCheckKeys{"bad",      "margin",  "severity",
                                                     "critical", "warm_up", "confirm_loads"};
constexpr std::array<std::string_view, 2> kWarmUpKeys{"canary", "baseline"};
constexpr std::array<std::string_view, 1> kFleetKeys{"freshness_slo"};
constexpr std::array<std::string_view, 3> kSloKeys{"tag", "within", "target"};
constexpr std::array<std::string_view, 5> kMetrics{"null_rate", "duplicate_rate", "row_count",
                                                   "freshness", "schema"};

constexpr const char* kCheckHeadHint =
    "a check is a metric, optionally with a limit: null_rate(email) < 2%, duplicate_rate = 0, "
    "row_count > 0, freshness p95 < 15m, schema";

// Keys people bring from elsewhere (SodaCL, dbt, other places in this file), with what to write.
struct KnownMistake {
  std::string_view key;
  std::string_view hint;
};
constexpr std::array<KnownMistake, 12> kKeyMistakes{{
    {"checks for", "canaryd writes `datasets:` with `- name: DATASET` and its `checks:`"},
    {"models", "canaryd calls them datasets: `datasets:` with `- name: DATASET`"},
    {"tests", "canaryd calls them checks: `checks:`"},
    {"limit", "write an absolute limit as the check itself: `- null_rate(email) < 2%`"},
    {"limits", "write an absolute limit as the check itself: `- null_rate(email) < 2%`"},
    {"threshold", "the practical margin is `margin: +20%` (relative) or `margin: +0.1pp`"},
    {"min_effect", "the practical margin is `margin: +20%` (relative) or `margin: +0.1pp`"},
    {"tolerance", "the practical margin is `margin: +20%` (relative) or `margin: +0.1pp`"},
    {"direction", "did you mean 'bad'? (bad: up, down or both)"},
    {"silent", "did you mean 'canary_silent_after'? (e.g. canary_silent_after: 10m)"},
    {"canary_silent", "did you mean 'canary_silent_after'? (e.g. canary_silent_after: 10m)"},
    {"warmup", "did you mean 'warm_up'?"},
}};

// Metric names from SodaCL, dbt and Great Expectations, and what canaryd calls them.
constexpr std::array<KnownMistake, 10> kMetricMistakes{{
    {"missing_percent", "SodaCL's missing_percent(col) is canaryd's null_rate(col)"},
    {"missing_count", "canaryd compares rates: null_rate(col), e.g. null_rate(email) < 2%"},
    {"not_null", "dbt's not_null is canaryd's null_rate(col) = 0"},
    {"null_count", "canaryd compares rates: null_rate(col), e.g. null_rate(email) < 2%"},
    {"duplicate_count", "canaryd compares rates: duplicate_rate, e.g. duplicate_rate = 0"},
    {"duplicate_percent", "SodaCL's duplicate_percent is canaryd's duplicate_rate"},
    {"unique", "dbt's unique is canaryd's duplicate_rate = 0"},
    {"row_count_delta", "canaryd compares row_count with the baseline itself: - row_count"},
    {"freshness_s", "the metric is freshness, e.g. freshness p95 < 15m"},
    {"schema_change", "the metric is schema"},
}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string JoinKeys(Keys keys) {
  std::string out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    out += keys[i];
  }
  return out;
}

bool ValidDatasetPattern(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '/' || c == '-' || c == '*' || c == '?';
  });
}

bool ValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 100) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = Lower(text);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "y") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "n") return false;
  return std::nullopt;
}

// Bytes in the valid UTF-8 sequence at the start of text (no overlongs, surrogates or code
// points past U+10FFFF), 0 when it is not one.
std::size_t Utf8SequenceLength(std::string_view text) {
  const auto at = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = at(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (at(1) < low || at(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (at(i) < 0x80 || at(i) > 0xBF) return 0;
  }
  return length;
}

struct StopParsing {};

}  // namespace

class RulesParser {
 public:
  RulesParser(std::string file, std::string_view source)
      : file_(std::move(file)), source_(source) {}

  RulesResult Parse();

 private:
  // --- errors and positions -----------------------------------------------------------------
  SourcePos Pos(const YAML::Mark& mark) const {
    return {std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1};
  }
  // Where character `offset` of a scalar's value is in the file: exact for plain and quoted
  // one-line scalars (the common case), the scalar's start otherwise.
  SourcePos PosIn(const YAML::Node& node, std::size_t offset) const {
    SourcePos pos = Pos(node.Mark());
    if (!node.IsScalar() || offset == 0 || node.Mark().pos < 0) return pos;
    const std::string& text = node.Scalar();
    const auto at = static_cast<std::size_t>(node.Mark().pos);
    if (at < source_.size() && source_.substr(at, text.size()) == text) {
      pos.column += static_cast<int>(offset);
    } else if (at + 1 < source_.size() && (source_[at] == '"' || source_[at] == '\'') &&
               source_.substr(at + 1, text.size()) == text) {
      pos.column += static_cast<int>(offset) + 1;
    }
    return pos;
  }
  bool LineIndentedWithTab(int line) const {  // 0-based, as yaml-cpp counts
    std::size_t start = 0;
    for (int i = 0; i < line && start != std::string_view::npos; ++i) {
      start = source_.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos) return false;
    for (std::size_t i = start; i < source_.size() && (source_[i] == ' ' || source_[i] == '\t');
         ++i) {
      if (source_[i] == '\t') return true;
    }
    return false;
  }
  void Error(SourcePos pos, std::string message, std::string hint = {}) {
    if (errors_.size() >= kMaxRuleErrors) throw StopParsing{};
    errors_.push_back({file_, pos, std::move(message), std::move(hint)});
  }
  void Error(const YAML::Mark& mark, std::string message, std::string hint = {}) {
    Error(Pos(mark), std::move(message), std::move(hint));
  }
  // Aliases can make a small file a huge graph: walking it is bounded like the file's size.
  void Visit() {
    if (++visited_ > 100000) {
      Error(SourcePos{1, 1}, "the rules file expands to too many values (aliases?)",
            "write the rules out; a rules file needs no more than a few thousand values");
      throw StopParsing{};
    }
  }

  // --- shapes ---------------------------------------------------------------------------------
  template <class F>
  void ForEachKey(const YAML::Node& map, Keys allowed, std::string_view where, F&& handle);
  void UnknownKey(const YAML::Node& key, Keys allowed, std::string_view where);
  std::optional<std::string> ScalarValue(const YAML::Node& key, const YAML::Node& value);
  bool ExpectMap(const YAML::Node& key, const YAML::Node& value, std::string_view example);

  // --- the language ---------------------------------------------------------------------------
  bool TextIsClean();     // no control characters, valid UTF-8
  bool SingleDocument();  // no second YAML document
  void ParseVersion(const YAML::Node& key, const YAML::Node& value);
  void ParseScope(const YAML::Node& map, ScopeSettings& scope);
  bool ParseScopeKey(const std::string& name, const YAML::Node& key, const YAML::Node& value,
                     ScopeSettings& scope);
  bool ParseEveryCheckKey(const std::string& name, const YAML::Node& key, const YAML::Node& value,
                          CheckSettings& settings);
  void ParseWarmUp(const YAML::Node& key, const YAML::Node& value, CheckSettings& settings);
  void ParseSelectors(const YAML::Node& value);
  void ParseSelector(const YAML::Node& item);
  std::vector<std::pair<std::string, YAML::Node>> ScalarList(const YAML::Node& key,
                                                             const YAML::Node& value);
  void ParseChecks(const YAML::Node& value, std::vector<CheckRule>& out);
  std::optional<CheckRule> ParseCheckHead(const YAML::Node& node);
  std::optional<Limit> ParseLimit(const YAML::Node& node, std::string_view text, std::size_t at,
                                  RuleMetric metric);
  void ParseCheckSettings(const YAML::Node& key, const YAML::Node& value, CheckRule& rule);
  void ParseMargin(const YAML::Node& key, const YAML::Node& value, CheckRule& rule);
  void CheckLimitsAgree(const std::vector<CheckRule>& checks);
  void ParseFleet(const YAML::Node& key, const YAML::Node& value);
  void CheckTags();

  std::string file_;
  std::string_view source_;
  RuleErrors errors_;
  RuleSet rules_;
  std::size_t visited_ = 0;
  bool saw_version_ = false;
  bool fleet_given_ = false;
};

template <class F>
void RulesParser::ForEachKey(const YAML::Node& map, Keys allowed, std::string_view where,
                             F&& handle) {
  std::map<std::string, int> first_line;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Visit();
    const YAML::Node key = it->first;  // a copy: it-> is a proxy that dies here
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Error(key.Mark(), "a key must be a plain name", "expected one of: " + JoinKeys(allowed));
      continue;
    }
    const std::string& name = key.Scalar();
    if (auto [seen, inserted] = first_line.emplace(name, Pos(key.Mark()).line); !inserted) {
      Error(key.Mark(), "duplicate key '" + name + "'",
            "first given at line " + std::to_string(seen->second) + "; keep one");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      UnknownKey(key, allowed, where);
      continue;
    }
    handle(name, key, value);
  }
}

void RulesParser::UnknownKey(const YAML::Node& key, Keys allowed, std::string_view where) {
  const std::string& name = key.Scalar();
  std::string hint;
  const std::string close = ClosestMatch(name, allowed);
  if (!close.empty()) {
    hint = "did you mean '" + close + "'?";
  } else {
    for (const KnownMistake& m : kKeyMistakes) {
      if (Lower(name) == m.key ||
          (m.key == "checks for" && Lower(name).starts_with("checks for"))) {
        hint = m.hint;
      }
    }
  }
  const auto is = [&name](Keys keys) {
    return std::find(keys.begin(), keys.end(), name) != keys.end();
  };
  if (hint.empty()) {
    if (where == "a check" &&
        (name == "alpha" || name == "canary_silent_after" || name == "canary_min_share")) {
      hint = name + " is per release: set it under defaults or a dataset selector";
    } else if (where == "a check" && name == "checks") {
      hint = "checks is a list under defaults or a dataset selector";
    } else if ((where == "defaults" || where == "a dataset selector") && is(kCheckKeys)) {
      hint = name + " belongs to one check: put it under the check, e.g. `- row_count: {" + name +
             ": ...}`";
    } else if (where == "defaults" && (name == "name" || name == "tag" || name == "tags")) {
      hint = "defaults apply to every dataset; select datasets under `datasets:`";
    } else if (where == "the top level" && (is(kDefaultsKeys) || name == "checks")) {
      hint = "put it under `defaults:` (every dataset) or a selector under `datasets:`";
    } else {
      hint = "expected one of: " + JoinKeys(allowed);
    }
  }
  Error(key.Mark(), "unknown key '" + name + "' in " + std::string(where), hint);
}

std::optional<std::string> RulesParser::ScalarValue(const YAML::Node& key,
                                                    const YAML::Node& value) {
  Visit();
  if (value.IsNull()) {
    Error(key.Mark(), "'" + key.Scalar() + "' needs a value");
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    Error(value.Mark(), "'" + key.Scalar() + "' takes a single value, not a " +
                            (value.IsMap() ? "mapping" : "list"));
    return std::nullopt;
  }
  return value.Scalar();
}

bool RulesParser::ExpectMap(const YAML::Node& key, const YAML::Node& value,
                            std::string_view example) {
  Visit();
  if (value.IsMap()) return true;
  if (value.IsNull()) {
    Error(key.Mark(), "'" + key.Scalar() + "' is empty", "e.g. " + std::string(example));
  } else {
    Error(value.Mark(), "'" + key.Scalar() + "' must be a mapping of keys",
          "e.g. " + std::string(example));
  }
  return false;
}

RulesResult RulesParser::Parse() {
  rules_.file_ = file_;
  try {
    if (source_.size() > kMaxRulesFileBytes) {
      Error(SourcePos{}, "the rules file is larger than 1 MiB",
            "split it or remove generated text");
      return errors_;
    }
    if (!TextIsClean() || !SingleDocument()) return errors_;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(source_));
    } catch (const YAML::Exception& e) {
      std::string hint;
      if (e.msg.find("block scalar") != std::string::npos) {
        hint = "a value starting with '>' or '|' is a YAML block: quote it, e.g. \"> 0\"";
      } else if (e.msg.find("illegal map value") != std::string::npos) {
        hint = "a value containing ': ' needs quotes";
      }
      if (LineIndentedWithTab(e.mark.line)) hint = "YAML indents with spaces, not tabs";
      Error(e.mark, "invalid YAML: " + e.msg, hint);
      return errors_;
    }
    if (root.IsNull()) {
      Error(SourcePos{1, 1}, "the rules file is empty", "start it with `version: 1`");
      return errors_;
    }
    if (!root.IsMap()) {
      Error(root.Mark(), "the rules file must be a mapping of keys",
            "expected " + JoinKeys(kTopKeys) + ", starting with `version: 1`");
      return errors_;
    }
    ForEachKey(root, kTopKeys, "the top level",
               [this](const std::string& name, const YAML::Node& key, const YAML::Node& value) {
                 if (name == "version") {
                   ParseVersion(key, value);
                 } else if (name == "defaults") {
                   if (value.IsNull()) return;
                   if (ExpectMap(key, value, "defaults: {alpha: 0.01}")) {
                     ParseScope(value, rules_.defaults_);
                   }
                 } else if (name == "datasets") {
                   ParseSelectors(value);
                 } else if (name == "fleet") {
                   ParseFleet(key, value);
                 }
               });
    if (!saw_version_) {
      Error(SourcePos{1, 1}, "missing 'version'", "put `version: 1` at the top of the file");
    }
    CheckTags();
  } catch (const StopParsing&) {
    if (errors_.size() >= kMaxRuleErrors) {
      errors_.push_back({file_, errors_.back().pos, "too many errors; stopping here", ""});
    }
  } catch (const YAML::Exception& e) {
    Error(e.mark, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    errors_.push_back({file_, SourcePos{}, std::string("cannot read the rules: ") + e.what(), ""});
  }
  if (!errors_.empty()) {
    std::stable_sort(errors_.begin(), errors_.end(), [](const RuleError& a, const RuleError& b) {
      return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
    });
    return errors_;
  }
  return std::move(rules_);
}

bool RulesParser::TextIsClean() {
  // YAML forbids control characters and wants Unicode: refused before yaml-cpp sees them (it
  // can loop forever on a NUL), so every string in a RuleSet is valid UTF-8 (JSON output).
  int line = 1, column = 1;
  for (std::size_t i = 0; i < source_.size(); ++i) {
    const char c = source_[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const std::size_t length = Utf8SequenceLength(source_.substr(i));
      if (length == 0) {
        Error(SourcePos{line, column}, "invalid UTF-8 in the rules file", "save the file as UTF-8");
        return false;
      }
      i += length - 1;
      ++column;
      continue;
    }
    if ((byte < 0x20 && c != '\n' && c != '\t' && c != '\r') || byte == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", byte);
      Error(SourcePos{line, column},
            std::string("control character ") + code + " in the rules file",
            "a rules file is text; save it as UTF-8");
      return false;
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return true;
}

bool RulesParser::SingleDocument() {
  // One document only. Found by scanning rather than YAML::LoadAll, which loops forever on a
  // stray ',' in yaml-cpp 0.7; a line starting with "---" is always a document marker.
  bool content = false;
  int line = 1;
  std::size_t start = 0;
  while (start < source_.size()) {
    std::size_t end = source_.find('\n', start);
    if (end == std::string_view::npos) end = source_.size();
    const std::string_view text = source_.substr(start, end - start);
    const bool marker = text.starts_with("---") &&
                        (text.size() == 3 || text[3] == ' ' || text[3] == '\t' || text[3] == '\r');
    if (marker && content) {
      Error(SourcePos{line, 1}, "a rules file holds one YAML document",
            "remove the '---' and merge the documents");
      return false;
    }
    const std::string_view trimmed = Trim(text);
    if (!marker && !trimmed.empty() && trimmed.front() != '#' && trimmed.front() != '%' &&
        trimmed != "\r") {
      content = true;
    }
    if (marker && text.size() > 3 && !Trim(text.substr(3)).empty() &&
        Trim(text.substr(3)).front() != '#') {
      content = true;  // "--- {version: 1}": the document starts on the marker's line
    }
    start = end + 1;
    ++line;
  }
  return true;
}

void RulesParser::ParseVersion(const YAML::Node& key, const YAML::Node& value) {
  saw_version_ = true;
  const auto text = ScalarValue(key, value);
  if (!text) return;
  if (*text != "1") {
    Error(value.Mark(), "unsupported version '" + *text + "'", "this canaryd reads version 1");
  }
}

void RulesParser::ParseScope(const YAML::Node& map, ScopeSettings& scope) {
  ForEachKey(map, kDefaultsKeys, "defaults",
             [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
               ParseScopeKey(name, k, v, scope);
             });
}

bool RulesParser::ParseScopeKey(const std::string& name, const YAML::Node& key,
                                const YAML::Node& value, ScopeSettings& scope) {
  if (name == "alpha") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    auto alpha = ParseAlpha(*text);
    if (!alpha) {
      Error(value.Mark(), alpha.error().message, alpha.error().hint);
    } else {
      scope.alpha = alpha.value();
    }
    return true;
  }
  if (name == "canary_silent_after") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    auto ms = ParseDurationMs(*text);
    if (!ms) {
      Error(PosIn(value, ms.error().offset), ms.error().message, ms.error().hint);
    } else if (ms.value() < 1000) {
      Error(value.Mark(), "canary_silent_after must be at least 1s",
            "how long the canary may send nothing while the baseline reports, e.g. 10m");
    } else {
      scope.canary_silent_ms = ms.value();
    }
    return true;
  }
  if (name == "canary_min_share") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    auto share = ParseCanaryShare(*text);
    if (!share) {
      Error(value.Mark(), share.error().message, share.error().hint);
    } else {
      scope.canary_min_share = share.value();
    }
    return true;
  }
  if (name == "checks") {
    ParseChecks(value, scope.checks);
    CheckLimitsAgree(scope.checks);
    return true;
  }
  return ParseEveryCheckKey(name, key, value, scope.every_check);
}

bool RulesParser::ParseEveryCheckKey(const std::string& name, const YAML::Node& key,
                                     const YAML::Node& value, CheckSettings& settings) {
  if (name == "severity") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    const std::string lower = Lower(*text);
    if (lower == "warn") {
      settings.severity = Severity::kWarn;
    } else if (lower == "fail") {
      settings.severity = Severity::kFail;
    } else {
      std::string hint = "warn (show WARN, never roll back) or fail (roll back)";
      if (lower == "warning") hint = "did you mean 'warn'?";
      if (lower == "error" || lower == "critical" || lower == "failure") {
        hint = "did you mean 'fail'? (`critical: true` is a key of its own)";
      }
      Error(value.Mark(), "unknown severity '" + *text + "'", hint);
    }
    return true;
  }
  if (name == "critical") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    if (auto flag = ParseBool(*text)) {
      settings.critical = *flag;
    } else {
      Error(value.Mark(), "'critical' takes true or false",
            "true: an absolute limit fails on the first canary load that breaks it");
    }
    return true;
  }
  if (name == "confirm_loads") {
    const auto text = ScalarValue(key, value);
    if (!text) return true;
    auto loads = ParseLoads(*text);
    if (!loads) {
      Error(value.Mark(), "confirm_loads: " + loads.error().message, loads.error().hint);
    } else {
      settings.confirm_loads = loads.value();
    }
    return true;
  }
  if (name == "warm_up") {
    ParseWarmUp(key, value, settings);
    return true;
  }
  return false;
}

void RulesParser::ParseWarmUp(const YAML::Node& key, const YAML::Node& value,
                              CheckSettings& settings) {
  constexpr const char* kHint =
      "loads per arm before comparing: `warm_up: 3` or "
      "`warm_up: {canary: 5, baseline: 3}`";
  Visit();
  if (value.IsMap()) {
    ForEachKey(value, kWarmUpKeys, "warm_up",
               [&](const std::string& arm, const YAML::Node& k, const YAML::Node& v) {
                 const auto text = ScalarValue(k, v);
                 if (!text) return;
                 auto loads = ParseLoads(*text);
                 if (!loads) {
                   Error(v.Mark(), "warm_up " + arm + ": " + loads.error().message, kHint);
                 } else if (arm == "canary") {
                   settings.warm_up_canary = loads.value();
                 } else {
                   settings.warm_up_baseline = loads.value();
                 }
               });
    return;
  }
  if (value.IsNull()) {
    Error(key.Mark(), "'warm_up' needs a value", kHint);
    return;
  }
  if (!value.IsScalar()) {
    Error(value.Mark(), "'warm_up' takes a number of loads or {canary: N, baseline: N}", kHint);
    return;
  }
  auto loads = ParseLoads(value.Scalar());
  if (!loads) {
    Error(value.Mark(), "warm_up: " + loads.error().message, kHint);
    return;
  }
  settings.warm_up_canary = loads.value();
  settings.warm_up_baseline = loads.value();
}

void RulesParser::ParseSelectors(const YAML::Node& value) {
  Visit();
  if (value.IsNull()) return;
  if (!value.IsSequence()) {
    Error(value.Mark(), "'datasets' is a list of selectors",
          "start each with '- name: DATASET' (a name or a glob) or '- tag: TAG'");
    return;
  }
  for (const YAML::Node& item : value) ParseSelector(item);
}

std::vector<std::pair<std::string, YAML::Node>> RulesParser::ScalarList(const YAML::Node& key,
                                                                        const YAML::Node& value) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  Visit();
  if (value.IsScalar()) {
    out.emplace_back(value.Scalar(), value);
  } else if (value.IsSequence()) {
    for (const YAML::Node& item : value) {
      Visit();
      if (item.IsScalar()) {
        out.emplace_back(item.Scalar(), item);
      } else {
        Error(item.Mark(), "'" + key.Scalar() + "' lists plain names");
      }
    }
    if (out.empty() && value.size() == 0) Error(value.Mark(), "'" + key.Scalar() + "' is empty");
  } else if (value.IsNull()) {
    Error(key.Mark(), "'" + key.Scalar() + "' needs a value");
  } else {
    Error(value.Mark(), "'" + key.Scalar() + "' takes a name or a list of names");
  }
  return out;
}

void RulesParser::ParseSelector(const YAML::Node& item) {
  Visit();
  if (!item.IsMap()) {
    Error(item.Mark(), "a dataset selector must be a mapping",
          "start it with 'name: DATASET' (a name or a glob) or 'tag: TAG'");
    return;
  }
  DatasetSelector selector;
  selector.pos = Pos(item.Mark());
  bool has_name = false, has_tag = false, has_tags = false;
  YAML::Mark tags_mark;
  ForEachKey(
      item, kSelectorKeys, "a dataset selector",
      [&](const std::string& name, const YAML::Node& key, const YAML::Node& value) {
        if (name == "name") {
          has_name = true;
          for (auto& [pattern, node] : ScalarList(key, value)) {
            if (!ValidDatasetPattern(pattern)) {
              Error(node.Mark(), "'" + pattern + "' is not a dataset name or glob",
                    "dataset names use A-Z a-z 0-9 _ . : / - (at most 200); globs add * and ?");
            } else {
              selector.names.push_back(pattern);
            }
          }
        } else if (name == "tag") {
          has_tag = true;
          const auto text = ScalarValue(key, value);
          if (!text) return;
          if (!ValidTag(*text)) {
            Error(value.Mark(), "'" + *text + "' is not a tag",
                  "tags use A-Z a-z 0-9 _ . - ; one tag per selector");
          } else {
            selector.tag = *text;
          }
        } else if (name == "tags") {
          has_tags = true;
          tags_mark = key.Mark();
          for (auto& [tag, node] : ScalarList(key, value)) {
            if (!ValidTag(tag)) {
              Error(node.Mark(), "'" + tag + "' is not a tag", "tags use A-Z a-z 0-9 _ . -");
            } else {
              selector.tags.push_back(tag);
            }
          }
        } else if (name == "description") {
          if (auto text = ScalarValue(key, value)) selector.description = *text;
        } else {
          ParseScopeKey(name, key, value, selector.settings);
        }
      });
  if (has_name && has_tag) {
    Error(item.Mark(), "a selector takes 'name' or 'tag', not both",
          "write two selectors; a dataset matching both gets the settings of each");
  } else if (!has_name && !has_tag) {
    Error(item.Mark(), "a dataset selector needs 'name' or 'tag'",
          "'name: analytics.orders', 'name: \"analytics.*\"' or 'tag: critical'");
  } else if (has_tag && has_tags) {
    Error(tags_mark, "'tags' can only be given with 'name'",
          "tags belong to datasets: add them where the datasets are named");
  }
  rules_.selectors_.push_back(std::move(selector));
}

void RulesParser::ParseChecks(const YAML::Node& value, std::vector<CheckRule>& out) {
  Visit();
  if (value.IsNull()) return;
  if (!value.IsSequence()) {
    Error(value.Mark(), "'checks' is a list",
          "start each check with '- ', as in SodaCL: '- row_count > 0'");
    return;
  }
  for (const YAML::Node& item : value) {
    Visit();
    if (item.IsScalar()) {
      if (auto rule = ParseCheckHead(item)) out.push_back(std::move(*rule));
      continue;
    }
    if (!item.IsMap() || item.size() == 0) {
      Error(item.Mark(), "a check is a metric or a metric with settings", kCheckHeadHint);
      continue;
    }
    auto it = item.begin();
    const YAML::Node head = it->first;
    const YAML::Node settings = it->second;
    if (!head.IsScalar()) {
      Error(head.Mark(), "a check starts with a metric", kCheckHeadHint);
      continue;
    }
    std::optional<CheckRule> rule = ParseCheckHead(head);
    for (++it; it != item.end(); ++it) {
      Visit();
      const YAML::Node extra = it->first;
      const std::string extra_name = extra.IsScalar() ? extra.Scalar() : "";
      if (std::find(kCheckKeys.begin(), kCheckKeys.end(), extra_name) != kCheckKeys.end()) {
        Error(extra.Mark(),
              "'" + extra_name + "' is at the level of the check '" + head.Scalar() + "'",
              "indent it under '" + head.Scalar() + ":' by two more spaces");
      } else {
        Error(extra.Mark(), "one check per list item",
              "start '" + extra_name + "' on its own line with '- '");
      }
    }
    if (!rule) continue;
    ParseCheckSettings(head, settings, *rule);
    out.push_back(std::move(*rule));
  }
}

std::optional<CheckRule> RulesParser::ParseCheckHead(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  CheckRule rule;
  rule.pos = Pos(node.Mark());
  rule.settings.enabled = true;
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  skip_spaces();
  const std::size_t metric_at = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    ++i;
  }
  const std::string metric_name = text.substr(metric_at, i - metric_at);
  if (metric_name.empty()) {
    Error(PosIn(node, metric_at), "expected a metric", kCheckHeadHint);
    return std::nullopt;
  }
  const auto known = std::find(kMetrics.begin(), kMetrics.end(), metric_name);
  if (known == kMetrics.end()) {
    std::string hint;
    for (const KnownMistake& m : kMetricMistakes) {
      if (Lower(metric_name) == m.key) hint = m.hint;
    }
    if (hint.empty()) {
      const std::string close = ClosestMatch(metric_name, kMetrics);
      hint = close.empty() ? "metrics: " + JoinKeys(kMetrics) : "did you mean '" + close + "'?";
    }
    Error(PosIn(node, metric_at), "unknown metric '" + metric_name + "'", hint);
    return std::nullopt;
  }
  rule.metric = static_cast<RuleMetric>(known - kMetrics.begin());
  if (i < text.size() && text[i] == '(') {
    const std::size_t close = text.find(')', i);
    if (close == std::string::npos) {
      Error(PosIn(node, i), "missing ')' after the column", "e.g. null_rate(email)");
      return std::nullopt;
    }
    const std::string column(Trim(std::string_view(text).substr(i + 1, close - i - 1)));
    if (rule.metric != RuleMetric::kNullRate) {
      Error(PosIn(node, i), "'" + metric_name + "' takes no column",
            rule.metric == RuleMetric::kDuplicateRate
                ? "duplicate_rate counts the rows the load reports as duplicates: write "
                  "duplicate_rate"
                : "only null_rate is per column, e.g. null_rate(email)");
      return std::nullopt;
    }
    if (column.empty()) {
      Error(PosIn(node, i), "empty column name",
            "null_rate(email), or null_rate(*) for every column");
      return std::nullopt;
    }
    if (column.size() > 200 || std::any_of(column.begin(), column.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == '(';
        })) {
      Error(PosIn(node, i + 1), "'" + column.substr(0, 40) + "' is not a column name",
            "at most 200 characters, no control characters or '('");
      return std::nullopt;
    }
    rule.column = column;
    i = close + 1;
  } else if (rule.metric == RuleMetric::kNullRate) {
    Error(PosIn(node, metric_at), "null_rate needs a column",
          "null_rate(email), or null_rate(*) for every column");
    return std::nullopt;
  }
  skip_spaces();
  if (i < text.size()) {
    auto limit = ParseLimit(node, text, i, rule.metric);
    if (!limit) return std::nullopt;
    limit->text = std::string(Trim(text));
    limit->pos = rule.pos;
    rule.settings.limits.push_back(std::move(*limit));
  }
  return rule;
}

std::optional<Limit> RulesParser::ParseLimit(const YAML::Node& node, std::string_view text,
                                             std::size_t i, RuleMetric metric) {
  Limit limit;
  const std::string_view metric_name = RuleMetricName(metric);
  if (metric == RuleMetric::kSchema) {
    Error(PosIn(node, i), "schema has no value to limit",
          "schema compares the canary's fingerprint with the baseline's: write '- schema' or "
          "'- schema: {severity: warn}'");
    return std::nullopt;
  }
  // An optional statistic over the canary's loads: p95, p99.9, median.
  if (std::isalpha(static_cast<unsigned char>(text[i]))) {
    std::size_t end = i;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '.' || text[end] == '_')) {
      ++end;
    }
    const std::string word(text.substr(i, end - i));
    double q = -1;
    if (word == "median") {
      q = 50;
    } else if (word.size() > 1 && word[0] == 'p') {
      auto percent = ParsePercent(word.substr(1) + "%");
      if (percent) q = percent.value() * 100;
      if (percent && word[1] == '+') q = -1;
    }
    if (q <= 0 || q >= 100) {
      Error(PosIn(node, i), "unknown statistic '" + word + "'",
            "use a quantile of the canary's loads (p50, p95, p99, median), or none to limit every "
            "load");
      return std::nullopt;
    }
    limit.quantile = q / 100.0;
    i = end;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  }
  const std::string_view rest = text.substr(i);
  const std::size_t op_at = i;
  if (rest.starts_with("<=")) {
    limit.op = LimitOp::kLessEqual;
    i += 2;
  } else if (rest.starts_with(">=")) {
    limit.op = LimitOp::kGreaterEqual;
    i += 2;
  } else if (rest.starts_with("==")) {
    limit.op = LimitOp::kEqual;
    i += 2;
  } else if (rest.starts_with("!=")) {
    Error(PosIn(node, op_at), "'!=' is not a limit", "use <, <=, >, >= or =");
    return std::nullopt;
  } else if (rest.starts_with("<")) {
    limit.op = LimitOp::kLess;
    i += 1;
  } else if (rest.starts_with(">")) {
    limit.op = LimitOp::kGreater;
    i += 1;
  } else if (rest.starts_with("=")) {
    limit.op = LimitOp::kEqual;
    i += 1;
  } else {
    Error(PosIn(node, op_at),
          "expected <, <=, >, >= or = after '" + std::string(Trim(text.substr(0, op_at))) + "'",
          kCheckHeadHint);
    return std::nullopt;
  }
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  const std::string_view value_text = text.substr(i);
  if (Trim(value_text).empty()) {
    Error(PosIn(node, op_at), "missing value after '" + std::string(LimitOpText(limit.op)) + "'",
          kCheckHeadHint);
    return std::nullopt;
  }
  std::optional<UnitError> problem;
  if (IsRate(metric)) {
    auto percent = ParsePercent(value_text);
    if (!percent) {
      problem = percent.error();
    } else if (percent.value() > 1) {
      problem = UnitError{"a rate cannot exceed 100%", "", 0};
    } else {
      limit.value = percent.value();
    }
  } else if (metric == RuleMetric::kRowCount) {
    auto rows = ParseRowCount(value_text);
    if (!rows) {
      problem = rows.error();
    } else {
      limit.value = rows.value();
    }
  } else {
    auto ms = ParseDurationMs(value_text);
    if (!ms) {
      problem = ms.error();
    } else {
      limit.value = static_cast<double>(ms.value()) / 1000.0;
    }
  }
  if (problem) {
    Error(PosIn(node, i + problem->offset), problem->message, problem->hint);
    return std::nullopt;
  }
  if ((limit.op == LimitOp::kLess && limit.value <= 0) ||
      (limit.op == LimitOp::kLessEqual && limit.value < 0)) {
    Error(PosIn(node, op_at), "'" + std::string(Trim(text)) + "' can never hold",
          std::string(metric_name) + " is never negative");
    return std::nullopt;
  }
  if (IsRate(metric) && limit.op == LimitOp::kGreater && limit.value >= 1) {
    Error(PosIn(node, op_at), "'" + std::string(Trim(text)) + "' can never hold",
          "a rate is at most 100%");
    return std::nullopt;
  }
  return limit;
}

void RulesParser::ParseCheckSettings(const YAML::Node& head, const YAML::Node& value,
                                     CheckRule& rule) {
  Visit();
  if (value.IsNull()) return;
  if (value.IsScalar()) {
    if (auto on = ParseBool(value.Scalar())) {
      rule.settings.enabled = *on;
      if (!*on && !rule.settings.limits.empty()) {
        Error(value.Mark(), "a check with a limit cannot be off",
              "write '- " + rule.Name() + ": off' to switch the check off");
      }
      return;
    }
    Error(value.Mark(), "a check takes settings, 'off', or nothing",
          "e.g. '- row_count: {bad: down, margin: 10%}'");
    return;
  }
  if (!value.IsMap()) {
    Error(value.Mark(), "a check's settings are a mapping",
          "e.g. '- " + head.Scalar() + ": {severity: warn}'");
    return;
  }
  const bool schema = rule.metric == RuleMetric::kSchema;
  ForEachKey(value, kCheckKeys, "a check",
             [&](const std::string& name, const YAML::Node& key, const YAML::Node& v) {
               if (schema && name != "severity" && name != "critical") {
                 Error(key.Mark(), "'" + name + "' does not apply to schema",
                       "schema compares fingerprints at once: only severity and critical apply");
                 return;
               }
               if (name == "bad") {
                 const auto text = ScalarValue(key, v);
                 if (!text) return;
                 const std::string lower = Lower(*text);
                 std::optional<BadDirection> bad;
                 if (lower == "up") bad = BadDirection::kUp;
                 if (lower == "down") bad = BadDirection::kDown;
                 if (lower == "both") bad = BadDirection::kBoth;
                 if (!bad) {
                   std::string hint = "up (higher is worse), down (lower is worse) or both";
                   if (lower == "higher" || lower == "increase") hint = "did you mean 'up'?";
                   if (lower == "lower" || lower == "decrease") hint = "did you mean 'down'?";
                   Error(v.Mark(), "unknown direction '" + *text + "'", hint);
                 } else if (rule.metric == RuleMetric::kFreshness && *bad != BadDirection::kUp) {
                   Error(v.Mark(), "freshness is only worse when later",
                         "remove 'bad' or write 'bad: up'");
                 } else {
                   rule.settings.bad = *bad;
                 }
               } else if (name == "margin") {
                 ParseMargin(key, v, rule);
               } else {
                 ParseEveryCheckKey(name, key, v, rule.settings);
               }
             });
}

void RulesParser::ParseMargin(const YAML::Node& key, const YAML::Node& value, CheckRule& rule) {
  std::vector<YAML::Node> terms;
  if (value.IsSequence()) {
    for (const YAML::Node& item : value) {
      Visit();
      terms.push_back(item);
    }
    if (terms.empty() || terms.size() > 2) {
      Error(value.Mark(), "a margin is one or two terms",
            "e.g. 'margin: +20%' or 'margin: [+20%, +0.1pp]' (the larger applies); freshness: "
            "'margin: [+20%, +1m]'");
      return;
    }
  } else if (value.IsScalar()) {
    terms.push_back(value);
  } else {
    ScalarValue(key, value);  // reports the shape
    return;
  }
  Margin margin;
  bool has_relative = false, has_absolute = false;
  for (const YAML::Node& term : terms) {
    if (!term.IsScalar()) {
      Error(term.Mark(), "a margin term is a single value", "e.g. +20% or +0.1pp");
      return;
    }
    auto parsed = ParseMarginTerm(term.Scalar());
    if (!parsed) {
      Error(PosIn(term, parsed.error().offset), parsed.error().message, parsed.error().hint);
      return;
    }
    const MarginKind kind = parsed.value().kind;
    if (kind == MarginKind::kPoints && !IsRate(rule.metric)) {
      Error(term.Mark(), "percentage points (pp) are for rates",
            rule.metric == RuleMetric::kFreshness
                ? "a freshness margin is relative or a duration, e.g. [+20%, +1m]"
                : std::string(RuleMetricName(rule.metric)) + " margins are relative, e.g. +10%");
      return;
    }
    if (kind == MarginKind::kSeconds && rule.metric != RuleMetric::kFreshness) {
      Error(term.Mark(), "a duration margin is for freshness",
            IsRate(rule.metric)
                ? "a rate margin is relative or in points, e.g. [+20%, +0.1pp]"
                : std::string(RuleMetricName(rule.metric)) + " margins are relative, e.g. +10%");
      return;
    }
    if (parsed.value().absolute()) {
      if (has_absolute) {
        Error(term.Mark(), "two absolute margins", "give one relative and one absolute term");
        return;
      }
      has_absolute = true;
      margin.absolute = parsed.value().value;
    } else {
      if (has_relative) {
        Error(term.Mark(), "two relative margins", "give one relative and one absolute term");
        return;
      }
      has_relative = true;
      margin.relative = parsed.value().value;
    }
  }
  if (rule.metric == RuleMetric::kRowCount && margin.relative >= 1 && rule.settings.bad &&
      *rule.settings.bad == BadDirection::kDown) {
    Error(value.Mark(), "a row_count margin of 100% or more can never be exceeded downwards",
          "fewer rows is at most 100% fewer; e.g. margin: 10%");
    return;
  }
  rule.settings.margin = margin;
}

void RulesParser::CheckLimitsAgree(const std::vector<CheckRule>& checks) {
  // Within one place, two limits on the same side of the same statistic of the same check are a
  // mistake (which one was meant?), and an upper limit below a lower one can never pass.
  for (std::size_t a = 0; a < checks.size(); ++a) {
    for (const Limit& la : checks[a].settings.limits) {
      for (std::size_t b = 0; b <= a; ++b) {
        if (checks[b].Name() != checks[a].Name()) continue;
        for (const Limit& lb : checks[b].settings.limits) {
          if (&la == &lb) break;
          if (la.quantile != lb.quantile) continue;
          if ((la.BoundsAbove() && lb.BoundsAbove()) || (la.BoundsBelow() && lb.BoundsBelow())) {
            Error(la.pos,
                  "a second " + std::string(la.BoundsAbove() ? "upper" : "lower") + " limit for " +
                      checks[a].Name(),
                  "'" + lb.text + "' at line " + std::to_string(lb.pos.line) + "; keep one");
            continue;
          }
          const Limit& upper = la.BoundsAbove() ? la : lb;
          const Limit& lower = la.BoundsAbove() ? lb : la;
          const bool strict = upper.op == LimitOp::kLess || lower.op == LimitOp::kGreater;
          if (upper.value < lower.value || (strict && upper.value == lower.value)) {
            Error(la.pos, "'" + la.text + "' and '" + lb.text + "' can never both hold",
                  "line " + std::to_string(lb.pos.line) + " has the other");
          }
        }
      }
    }
  }
}

void RulesParser::ParseFleet(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsNull()) return;
  if (!ExpectMap(key, value, "fleet: {freshness_slo: {tag: critical, within: 15m, target: 95%}}")) {
    return;
  }
  ForEachKey(
      value, kFleetKeys, "fleet",
      [&](const std::string&, const YAML::Node& k, const YAML::Node& v) {
        fleet_given_ = true;
        FleetFreshnessSlo& slo = rules_.fleet_freshness_;
        slo.pos = Pos(k.Mark());
        if (v.IsNull()) return;
        if (!ExpectMap(k, v, "freshness_slo: {tag: critical, within: 15m, target: 95%}")) return;
        ForEachKey(
            v, kSloKeys, "freshness_slo",
            [&](const std::string& name, const YAML::Node& sk, const YAML::Node& sv) {
              const auto text = ScalarValue(sk, sv);
              if (!text) return;
              if (name == "tag") {
                if (!ValidTag(*text)) {
                  Error(sv.Mark(), "'" + *text + "' is not a tag", "tags use A-Z a-z 0-9 _ . -");
                } else {
                  slo.tag = *text;
                }
              } else if (name == "within") {
                auto ms = ParseDurationMs(*text);
                if (!ms) {
                  Error(PosIn(sv, ms.error().offset), ms.error().message, ms.error().hint);
                } else if (ms.value() < 1000) {
                  Error(sv.Mark(), "'within' must be at least 1s",
                        "how late after its schedule a load may land, e.g. 15m");
                } else {
                  slo.within_ms = ms.value();
                }
              } else {
                constexpr const char* kHint = "the share of loads on time, e.g. 95% or 0.95";
                double share = -1;
                if (text->ends_with('%')) {
                  auto percent = ParsePercent(*text);
                  if (percent) share = percent.value();
                } else if (auto alpha = ParseAlpha(*text)) {
                  share = alpha.value();
                } else if (*text == "1") {
                  share = 1;
                }
                if (!(share > 0 && share <= 1)) {
                  Error(sv.Mark(), "'target' must be a share above 0% and at most 100%", kHint);
                } else {
                  slo.target = share;
                }
              }
            });
      });
}

void RulesParser::CheckTags() {
  std::vector<std::string> given;
  for (const DatasetSelector& s : rules_.selectors_) {
    given.insert(given.end(), s.tags.begin(), s.tags.end());
  }
  std::sort(given.begin(), given.end());
  given.erase(std::unique(given.begin(), given.end()), given.end());
  const std::vector<std::string_view> views(given.begin(), given.end());
  auto check = [&](const std::string& tag, SourcePos pos) {
    if (std::binary_search(given.begin(), given.end(), tag)) return;
    const std::string close = ClosestMatch(tag, views);
    Error(pos, "no dataset has the tag '" + tag + "'",
          close.empty() ? "give it with 'tags: [" + tag + "]' on a selector with 'name'"
                        : "did you mean '" + close + "'?");
  };
  for (const DatasetSelector& s : rules_.selectors_) {
    if (!s.tag.empty()) check(s.tag, s.pos);
  }
  if (fleet_given_) check(rules_.fleet_freshness_.tag, rules_.fleet_freshness_.pos);
}

RulesResult ParseRules(std::string_view yaml, std::string_view file_name) {
  try {
    RulesParser parser{std::string(file_name), yaml};
    return parser.Parse();
  } catch (const std::exception& e) {
    // Only allocation failure can get here; the caller still gets a value, not an exception.
    return RuleErrors{{std::string(file_name), SourcePos{}, e.what(), ""}};
  }
}

RulesResult LoadRulesFile(const std::string& path) {
  try {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return RuleErrors{
          {path, SourcePos{}, std::string("cannot open: ") + std::strerror(errno), ""}};
    }
    std::string text;
    char buffer[64 * 1024];
    while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
      text.append(buffer, static_cast<std::size_t>(file.gcount()));
      if (text.size() > kMaxRulesFileBytes) break;
    }
    if (file.bad()) {
      return RuleErrors{
          {path, SourcePos{}, std::string("cannot read: ") + std::strerror(errno), ""}};
    }
    return ParseRules(text, path);
  } catch (const std::exception& e) {
    return RuleErrors{{path, SourcePos{}, e.what(), ""}};
  }
}

}  // namespace canaryd
