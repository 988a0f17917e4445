// Field-by-field equality of two Samples for the decoder's differential checks, with freshness_s
// compared bit for bit (the two decoding paths must agree exactly, not just numerically).
#pragma once

#include <cstring>

#include "detector/sample.h"

namespace canaryd {

inline bool SameSample(const Sample& a, const Sample& b) {
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

}  // namespace canaryd
