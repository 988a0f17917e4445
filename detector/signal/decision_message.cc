#include "detector/signal/decision_message.h"

#include "detector/judge/verdict_json.h"
#include "detector/timestamp.h"

namespace canaryd {

Decision ReleaseDecision(const std::map<std::string, Decision>& per_dataset) {
  bool all_promoted = !per_dataset.empty();
  for (const auto& [dataset, d] : per_dataset) {
    if (d == Decision::kRollback) return Decision::kRollback;
    if (d != Decision::kPromote) all_promoted = false;
  }
  return all_promoted ? Decision::kPromote : Decision::kContinue;
}

nlohmann::ordered_json DecisionJson(const ReleaseDatasetView& v, Decision release_decision) {
  nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
  Verdict verdict = v.decision == Decision::kRollback ? Verdict::kFail : Verdict::kPass;
  for (const CheckEvidence& e : v.checks) {
    if (e.check == v.deciding_check) {
      evidence = ToJson(e);
      verdict = e.verdict;
    }
  }
  // Every check's verdict and sentence, so the line explains itself.
  nlohmann::ordered_json checks = nlohmann::ordered_json::object();
  for (const CheckEvidence& e : v.checks) {
    checks[e.check] = {{"verdict", VerdictName(e.verdict)}, {"sentence", e.sentence}};
  }
  return {
      {"ts", FormatTimestampMs(v.decided_at_ms)},
      {"release", v.release},
      {"dataset", v.dataset},
      {"check", v.deciding_check},
      {"verdict", VerdictName(verdict)},
      {"decision", DecisionName(v.decision)},
      {"release_decision", DecisionName(release_decision)},
      {"reason", v.reason},
      {"canary_loads", v.canary_loads},
      {"baseline_loads", v.baseline_loads},
      {"evidence", std::move(evidence)},
      {"checks", std::move(checks)},
  };
}

std::string DecisionIdempotencyKey(const ReleaseDatasetView& v) {
  // A dataset name and a decision never contain '|', so the key splits unambiguously from the
  // right whatever the release name holds.
  return v.release + "|" + v.dataset + "|" + std::string(DecisionName(v.decision));
}

nlohmann::ordered_json SignalMessage(const ReleaseDatasetView& v, std::int64_t emitted_at_ms) {
  nlohmann::ordered_json failed = nlohmann::ordered_json::array();
  for (const CheckEvidence& e : v.checks) {
    if (e.verdict == Verdict::kFail) failed.push_back(ToJson(e));
  }
  nlohmann::ordered_json j = {{"v", 1}, {"idempotency_key", DecisionIdempotencyKey(v)}};
  // The signal is about one dataset of the release; the release decision across datasets is the
  // consumer's to combine (any rollback rolls the release back).
  nlohmann::ordered_json body = DecisionJson(v, v.decision);
  body.erase("release_decision");
  for (auto& [key, value] : body.items()) j[key] = std::move(value);
  j["decided_at"] = FormatTimestampMs(v.decided_at_ms);
  j["emitted_at"] = FormatTimestampMs(emitted_at_ms);
  j["failed_checks"] = std::move(failed);
  return j;
}

}  // namespace canaryd
