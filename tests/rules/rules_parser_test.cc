// Every key the language has, and every error message with its exact file:line:column.
#include "rules/rules_parser.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/rules/rules_test_util.h"

namespace canaryd {
namespace {

using ::canaryd::testing::Errors;
using ::canaryd::testing::Parse;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// ---- every key, accepted ------------------------------------------------------------------

TEST(RulesParserKeys, TopLevelAndDefaults) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  alpha: 0.005
  warm_up: 4
  canary_silent_after: 1h30m
  canary_min_share: 0.5%
  severity: warn
  critical: true
  confirm_loads: 2
  checks:
    - row_count
)");
  const ScopeSettings& d = rules.defaults();
  EXPECT_DOUBLE_EQ(*d.alpha, 0.005);
  EXPECT_EQ(*d.every_check.warm_up_canary, 4);
  EXPECT_EQ(*d.every_check.warm_up_baseline, 4);
  EXPECT_EQ(*d.canary_silent_ms, 90 * 60 * 1000);
  EXPECT_DOUBLE_EQ(*d.canary_min_share, 0.005);
  EXPECT_EQ(*d.every_check.severity, Severity::kWarn);
  EXPECT_TRUE(*d.every_check.critical);
  EXPECT_EQ(*d.every_check.confirm_loads, 2);
  ASSERT_THAT(d.checks, SizeIs(1));
  EXPECT_EQ(d.checks[0].metric, RuleMetric::kRowCount);
  EXPECT_EQ(d.checks[0].pos, (SourcePos{11, 7}));
  EXPECT_EQ(rules.file(), "r.yaml");
}

TEST(RulesParserKeys, WarmUpPerArm) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  warm_up: {canary: 5, baseline: 2 loads}
)");
  EXPECT_EQ(*rules.defaults().every_check.warm_up_canary, 5);
  EXPECT_EQ(*rules.defaults().every_check.warm_up_baseline, 2);
}

TEST(RulesParserKeys, EmptySectionsAreAllowed) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
datasets:
fleet:
)");
  EXPECT_THAT(rules.selectors(), IsEmpty());
  EXPECT_EQ(rules.fleet_freshness().target, 0.95);
}

TEST(RulesParserKeys, SelectorKeys) {
  RuleSet rules = Parse(R"(
version: 1
datasets:
  - name: [analytics.orders, "staging.*"]
    tags: [critical, finance]
    description: the orders mart
    alpha: 2%
    warm_up: 6
    canary_silent_after: 5m
    severity: fail
    critical: false
    confirm_loads: 4
    checks:
      - schema
  - name: analytics.customers
  - tag: finance
)");
  ASSERT_THAT(rules.selectors(), SizeIs(3));
  const DatasetSelector& s = rules.selectors()[0];
  EXPECT_THAT(s.names, ElementsAre("analytics.orders", "staging.*"));
  EXPECT_THAT(s.tags, ElementsAre("critical", "finance"));
  EXPECT_EQ(s.description, "the orders mart");
  EXPECT_DOUBLE_EQ(*s.settings.alpha, 0.02);
  EXPECT_EQ(*s.settings.every_check.warm_up_canary, 6);
  EXPECT_EQ(*s.settings.canary_silent_ms, 5 * 60 * 1000);
  EXPECT_EQ(*s.settings.every_check.severity, Severity::kFail);
  EXPECT_FALSE(*s.settings.every_check.critical);
  EXPECT_EQ(*s.settings.every_check.confirm_loads, 4);
  EXPECT_EQ(s.pos, (SourcePos{3, 5}));
  EXPECT_THAT(rules.selectors()[1].names, ElementsAre("analytics.customers"));
  EXPECT_EQ(rules.selectors()[2].tag, "finance");
  EXPECT_EQ(rules.selectors()[2].Describe(), "tag finance");
  EXPECT_EQ(s.Describe(), "name analytics.orders, staging.*");
}

TEST(RulesParserKeys, CheckSettingsValues) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - row_count:
        bad: both
        margin: 15%
        severity: warn
        critical: true
        warm_up: {canary: 2, baseline: 4}
        confirm_loads: 5
    - null_rate(email):
        margin: [+20%, +0.1pp]
    - duplicate_rate:
        margin: x1.5
    - null_rate(phone): off
    - null_rate(fax): on
    - freshness:
    - schema: {severity: warn, critical: true}
)");
  const auto& checks = rules.defaults().checks;
  ASSERT_THAT(checks, SizeIs(7));
  const CheckSettings& rows = checks[0].settings;
  EXPECT_EQ(*rows.bad, BadDirection::kBoth);
  EXPECT_DOUBLE_EQ(rows.margin->relative, 0.15);
  EXPECT_EQ(*rows.severity, Severity::kWarn);
  EXPECT_TRUE(*rows.critical);
  EXPECT_EQ(*rows.warm_up_canary, 2);
  EXPECT_EQ(*rows.warm_up_baseline, 4);
  EXPECT_EQ(*rows.confirm_loads, 5);
  EXPECT_EQ(checks[1].Name(), "null_rate(email)");
  EXPECT_DOUBLE_EQ(checks[1].settings.margin->relative, 0.2);
  EXPECT_DOUBLE_EQ(checks[1].settings.margin->absolute, 0.001);
  EXPECT_NEAR(checks[2].settings.margin->relative, 0.5, 1e-12);
  EXPECT_FALSE(*checks[3].settings.enabled);
  EXPECT_TRUE(*checks[4].settings.enabled);
  EXPECT_TRUE(*checks[5].settings.enabled);
  EXPECT_EQ(checks[6].metric, RuleMetric::kSchema);
  EXPECT_EQ(*checks[6].settings.severity, Severity::kWarn);
}

TEST(RulesParserKeys, EveryMetricAndLimitForm) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(email) < 0.5%
    - null_rate(*) <= 50%
    - null_rate(warehouse_*)
    - duplicate_rate = 0
    - row_count > 0
    - row_count <= 10M
    - freshness p95 < 15m
    - freshness p99.9 <= 1h
    - freshness median >= 1s
    - null_rate(id) == 0
    - schema
    - "null_rate(  spaced col  ) < 1%"
)");
  const auto& c = rules.defaults().checks;
  ASSERT_THAT(c, SizeIs(12));
  auto limit = [&](int i) { return c[static_cast<std::size_t>(i)].settings.limits.at(0); };
  EXPECT_EQ(limit(0).op, LimitOp::kLess);
  EXPECT_DOUBLE_EQ(limit(0).value, 0.005);
  EXPECT_FALSE(limit(0).quantile);
  EXPECT_EQ(limit(0).text, "null_rate(email) < 0.5%");
  EXPECT_EQ(limit(0).pos, (SourcePos{4, 7}));
  EXPECT_EQ(c[1].column, "*");
  EXPECT_EQ(limit(1).op, LimitOp::kLessEqual);
  EXPECT_EQ(c[2].column, "warehouse_*");
  EXPECT_THAT(c[2].settings.limits, IsEmpty());
  EXPECT_EQ(c[3].metric, RuleMetric::kDuplicateRate);
  EXPECT_EQ(limit(3).op, LimitOp::kEqual);
  EXPECT_EQ(limit(3).value, 0);
  EXPECT_EQ(limit(4).op, LimitOp::kGreater);
  EXPECT_EQ(limit(5).value, 10e6);
  EXPECT_DOUBLE_EQ(*limit(6).quantile, 0.95);
  EXPECT_DOUBLE_EQ(limit(6).value, 900);
  EXPECT_NEAR(*limit(7).quantile, 0.999, 1e-12);
  EXPECT_EQ(limit(7).op, LimitOp::kLessEqual);
  EXPECT_DOUBLE_EQ(*limit(8).quantile, 0.5);
  EXPECT_EQ(limit(8).op, LimitOp::kGreaterEqual);
  EXPECT_EQ(limit(9).op, LimitOp::kEqual);
  EXPECT_EQ(c[10].metric, RuleMetric::kSchema);
  EXPECT_EQ(c[11].column, "spaced col");
}

TEST(RulesParserKeys, LimitWithSettings) {
  RuleSet rules = Parse(R"(
version: 1
defaults:
  checks:
    - null_rate(email) < 2%:
        severity: warn
)");
  const CheckRule& c = rules.defaults().checks.at(0);
  EXPECT_EQ(c.settings.limits.at(0).value, 0.02);
  EXPECT_EQ(*c.settings.severity, Severity::kWarn);
}

TEST(RulesParserKeys, Fleet) {
  RuleSet rules = Parse(R"(
version: 1
fleet:
  freshness_slo:
    tag: marts
    within: 900s
    target: 99%
datasets:
  - name: "marts.*"
    tags: [marts]
)");
  const FleetFreshnessSlo& slo = rules.fleet_freshness();
  EXPECT_EQ(slo.tag, "marts");
  EXPECT_EQ(slo.within_ms, 900 * 1000);
  EXPECT_DOUBLE_EQ(slo.target, 0.99);
  EXPECT_EQ(slo.pos, (SourcePos{3, 3}));
}

TEST(RulesParserKeys, FleetTargetAsFractionAndDefaults) {
  RuleSet fraction = Parse(R"(
version: 1
fleet:
  freshness_slo: {target: 0.9}
datasets:
  - {name: a, tags: [critical]}
)");
  EXPECT_DOUBLE_EQ(fraction.fleet_freshness().target, 0.9);
  EXPECT_EQ(fraction.fleet_freshness().tag, "critical");
  EXPECT_EQ(fraction.fleet_freshness().within_ms, 15 * 60 * 1000);
  RuleSet all = Parse(R"(
version: 1
fleet: {freshness_slo: {target: 1, tag: critical}}
datasets: [{name: a, tags: [critical]}]
)");
  EXPECT_DOUBLE_EQ(all.fleet_freshness().target, 1.0);
}

TEST(RulesParserKeys, VersionOnlyIsAValidFile) {
  RuleSet rules = Parse("version: 1\n");
  EXPECT_THAT(rules.selectors(), IsEmpty());
  EXPECT_THAT(rules.defaults().checks, IsEmpty());
}

// ---- errors: the file as a whole ------------------------------------------------------------

TEST(RulesParserErrors, InvalidYaml) {
  EXPECT_THAT(Errors("version: 1\na: [1,\n"),
              ElementsAre("r.yaml:3:1: invalid YAML: end of sequence flow not found"));
  EXPECT_THAT(
      Errors("version: 1\nx: > 0\n"),
      ElementsAre("r.yaml:2:6: invalid YAML: unexpected character in block scalar (a "
                  "value starting with '>' or '|' is a YAML block: quote it, e.g. \"> 0\")"));
}

TEST(RulesParserErrors, EmptyFile) {
  EXPECT_THAT(Errors(""), ElementsAre("r.yaml:1:1: the rules file is empty (start it with "
                                      "`version: 1`)"));
  EXPECT_THAT(Errors("# only a comment\n"), SizeIs(1));
}

TEST(RulesParserErrors, NotAMapping) {
  EXPECT_THAT(Errors("- version: 1\n"),
              ElementsAre("r.yaml:1:1: the rules file must be a mapping of keys (expected version, "
                          "defaults, datasets, fleet, starting with `version: 1`)"));
}

TEST(RulesParserErrors, Version) {
  EXPECT_THAT(
      Errors("datasets:\n"),
      ElementsAre("r.yaml:1:1: missing 'version' (put `version: 1` at the top of the file)"));
  EXPECT_THAT(Errors("version: 2\n"),
              ElementsAre("r.yaml:1:10: unsupported version '2' (this canaryd reads version 1)"));
  EXPECT_THAT(Errors("version:\n"), ElementsAre("r.yaml:1:1: 'version' needs a value"));
  EXPECT_THAT(Errors("version: [1]\n"),
              ElementsAre("r.yaml:1:10: 'version' takes a single value, not a list"));
}

TEST(RulesParserErrors, MultipleDocuments) {
  EXPECT_THAT(Errors("version: 1\n---\nversion: 1\n"),
              ElementsAre("r.yaml:2:1: a rules file holds one YAML document (remove the '---' and "
                          "merge the documents)"));
  // A leading marker, or one with the document on its line, starts the only document.
  EXPECT_THAT(Errors("# rules\n---\nversion: 1\n"), IsEmpty());
  EXPECT_THAT(Errors("--- {version: 1}\n"), IsEmpty());
  EXPECT_THAT(Errors("--- {version: 1}\n--- {version: 1}\n"), SizeIs(1));
}

TEST(RulesParserErrors, ControlCharactersAndInvalidUtf8) {
  EXPECT_THAT(Errors(std::string("version: 1\nab\0c: 1\n", 18)),
              ElementsAre("r.yaml:2:3: control character 0x00 in the rules file (a rules file is "
                          "text; save it as UTF-8)"));
  EXPECT_THAT(Errors("version: 1\ndefaults: {alpha: \xff}\n"),
              ElementsAre("r.yaml:2:19: invalid UTF-8 in the rules file (save the file as UTF-8)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - {name: a, description: \"\xc3\xa9t\xc3\xa9 "
                     "\xe2\x82\xac\"}\n"),
              IsEmpty());
  EXPECT_THAT(Errors("version: 1\r\ndefaults:\r\n\talpha: 1%\r\n"),
              ElementsAre("r.yaml:3:7: invalid YAML: illegal map value (YAML indents with spaces, "
                          "not tabs)"));
  EXPECT_THAT(Errors("version: 1\r\ndefaults:\r\n  alpha: 1%\r\n"), IsEmpty());
}

TEST(RulesParserErrors, StrayFlowEntryDoesNotHang) {
  // yaml-cpp 0.7's LoadAll loops forever on these.
  EXPECT_THAT(Errors(","), SizeIs(1));
  EXPECT_THAT(Errors("[a]\n,"), SizeIs(1));
}

TEST(RulesParserErrors, TooLarge) {
  const std::string big = "version: 1\n# " + std::string(kMaxRulesFileBytes, 'x') + "\n";
  RulesResult result = ParseRules(big, "big.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(FormatRuleError(result.error().at(0)),
            "big.yaml: the rules file is larger than 1 MiB (split it or remove generated text)");
}

TEST(RulesParserErrors, AliasExpansionIsBounded) {
  std::string yaml = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += (j ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  yaml += "datasets:\n  - name: *a7\n";
  RulesResult result = ParseRules(yaml, "r.yaml");
  ASSERT_FALSE(result);
  EXPECT_LE(result.error().size(), kMaxRuleErrors + 1);
}

TEST(RulesParserErrors, CollectionStopsAtTheCap) {
  std::string yaml = "version: 1\n";
  for (int i = 0; i < 150; ++i) yaml += "bogus" + std::to_string(i) + ": 1\n";
  RulesResult result = ParseRules(yaml, "r.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().size(), kMaxRuleErrors + 1);
  EXPECT_EQ(result.error().back().message, "too many errors; stopping here");
}

TEST(RulesParserErrors, CanaryMinShareIsAFractionBetweenZeroAndOne) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_min_share: 0\n"),
              ElementsAre("r.yaml:3:21: canary_min_share must be between 0 and 1 (exclusive) "
                          "(the smallest share of runs the canary gets, e.g. 2% or 0.02)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_min_share: some\n"),
              ElementsAre("r.yaml:3:21: canary_min_share must be a number (the smallest share of "
                          "runs the canary gets, e.g. 2% or 0.02)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name: a\n    checks:\n      - row_count: "
                     "{canary_min_share: 1%}\n"),
              Contains(HasSubstr("canary_min_share is per release")));
}

TEST(RulesParserErrors, CollectsAllErrorsNotJustTheFirst) {
  EXPECT_THAT(Errors(R"(
version: 1
defaults:
  alpha: 2
  canary_silent_after: 10
datasets:
  - name: "bad name!"
)"),
              ElementsAre("r.yaml:3:10: alpha must be between 0 and 1 (exclusive) (alpha is a "
                          "probability, e.g. 0.01 or 1%)",
                          "r.yaml:4:24: a duration needs a unit (900 could be seconds or minutes: "
                          "write it like 15m, 900s or 1h30m)",
                          "r.yaml:6:11: 'bad name!' is not a dataset name or glob (dataset names "
                          "use A-Z a-z 0-9 _ . : / - (at most 200); globs add * and ?)"));
}

// ---- errors: keys ---------------------------------------------------------------------------

TEST(RulesParserErrors, UnknownKeys) {
  EXPECT_THAT(Errors("version: 1\ndefualts: {}\n"),
              ElementsAre("r.yaml:2:1: unknown key 'defualts' in the top level (did you mean "
                          "'defaults'?)"));
  EXPECT_THAT(Errors("version: 1\nowner: me\n"),
              ElementsAre("r.yaml:2:1: unknown key 'owner' in the top level (expected one of: "
                          "version, defaults, datasets, fleet)"));
  EXPECT_THAT(Errors("version: 1\nchecks for orders: []\n"),
              ElementsAre("r.yaml:2:1: unknown key 'checks for orders' in the top level (canaryd "
                          "writes `datasets:` with `- name: DATASET` and its `checks:`)"));
  EXPECT_THAT(Errors("version: 1\nmodels: []\n"),
              ElementsAre("r.yaml:2:1: unknown key 'models' in the top level (canaryd calls them "
                          "datasets: `datasets:` with `- name: DATASET`)"));
  EXPECT_THAT(Errors("version: 1\nchecks: []\n"),
              ElementsAre("r.yaml:2:1: unknown key 'checks' in the top level (put it under "
                          "`defaults:` (every dataset) or a selector under `datasets:`)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  tests: []\n"),
              ElementsAre("r.yaml:3:3: unknown key 'tests' in defaults (canaryd calls them checks: "
                          "`checks:`)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  margin: 10%\n"),
              ElementsAre("r.yaml:3:3: unknown key 'margin' in defaults (margin belongs to one "
                          "check: put it under the check, e.g. `- row_count: {margin: ...}`)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  name: x\n"),
              ElementsAre("r.yaml:3:3: unknown key 'name' in defaults (defaults apply to every "
                          "dataset; select datasets under `datasets:`)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  silent: 5m\n"),
              ElementsAre("r.yaml:3:3: unknown key 'silent' in defaults (did you mean "
                          "'canary_silent_after'? (e.g. canary_silent_after: 10m))"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name: a\n    owner: me\n"),
              ElementsAre("r.yaml:4:5: unknown key 'owner' in a dataset selector (expected one of: "
                          "name, tag, tags, description, alpha, warm_up, canary_silent_after, "
                          "canary_min_share, severity, critical, confirm_loads, checks)"));
}

TEST(RulesParserErrors, UnknownKeysInAChecksSettings) {
  EXPECT_THAT(Errors(R"(
version: 1
defaults:
  checks:
    - row_count:
        alpha: 0.1
        sevrity: warn
        threshold: 10%
        limit: "> 0"
        direction: down
)"),
              ElementsAre("r.yaml:5:9: unknown key 'alpha' in a check (alpha is per release: set "
                          "it under defaults or a dataset selector)",
                          "r.yaml:6:9: unknown key 'sevrity' in a check (did you mean 'severity'?)",
                          "r.yaml:7:9: unknown key 'threshold' in a check (the practical margin is "
                          "`margin: +20%` (relative) or `margin: +0.1pp`)",
                          "r.yaml:8:9: unknown key 'limit' in a check (write an absolute limit as "
                          "the check itself: `- null_rate(email) < 2%`)",
                          "r.yaml:9:9: unknown key 'direction' in a check (did you mean 'bad'? "
                          "(bad: up, down or both))"));
}

const std::string kTagged = "datasets: [{name: a, tags: [critical]}]\n";

TEST(RulesParserErrors, UnknownKeysInWarmUpAndFleet) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  warm_up: {canary: 3, basline: 3}\n"),
              ElementsAre("r.yaml:3:24: unknown key 'basline' in warm_up (did you mean "
                          "'baseline'?)"));
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness: {}\n"),
              ElementsAre("r.yaml:3:3: unknown key 'freshness' in fleet (did you mean "
                          "'freshness_slo'?)"));
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: {objective: 95%}\n" + kTagged),
              ElementsAre("r.yaml:3:19: unknown key 'objective' in freshness_slo (expected one of: "
                          "tag, within, target)"));
}

TEST(RulesParserErrors, DuplicateKey) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: 0.01\n  alpha: 0.02\n"),
              ElementsAre("r.yaml:4:3: duplicate key 'alpha' (first given at line 3; keep one)"));
}

TEST(RulesParserErrors, KeyThatIsNotAName) {
  EXPECT_THAT(Errors("version: 1\n? [a]\n: 1\n"),
              ElementsAre("r.yaml:2:3: a key must be a plain name (expected one of: version, "
                          "defaults, datasets, fleet)"));
}

TEST(RulesParserErrors, SectionShapes) {
  EXPECT_THAT(Errors("version: 1\ndefaults: [1]\n"),
              ElementsAre("r.yaml:2:11: 'defaults' must be a mapping of keys (e.g. defaults: "
                          "{alpha: 0.01})"));
  EXPECT_THAT(Errors("version: 1\ndatasets: {name: a}\n"),
              ElementsAre("r.yaml:2:11: 'datasets' is a list of selectors (start each with '- "
                          "name: DATASET' (a name or a glob) or '- tag: TAG')"));
  EXPECT_THAT(Errors("version: 1\nfleet: 95%\n"),
              ElementsAre("r.yaml:2:8: 'fleet' must be a mapping of keys (e.g. fleet: "
                          "{freshness_slo: {tag: critical, within: 15m, target: 95%}})"));
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: 95%\n" + kTagged),
              ElementsAre("r.yaml:3:18: 'freshness_slo' must be a mapping of keys (e.g. "
                          "freshness_slo: {tag: critical, within: 15m, target: 95%})"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: {x: 1}\n"),
              ElementsAre("r.yaml:3:10: 'alpha' takes a single value, not a mapping"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha:\n"),
              ElementsAre("r.yaml:3:3: 'alpha' needs a value"));
}

// ---- errors: release-level values -----------------------------------------------------------

TEST(RulesParserErrors, Alpha) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: 1\n"),
              ElementsAre("r.yaml:3:10: alpha must be between 0 and 1 (exclusive) (alpha is a "
                          "probability, e.g. 0.01 or 1%)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: 0\n"), SizeIs(1));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: -0.01\n"), SizeIs(1));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  alpha: lots\n"),
              ElementsAre("r.yaml:3:10: alpha must be a number (alpha is a probability, e.g. 0.01 "
                          "or 1%)"));
}

TEST(RulesParserErrors, CanarySilentAfter) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_silent_after: 10 lightyears\n"),
              ElementsAre("r.yaml:3:27: unknown duration unit 'lightyears' (use ms, s, m, h or d, "
                          "e.g. 15m or 1h30m)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_silent_after: \"10 lightyears\"\n"),
              ElementsAre("r.yaml:3:28: unknown duration unit 'lightyears' (use ms, s, m, h or d, "
                          "e.g. 15m or 1h30m)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_silent_after: 0s\n"),
              ElementsAre("r.yaml:3:24: canary_silent_after must be at least 1s (how long the "
                          "canary may send nothing while the baseline reports, e.g. 10m)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  canary_silent_after: -5m\n"),
              ElementsAre("r.yaml:3:24: a duration cannot be negative (write it like 15m, 900s or "
                          "1h30m)"));
}

TEST(RulesParserErrors, SeverityCriticalConfirmLoads) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  severity: warning\n"),
              ElementsAre("r.yaml:3:13: unknown severity 'warning' (did you mean 'warn'?)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  severity: critical\n"),
              ElementsAre("r.yaml:3:13: unknown severity 'critical' (did you mean 'fail'? "
                          "(`critical: true` is a key of its own))"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  severity: loud\n"),
              ElementsAre("r.yaml:3:13: unknown severity 'loud' (warn (show WARN, never roll back) "
                          "or fail (roll back))"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  critical: very\n"),
              ElementsAre("r.yaml:3:13: 'critical' takes true or false (true: an absolute limit "
                          "fails on the first canary load that breaks it)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  confirm_loads: 0\n"),
              ElementsAre("r.yaml:3:18: confirm_loads: a number of loads must be between 1 and "
                          "10000 (write a whole number of loads, e.g. 3 or 3 loads)"));
}

TEST(RulesParserErrors, WarmUp) {
  const char* hint =
      " (loads per arm before comparing: `warm_up: 3` or `warm_up: {canary: 5, baseline: 3}`)";
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  warm_up: 0\n"),
              ElementsAre(std::string("r.yaml:3:12: warm_up: a number of loads must be between 1 "
                                      "and 10000") +
                          hint));
  EXPECT_THAT(
      Errors("version: 1\ndefaults:\n  warm_up: {canary: soon}\n"),
      ElementsAre(std::string("r.yaml:3:21: warm_up canary: expected a number of loads") + hint));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  warm_up: [3]\n"),
              ElementsAre(std::string("r.yaml:3:12: 'warm_up' takes a number of loads or {canary: "
                                      "N, baseline: N}") +
                          hint));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  warm_up:\n"),
              ElementsAre(std::string("r.yaml:3:3: 'warm_up' needs a value") + hint));
}

// ---- errors: selectors ----------------------------------------------------------------------

TEST(RulesParserErrors, Selectors) {
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - analytics.orders\n"),
              ElementsAre("r.yaml:3:5: a dataset selector must be a mapping (start it with 'name: "
                          "DATASET' (a name or a glob) or 'tag: TAG')"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - alpha: 1%\n"),
              ElementsAre("r.yaml:3:5: a dataset selector needs 'name' or 'tag' ('name: "
                          "analytics.orders', 'name: \"analytics.*\"' or 'tag: critical')"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - {name: a, tags: [t]}\n  - {name: b, tag: t}\n"),
              ElementsAre("r.yaml:4:5: a selector takes 'name' or 'tag', not both (write two "
                          "selectors; a dataset matching both gets the settings of each)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - {name: a, tags: [t]}\n  - {tag: t, tags: [u]}\n"),
              ElementsAre("r.yaml:4:14: 'tags' can only be given with 'name' (tags belong to "
                          "datasets: add them where the datasets are named)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name: [a, [b]]\n"),
              ElementsAre("r.yaml:3:15: 'name' lists plain names"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name: []\n"),
              ElementsAre("r.yaml:3:11: 'name' is empty"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name: {a: 1}\n"),
              ElementsAre("r.yaml:3:11: 'name' takes a name or a list of names"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - name:\n"),
              ElementsAre("r.yaml:3:5: 'name' needs a value"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - tag: \"two words\"\n"),
              ElementsAre("r.yaml:3:10: 'two words' is not a tag (tags use A-Z a-z 0-9 _ . - ; one "
                          "tag per selector)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - {name: a, tags: [ok, \"not ok\"]}\n"),
              ElementsAre("r.yaml:3:26: 'not ok' is not a tag (tags use A-Z a-z 0-9 _ . -)"));
}

TEST(RulesParserErrors, UnknownTags) {
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - {name: a, tags: [critical]}\n  - tag: critcal\n"),
              ElementsAre("r.yaml:4:5: no dataset has the tag 'critcal' (did you mean "
                          "'critical'?)"));
  EXPECT_THAT(Errors("version: 1\ndatasets:\n  - tag: pii\n"),
              ElementsAre("r.yaml:3:5: no dataset has the tag 'pii' (give it with 'tags: [pii]' on "
                          "a selector with 'name')"));
  EXPECT_THAT(
      Errors("version: 1\nfleet:\n  freshness_slo: {tag: marts}\n"),
      ElementsAre("r.yaml:3:3: no dataset has the tag 'marts' (give it with 'tags: [marts]' "
                  "on a selector with 'name')"));
}

// ---- errors: checks -------------------------------------------------------------------------

TEST(RulesParserErrors, ChecksShape) {
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    row_count: {}\n"),
              ElementsAre("r.yaml:4:5: 'checks' is a list (start each check with '- ', as in "
                          "SodaCL: '- row_count > 0')"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - [row_count]\n"),
              ElementsAre("r.yaml:4:7: a check is a metric or a metric with settings (a check is a "
                          "metric, optionally with a limit: null_rate(email) < 2%, duplicate_rate "
                          "= 0, row_count > 0, freshness p95 < 15m, schema)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - row_count:\n      margin: 10%\n"),
              ElementsAre("r.yaml:5:7: 'margin' is at the level of the check 'row_count' (indent "
                          "it under 'row_count:' by two more spaces)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - row_count:\n      freshness:\n"),
              ElementsAre("r.yaml:5:7: one check per list item (start 'freshness' on its own line "
                          "with '- ')"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - row_count: 3\n"),
              ElementsAre("r.yaml:4:18: a check takes settings, 'off', or nothing (e.g. '- "
                          "row_count: {bad: down, margin: 10%}')"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - row_count: [3]\n"),
              ElementsAre("r.yaml:4:18: a check's settings are a mapping (e.g. '- row_count: "
                          "{severity: warn}')"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - row_count > 0: off\n"),
              ElementsAre("r.yaml:4:22: a check with a limit cannot be off (write '- row_count: "
                          "off' to switch the check off)"));
}

TEST(RulesParserErrors, Metrics) {
  auto one = [](const std::string& check) {
    return Errors("version: 1\ndefaults:\n  checks:\n    - " + check + "\n");
  };
  EXPECT_THAT(one("missing_percent(email) < 2%"),
              ElementsAre("r.yaml:4:7: unknown metric 'missing_percent' (SodaCL's "
                          "missing_percent(col) is canaryd's null_rate(col))"));
  EXPECT_THAT(one("not_null"),
              ElementsAre("r.yaml:4:7: unknown metric 'not_null' (dbt's not_null is canaryd's "
                          "null_rate(col) = 0)"));
  EXPECT_THAT(one("unique"), ElementsAre("r.yaml:4:7: unknown metric 'unique' (dbt's unique is "
                                         "canaryd's duplicate_rate = 0)"));
  EXPECT_THAT(one("row_cnt > 0"),
              ElementsAre("r.yaml:4:7: unknown metric 'row_cnt' (did you mean 'row_count'?)"));
  EXPECT_THAT(one("latency < 5m"),
              ElementsAre("r.yaml:4:7: unknown metric 'latency' (metrics: null_rate, "
                          "duplicate_rate, row_count, freshness, schema)"));
  EXPECT_THAT(one("\"< 5\""),
              ElementsAre("r.yaml:4:7: expected a metric (a check is a metric, optionally "
                          "with a limit: null_rate(email) < 2%, duplicate_rate = 0, "
                          "row_count > 0, freshness p95 < 15m, schema)"));
  EXPECT_THAT(one("null_rate(email < 2%"),
              ElementsAre("r.yaml:4:16: missing ')' after the column (e.g. null_rate(email))"));
  EXPECT_THAT(one("duplicate_rate(order_id) = 0"),
              ElementsAre("r.yaml:4:21: 'duplicate_rate' takes no column (duplicate_rate counts "
                          "the rows the load reports as duplicates: write duplicate_rate)"));
  EXPECT_THAT(one("row_count(id) > 0"),
              ElementsAre("r.yaml:4:16: 'row_count' takes no column (only null_rate is per column, "
                          "e.g. null_rate(email))"));
  EXPECT_THAT(one("null_rate() < 1%"),
              ElementsAre("r.yaml:4:16: empty column name (null_rate(email), or null_rate(*) for "
                          "every column)"));
  EXPECT_THAT(one("null_rate < 2%"),
              ElementsAre("r.yaml:4:7: null_rate needs a column (null_rate(email), or null_rate(*) "
                          "for every column)"));
  EXPECT_THAT(one("null_rate(a(b)) < 2%"),
              ElementsAre("r.yaml:4:17: 'a(b' is not a column name (at most 200 characters, no "
                          "control characters or '(')"));
}

TEST(RulesParserErrors, Limits) {
  auto one = [](const std::string& check) {
    return Errors("version: 1\ndefaults:\n  checks:\n    - " + check + "\n");
  };
  EXPECT_THAT(one("schema = 1"),
              ElementsAre("r.yaml:4:14: schema has no value to limit (schema compares the canary's "
                          "fingerprint with the baseline's: write '- schema' or '- schema: "
                          "{severity: warn}')"));
  EXPECT_THAT(one("freshness avg < 5m"),
              ElementsAre("r.yaml:4:17: unknown statistic 'avg' (use a quantile of the canary's "
                          "loads (p50, p95, p99, median), or none to limit every load)"));
  EXPECT_THAT(one("freshness p100 < 5m"), SizeIs(1));
  EXPECT_THAT(one("row_count != 0"),
              ElementsAre("r.yaml:4:17: '!=' is not a limit (use <, <=, >, >= or =)"));
  EXPECT_THAT(one("row_count 5"),
              ElementsAre("r.yaml:4:17: expected <, <=, >, >= or = after 'row_count' (a check is a "
                          "metric, optionally with a limit: null_rate(email) < 2%, duplicate_rate "
                          "= 0, row_count > 0, freshness p95 < 15m, schema)"));
  EXPECT_THAT(one("row_count >"),
              ElementsAre("r.yaml:4:17: missing value after '>' (a check is a metric, optionally "
                          "with a limit: null_rate(email) < 2%, duplicate_rate = 0, row_count > 0, "
                          "freshness p95 < 15m, schema)"));
  EXPECT_THAT(one("null_rate(email) < 0.5"),
              ElementsAre("r.yaml:4:26: a rate needs a percent sign (write 0.5% or 50%: a bare "
                          "number could mean either)"));
  EXPECT_THAT(one("null_rate(email) < 150%"),
              ElementsAre("r.yaml:4:26: a rate cannot exceed 100%"));
  EXPECT_THAT(one("row_count > lots"),
              ElementsAre("r.yaml:4:19: expected a number of rows (write a number of rows like 0, "
                          "5000, 10k or 1.5M)"));
  EXPECT_THAT(
      one("freshness p95 < 15x"),
      ElementsAre("r.yaml:4:25: unknown duration unit 'x' (use ms, s, m, h or d, e.g. 15m or "
                  "1h30m)"));
  EXPECT_THAT(one("row_count < 0"),
              ElementsAre("r.yaml:4:17: 'row_count < 0' can never hold (row_count is never "
                          "negative)"));
  EXPECT_THAT(one("duplicate_rate > 100%"),
              ElementsAre("r.yaml:4:22: 'duplicate_rate > 100%' can never hold (a rate is at most "
                          "100%)"));
}

TEST(RulesParserErrors, LimitsThatClash) {
  EXPECT_THAT(
      Errors(R"(
version: 1
defaults:
  checks:
    - null_rate(email) < 2%
    - null_rate(email) <= 3%
    - row_count > 100
    - row_count < 50
    - freshness p95 < 15m
    - freshness < 30m
)"),
      ElementsAre("r.yaml:5:7: a second upper limit for null_rate(email) ('null_rate(email) "
                  "< 2%' at line 4; keep one)",
                  "r.yaml:7:7: 'row_count < 50' and 'row_count > 100' can never both hold "
                  "(line 6 has the other)"));
}

TEST(RulesParserErrors, CheckSettingValues) {
  auto check = [](const std::string& settings) {
    return Errors("version: 1\ndefaults:\n  checks:\n    - row_count: {" + settings + "}\n");
  };
  // "    - row_count: {" is 18 characters: the first setting starts at column 19.
  EXPECT_THAT(check("bad: higher"),
              ElementsAre("r.yaml:4:24: unknown direction 'higher' (did you mean 'up'?)"));
  EXPECT_THAT(check("bad: decrease"),
              ElementsAre("r.yaml:4:24: unknown direction 'decrease' (did you mean 'down'?)"));
  EXPECT_THAT(check("bad: sideways"),
              ElementsAre("r.yaml:4:24: unknown direction 'sideways' (up (higher is worse), down "
                          "(lower is worse) or both)"));
  EXPECT_THAT(check("margin: -10%"),
              ElementsAre("r.yaml:4:27: a margin cannot be negative (it is how much worse the "
                          "canary may be in the bad direction; use `bad: down` when fewer is "
                          "worse)"));
  EXPECT_THAT(check("margin: +0.1pp"),
              ElementsAre("r.yaml:4:27: percentage points (pp) are for rates (row_count margins "
                          "are relative, e.g. +10%)"));
  EXPECT_THAT(check("margin: [10%, 20%]"),
              ElementsAre("r.yaml:4:33: two relative margins (give one relative and one absolute "
                          "term)"));
  EXPECT_THAT(check("margin: []"),
              ElementsAre("r.yaml:4:27: a margin is one or two terms (e.g. 'margin: +20%' or "
                          "'margin: [+20%, +0.1pp]' (the larger applies); freshness: 'margin: "
                          "[+20%, +1m]')"));
  EXPECT_THAT(check("margin: [[1]]"),
              ElementsAre("r.yaml:4:28: a margin term is a single value (e.g. +20% or +0.1pp)"));
  EXPECT_THAT(check("margin: {a: 1}"),
              ElementsAre("r.yaml:4:27: 'margin' takes a single value, not a mapping"));
  EXPECT_THAT(check("bad: down, margin: 100%"),
              ElementsAre("r.yaml:4:38: a row_count margin of 100% or more can never be exceeded "
                          "downwards (fewer rows is at most 100% fewer; e.g. margin: 10%)"));
  EXPECT_THAT(check("margin: 10 %%"),
              ElementsAre("r.yaml:4:30: unknown margin unit '%%' (write +20% (relative), +0.1pp "
                          "(percentage points, rates) or +30s (freshness))"));
  EXPECT_THAT(check("margin: +30s"),
              ElementsAre("r.yaml:4:27: a duration margin is for freshness (row_count margins are "
                          "relative, e.g. +10%)"));
  EXPECT_THAT(
      Errors("version: 1\ndefaults:\n  checks:\n    - null_rate(a): {margin: [+20%, +1m]}\n"),
      ElementsAre("r.yaml:4:37: a duration margin is for freshness (a rate margin is relative or "
                  "in points, e.g. [+20%, +0.1pp])"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - freshness: {margin: +0.1pp}\n"),
              ElementsAre("r.yaml:4:27: percentage points (pp) are for rates (a freshness margin "
                          "is relative or a duration, e.g. [+20%, +1m])"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - freshness: {margin: [30s, 1m]}\n"),
              ElementsAre("r.yaml:4:33: two absolute margins (give one relative and one absolute "
                          "term)"));
  EXPECT_THAT(
      Errors("version: 1\ndefaults:\n  checks:\n    - null_rate(a): {margin: [1pp, 2pp]}\n"),
      ElementsAre("r.yaml:4:36: two absolute margins (give one relative and one absolute term)"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - freshness: {bad: down}\n"),
              ElementsAre("r.yaml:4:24: freshness is only worse when later (remove 'bad' or write "
                          "'bad: up')"));
  EXPECT_THAT(Errors("version: 1\ndefaults:\n  checks:\n    - schema: {margin: 1%}\n"),
              ElementsAre("r.yaml:4:16: 'margin' does not apply to schema (schema compares "
                          "fingerprints at once: only severity and critical apply)"));
}

TEST(RulesParserErrors, Fleet) {
  const std::string tagged = "datasets: [{name: a, tags: [critical]}]\n";
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: {within: 15}\n" + tagged),
              ElementsAre("r.yaml:3:27: a duration needs a unit (900 could be seconds or minutes: "
                          "write it like 15m, 900s or 1h30m)"));
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: {within: 0s}\n" + tagged),
              ElementsAre("r.yaml:3:27: 'within' must be at least 1s (how late after its schedule "
                          "a load may land, e.g. 15m)"));
  for (const char* target : {"0%", "150%", "0", "2", "most"}) {
    EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: {target: " + std::string(target) +
                       "}\n" + tagged),
                ElementsAre("r.yaml:3:27: 'target' must be a share above 0% and at most 100% (the "
                            "share of loads on time, e.g. 95% or 0.95)"))
        << target;
  }
  EXPECT_THAT(Errors("version: 1\nfleet:\n  freshness_slo: {tag: \"a b\"}\n" + tagged),
              ElementsAre("r.yaml:3:24: 'a b' is not a tag (tags use A-Z a-z 0-9 _ . -)"));
}

// ---- files ------------------------------------------------------------------------------------

TEST(LoadRulesFile, ReadsAFileAndNamesItInErrors) {
  const std::string path = ::testing::TempDir() + "/canaryd_rules_load_test.yaml";
  {
    std::ofstream file(path);
    file << "version: 1\ndefaults:\n  alpha: 3\n";
  }
  RulesResult result = LoadRulesFile(path);
  ASSERT_FALSE(result);
  EXPECT_EQ(FormatRuleError(result.error().at(0)),
            path +
                ":3:10: alpha must be between 0 and 1 (exclusive) (alpha is a probability, e.g. "
                "0.01 or 1%)");
  {
    std::ofstream file(path);
    file << "version: 1\n";
  }
  EXPECT_TRUE(LoadRulesFile(path));
  std::remove(path.c_str());
}

TEST(LoadRulesFile, UnreadableFileIsAnError) {
  RulesResult result = LoadRulesFile("/nonexistent/rules.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(FormatRuleError(result.error().at(0)),
            "/nonexistent/rules.yaml: cannot open: No such file or directory");
}

TEST(LoadRulesFile, ABadNewFileLeavesTheOldRulesUsable) {
  // What SIGHUP reload relies on: loading is a value, so the caller keeps what it had.
  RuleSet current = Parse("version: 1\ndefaults: {alpha: 2%}\n");
  RulesResult next = ParseRules("version: 1\ndefaults: {alpha: 2}\n", "new.yaml");
  ASSERT_FALSE(next);
  EXPECT_DOUBLE_EQ(current.Resolve("any").alpha, 0.02);
}

}  // namespace
}  // namespace canaryd
