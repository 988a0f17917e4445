#include "detector/sample_decoder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "detector/sample_fast_path.h"
#include "detector/sample_fields.h"
#include "detector/sample_rules.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

using namespace sample_fields;  // NOLINT: the field names read as the contract table

constexpr std::array<std::string_view, static_cast<std::size_t>(RejectReason::kCount)>
    kReasonNames = {
        "oversize",          "invalid_utf8",     "invalid_json",
        "not_an_object",     "missing_field",    "wrong_type",
        "bad_version",       "bad_dataset",      "bad_arm",
        "missing_release",   "bad_load_id",      "bad_ts",
        "bad_rows",          "bad_freshness",    "bad_nulls",
        "nulls_exceed_rows", "bad_duplicates",   "duplicates_exceed_rows",
        "bad_schema",        "too_many_columns",
};

Rejection Reject(RejectReason reason, std::string detail) {
  return Rejection{reason, std::move(detail)};
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  out.append(name);
  out.push_back('"');
  return out;
}

// Column names reach details (they are metadata, not data), so they are escaped: a log line or
// dead-letter record must stay one line whatever the producer sent. Callers have already
// rejected control characters; quotes and backslashes remain.
std::string ColumnRef(std::string_view column) {
  std::string out = "nulls[\"";
  for (const char c : column) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.append("\"]");
  return out;
}

bool IsNumber(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

std::string_view TypeNoun(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
      return "an integer";
    case element_type::DOUBLE:
      return "a fractional number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown type";
}

Rejection WrongType(std::string_view what, std::string_view expected, element_type got) {
  std::string detail(what);
  detail.append(" must be ").append(expected).append(", got ").append(TypeNoun(got));
  return Reject(RejectReason::kWrongType, std::move(detail));
}

std::string FieldRef(Field f) { return "field " + Quoted(kFieldNames[f]); }

// A non-negative JSON integer. nullopt for negative integers and for numbers written with a
// fraction or exponent: a count of 1.0 or 1e3 says the producer computed it as a float.
std::optional<std::uint64_t> NonNegativeInteger(element e) {
  if (e.type() == element_type::UINT64) return e.get_uint64().value_unsafe();
  if (e.type() == element_type::INT64) {
    const std::int64_t v = e.get_int64().value_unsafe();
    if (v >= 0) return static_cast<std::uint64_t>(v);
  }
  return std::nullopt;
}

std::string ParseErrorDetail(simdjson::error_code err) {
  switch (err) {
    case simdjson::EMPTY:
      return "document is empty";
    case simdjson::NUMBER_ERROR:
      return "a number is malformed or out of range (integers must fit 64 bits)";
    case simdjson::DEPTH_ERROR:
      return "document nests too deeply";
    default:
      // simdjson's messages describe the failure class only, never the input.
      return std::string("not a single well-formed JSON value: ") + simdjson::error_message(err);
  }
}

class Validator {
 public:
  Validator(const DecoderOptions& options, std::vector<ColumnHash>* scratch)
      : options_(options), scratch_(scratch) {}

  std::optional<Rejection> Run(simdjson::dom::object root, Sample* out) {
    if (auto r = Collect(root)) return r;
    // Order matters only for which rule a multiply-broken report is blamed on; it follows the
    // contract table, with rows before the counts that are bounded by it.
    if (auto r = Version()) return r;
    if (auto r = Dataset(out)) return r;
    if (auto r = ArmField(out)) return r;
    if (auto r = Release(out)) return r;
    if (auto r = LoadId(out)) return r;
    if (auto r = Timestamp(out)) return r;
    if (auto r = Rows(out)) return r;
    if (auto r = Freshness(out)) return r;
    if (auto r = Nulls(out)) return r;
    if (auto r = Duplicates(out)) return r;
    if (auto r = Schema(out)) return r;
    return std::nullopt;
  }

 private:
  std::optional<Rejection> Collect(simdjson::dom::object root) {
    for (const auto field : root) {
      const Field f = FieldOf(field.key);
      if (f == kFieldCount) continue;  // unknown fields are ignored (design §2)
      // simdjson keeps both members of {"rows":1,"rows":2}; picking either would let two
      // consumers of the same report disagree, so neither is picked.
      if (seen_[f]) {
        return Reject(RejectReason::kInvalidJson, FieldRef(f) + " appears more than once");
      }
      seen_[f] = true;
      if (field.value.type() != element_type::NULL_VALUE) value_[f] = field.value;
    }
    return std::nullopt;
  }

  std::optional<Rejection> Missing(Field f) const {
    return Reject(RejectReason::kMissingField, "missing required " + FieldRef(f));
  }

  // A bounded string without control characters: ids and names end up in logs and labels.
  bool CleanString(std::string_view s, bool allow_empty) const {
    return (allow_empty || !s.empty()) && s.size() <= options_.max_string_bytes &&
           !HasControlChars(s);
  }

  std::string CleanStringRule(bool allow_empty) const {
    return std::string(allow_empty ? "a string" : "a non-empty string") + " of at most " +
           std::to_string(options_.max_string_bytes) + " bytes without control characters";
  }

  std::optional<Rejection> Version() {
    if (!value_[kV]) return Missing(kV);
    const element v = *value_[kV];
    if (!IsNumber(v.type())) return WrongType(FieldRef(kV), "the integer 1", v.type());
    // 1.0 is a number of the right type but not the integer the contract names; a producer that
    // writes it is not speaking v1 as specified.
    const auto version = NonNegativeInteger(v);
    if (!version || *version != 1) {
      return Reject(RejectReason::kBadVersion, FieldRef(kV) + " must be the integer 1");
    }
    return std::nullopt;
  }

  std::optional<Rejection> Dataset(Sample* out) {
    if (!value_[kDataset]) return Missing(kDataset);
    std::string_view s;
    if (value_[kDataset]->get_string().get(s)) {
      return WrongType(FieldRef(kDataset), "a string", value_[kDataset]->type());
    }
    if (s.empty() || s.size() > options_.max_string_bytes || !AllDatasetChars(s)) {
      return Reject(RejectReason::kBadDataset, FieldRef(kDataset) +
                                                   " must match [A-Za-z0-9_.:/-]{1," +
                                                   std::to_string(options_.max_string_bytes) + "}");
    }
    out->dataset.assign(s);
    return std::nullopt;
  }

  std::optional<Rejection> ArmField(Sample* out) {
    if (!value_[kArm]) return Missing(kArm);
    std::string_view s;
    if (value_[kArm]->get_string().get(s)) {
      return WrongType(FieldRef(kArm), "a string", value_[kArm]->type());
    }
    if (s == "canary") {
      out->arm = Arm::kCanary;
    } else if (s == "baseline") {
      out->arm = Arm::kBaseline;
    } else {
      return Reject(RejectReason::kBadArm, FieldRef(kArm) + " must be \"canary\" or \"baseline\"");
    }
    return std::nullopt;
  }

  std::optional<Rejection> Release(Sample* out) {
    const bool canary = out->arm == Arm::kCanary;
    if (!value_[kRelease]) {
      if (!canary) return std::nullopt;
      return Reject(RejectReason::kMissingRelease,
                    "arm \"canary\" requires " + FieldRef(kRelease) + " (the release under test)");
    }
    std::string_view s;
    if (value_[kRelease]->get_string().get(s)) {
      return WrongType(FieldRef(kRelease), "a string", value_[kRelease]->type());
    }
    // There is no separate bad_release reason: a release that cannot be used as an identifier
    // leaves the canary without a release under test, which is what missing_release reports.
    if (!CleanString(s, /*allow_empty=*/!canary)) {
      return Reject(RejectReason::kMissingRelease,
                    FieldRef(kRelease) + " must be " + CleanStringRule(!canary));
    }
    out->release.assign(s);
    return std::nullopt;
  }

  std::optional<Rejection> LoadId(Sample* out) {
    if (!value_[kLoadId]) return Missing(kLoadId);
    std::string_view s;
    if (value_[kLoadId]->get_string().get(s)) {
      return WrongType(FieldRef(kLoadId), "a string", value_[kLoadId]->type());
    }
    if (!CleanString(s, /*allow_empty=*/false)) {
      return Reject(RejectReason::kBadLoadId,
                    FieldRef(kLoadId) + " must be " + CleanStringRule(false));
    }
    out->load_id.assign(s);
    return std::nullopt;
  }

  std::optional<Rejection> Timestamp(Sample* out) {
    if (!value_[kTs]) return Missing(kTs);
    const element ts = *value_[kTs];
    std::int64_t ms = 0;
    switch (ts.type()) {
      case element_type::STRING: {
        const auto parsed = ParseTimestampMs(ts.get_string().value_unsafe());
        if (!parsed) {
          return Reject(RejectReason::kBadTs,
                        FieldRef(kTs) +
                            " must be an RFC 3339 date-time with seconds and an offset, e.g. "
                            "2026-11-23T10:04:12Z");
        }
        ms = *parsed;
        break;
      }
      case element_type::INT64:
        ms = ts.get_int64().value_unsafe();
        break;
      case element_type::UINT64:  // above INT64_MAX: far outside the plausible range
        return Reject(RejectReason::kBadTs, FieldRef(kTs) + " is outside 2000-01-01..2100-01-01");
      case element_type::DOUBLE:
        return Reject(RejectReason::kBadTs,
                      FieldRef(kTs) + " as a number must be an integer of epoch milliseconds");
      default:
        return WrongType(FieldRef(kTs), "an RFC 3339 string or integer epoch milliseconds",
                         ts.type());
    }
    if (!PlausibleEpochMs(ms)) {
      // Name the likely unit mistake without echoing the value.
      if (ms >= kPlausibleEpochMsMin / 1000 && ms < kPlausibleEpochMsEnd / 1000) {
        return Reject(RejectReason::kBadTs,
                      FieldRef(kTs) + " looks like epoch seconds; epoch milliseconds are expected");
      }
      if (ms / 1000 >= kPlausibleEpochMsMin && ms / 1000 < kPlausibleEpochMsEnd) {
        return Reject(
            RejectReason::kBadTs,
            FieldRef(kTs) + " looks like epoch microseconds; epoch milliseconds are expected");
      }
      return Reject(
          RejectReason::kBadTs,
          FieldRef(kTs) + " is outside 2000-01-01..2100-01-01 (epoch milliseconds expected)");
    }
    out->ts_ms = ms;
    return std::nullopt;
  }

  std::optional<Rejection> Rows(Sample* out) {
    if (!value_[kRows]) return Missing(kRows);
    const element rows = *value_[kRows];
    if (!IsNumber(rows.type())) {
      return WrongType(FieldRef(kRows), "a non-negative integer", rows.type());
    }
    const auto n = NonNegativeInteger(rows);
    if (!n) {
      return Reject(RejectReason::kBadRows, FieldRef(kRows) + " must be a non-negative integer");
    }
    if (*n > kMaxLoadRows) {
      return Reject(RejectReason::kBadRows,
                    FieldRef(kRows) + " must be at most 10^15 (no load is that large)");
    }
    out->rows = *n;
    return std::nullopt;
  }

  std::optional<Rejection> Freshness(Sample* out) {
    if (!value_[kFreshness]) return std::nullopt;
    const element f = *value_[kFreshness];
    double seconds = 0;
    switch (f.type()) {
      case element_type::INT64:
        seconds = static_cast<double>(f.get_int64().value_unsafe());
        break;
      case element_type::UINT64:
        seconds = static_cast<double>(f.get_uint64().value_unsafe());
        break;
      case element_type::DOUBLE:
        seconds = f.get_double().value_unsafe();
        break;
      default:
        return WrongType(FieldRef(kFreshness), "a number", f.type());
    }
    if (!std::isfinite(seconds) || seconds < 0) {
      return Reject(RejectReason::kBadFreshness,
                    FieldRef(kFreshness) + " must be a finite number >= 0");
    }
    out->freshness_s = seconds == 0 ? 0.0 : seconds;  // -0.0 would print as "-0"
    return std::nullopt;
  }

  std::optional<Rejection> Nulls(Sample* out) {
    if (!value_[kNulls]) {
      out->nulls.clear();
      return std::nullopt;
    }
    simdjson::dom::object columns;
    if (value_[kNulls]->get_object().get(columns)) {
      return WrongType(FieldRef(kNulls), "an object of column -> null count",
                       value_[kNulls]->type());
    }
    if (columns.size() > options_.max_columns) {
      return Reject(
          RejectReason::kTooManyColumns,
          FieldRef(kNulls) + " has more than " + std::to_string(options_.max_columns) + " columns");
    }
    out->nulls.reserve(columns.size());
    // Entries left from an earlier report are overwritten in place (DecodeInto reuses them).
    std::size_t used = 0;
    scratch_->clear();
    for (const auto column : columns) {
      const std::string_view name = column.key;
      if (name.empty()) {
        return Reject(RejectReason::kBadNulls, FieldRef(kNulls) + " has an empty column name");
      }
      if (name.size() > options_.max_string_bytes || HasControlChars(name)) {
        return Reject(RejectReason::kBadNulls, FieldRef(kNulls) + " column names must be at most " +
                                                   std::to_string(options_.max_string_bytes) +
                                                   " bytes without control characters");
      }
      const element count = column.value;
      if (!IsNumber(count.type()) && count.type() != element_type::NULL_VALUE) {
        return WrongType(ColumnRef(name), "a non-negative integer", count.type());
      }
      // A null count is not "no nulls": the producer failed to count, so the column's check
      // would be fed a made-up zero.
      const auto n =
          count.type() == element_type::NULL_VALUE ? std::nullopt : NonNegativeInteger(count);
      if (!n) {
        return Reject(RejectReason::kBadNulls, ColumnRef(name) + " must be a non-negative integer");
      }
      if (*n > out->rows) {
        return Reject(RejectReason::kNullsExceedRows, ColumnRef(name) + " exceeds rows");
      }
      if (used < out->nulls.size()) {
        out->nulls[used].column.assign(name);
        out->nulls[used].nulls = *n;
      } else {
        out->nulls.push_back(ColumnNulls{std::string(name), *n});
      }
      scratch_->push_back({ColumnNameHash(name), static_cast<std::uint32_t>(used)});
      ++used;
    }
    out->nulls.resize(used);
    return DuplicateColumn(*out);
  }

  std::optional<Rejection> DuplicateColumn(const Sample& sample) {
    const bool any = AnyDuplicateColumn(sample.nulls, scratch_);
    if (!any) return std::nullopt;
    // Rare: blame the first duplicated name in byte order, whatever the hashes' order.
    std::vector<std::string_view> names;
    for (const ColumnNulls& c : sample.nulls) names.push_back(c.column);
    std::sort(names.begin(), names.end());
    const auto dup = std::adjacent_find(names.begin(), names.end());
    return Reject(RejectReason::kBadNulls, ColumnRef(*dup) + " appears more than once");
  }

  std::optional<Rejection> Duplicates(Sample* out) {
    if (!value_[kDuplicates]) return std::nullopt;
    const element d = *value_[kDuplicates];
    if (!IsNumber(d.type())) {
      return WrongType(FieldRef(kDuplicates), "a non-negative integer", d.type());
    }
    const auto n = NonNegativeInteger(d);
    if (!n) {
      return Reject(RejectReason::kBadDuplicates,
                    FieldRef(kDuplicates) + " must be a non-negative integer");
    }
    if (*n > out->rows) {
      return Reject(RejectReason::kDuplicatesExceedRows, FieldRef(kDuplicates) + " exceeds rows");
    }
    out->duplicates = *n;
    return std::nullopt;
  }

  std::optional<Rejection> Schema(Sample* out) {
    if (!value_[kSchema]) return std::nullopt;
    std::string_view s;
    if (value_[kSchema]->get_string().get(s)) {
      return WrongType(FieldRef(kSchema), "a string", value_[kSchema]->type());
    }
    if (!CleanString(s, /*allow_empty=*/true)) {
      return Reject(RejectReason::kBadSchema,
                    FieldRef(kSchema) + " must be " + CleanStringRule(true));
    }
    out->schema.assign(s);
    return std::nullopt;
  }

  const DecoderOptions& options_;
  std::vector<ColumnHash>* scratch_;
  std::array<bool, kFieldCount> seen_{};
  std::array<std::optional<element>, kFieldCount> value_{};
};

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  const auto i = static_cast<std::size_t>(reason);
  return i < kReasonNames.size() ? kReasonNames[i] : std::string_view("unknown");
}

SampleDecoder::SampleDecoder(DecoderOptions options)
    : options_(options), buffer_(options_.max_document_bytes + simdjson::SIMDJSON_PADDING) {
  // Size the parser once; a failure here is retried (and reported per document) by parse().
  const simdjson::error_code ignored =
      parser_.allocate(std::max<std::size_t>(options_.max_document_bytes, 1));
  (void)ignored;
  scratch_columns_.reserve(options_.max_columns);
}

std::optional<Rejection> SampleDecoder::DecodeInto(std::string_view document, Sample* out) {
  // Checked before any parsing so an oversized message costs nothing but its length.
  if (document.size() > options_.max_document_bytes) {
    return Reject(
        RejectReason::kOversize,
        "document exceeds the " + std::to_string(options_.max_document_bytes) + "-byte limit");
  }
  if (options_.fast_path && ReadCommonReport(document, options_, &scratch_columns_, out)) {
    return std::nullopt;
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; the caller's view gives no such
  // guarantee, so the document is copied into a buffer that does.
  if (!document.empty()) std::memcpy(buffer_.data(), document.data(), document.size());
  element root;
  const auto err =
      parser_.parse(buffer_.data(), document.size(), /*realloc_if_needed=*/false).get(root);
  if (err == simdjson::UTF8_ERROR) {
    return Reject(RejectReason::kInvalidUtf8, "document is not valid UTF-8");
  }
  if (err) return Reject(RejectReason::kInvalidJson, ParseErrorDetail(err));

  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Reject(RejectReason::kNotAnObject,
                  std::string("top-level value must be an object, got ") +
                      std::string(TypeNoun(root.type())));
  }
  Validator validator(options_, &scratch_columns_);
  // Fields a report may leave out; the rest are always set when the report is accepted.
  out->release.clear();
  out->freshness_s.reset();
  out->duplicates.reset();
  out->schema.clear();
  return validator.Run(object, out);
}

DecodeResult SampleDecoder::Decode(std::string_view document) {
  Sample sample;
  if (auto rejection = DecodeInto(document, &sample)) return std::move(*rejection);
  return sample;
}

}  // namespace canaryd
