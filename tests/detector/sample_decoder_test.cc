#include "detector/sample_decoder.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "detector/sample_encoder.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

constexpr std::int64_t kTsMs = 1'795'428'252'000;  // 2026-11-23T10:04:12Z

// The design's example report (§2), field by field as raw JSON, in contract order.
std::vector<std::pair<std::string, std::string>> ExampleFields() {
  return {
      {"v", "1"},
      {"dataset", R"("analytics.orders")"},
      {"arm", R"("canary")"},
      {"release", R"("orders-dbt-2026.11.23.2")"},
      {"load_id", R"("2026-11-23T10:00Z/p17")"},
      {"ts", R"("2026-11-23T10:04:12Z")"},
      {"rows", "120345"},
      {"freshness_s", "252.0"},
      {"nulls", R"({"email":17,"customer_id":0})"},
      {"duplicates", "4"},
      {"schema", R"("sha256:9f2c")"},
  };
}

// A change to the example: set (or add) a field to raw JSON, or remove it with std::nullopt.
using Change = std::pair<std::string, std::optional<std::string>>;

std::string Report(const std::vector<Change>& changes = {}) {
  auto fields = ExampleFields();
  for (const auto& [key, value] : changes) {
    bool found = false;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it->first != key) continue;
      found = true;
      if (value) {
        it->second = *value;
      } else {
        fields.erase(it);
      }
      break;
    }
    if (!found && value) fields.emplace_back(key, *value);
  }
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ",";
    out += "\"" + key + "\":" + value;
  }
  return out + "}";
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

class SampleDecoderTest : public ::testing::Test {
 protected:
  Sample Accept(std::string_view document) {
    auto result = decoder_.Decode(document);
    if (!result) {
      ADD_FAILURE() << "rejected as " << RejectReasonName(result.error().reason) << ": "
                    << result.error().detail << "\n  document: " << document;
      return Sample{};
    }
    return std::move(result).value();
  }

  Rejection Reject(std::string_view document) {
    auto result = decoder_.Decode(document);
    if (result) {
      ADD_FAILURE() << "accepted: " << document;
      return Rejection{RejectReason::kCount, ""};
    }
    EXPECT_FALSE(result.error().detail.empty()) << document;
    return std::move(result).error();
  }

  void ExpectReject(std::string_view document, RejectReason reason) {
    const Rejection r = Reject(document);
    EXPECT_EQ(RejectReasonName(r.reason), RejectReasonName(reason))
        << "detail: " << r.detail << "\n  document: " << document;
  }

  SampleDecoder decoder_;
};

TEST_F(SampleDecoderTest, DecodesTheDesignExample) {
  const Sample s = Accept(Report());
  EXPECT_EQ(s.dataset, "analytics.orders");
  EXPECT_EQ(s.arm, Arm::kCanary);
  EXPECT_EQ(s.release, "orders-dbt-2026.11.23.2");
  EXPECT_EQ(s.load_id, "2026-11-23T10:00Z/p17");
  EXPECT_EQ(s.ts_ms, kTsMs);
  EXPECT_EQ(s.rows, 120345U);
  ASSERT_TRUE(s.freshness_s);
  EXPECT_DOUBLE_EQ(*s.freshness_s, 252.0);
  ASSERT_EQ(s.nulls.size(), 2U);
  EXPECT_EQ(s.nulls[0].column, "email");  // document order
  EXPECT_EQ(s.nulls[0].nulls, 17U);
  EXPECT_EQ(s.nulls[1].column, "customer_id");
  EXPECT_EQ(s.nulls[1].nulls, 0U);
  ASSERT_TRUE(s.duplicates);
  EXPECT_EQ(*s.duplicates, 4U);
  EXPECT_EQ(s.schema, "sha256:9f2c");
}

TEST_F(SampleDecoderTest, MinimalBaselineHasNoOptionalFields) {
  const Sample s = Accept(Report({{"arm", R"("baseline")"},
                                  {"release", std::nullopt},
                                  {"freshness_s", std::nullopt},
                                  {"nulls", std::nullopt},
                                  {"duplicates", std::nullopt},
                                  {"schema", std::nullopt}}));
  EXPECT_EQ(s.arm, Arm::kBaseline);
  EXPECT_EQ(s.release, "");
  EXPECT_FALSE(s.freshness_s);
  EXPECT_TRUE(s.nulls.empty());
  EXPECT_FALSE(s.duplicates);
  EXPECT_EQ(s.schema, "");
}

TEST_F(SampleDecoderTest, BaselineMayCarryARelease) {
  const Sample s = Accept(Report({{"arm", R"("baseline")"}, {"release", R"("orders-1")"}}));
  EXPECT_EQ(s.release, "orders-1");
  EXPECT_EQ(Accept(Report({{"arm", R"("baseline")"}, {"release", R"("")"}})).release, "");
}

TEST_F(SampleDecoderTest, ZeroRowsWithoutNulls) {
  const Sample s = Accept(Report({{"rows", "0"}, {"nulls", std::nullopt}, {"duplicates", "0"}}));
  EXPECT_EQ(s.rows, 0U);
  EXPECT_TRUE(s.nulls.empty());
  EXPECT_EQ(s.duplicates, 0U);
  EXPECT_TRUE(Accept(Report({{"rows", "0"}, {"nulls", "{}"}, {"duplicates", "0"}})).nulls.empty());
}

TEST_F(SampleDecoderTest, CountsMayEqualRows) {
  const Sample s =
      Accept(Report({{"rows", "10"}, {"nulls", R"({"email":10,"id":0})"}, {"duplicates", "10"}}));
  ASSERT_EQ(s.nulls.size(), 2U);
  EXPECT_EQ(s.nulls[0].nulls, 10U);
  EXPECT_EQ(s.duplicates, 10U);
}

TEST_F(SampleDecoderTest, RowsUpToTheLoadLimit) {
  const Sample s = Accept(Report({{"rows", "1000000000000000"},
                                  {"nulls", R"({"email":1000000000000000})"},
                                  {"duplicates", "999999999999999"}}));
  EXPECT_EQ(s.rows, kMaxLoadRows);
  ASSERT_EQ(s.nulls.size(), 1U);
  EXPECT_EQ(s.nulls[0].nulls, kMaxLoadRows);
  EXPECT_EQ(s.duplicates, kMaxLoadRows - 1);
  ExpectReject(Report({{"rows", "18446744073709551615"}}), RejectReason::kBadRows);
}

TEST_F(SampleDecoderTest, EpochMillisecondsAndRfc3339GiveTheSameTs) {
  EXPECT_EQ(Accept(Report({{"ts", "1795428252000"}})).ts_ms, kTsMs);
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23T10:04:12Z")"}})).ts_ms, kTsMs);
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23T10:04:12.000Z")"}})).ts_ms, kTsMs);
  EXPECT_EQ(Accept(Report({{"ts", "1795428252123"}})).ts_ms, kTsMs + 123);
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23T10:04:12.123456Z")"}})).ts_ms, kTsMs + 123);
}

TEST_F(SampleDecoderTest, TsOffsetsAreConvertedToUtc) {
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23T12:04:12+02:00")"}})).ts_ms, kTsMs);
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23T04:34:12-05:30")"}})).ts_ms, kTsMs);
  EXPECT_EQ(Accept(Report({{"ts", R"("2026-11-23t10:04:12z")"}})).ts_ms, kTsMs);
}

TEST_F(SampleDecoderTest, TsPlausibleRangeIsHalfOpen) {
  EXPECT_EQ(Accept(Report({{"ts", "946684800000"}})).ts_ms, kPlausibleEpochMsMin);
  EXPECT_EQ(Accept(Report({{"ts", "4102444799999"}})).ts_ms, kPlausibleEpochMsEnd - 1);
  ExpectReject(Report({{"ts", "946684799999"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "4102444800000"}}), RejectReason::kBadTs);
  // The range applies to RFC 3339 too: a 1970 ts is a producer bug, not an old load.
  ExpectReject(Report({{"ts", R"("1970-01-01T00:00:00Z")"}}), RejectReason::kBadTs);
}

TEST_F(SampleDecoderTest, UnknownFieldsAreIgnored) {
  const Sample s = Accept(Report({{"producer", R"("airflow")"},
                                  {"extra", R"({"nested":[1,2,{"rows":-1}],"v":2})"},
                                  {"partition", "17"},
                                  {"note", "null"},
                                  {"Rows", R"("case matters")"}}));
  EXPECT_EQ(s.rows, 120345U);
  EXPECT_EQ(s.dataset, "analytics.orders");
}

TEST_F(SampleDecoderTest, NullOptionalFieldsAreAbsent) {
  const Sample s = Accept(Report(
      {{"freshness_s", "null"}, {"nulls", "null"}, {"duplicates", "null"}, {"schema", "null"}}));
  EXPECT_FALSE(s.freshness_s);
  EXPECT_TRUE(s.nulls.empty());
  EXPECT_FALSE(s.duplicates);
  EXPECT_EQ(s.schema, "");
  EXPECT_EQ(Accept(Report({{"arm", R"("baseline")"}, {"release", "null"}})).release, "");
}

TEST_F(SampleDecoderTest, FreshnessAcceptsIntegersAndZero) {
  EXPECT_EQ(Accept(Report({{"freshness_s", "252"}})).freshness_s, 252.0);
  EXPECT_EQ(Accept(Report({{"freshness_s", "0"}})).freshness_s, 0.0);
  EXPECT_EQ(Accept(Report({{"freshness_s", "0.25"}})).freshness_s, 0.25);
  const Sample negative_zero = Accept(Report({{"freshness_s", "-0.0"}}));
  ASSERT_TRUE(negative_zero.freshness_s);
  EXPECT_FALSE(std::signbit(*negative_zero.freshness_s));
}

TEST_F(SampleDecoderTest, DatasetCharsetAndLength) {
  EXPECT_EQ(Accept(Report({{"dataset", R"("a-Z_0.9:x/y")"}})).dataset, "a-Z_0.9:x/y");
  const std::string d200(200, 'd');
  EXPECT_EQ(Accept(Report({{"dataset", Quote(d200)}})).dataset, d200);
  ExpectReject(Report({{"dataset", Quote(std::string(201, 'd'))}}), RejectReason::kBadDataset);
}

TEST_F(SampleDecoderTest, UnicodeDatasetIsRejected) {
  ExpectReject(Report({{"dataset", R"("analytics.bestellungen_ü")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("analytics.\u00fc")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("注文")"}}), RejectReason::kBadDataset);
}

TEST_F(SampleDecoderTest, UnicodeColumnNamesAndEscapedKeysAreAccepted) {
  const Sample s = Accept(Report({{"nulls", R"({"straße":1,"a\"b":2})"}}));
  ASSERT_EQ(s.nulls.size(), 2U);
  EXPECT_EQ(s.nulls[0].column, "straße");
  EXPECT_EQ(s.nulls[1].column, "a\"b");
  // Keys are compared after unescaping, like any JSON reader would.
  EXPECT_EQ(Accept(R"({"v":1,"d\u0061taset":"x","arm":"baseline","load_id":"l",)"
                   R"("ts":1795428252000,"rows":1})")
                .dataset,
            "x");
}

TEST_F(SampleDecoderTest, SurroundingWhitespaceIsFine) {
  EXPECT_EQ(Accept(" \n\t" + Report() + " \r\n").rows, 120345U);
}

TEST_F(SampleDecoderTest, DecoderIsReusableAcrossDocuments) {
  const std::string long_doc = Report({{"padding", Quote(std::string(4000, 'p'))}});
  EXPECT_EQ(Accept(long_doc).rows, 120345U);
  ExpectReject("{\"v\":1", RejectReason::kInvalidJson);
  // A shorter document after a longer one must not see the longer one's tail.
  EXPECT_EQ(Accept(Report({{"rows", "7"}, {"nulls", std::nullopt}, {"duplicates", "1"}})).rows, 7U);
  ExpectReject(Report({{"rows", "-1"}}), RejectReason::kBadRows);
  EXPECT_EQ(Accept(Report()).nulls.size(), 2U);
}

// ---- one test per reject reason ----

TEST_F(SampleDecoderTest, RejectsOversizeBeforeParsing) {
  SampleDecoder small(DecoderOptions{.max_document_bytes = 300});
  std::string doc = Report();
  doc.append(300 - doc.size(), ' ');
  EXPECT_TRUE(small.Decode(doc)) << "exactly the limit is allowed";
  doc.push_back(' ');
  auto result = small.Decode(doc);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason, RejectReason::kOversize);
  // Size is checked first: an oversize document is not even looked at.
  auto garbage = small.Decode(std::string(301, '\xff'));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().reason, RejectReason::kOversize);
  ExpectReject(Report({{"padding", Quote(std::string(64 * 1024, 'p'))}}), RejectReason::kOversize);
}

TEST_F(SampleDecoderTest, RejectsInvalidUtf8) {
  ExpectReject(Report({{"dataset", "\"abc\xff\""}}), RejectReason::kInvalidUtf8);
  ExpectReject(Report({{"note", "\"\xc3\x28\""}}), RejectReason::kInvalidUtf8);      // bad 2nd byte
  ExpectReject(Report({{"note", "\"\xed\xa0\x80\""}}), RejectReason::kInvalidUtf8);  // surrogate
  ExpectReject(Report({{"note", "\"\xc0\xaf\""}}), RejectReason::kInvalidUtf8);      // overlong
}

TEST_F(SampleDecoderTest, RejectsInvalidJson) {
  ExpectReject("", RejectReason::kInvalidJson);
  ExpectReject("   ", RejectReason::kInvalidJson);
  ExpectReject("{\"v\":1,", RejectReason::kInvalidJson);
  ExpectReject("{'v':1}", RejectReason::kInvalidJson);
  ExpectReject(Report() + " {}", RejectReason::kInvalidJson);  // two documents
  ExpectReject(Report({{"freshness_s", "NaN"}}), RejectReason::kInvalidJson);
  ExpectReject(Report({{"freshness_s", "1e400"}}), RejectReason::kInvalidJson);
  ExpectReject(Report({{"rows", "18446744073709551616"}}), RejectReason::kInvalidJson);
  ExpectReject(Report({{"rows", "01"}}), RejectReason::kInvalidJson);
}

TEST_F(SampleDecoderTest, RejectsDuplicateKnownFieldsAsInvalidJson) {
  const std::string doc = Report();
  const std::string twice = doc.substr(0, doc.size() - 1) + ",\"rows\":1}";
  const Rejection r = Reject(twice);
  EXPECT_EQ(r.reason, RejectReason::kInvalidJson);
  EXPECT_NE(r.detail.find("\"rows\""), std::string::npos) << r.detail;
  // Even when the first is null: which one a reader picks must not matter.
  ExpectReject(doc.substr(0, doc.size() - 1) + ",\"schema\":null}", RejectReason::kInvalidJson);
  // Unknown fields may repeat.
  EXPECT_TRUE(decoder_.Decode(doc.substr(0, doc.size() - 1) + ",\"x\":1,\"x\":2}"));
}

TEST_F(SampleDecoderTest, RejectsNonObjects) {
  ExpectReject("[" + Report() + "]", RejectReason::kNotAnObject);
  ExpectReject("1", RejectReason::kNotAnObject);
  ExpectReject("\"v\"", RejectReason::kNotAnObject);
  ExpectReject("null", RejectReason::kNotAnObject);
  ExpectReject("true", RejectReason::kNotAnObject);
}

TEST_F(SampleDecoderTest, RejectsMissingRequiredFieldsNamingThem) {
  for (const char* field : {"v", "dataset", "arm", "load_id", "ts", "rows"}) {
    for (const bool as_null : {false, true}) {
      std::vector<Change> change = {
          {field, as_null ? std::optional<std::string>("null") : std::nullopt}};
      const Rejection r = Reject(Report(change));
      EXPECT_EQ(r.reason, RejectReason::kMissingField) << field << " " << r.detail;
      EXPECT_NE(r.detail.find(Quote(field)), std::string::npos) << r.detail;
    }
  }
  ExpectReject("{}", RejectReason::kMissingField);
}

TEST_F(SampleDecoderTest, RejectsWrongTypes) {
  const std::vector<Change> cases = {
      {"v", R"("1")"},
      {"v", "true"},
      {"dataset", "5"},
      {"dataset", R"(["a"])"},
      {"arm", "true"},
      {"release", "17"},
      {"load_id", "7"},
      {"ts", "{}"},
      {"ts", "true"},
      {"rows", R"("5")"},
      {"rows", "[5]"},
      {"freshness_s", R"("252")"},
      {"nulls", R"([["email",1]])"},
      {"nulls", "17"},
      {"nulls", R"({"email":"17"})"},
      {"nulls", R"({"email":{"n":1}})"},
      {"duplicates", R"("4")"},
      {"duplicates", "false"},
      {"schema", "5"},
      {"schema", "{}"},
  };
  for (const auto& change : cases) {
    const Rejection r = Reject(Report({change}));
    EXPECT_EQ(r.reason, RejectReason::kWrongType) << change.first << "=" << *change.second;
    EXPECT_NE(r.detail.find(change.first), std::string::npos) << r.detail;
  }
}

TEST_F(SampleDecoderTest, RejectsBadVersion) {
  ExpectReject(Report({{"v", "2"}}), RejectReason::kBadVersion);
  ExpectReject(Report({{"v", "0"}}), RejectReason::kBadVersion);
  ExpectReject(Report({{"v", "-1"}}), RejectReason::kBadVersion);
  // 1.0 is numerically one but not the integer the contract names.
  ExpectReject(Report({{"v", "1.0"}}), RejectReason::kBadVersion);
  ExpectReject(Report({{"v", "1e0"}}), RejectReason::kBadVersion);
}

TEST_F(SampleDecoderTest, RejectsBadDataset) {
  ExpectReject(Report({{"dataset", R"("")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("analytics orders")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("analytics.orders\n")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("a*b")"}}), RejectReason::kBadDataset);
  ExpectReject(Report({{"dataset", R"("a\u0000b")"}}), RejectReason::kBadDataset);
}

// Every code point up to U+00FF in the middle of a name, written as a \u escape: accepted exactly
// when it is one of [A-Za-z0-9_.:/-] (above U+007F the UTF-8 bytes are all outside the class).
TEST_F(SampleDecoderTest, DatasetCharacterClassIsExact) {
  for (int c = 1; c <= 0xff; ++c) {
    char escape[8];
    std::snprintf(escape, sizeof(escape), "\\u%04x", c);
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '/' ||
                         c == '-';
    const std::string report = Report({{"dataset", "\"a" + std::string(escape) + "b\""}});
    const DecodeResult result = decoder_.Decode(report);
    EXPECT_EQ(result.has_value(), allowed) << "code point " << c;
    if (!allowed && result.has_error()) {
      EXPECT_EQ(result.error().reason, RejectReason::kBadDataset);
    }
  }
}

TEST_F(SampleDecoderTest, RejectsBadArm) {
  ExpectReject(Report({{"arm", R"("Canary")"}}), RejectReason::kBadArm);
  ExpectReject(Report({{"arm", R"("shadow")"}}), RejectReason::kBadArm);
  ExpectReject(Report({{"arm", R"("")"}}), RejectReason::kBadArm);
  ExpectReject(Report({{"arm", R"("canary ")"}}), RejectReason::kBadArm);
}

TEST_F(SampleDecoderTest, RejectsCanaryWithoutUsableRelease) {
  ExpectReject(Report({{"release", std::nullopt}}), RejectReason::kMissingRelease);
  ExpectReject(Report({{"release", "null"}}), RejectReason::kMissingRelease);
  ExpectReject(Report({{"release", R"("")"}}), RejectReason::kMissingRelease);
  ExpectReject(Report({{"release", R"("a\nb")"}}), RejectReason::kMissingRelease);
  ExpectReject(Report({{"release", Quote(std::string(201, 'r'))}}), RejectReason::kMissingRelease);
  EXPECT_TRUE(decoder_.Decode(Report({{"release", Quote(std::string(200, 'r'))}})));
  // An unusable release on a baseline is rejected the same way rather than silently dropped.
  ExpectReject(Report({{"arm", R"("baseline")"}, {"release", R"("a\tb")"}}),
               RejectReason::kMissingRelease);
}

TEST_F(SampleDecoderTest, RejectsBadLoadId) {
  ExpectReject(Report({{"load_id", R"("")"}}), RejectReason::kBadLoadId);
  ExpectReject(Report({{"load_id", Quote(std::string(201, 'l'))}}), RejectReason::kBadLoadId);
  ExpectReject(Report({{"load_id", R"("p17\r\nforged log line")"}}), RejectReason::kBadLoadId);
  EXPECT_TRUE(decoder_.Decode(Report({{"load_id", Quote(std::string(200, 'l'))}})));
}

TEST_F(SampleDecoderTest, RejectsBadTs) {
  ExpectReject(Report({{"ts", R"("2026-11-23T10:00Z")"}}), RejectReason::kBadTs);  // load_id form
  ExpectReject(Report({{"ts", R"("2026-11-23 10:04:12Z")"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", R"("2026-11-23T10:04:12")"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", R"("1795428252000")"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", R"("")"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "0"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "-1795428252000"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "1795428252000.5"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "1.795428252e12"}}), RejectReason::kBadTs);
  ExpectReject(Report({{"ts", "18446744073709551615"}}), RejectReason::kBadTs);
}

TEST_F(SampleDecoderTest, RejectsEpochSecondsSayingMillisecondsAreExpected) {
  const Rejection seconds = Reject(Report({{"ts", "1763892252"}}));
  EXPECT_EQ(seconds.reason, RejectReason::kBadTs);
  EXPECT_NE(seconds.detail.find("epoch milliseconds are expected"), std::string::npos)
      << seconds.detail;
  EXPECT_NE(seconds.detail.find("seconds"), std::string::npos) << seconds.detail;
  const Rejection micros = Reject(Report({{"ts", "1763892252000000"}}));
  EXPECT_EQ(micros.reason, RejectReason::kBadTs);
  EXPECT_NE(micros.detail.find("microseconds"), std::string::npos) << micros.detail;
}

TEST_F(SampleDecoderTest, RejectsBadRows) {
  ExpectReject(Report({{"rows", "-5"}}), RejectReason::kBadRows);
  ExpectReject(Report({{"rows", "1.5"}}), RejectReason::kBadRows);
  // A count written with a fraction or exponent was computed as a float upstream.
  ExpectReject(Report({{"rows", "120345.0"}}), RejectReason::kBadRows);
  ExpectReject(Report({{"rows", "1e5"}}), RejectReason::kBadRows);
  ExpectReject(Report({{"rows", "-9223372036854775808"}}), RejectReason::kBadRows);
  // Totals of a few loads near 2^63 overflowed into nonsense rates.
  ExpectReject(Report({{"rows", "4611686018427387904"}}), RejectReason::kBadRows);
  ExpectReject(Report({{"rows", "1000000000000001"}}), RejectReason::kBadRows);
  EXPECT_EQ(Accept(Report({{"rows", "1000000000000000"}})).rows, kMaxLoadRows);
}

TEST_F(SampleDecoderTest, RejectsBadFreshness) {
  ExpectReject(Report({{"freshness_s", "-1"}}), RejectReason::kBadFreshness);
  ExpectReject(Report({{"freshness_s", "-0.001"}}), RejectReason::kBadFreshness);
  ExpectReject(Report({{"freshness_s", "-1e300"}}), RejectReason::kBadFreshness);
}

TEST_F(SampleDecoderTest, RejectsBadNulls) {
  ExpectReject(Report({{"nulls", R"({"":1})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"email":1,"id":2,"email":3})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"email":-1})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"email":1.5})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"email":1.0})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"email":null})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", R"({"e\nmail":1})"}}), RejectReason::kBadNulls);
  ExpectReject(Report({{"nulls", "{" + Quote(std::string(201, 'c')) + ":1}"}}),
               RejectReason::kBadNulls);
  EXPECT_TRUE(decoder_.Decode(Report({{"nulls", "{" + Quote(std::string(200, 'c')) + ":1}"}})));
}

TEST_F(SampleDecoderTest, DuplicateColumnDetailNamesTheColumn) {
  const Rejection r = Reject(Report({{"nulls", R"({"email":1,"id":2,"email":3})"}}));
  EXPECT_NE(r.detail.find(R"(nulls["email"])"), std::string::npos) << r.detail;
}

TEST_F(SampleDecoderTest, DuplicateColumnsAmongManyAreFoundAndTheFirstInByteOrderIsBlamed) {
  std::string distinct = "{";
  for (int i = 0; i < 200; ++i) distinct += (i ? ",\"c" : "\"c") + std::to_string(i) + "\":1";
  EXPECT_TRUE(decoder_.Decode(Report({{"nulls", distinct + "}"}})));
  // Two names repeated, far apart and in the other order: the detail names "c1" (before "c7").
  const Rejection r = Reject(Report({{"nulls", distinct + ",\"c7\":2,\"c1\":3}"}}));
  EXPECT_EQ(r.reason, RejectReason::kBadNulls);
  EXPECT_EQ(r.detail, R"(nulls["c1"] appears more than once)");
}

TEST_F(SampleDecoderTest, RejectsNullsExceedingRows) {
  const Rejection r = Reject(Report({{"rows", "10"}, {"nulls", R"({"id":0,"email":11})"}}));
  EXPECT_EQ(r.reason, RejectReason::kNullsExceedRows);
  EXPECT_EQ(r.detail, R"(nulls["email"] exceeds rows)");
  ExpectReject(Report({{"rows", "0"}, {"nulls", R"({"email":1})"}}),
               RejectReason::kNullsExceedRows);
  // Column names reach the detail escaped, so a hostile name cannot forge log structure.
  const Rejection quoted = Reject(Report({{"rows", "1"}, {"nulls", R"({"a\"b\\c":2})"}}));
  EXPECT_EQ(quoted.reason, RejectReason::kNullsExceedRows);
  EXPECT_EQ(quoted.detail, R"(nulls["a\"b\\c"] exceeds rows)");
}

TEST_F(SampleDecoderTest, RejectsBadDuplicates) {
  ExpectReject(Report({{"duplicates", "-4"}}), RejectReason::kBadDuplicates);
  ExpectReject(Report({{"duplicates", "0.5"}}), RejectReason::kBadDuplicates);
  ExpectReject(Report({{"duplicates", "4.0"}}), RejectReason::kBadDuplicates);
}

TEST_F(SampleDecoderTest, RejectsDuplicatesExceedingRows) {
  ExpectReject(Report({{"rows", "10"}, {"nulls", "{}"}, {"duplicates", "11"}}),
               RejectReason::kDuplicatesExceedRows);
  ExpectReject(Report({{"rows", "0"}, {"nulls", "{}"}, {"duplicates", "1"}}),
               RejectReason::kDuplicatesExceedRows);
}

TEST_F(SampleDecoderTest, RejectsBadSchema) {
  ExpectReject(Report({{"schema", Quote(std::string(201, 's'))}}), RejectReason::kBadSchema);
  ExpectReject(Report({{"schema", R"("sha256:9f\u0007")"}}), RejectReason::kBadSchema);
  EXPECT_EQ(Accept(Report({{"schema", Quote(std::string(200, 's'))}})).schema.size(), 200U);
  EXPECT_EQ(Accept(Report({{"schema", R"("")"}})).schema, "");
}

std::string ColumnsJson(int count) {
  std::string nulls = "{";
  for (int i = 0; i < count; ++i) {
    if (i > 0) nulls += ",";
    nulls += "\"c" + std::to_string(i) + "\":0";
  }
  return nulls + "}";
}

TEST_F(SampleDecoderTest, RejectsTooManyColumns) {
  EXPECT_EQ(Accept(Report({{"nulls", ColumnsJson(256)}})).nulls.size(), 256U);
  ExpectReject(Report({{"nulls", ColumnsJson(257)}}), RejectReason::kTooManyColumns);

  SampleDecoder narrow(DecoderOptions{.max_columns = 2});
  EXPECT_TRUE(narrow.Decode(Report({{"nulls", ColumnsJson(2)}})));
  auto result = narrow.Decode(Report({{"nulls", ColumnsJson(3)}}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason, RejectReason::kTooManyColumns);
}

TEST(RejectReasonNameTest, StableDistinctSnakeCaseNames) {
  const std::vector<std::string_view> expected = {
      "oversize",          "invalid_utf8",     "invalid_json",
      "not_an_object",     "missing_field",    "wrong_type",
      "bad_version",       "bad_dataset",      "bad_arm",
      "missing_release",   "bad_load_id",      "bad_ts",
      "bad_rows",          "bad_freshness",    "bad_nulls",
      "nulls_exceed_rows", "bad_duplicates",   "duplicates_exceed_rows",
      "bad_schema",        "too_many_columns",
  };
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(RejectReason::kCount));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(RejectReasonName(static_cast<RejectReason>(i)), expected[i]);
  }
  EXPECT_EQ(RejectReasonName(RejectReason::kCount), "unknown");
}

// Every reason is reachable from some document: this table is the index of the per-reason tests
// above, and fails when a reason is added without a way to produce it.
TEST_F(SampleDecoderTest, EveryReasonIsReachable) {
  const std::vector<std::pair<RejectReason, std::string>> cases = {
      {RejectReason::kOversize, std::string(64 * 1024 + 1, ' ')},
      {RejectReason::kInvalidUtf8, "\"\xff\""},
      {RejectReason::kInvalidJson, "{"},
      {RejectReason::kNotAnObject, "[]"},
      {RejectReason::kMissingField, Report({{"rows", std::nullopt}})},
      {RejectReason::kWrongType, Report({{"rows", R"("1")"}})},
      {RejectReason::kBadVersion, Report({{"v", "2"}})},
      {RejectReason::kBadDataset, Report({{"dataset", R"("a b")"}})},
      {RejectReason::kBadArm, Report({{"arm", R"("both")"}})},
      {RejectReason::kMissingRelease, Report({{"release", std::nullopt}})},
      {RejectReason::kBadLoadId, Report({{"load_id", R"("")"}})},
      {RejectReason::kBadTs, Report({{"ts", "1763892252"}})},
      {RejectReason::kBadRows, Report({{"rows", "-1"}})},
      {RejectReason::kBadFreshness, Report({{"freshness_s", "-1"}})},
      {RejectReason::kBadNulls, Report({{"nulls", R"({"":0})"}})},
      {RejectReason::kNullsExceedRows, Report({{"nulls", R"({"a":120346})"}})},
      {RejectReason::kBadDuplicates, Report({{"duplicates", "-1"}})},
      {RejectReason::kDuplicatesExceedRows, Report({{"duplicates", "120346"}})},
      {RejectReason::kBadSchema, Report({{"schema", Quote(std::string(201, 's'))}})},
      {RejectReason::kTooManyColumns, Report({{"nulls", ColumnsJson(257)}})},
  };
  std::set<RejectReason> covered;
  for (const auto& [reason, doc] : cases) {
    ExpectReject(doc, reason);
    covered.insert(reason);
  }
  EXPECT_EQ(covered.size(), static_cast<std::size_t>(RejectReason::kCount));
}

// Details are logged and sent to dead-letter topics; reports are PCI-adjacent, so a detail may
// name fields, rules and limits but must never carry a value from the report.
TEST_F(SampleDecoderTest, RejectionDetailsNeverEchoReportValues) {
  struct Case {
    std::vector<Change> changes;
    std::vector<std::string> secrets;
  };
  const std::vector<Case> cases = {
      {{{"rows", "123456789"}, {"nulls", R"({"email":123456790})"}}, {"123456789", "123456790"}},
      {{{"rows", "123456789"}, {"nulls", "{}"}, {"duplicates", "987654321"}},
       {"123456789", "987654321"}},
      {{{"rows", "-123456789"}}, {"123456789"}},
      {{{"rows", "12345.678"}}, {"12345", "678"}},
      {{{"rows", R"("123456789")"}}, {"123456789"}},
      {{{"v", "31337"}}, {"31337"}},
      {{{"ts", "1763892252"}}, {"1763892252"}},
      {{{"ts", "1763892252123456"}}, {"1763892252"}},
      {{{"ts", "4242424242424242"}}, {"4242424242"}},
      {{{"ts", R"("2031-02-30T01:02:03Z")"}}, {"2031", "02-30"}},
      {{{"freshness_s", "-98765.4321"}}, {"98765", "4321"}},
      {{{"duplicates", "-55555"}}, {"55555"}},
      {{{"nulls", R"({"email":-77777})"}}, {"77777"}},
      {{{"nulls", R"({"email":"88888"})"}}, {"88888"}},
      {{{"dataset", R"("customer 4111111111111111")"}}, {"4111111111111111"}},
      {{{"arm", R"("canary-4111111111111111")"}}, {"4111111111111111"}},
      {{{"load_id", "\"" + std::string(150, '7') + std::string(60, '9') + "\""}},
       {std::string(150, '7')}},
      {{{"release", R"("rel-\u0001-4111111111111111")"}}, {"4111111111111111"}},
      {{{"schema", "\"" + std::string(201, '5') + "\""}}, {"55555"}},
  };
  for (const auto& c : cases) {
    const std::string doc = Report(c.changes);
    const Rejection r = Reject(doc);
    for (const auto& secret : c.secrets) {
      EXPECT_EQ(r.detail.find(secret), std::string::npos)
          << RejectReasonName(r.reason) << " detail leaks a value: " << r.detail;
    }
  }
}

// ---- encoder ----

void ExpectSameSample(const Sample& a, const Sample& b) {
  EXPECT_EQ(a.dataset, b.dataset);
  EXPECT_EQ(a.arm, b.arm);
  EXPECT_EQ(a.release, b.release);
  EXPECT_EQ(a.load_id, b.load_id);
  EXPECT_EQ(a.ts_ms, b.ts_ms);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.freshness_s, b.freshness_s);  // exact: shortest round-trip formatting
  ASSERT_EQ(a.nulls.size(), b.nulls.size());
  for (std::size_t i = 0; i < a.nulls.size(); ++i) {
    EXPECT_EQ(a.nulls[i].column, b.nulls[i].column);
    EXPECT_EQ(a.nulls[i].nulls, b.nulls[i].nulls);
  }
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.schema, b.schema);
}

// DecodeInto reuses one Sample: every report must come out exactly as Decode gives it, whatever
// the report before it left in the Sample (more columns, optional fields it had, a rejection).
TEST(SampleDecoderReuseTest, DecodeIntoEqualsDecodeWhateverCameBefore) {
  const std::vector<std::string> documents = {
      Report(),
      Report({{"nulls", std::nullopt}, {"freshness_s", std::nullopt}}),
      Report({{"arm", R"("baseline")"},
              {"release", std::nullopt},
              {"duplicates", std::nullopt},
              {"schema", std::nullopt}}),
      Report({{"nulls", R"({"a":1,"b":2,"c":3,"customer_id_with_a_long_name":4})"}}),
      Report({{"nulls", R"({"z":0})"}, {"freshness_s", "0"}}),
      Report({{"rows", "-1"}}),                 // rejected in the middle of the fields
      Report({{"nulls", R"({"a":1,"a":2})"}}),  // rejected inside nulls
      Report({{"nulls", "{}"}}),
      Report({{"arm", R"("baseline")"}, {"release", R"("r")"}, {"nulls", R"({"q":7,"r":8})"}}),
      Report(),
  };
  SampleDecoder reference;
  SampleDecoder reused;
  Sample sample;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& document : documents) {
      SCOPED_TRACE(document);
      DecodeResult expected = reference.Decode(document);
      const std::optional<Rejection> rejection = reused.DecodeInto(document, &sample);
      ASSERT_EQ(expected.has_value(), !rejection.has_value());
      if (rejection) {
        EXPECT_EQ(rejection->reason, expected.error().reason);
        EXPECT_EQ(rejection->detail, expected.error().detail);
      } else {
        ExpectSameSample(sample, expected.value());
      }
    }
  }
}

Sample FullSample() {
  Sample s;
  s.dataset = "analytics.orders";
  s.arm = Arm::kCanary;
  s.release = "orders-dbt-2026.11.23.2";
  s.load_id = "2026-11-23T10:00Z/p17";
  s.ts_ms = kTsMs + 42;
  s.rows = 120345;
  s.freshness_s = 252.0;
  s.nulls = {{"email", 17}, {"customer_id", 0}};
  s.duplicates = 4;
  s.schema = "sha256:9f2c";
  return s;
}

TEST(SampleEncoderTest, WritesTheContractShape) {
  EXPECT_EQ(EncodeSampleJson(FullSample()),
            R"({"v":1,"dataset":"analytics.orders","arm":"canary",)"
            R"("release":"orders-dbt-2026.11.23.2","load_id":"2026-11-23T10:00Z/p17",)"
            R"("ts":"2026-11-23T10:04:12.042Z","rows":120345,"freshness_s":252,)"
            R"("nulls":{"email":17,"customer_id":0},"duplicates":4,"schema":"sha256:9f2c"})");
}

TEST(SampleEncoderTest, OmitsAbsentOptionalFields) {
  Sample s;
  s.dataset = "d";
  s.load_id = "l";
  s.ts_ms = kTsMs;
  EXPECT_EQ(EncodeSampleJson(s), R"({"v":1,"dataset":"d","arm":"baseline","load_id":"l",)"
                                 R"("ts":"2026-11-23T10:04:12.000Z","rows":0})");
  s.freshness_s = std::nan("");
  EXPECT_EQ(EncodeSampleJson(s).find("freshness_s"), std::string::npos);
}

TEST(SampleEncoderTest, EscapesStrings) {
  Sample s = FullSample();
  s.release = "quote\" backslash\\ tab\t nl\n bell\x07 del\x7f ü";
  s.nulls = {{"a\"b\\c", 1}, {"\x01", 0}};
  const std::string json = EncodeSampleJson(s);
  EXPECT_NE(json.find(R"("quote\" backslash\\ tab\t nl\n bell\u0007 del)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("a\"b\\c":1,"\u0001":0)"), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST_F(SampleDecoderTest, EncoderRoundTripsThroughTheDecoder) {
  std::vector<Sample> samples;
  samples.push_back(FullSample());

  Sample baseline = FullSample();
  baseline.arm = Arm::kBaseline;
  baseline.release.clear();
  baseline.freshness_s.reset();
  baseline.nulls.clear();
  baseline.duplicates.reset();
  baseline.schema.clear();
  samples.push_back(baseline);

  Sample extremes = FullSample();
  extremes.rows = kMaxLoadRows;
  extremes.nulls = {{"straße", kMaxLoadRows}, {"a\"b\\c/d", 0}, {std::string(200, 'c'), 1}};
  extremes.duplicates = kMaxLoadRows;
  extremes.freshness_s = 0.1;
  extremes.ts_ms = kPlausibleEpochMsEnd - 1;
  extremes.release = "rel \"quoted\" \\ ü";
  extremes.load_id = std::string(200, 'l');
  extremes.dataset = std::string(200, 'd');
  samples.push_back(extremes);

  for (const double freshness : {0.0, 1e-300, 123.456, 1e15, 1.8446744073709552e19, 1e300}) {
    Sample s = FullSample();
    s.freshness_s = freshness;
    s.ts_ms = kPlausibleEpochMsMin;
    samples.push_back(s);
  }

  for (const Sample& original : samples) {
    const std::string json = EncodeSampleJson(original);
    SCOPED_TRACE(json);
    const Sample decoded = Accept(json);
    ExpectSameSample(decoded, original);
    EXPECT_EQ(EncodeSampleJson(decoded), json);
  }
}

}  // namespace
}  // namespace canaryd
