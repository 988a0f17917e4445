#include "detector/sample_fast_path.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "detector/sample_decoder.h"
#include "detector/sample_fields.h"
#include "detector/sample_rules.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

using namespace sample_fields;  // NOLINT: the field names read as the contract table

constexpr std::uint32_t Bit(Field f) { return 1u << f; }
constexpr std::uint32_t kRequired =
    Bit(kV) | Bit(kDataset) | Bit(kArm) | Bit(kLoadId) | Bit(kTs) | Bit(kRows);

// Reads one document front to back. Every method returns false when the input is not of the
// common shape; the caller then gives up on the whole document.
class Reader {
 public:
  explicit Reader(std::string_view doc) : p_(doc.data()), end_(doc.data() + doc.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // The next character after white space, or '\0' at the end.
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

  // A string of printable ASCII without escapes: what ids, names and timestamps are in practice.
  // Anything else (an escape, a control character, non-ASCII bytes and so UTF-8 validation) is
  // left to simdjson. By construction such a string has no control characters.
  bool String(std::string_view* out) {
    if (!Consume('"')) return false;
    const char* start = p_;
#ifdef __SSE2__
    // Sixteen bytes at a time (SSE2 is in every x86-64): strings are most of a report's bytes,
    // and byte by byte they were most of this reader's time.
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Signed: bytes of 0x80 and above are negative, so "< 0x20" also catches non-ASCII.
      const __m128i bad =
          _mm_or_si128(_mm_cmplt_epi8(v, space),
                       _mm_or_si128(_mm_cmpeq_epi8(v, del), _mm_cmpeq_epi8(v, backslash)));
      const int stop = _mm_movemask_epi8(_mm_or_si128(bad, _mm_cmpeq_epi8(v, quote)));
      if (stop == 0) {
        p_ += 16;
        continue;
      }
      p_ += __builtin_ctz(static_cast<unsigned>(stop));
      if (*p_ != '"') return false;
      *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
      ++p_;
      return true;
    }
#endif
    for (; p_ < end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
    }
    return false;
  }

  // A JSON integer without sign, fraction or exponent, of at most 19 digits (so it fits 64 bits
  // and simdjson reads it as an integer too).
  bool Unsigned(std::uint64_t* out) {
    SkipSpace();
    const char* start = p_;
    std::uint64_t v = 0;
    while (p_ < end_ && static_cast<unsigned char>(*p_ - '0') < 10) {
      v = v * 10 + static_cast<std::uint64_t>(*p_ - '0');
      ++p_;
    }
    const std::size_t digits = static_cast<std::size_t>(p_ - start);
    if (digits == 0 || digits > 19 || (digits > 1 && *start == '0')) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = v;
    return true;
  }

  // A non-negative JSON number, as simdjson reads it: an integer token is an integer converted to
  // double, anything else the correctly rounded double of the decimal (both are exact, so
  // from_chars agrees with simdjson bit for bit). Out of range gives up: simdjson rejects it.
  bool NonNegativeNumber(double* out) {
    SkipSpace();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') return false;
    const char* int_start = p_;
    while (p_ < end_ && static_cast<unsigned char>(*p_ - '0') < 10) ++p_;
    const std::size_t int_digits = static_cast<std::size_t>(p_ - int_start);
    if (int_digits == 0 || (int_digits > 1 && *int_start == '0')) return false;
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      const char* frac = ++p_;
      while (p_ < end_ && static_cast<unsigned char>(*p_ - '0') < 10) ++p_;
      if (p_ == frac) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exp = p_;
      while (p_ < end_ && static_cast<unsigned char>(*p_ - '0') < 10) ++p_;
      if (p_ == exp) return false;
    }
    if (integer && int_digits > 19) return false;  // beyond 64 bits: simdjson's error
    double v = 0;
    const auto [ptr, ec] = std::from_chars(start, p_, v);
    if (ec != std::errc() || ptr != p_ || !std::isfinite(v)) return false;
    *out = v;
    return true;
  }

  // The value of a field the contract does not name: skipped, if it is a scalar of the common
  // shape (a nested value or a number simdjson might not take is left to it).
  bool SkipUnknown() {
    const char c = Peek();
    if (c == '"') {
      std::string_view ignored;
      return String(&ignored);
    }
    if (c >= '0' && c <= '9') {
      std::uint64_t ignored = 0;
      return Unsigned(&ignored);
    }
    for (const std::string_view literal : {"true", "false", "null"}) {
      if (static_cast<std::size_t>(end_ - p_) >= literal.size() &&
          std::string_view(p_, literal.size()) == literal) {
        p_ += literal.size();
        return true;
      }
    }
    return false;
  }

 private:
  const char* p_;
  const char* end_;
};

// A string that is at most `max` bytes and, unless allowed, not empty. Control characters cannot
// occur (Reader::String).
bool Bounded(std::string_view s, std::size_t max, bool allow_empty) {
  return (allow_empty || !s.empty()) && s.size() <= max;
}

}  // namespace

bool ReadCommonReport(std::string_view document, const DecoderOptions& options,
                      std::vector<ColumnHash>* scratch, Sample* out) {
  Reader in(document);
  if (!in.Consume('{')) return false;
  std::uint32_t seen = 0;
  std::string_view dataset, arm, release, load_id, schema;
  std::uint64_t rows = 0;
  std::uint64_t duplicates = 0;
  std::size_t columns = 0;
  std::uint64_t max_nulls = 0;
  out->freshness_s.reset();
  scratch->clear();
  if (in.Peek() == '}') return false;  // {}: required fields missing
  do {
    std::string_view key;
    if (!in.String(&key) || !in.Consume(':')) return false;
    const Field field = FieldOf(key);
    if (field == kFieldCount) {
      if (!in.SkipUnknown()) return false;
      continue;
    }
    if ((seen & Bit(field)) != 0) return false;  // simdjson's path rejects the second one
    seen |= Bit(field);
    // The string fields are checked once all are known (a release's rule depends on the arm).
    std::string_view* const text = field == kDataset   ? &dataset
                                   : field == kArm     ? &arm
                                   : field == kRelease ? &release
                                   : field == kLoadId  ? &load_id
                                   : field == kSchema  ? &schema
                                                       : nullptr;
    if (text != nullptr) {
      if (!in.String(text)) return false;
      continue;
    }
    switch (field) {
      case kV: {
        std::uint64_t v = 0;
        if (!in.Unsigned(&v) || v != 1) return false;
        break;
      }
      case kTs: {
        std::int64_t ms = 0;
        if (in.Peek() == '"') {
          std::string_view rfc3339;
          if (!in.String(&rfc3339)) return false;
          const auto parsed = ParseTimestampMs(rfc3339);
          if (!parsed) return false;
          ms = *parsed;
        } else {
          std::uint64_t v = 0;
          if (!in.Unsigned(&v) || v > static_cast<std::uint64_t>(INT64_MAX)) return false;
          ms = static_cast<std::int64_t>(v);
        }
        if (!PlausibleEpochMs(ms)) return false;
        out->ts_ms = ms;
        break;
      }
      case kRows:
        if (!in.Unsigned(&rows) || rows > kMaxLoadRows) return false;
        break;
      case kFreshness: {
        double seconds = 0;
        if (!in.NonNegativeNumber(&seconds)) return false;
        out->freshness_s = seconds == 0 ? 0.0 : seconds;
        break;
      }
      case kDuplicates:
        if (!in.Unsigned(&duplicates)) return false;
        break;
      case kNulls: {
        // Entries left from an earlier report are overwritten in place, as the simdjson path does.
        if (!in.Consume('{')) return false;
        if (in.Peek() == '}') {
          in.Consume('}');
          break;
        }
        do {
          std::string_view name;
          std::uint64_t n = 0;
          if (!in.String(&name) || name.empty() || name.size() > options.max_string_bytes ||
              !in.Consume(':') || !in.Unsigned(&n) || columns == options.max_columns) {
            return false;
          }
          if (columns < out->nulls.size()) {
            out->nulls[columns].column.assign(name);
            out->nulls[columns].nulls = n;
          } else {
            out->nulls.push_back(ColumnNulls{std::string(name), n});
          }
          scratch->push_back({ColumnNameHash(name), static_cast<std::uint32_t>(columns)});
          max_nulls = std::max(max_nulls, n);
          ++columns;
        } while (in.Consume(','));
        if (!in.Consume('}')) return false;
        break;
      }
      default:
        return false;
    }
  } while (in.Consume(','));
  if (!in.Consume('}') || !in.AtEnd()) return false;

  // The rules that tie fields together, now that all are known.
  if ((seen & kRequired) != kRequired) return false;
  const std::size_t max = options.max_string_bytes;
  if (dataset.empty() || dataset.size() > max || !AllDatasetChars(dataset)) return false;
  if (arm == "canary") {
    out->arm = Arm::kCanary;
  } else if (arm == "baseline") {
    out->arm = Arm::kBaseline;
  } else {
    return false;
  }
  const bool canary = out->arm == Arm::kCanary;
  if ((seen & Bit(kRelease)) == 0 ? canary : !Bounded(release, max, /*allow_empty=*/!canary)) {
    return false;
  }
  if (!Bounded(load_id, max, /*allow_empty=*/false) || !Bounded(schema, max, true)) return false;
  if (max_nulls > rows || ((seen & Bit(kDuplicates)) != 0 && duplicates > rows)) return false;
  out->nulls.resize(columns);
  if (AnyDuplicateColumn(out->nulls, scratch)) return false;

  out->dataset.assign(dataset);
  out->release.assign(release);
  out->load_id.assign(load_id);
  out->schema.assign(schema);
  out->rows = rows;
  if ((seen & Bit(kDuplicates)) != 0) {
    out->duplicates = duplicates;
  } else {
    out->duplicates.reset();
  }
  return true;
}

}  // namespace canaryd
