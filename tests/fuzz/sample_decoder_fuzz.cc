// libFuzzer target for report decoding: any bytes must give a Sample or a Rejection, never a
// crash or undefined behaviour; and whatever the one-pass reader (sample_fast_path.h) accepts,
// the simdjson path must accept as the same Sample (the differential check of
// tests/detector/sample_fast_path_test.cc, on fuzzed input).
// Built and run by scripts/fuzz.sh decoder (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "detector/sample_decoder.h"
#include "detector/sample_fast_path.h"

namespace {

bool Same(const canaryd::Sample& a, const canaryd::Sample& b) {
  if (a.nulls.size() != b.nulls.size()) return false;
  for (std::size_t i = 0; i < a.nulls.size(); ++i) {
    if (a.nulls[i].column != b.nulls[i].column || a.nulls[i].nulls != b.nulls[i].nulls) {
      return false;
    }
  }
  const bool same_freshness =
      a.freshness_s.has_value() == b.freshness_s.has_value() &&
      (!a.freshness_s || std::memcmp(&*a.freshness_s, &*b.freshness_s, sizeof(double)) == 0);
  return a.dataset == b.dataset && a.arm == b.arm && a.release == b.release &&
         a.load_id == b.load_id && a.ts_ms == b.ts_ms && a.rows == b.rows && same_freshness &&
         a.duplicates == b.duplicates && a.schema == b.schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view doc(reinterpret_cast<const char*>(data), size);
  static canaryd::DecoderOptions options;
  static std::vector<canaryd::ColumnHash> scratch;
  static canaryd::Sample reused;  // reused across inputs, as the consumer reuses one
  static canaryd::SampleDecoder simdjson_only([] {
    canaryd::DecoderOptions o;
    o.fast_path = false;
    return o;
  }());
  static canaryd::SampleDecoder decoder;
  canaryd::Sample decoded;
  (void)decoder.DecodeInto(doc, &decoded);
  if (size <= options.max_document_bytes &&
      canaryd::ReadCommonReport(doc, options, &scratch, &reused)) {
    canaryd::Sample expected;
    if (simdjson_only.DecodeInto(doc, &expected).has_value() || !Same(reused, expected)) {
      std::abort();  // the reader accepted what simdjson rejects, or read it differently
    }
  }
  return 0;
}
