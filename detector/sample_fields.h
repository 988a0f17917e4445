// The v1 report's known fields (design §2), shared by both decoding paths (sample_decoder.cc,
// sample_fast_path.cc). Not part of the decoder's interface.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace canaryd::sample_fields {

enum Field : std::uint8_t {
  kV,
  kDataset,
  kArm,
  kRelease,
  kLoadId,
  kTs,
  kRows,
  kFreshness,
  kNulls,
  kDuplicates,
  kSchema,
  kFieldCount,
};

inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "v",    "dataset",     "arm",   "release",    "load_id", "ts",
    "rows", "freshness_s", "nulls", "duplicates", "schema",
};

// The field a key names, or kFieldCount for a key the contract does not know. On the length
// first: one comparison per key instead of a search of the names.
inline Field FieldOf(std::string_view key) {
  Field f = kFieldCount;
  switch (key.size()) {
    case 1:
      f = kV;
      break;
    case 2:
      f = kTs;
      break;
    case 3:
      f = kArm;
      break;
    case 4:
      f = kRows;
      break;
    case 5:
      f = kNulls;
      break;
    case 6:
      f = kSchema;
      break;
    case 7:
      f = key[0] == 'd' ? kDataset : (key[0] == 'r' ? kRelease : kLoadId);
      break;
    case 10:
      f = kDuplicates;
      break;
    case 11:
      f = kFreshness;
      break;
    default:
      return kFieldCount;
  }
  return key == kFieldNames[f] ? f : kFieldCount;
}

}  // namespace canaryd::sample_fields
