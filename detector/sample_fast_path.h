// A one-pass reader for the reports producers actually send, ahead of SampleDecoder's simdjson
// path: a flat object of the known fields, ASCII strings without escapes, integer counts.
//
// Why hand-written: simdjson builds its tape (~45% of decoding a 270-byte report) and the
// contract's rules then walk it again; a reader that knows the v1 shape does both in one pass,
// which took decoding from ~550 to ~330 ns per report (bench/RESULTS.md), the largest share of
// the Kafka consumer thread. It only ever accepts: anything it does not fully understand, and
// every report the contract rejects, makes it give up, and SampleDecoder decides with simdjson.
// So rejections (reason, detail) come from one place, and an accepted report is the Sample the
// simdjson path would build (tests/detector/sample_fast_path_test.cc checks both on mutated
// reports).
#pragma once

#include <string_view>
#include <vector>

#include "detector/sample.h"

namespace canaryd {

struct DecoderOptions;
struct ColumnHash;

// True: `document` is a valid v1 report and *out holds it (its storage reused). False: undecided
// (*out is unspecified); decode it with simdjson. `scratch` is working space for the
// duplicate-column check.
bool ReadCommonReport(std::string_view document, const DecoderOptions& options,
                      std::vector<ColumnHash>* scratch, Sample* out);

}  // namespace canaryd
