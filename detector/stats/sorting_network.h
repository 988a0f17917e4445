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

namespace sorting_network_detail {

// One pass of compare-exchanges at distance J within bitonic blocks of size K, then the passes at
// J/2 ... 1. Every bound is a template constant, so the compiler unrolls the passes into straight
// min/max code (vectorized where pairs are contiguous) with no loop branches to mispredict.
template <std::size_t N, std::size_t K, std::size_t J, class T>
inline void Merge(T* a) {
  for (std::size_t base = 0; base < N; base += 2 * J) {
    T* lo_half = a + base;
    T* hi_half = a + base + J;
    const bool ascending = (base & K) == 0;  // the same for the whole block (J < K)
    for (std::size_t i = 0; i < J; ++i) {
      const T x = lo_half[i];
      const T y = hi_half[i];
      const T lo = std::min(x, y);
      const T hi = std::max(x, y);
      lo_half[i] = ascending ? lo : hi;
      hi_half[i] = ascending ? hi : lo;
    }
  }
  if constexpr (J > 1) Merge<N, K, J / 2>(a);
}

template <std::size_t N, std::size_t K, class T>
inline void Stages(T* a) {
  Merge<N, K, K / 2>(a);
  if constexpr (K < N) Stages<N, 2 * K>(a);
}

}  // namespace sorting_network_detail

// Sorts a[0..N) ascending. N must be a power of two; pad a shorter input with the type's
// largest value. NaN is not ordered: callers pass finite values.
template <std::size_t N, class T>
void BitonicSort(T* a) {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "N must be a power of two");
  sorting_network_detail::Stages<N, 2>(a);
}

}  // namespace canaryd
