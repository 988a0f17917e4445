// Writes a Sample as one v1 report (design §2), the inverse of SampleDecoder: used by the demo's
// synthetic producer, dead-letter and replay tooling, and tests.
#pragma once

#include <string>

#include "detector/sample.h"

namespace canaryd {

// One JSON object, no trailing newline. `ts` is written as RFC 3339 (FormatTimestampMs).
// Optional fields appear only when present: release and schema when non-empty, freshness_s when
// set and finite (JSON has no NaN/Infinity), nulls when non-empty, duplicates when set. Field
// order is fixed, so equal samples encode to equal bytes. A valid Sample round-trips through
// SampleDecoder to an equal Sample.
std::string EncodeSampleJson(const Sample& sample);

}  // namespace canaryd
