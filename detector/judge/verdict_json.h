// The JSON shape of verdicts and decisions, shared by replay output and (later) the HTTP API so
// both say the same thing. Field names are the documented schema (README, "Reading a verdict").
#pragma once

#include <nlohmann/json.hpp>

#include "detector/judge/verdict.h"

namespace canaryd {

nlohmann::ordered_json ToJson(const CheckEvidence& evidence);
nlohmann::ordered_json ToJson(const ReleaseDatasetView& view);

}  // namespace canaryd
