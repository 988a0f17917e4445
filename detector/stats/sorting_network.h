// Sorting a small fixed-size array without data-dependent branches (a bitonic network of
// compare-exchanges, each a min and a max). The baseline tracker takes the median and the median
// absolute deviation of its 64-value window every few loads; on such random values a selection
// (std::nth_element) mispredicts about every other comparison: perf put it at 14% (engine_bench)
// to 30% (Kafka end to end) of a shard's samples. The network does more comparisons but never
// guesses, and its contiguous min/max loops vectorize.
#pragma once

#include <algorithm>
#include <cstddef>

namespace canaryd {

// Sorts a[0..N) ascending. N must be a power of two; pad a shorter input with the type's
// largest value. NaN is not ordered: callers pass finite values.
template <std::size_t N, class T>
void BitonicSort(T* a) {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "N must be a power of two");
  for (std::size_t k = 2; k <= N; k <<= 1) {
    for (std::size_t j = k >> 1; j > 0; j >>= 1) {
      // Pairs (i, i + j) in blocks of 2j; a block sorts one way throughout (j < k), so the inner
      // loop is straight min/max over contiguous elements, which the compiler vectorizes.
      for (std::size_t base = 0; base < N; base += 2 * j) {
        T* lo_half = a + base;
        T* hi_half = a + base + j;
        if ((base & k) == 0) {
          for (std::size_t i = 0; i < j; ++i) {
            const T x = lo_half[i];
            const T y = hi_half[i];
            lo_half[i] = std::min(x, y);
            hi_half[i] = std::max(x, y);
          }
        } else {
          for (std::size_t i = 0; i < j; ++i) {
            const T x = lo_half[i];
            const T y = hi_half[i];
            lo_half[i] = std::max(x, y);
            hi_half[i] = std::min(x, y);
          }
        }
      }
    }
  }
}

}  // namespace canaryd
