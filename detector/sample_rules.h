// The byte-level rules of the v1 contract (design §2) that both decoding paths apply: the simdjson
// path (sample_decoder.cc) and the one-pass reader of common reports (sample_fast_path.cc).
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>
#include <vector>

#include "detector/sample.h"

namespace canaryd {

// A column name's hash and its place in Sample::nulls, for the duplicate-name check.
struct ColumnHash {
  std::uint64_t hash;
  std::uint32_t index;
  auto operator<=>(const ColumnHash&) const = default;
};

// Every id and name of every report is scanned: without branches per byte, so the loop vectorizes.
inline bool HasControlChars(std::string_view s) {
  unsigned bad = 0;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    bad |= static_cast<unsigned>(u < 0x20) | static_cast<unsigned>(u == 0x7f);
  }
  return bad != 0;
}

// Byte-wise compares instead of a 256-entry table: the compiler turns them into vector compares,
// where the table's lookups were gathered byte by byte into a register, spilled and reloaded (a
// store-forwarding stall perf put at a third of the field checks).
inline bool AllDatasetChars(std::string_view s) {
  unsigned bad = 0;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool letter = static_cast<unsigned char>((c | 0x20) - 'a') < 26;
    const bool digit = static_cast<unsigned char>(c - '0') < 10;
    const bool punct = (c == '_') | (c == '.') | (c == ':') | (c == '/') | (c == '-');
    bad |= static_cast<unsigned>(!(letter | digit | punct));
  }
  return bad == 0;
}

std::uint64_t ColumnNameHash(std::string_view name);

// Whether two of `nulls` share a name; `hashes` holds ColumnNameHash of each, in order (it is
// sorted here). Names are compared only where their hashes agree: sorting the names themselves
// was a third of decoding a 20-column report (memcmp on every comparison).
bool AnyDuplicateColumn(const std::vector<ColumnNulls>& nulls, std::vector<ColumnHash>* hashes);

}  // namespace canaryd
