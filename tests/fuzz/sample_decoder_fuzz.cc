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
#include "tests/detector/same_sample.h"

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
    if (simdjson_only.DecodeInto(doc, &expected).has_value() ||
        !canaryd::SameSample(reused, expected)) {
      std::abort();  // the reader accepted what simdjson rejects, or read it differently
    }
  }
  return 0;
}
