#include "detector/sample_rules.h"

#include <algorithm>

// Inlined: column names are a few bytes; a call into libxxhash would cost more than the hash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace canaryd {

std::uint64_t ColumnNameHash(std::string_view name) {
  return XXH3_64bits(name.data(), name.size());
}

bool AnyDuplicateColumn(const std::vector<ColumnNulls>& nulls, std::vector<ColumnHash>* hashes) {
  std::sort(hashes->begin(), hashes->end());
  for (std::size_t i = 1; i < hashes->size(); ++i) {
    const ColumnHash& a = (*hashes)[i - 1];
    const ColumnHash& b = (*hashes)[i];
    if (a.hash == b.hash && nulls[a.index].column == nulls[b.index].column) return true;
  }
  return false;
}

}  // namespace canaryd
