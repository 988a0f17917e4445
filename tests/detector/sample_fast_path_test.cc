// The one-pass reader (sample_fast_path.h) against SampleDecoder's simdjson path: on common
// reports and on every small mutation of them, whatever the reader accepts the simdjson path
// accepts too, as the same Sample. Rejections always come from the simdjson path, so agreement
// on acceptances is the whole contract.
#include "detector/sample_fast_path.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "detector/sample_decoder.h"
#include "tests/detector/same_sample.h"

namespace canaryd {
namespace {

// Reports as producers send them, plus the shapes the reader must still get right: white space,
// fields in any order, unknown fields, optional fields left out, every ts and number form.
std::vector<std::string> CommonReports() {
  return {
      R"({"v":1,"dataset":"analytics.orders","arm":"canary","release":"orders-dbt-2026.11.23.2",)"
      R"("load_id":"2026-11-23T10:00Z/p17","ts":"2026-11-23T10:04:12Z","rows":120345,)"
      R"("freshness_s":252.0,"nulls":{"email":17,"customer_id":0},"duplicates":4,)"
      R"("schema":"sha256:9f2c"})",
      R"({"v":1,"dataset":"analytics.ledger_168","arm":"baseline","load_id":"2026-11-23T00:00Z/h0",)"
      R"("ts":"2026-11-23T00:00:01.014Z","rows":36692,"freshness_s":553.9281779974067,)"
      R"("nulls":{"country":54,"email":64,"phone":71,"referrer":67},"duplicates":75,)"
      R"("schema":"sha256:30392c0ffee"})",
      R"({"v":1,"dataset":"d","arm":"baseline","load_id":"l","ts":1795428252000,"rows":0})",
      R"( { "rows" : 10 , "ts" : "2026-11-23T10:04:12.5+01:00" , "load_id" : "x" ,)"
      "\n\t\"arm\" : \"baseline\" , \"dataset\" : \"a/b:c-d_e.f\" , \"v\" : 1 , "
      R"("nulls" : { } , "freshness_s" : 1.5e2 , "release" : "" }  )",
      R"({"v":1,"dataset":"d","arm":"canary","release":"r","load_id":"l","ts":1795428252000,)"
      R"("rows":5,"freshness_s":0,"duplicates":5,"nulls":{"a":5,"b":0,"c":1},"note":"x",)"
      R"("attempt":3,"retry":true,"owner":null,"big":9999999999999999999})",
      R"({"v":1,"dataset":"d","arm":"canary","release":"r","load_id":"l","ts":"2026-11-23T10:04:12Z",)"
      R"("rows":1000000000000000,"freshness_s":12345678901234567890.5,"schema":""})",
      R"({"v":1,"dataset":"d","arm":"baseline","load_id":"l","ts":"2026-11-23t10:04:12z",)"
      R"("rows":7,"freshness_s":0.000001,"nulls":{"a":1,"aa":2,"aaa":3,"aaaa":4,"aaaaa":5,)"
      R"("aaaaaa":6,"aaaaaaa":7,"b":0,"bb":0,"bbb":0,"bbbb":0,"bbbbb":0}})",
  };
}

// Every document one byte away from `doc`: each byte deleted, replaced by, or preceded by each of
// the characters that change JSON's or the contract's meaning.
std::vector<std::string> Mutations(const std::string& doc) {
  static const std::string kChars = std::string("\"\\,:{}[]09-+.eE ta\x01\x7f\xc3") + '\0';
  std::vector<std::string> out;
  for (std::size_t i = 0; i <= doc.size(); ++i) {
    if (i < doc.size()) out.push_back(doc.substr(0, i) + doc.substr(i + 1));
    for (const char c : kChars) {
      if (i < doc.size()) {
        std::string replaced = doc;
        replaced[i] = c;
        out.push_back(std::move(replaced));
      }
      out.push_back(doc.substr(0, i) + c + doc.substr(i));
    }
  }
  return out;
}

class SampleFastPathTest : public ::testing::Test {
 protected:
  SampleFastPathTest() : simdjson_(WithoutFastPath()) {}
  static DecoderOptions WithoutFastPath() {
    DecoderOptions o;
    o.fast_path = false;
    return o;
  }

  // Whether the reader accepted `doc`; fails the test if that disagrees with simdjson.
  bool Check(std::string_view doc) {
    // One Sample for every reader call, as the consumer reuses one: leftovers of a longer report
    // must not leak into the next.
    const bool fast = ReadCommonReport(doc, options_, &scratch_, &reused_);
    if (!fast) return false;
    Sample expected;
    const auto rejection = simdjson_.DecodeInto(doc, &expected);
    EXPECT_FALSE(rejection.has_value())
        << "the reader accepted what simdjson rejects as "
        << (rejection ? RejectReasonName(rejection->reason) : "") << ": " << doc;
    EXPECT_TRUE(rejection.has_value() || SameSample(reused_, expected))
        << "the reader and simdjson read different samples from: " << doc;
    return true;
  }

  DecoderOptions options_;
  SampleDecoder simdjson_;
  std::vector<ColumnHash> scratch_;
  Sample reused_;
};

TEST_F(SampleFastPathTest, ReadsCommonReportsAsSimdjsonDoes) {
  for (const std::string& doc : CommonReports()) {
    EXPECT_TRUE(Check(doc)) << "not read on the fast path: " << doc;
  }
}

TEST_F(SampleFastPathTest, NeverAcceptsWhatSimdjsonRejectsOrReadsItDifferently) {
  std::size_t documents = 0;
  std::size_t accepted = 0;
  for (const std::string& doc : CommonReports()) {
    for (const std::string& mutated : Mutations(doc)) {
      ++documents;
      accepted += Check(mutated) ? 1 : 0;
      if (HasFailure()) return;  // the first disagreement says enough
    }
  }
  // Both sides of the comparison are exercised: many mutations stay valid (a digit for a digit,
  // white space), many do not.
  EXPECT_GT(accepted, documents / 20);
  EXPECT_LT(accepted, documents / 2);
}

TEST_F(SampleFastPathTest, LeavesTheEdgesOfTheContractToSimdjson) {
  const std::string head = R"({"v":1,"dataset":"d","arm":"baseline","load_id":"l","ts":)"
                           R"("2026-11-23T10:04:12Z","rows":5)";
  // Valid reports the reader does not take (escapes, non-ASCII, nulls, negative zero, nested
  // unknown values) are still accepted by the decoder, through simdjson.
  for (const std::string tail :
       {R"(,"schema":"a\u0041"})", ",\"schema\":\"caf\xc3\xa9\"}", R"(,"release":null})",
        R"(,"freshness_s":-0.0})", R"(,"extra":{"a":[1,2]}})", R"(,"extra":-3})"}) {
    const std::string doc = head + tail;
    EXPECT_FALSE(ReadCommonReport(doc, options_, &scratch_, &reused_)) << doc;
    SampleDecoder decoder;
    EXPECT_TRUE(decoder.Decode(doc)) << doc;
  }
  // Reports the contract rejects: the reader gives up, and the reason is simdjson's path's.
  for (const std::string tail : {R"(,"nulls":{"a":6}})", R"(,"duplicates":6})", R"(,"rows":1})",
                                 R"(,"nulls":{"a":1,"a":1}})", R"(,"freshness_s":1e999})",
                                 R"(,"v":1})", "}x", R"(,"nulls":{"a":1.0}})"}) {
    const std::string doc = head + tail;
    EXPECT_FALSE(ReadCommonReport(doc, options_, &scratch_, &reused_)) << doc;
    SampleDecoder decoder;
    EXPECT_FALSE(decoder.Decode(doc)) << doc;
  }
  DecoderOptions few;
  few.max_columns = 2;
  const std::string three = head + R"(,"nulls":{"a":1,"b":1,"c":1}})";
  EXPECT_FALSE(ReadCommonReport(three, few, &scratch_, &reused_));
  EXPECT_TRUE(ReadCommonReport(three, options_, &scratch_, &reused_));
}

}  // namespace
}  // namespace canaryd
