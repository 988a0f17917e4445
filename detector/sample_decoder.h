// Decodes and validates one v1 sample report (design §2) from JSON into a Sample. A report that
// breaks a rule becomes a Rejection with a stable reason, never an exception and never a crash.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>
#include <boost/outcome.hpp>

#include "detector/sample.h"
#include "detector/sample_rules.h"

namespace canaryd {

// Why a report was rejected. Names (RejectReasonName) are stable: they label metrics and
// dead-letter records. Type mismatches (e.g. "rows":"5", "nulls":[]) are kWrongType; a value of
// the right JSON type that breaks the field's rule gets the field's own reason (e.g. "rows":-5 or
// "rows":1.5 is kBadRows). A JSON null counts as an absent field.
enum class RejectReason : std::uint8_t {
  kOversize,              // document longer than DecoderOptions::max_document_bytes
  kInvalidUtf8,           // not valid UTF-8
  kInvalidJson,           // not one JSON value; also numbers out of range, duplicate known fields
  kNotAnObject,           // top-level value is not an object
  kMissingField,          // a required field is absent or null
  kWrongType,             // a field has the wrong JSON type
  kBadVersion,            // v is a number but not the integer 1 (1.0 and 2 included)
  kBadDataset,            // dataset does not match [A-Za-z0-9_.:/-]{1,max_string_bytes}
  kBadArm,                // arm is neither "canary" nor "baseline"
  kMissingRelease,        // canary without a usable release, or any release that is unusable
  kBadLoadId,             // load_id empty, too long or with control characters
  kBadTs,                 // ts not RFC 3339 / not integer epoch ms / outside 2000..2100
  kBadRows,               // rows negative or not an integer
  kBadFreshness,          // freshness_s negative
  kBadNulls,              // nulls entry malformed: bad column name, duplicate column, bad count
  kNullsExceedRows,       // a column's null count exceeds rows
  kBadDuplicates,         // duplicates negative or not an integer
  kDuplicatesExceedRows,  // duplicates exceeds rows
  kBadSchema,             // schema too long or with control characters
  kTooManyColumns,        // nulls has more than DecoderOptions::max_columns entries
  kCount,
};

// Stable snake_case name, e.g. "nulls_exceed_rows". "unknown" for out-of-range values.
std::string_view RejectReasonName(RejectReason reason);

struct Rejection {
  RejectReason reason;
  // Names the field and the rule it broke. Never echoes a value from the report (PCI): column
  // names may appear (they are metadata), counts, ids and strings do not.
  std::string detail;
};

using DecodeResult =
    BOOST_OUTCOME_V2_NAMESPACE::basic_result<Sample, Rejection,
                                             BOOST_OUTCOME_V2_NAMESPACE::policy::terminate>;

struct DecoderOptions {
  std::size_t max_document_bytes = 64 * 1024;
  std::size_t max_columns = 256;
  // Upper bound for dataset, release, load_id, schema and column names.
  std::size_t max_string_bytes = 200;
  // Read common reports in one pass before trying simdjson (sample_fast_path.h). Off only to
  // compare the two paths.
  bool fast_path = true;
};

// Not thread-safe: owns a simdjson parser and a padded input buffer, both sized once and reused
// across calls so the data path does not allocate per report (beyond the Sample's own strings).
// Use one decoder per thread.
class SampleDecoder {
 public:
  explicit SampleDecoder(DecoderOptions options = {});

  DecodeResult Decode(std::string_view document);
  // The same into *out, reusing the storage of its strings and vectors: a caller that decodes
  // report after report into one Sample does not allocate. nullopt: accepted, *out holds the
  // report. On rejection *out is unspecified.
  std::optional<Rejection> DecodeInto(std::string_view document, Sample* out);

  const DecoderOptions& options() const { return options_; }

 private:
  DecoderOptions options_;
  simdjson::dom::parser parser_;
  std::vector<char> buffer_;  // max_document_bytes + SIMDJSON_PADDING
  std::vector<ColumnHash> scratch_columns_;
};

}  // namespace canaryd
