#include "detector/sample_encoder.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

#include "detector/timestamp.h"

namespace canaryd {
namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xf]);
        } else {
          // Bytes >= 0x80 pass through: Sample strings are UTF-8 and JSON allows it raw.
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

template <class Number>
void AppendNumber(std::string* out, Number value) {
  // Shortest representation that reads back to the same value (for doubles too), and
  // locale-independent, unlike printf/iostreams.
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;  // 32 chars fit any int64/uint64/double
  out->append(buf.data(), end);
}

void AppendDouble(std::string* out, double value) {
  // Shortest form may be plain digits ("18446744073709551616"); past 2^64 a JSON reader that
  // parses integers as 64-bit (simdjson does) would reject it, so large values use an exponent.
  if (std::fabs(value) < 1e18) return AppendNumber(out, value);
  std::array<char, 32> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  (void)ec;
  out->append(buf.data(), end);
}

void AppendKey(std::string* out, std::string_view key) {
  out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}

}  // namespace

std::string EncodeSampleJson(const Sample& sample) {
  std::string out;
  out.reserve(160 + sample.dataset.size() + sample.release.size() + sample.load_id.size() +
              sample.schema.size() + sample.nulls.size() * 32);
  out.append("{\"v\":1");
  AppendKey(&out, "dataset");
  AppendJsonString(&out, sample.dataset);
  AppendKey(&out, "arm");
  AppendJsonString(&out, ArmName(sample.arm));
  if (!sample.release.empty()) {
    AppendKey(&out, "release");
    AppendJsonString(&out, sample.release);
  }
  AppendKey(&out, "load_id");
  AppendJsonString(&out, sample.load_id);
  AppendKey(&out, "ts");
  AppendJsonString(&out, FormatTimestampMs(sample.ts_ms));
  AppendKey(&out, "rows");
  AppendNumber(&out, sample.rows);
  if (sample.freshness_s && std::isfinite(*sample.freshness_s)) {
    AppendKey(&out, "freshness_s");
    AppendDouble(&out, *sample.freshness_s);
  }
  if (!sample.nulls.empty()) {
    AppendKey(&out, "nulls");
    out.push_back('{');
    bool first = true;
    for (const auto& column : sample.nulls) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(&out, column.column);
      out.push_back(':');
      AppendNumber(&out, column.nulls);
    }
    out.push_back('}');
  }
  if (sample.duplicates) {
    AppendKey(&out, "duplicates");
    AppendNumber(&out, *sample.duplicates);
  }
  if (!sample.schema.empty()) {
    AppendKey(&out, "schema");
    AppendJsonString(&out, sample.schema);
  }
  out.push_back('}');
  return out;
}

}  // namespace canaryd
