// The one JSON shape of a decision, shared by `canaryd replay` output, the daemon's stdout and the
// signal topic, so every consumer of a decision reads the same fields (README: "Reading a
// verdict"; the signal schema adds the fields below).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "detector/judge/verdict.h"

namespace canaryd {

// A release spanning several datasets rolls back if any of them does, and is promoted once
// every dataset it touched is.
Decision ReleaseDecision(const std::map<std::string, Decision>& per_dataset);

// ts, release, dataset, check, verdict, decision, release_decision, reason, loads, the deciding
// check's evidence, and every check's verdict and sentence.
nlohmann::ordered_json DecisionJson(const ReleaseDatasetView& view, Decision release_decision);

// What makes a published decision unique across instances and restarts, shared by the signal
// topic and the webhook/command actions: "release|dataset|decision".
std::string DecisionIdempotencyKey(const ReleaseDatasetView& view);

// The signal-topic message: {"v":1, "idempotency_key", ...DecisionJson..., "decided_at",
// "emitted_at", "failed_checks": [full evidence of every FAIL check]}. emitted_at is wall time.
nlohmann::ordered_json SignalMessage(const ReleaseDatasetView& view, std::int64_t emitted_at_ms);

}  // namespace canaryd
