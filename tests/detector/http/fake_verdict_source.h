// A VerdictSource the tests set by hand; thread-safe because the HTTP server reads it from its
// own threads while a test changes it.
#pragma once

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "detector/http/verdict_source.h"

namespace canaryd::testing {

class FakeVerdictSource : public VerdictSource {
 public:
  std::vector<ReleaseDatasetView> Releases() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (throw_) throw std::runtime_error("snapshot unavailable");
    return releases_;
  }
  HealthStats Health() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return health_;
  }
  bool Ready() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ready_;
  }
  std::string NotReadyReason() const override { return "rebuilding 2 partitions"; }
  std::string RulesJson(const std::string& dataset) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!has_rules_) return {};
    return "{\"dataset\":\"" + dataset + "\"}";
  }
  void SetHasRules(bool has) {
    std::lock_guard<std::mutex> lock(mu_);
    has_rules_ = has;
  }

  void SetReleases(std::vector<ReleaseDatasetView> v) {
    std::lock_guard<std::mutex> lock(mu_);
    releases_ = std::move(v);
  }
  void SetHealth(HealthStats h) {
    std::lock_guard<std::mutex> lock(mu_);
    health_ = std::move(h);
  }
  void SetReady(bool r) {
    std::lock_guard<std::mutex> lock(mu_);
    ready_ = r;
  }
  void SetThrow(bool t) {
    std::lock_guard<std::mutex> lock(mu_);
    throw_ = t;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ReleaseDatasetView> releases_;
  HealthStats health_;
  bool ready_ = true;
  bool throw_ = false;
  bool has_rules_ = true;
};

// A split-mode statistical check with plausible evidence.
inline CheckEvidence StatCheck(std::string name, Verdict verdict, std::string_view unit = "rate") {
  CheckEvidence e;
  e.check = std::move(name);
  e.verdict = verdict;
  e.method = "split";
  e.unit = unit;
  e.log_e_regression = verdict == Verdict::kFail ? 10.85 : 0.5;
  e.log_threshold = 6.40;
  e.log_e_non_inferiority = 1.25;
  e.log_promote_threshold = 2.99;
  e.effect_log = 0.267;
  e.margin_log = 0.182;
  e.canary_estimate = unit == "rows" ? 12099 : unit == "s" ? 252.0 : 0.0174;
  e.baseline_estimate = unit == "rows" ? 12008 : unit == "s" ? 240.0 : 0.0103;
  e.canary_loads = 19;
  e.baseline_loads = 11;
  e.canary_rows = 229881;
  e.baseline_rows = 180125;
  e.observations = 10;
  e.sentence = e.check + " sentence";
  return e;
}

inline ReleaseDatasetView View(std::string release, std::string dataset, Decision decision) {
  ReleaseDatasetView v;
  v.release = std::move(release);
  v.dataset = std::move(dataset);
  v.decision = decision;
  v.release_start_ms = 1'795'000'000'000;
  v.last_report_ms = 1'795'000'600'000;
  v.canary_loads = 19;
  v.baseline_loads = 11;
  v.checks.push_back(StatCheck("null_rate(email)",
                               decision == Decision::kRollback ? Verdict::kFail : Verdict::kPass));
  v.checks.push_back(StatCheck("row_count", Verdict::kPass, "rows"));
  v.checks.push_back(StatCheck("freshness", Verdict::kWarn, "s"));
  CheckEvidence schema;
  schema.check = "schema";
  schema.method = "rule";
  schema.verdict = Verdict::kPass;
  schema.sentence = "schema matches the baseline";
  v.checks.push_back(schema);
  if (decision != Decision::kContinue) {
    v.decided_at_ms = 1'795'000'500'000;
    v.deciding_check = decision == Decision::kRollback ? "null_rate(email)" : "all";
    v.reason = decision == Decision::kRollback ? "null_rate(email) 1.74% vs 1.03% baseline"
                                               : "every check shown no worse than its margin";
  }
  return v;
}

}  // namespace canaryd::testing
