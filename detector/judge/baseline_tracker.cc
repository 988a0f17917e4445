#include "detector/judge/baseline_tracker.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "detector/stats/sorting_network.h"

namespace canaryd {
namespace {
constexpr std::size_t kGapWindow = 16;
constexpr std::size_t kCountWindow = 64;
constexpr std::size_t kMinLoadsForAllNullRule = 8;
constexpr std::size_t kSchemaChanges = 8;                 // remembered for SchemaAt
constexpr double kAllNullLogChance = -20.72326583694641;  // log(1e-9), see AllNullLoadPlausible
constexpr std::size_t kValueWindow = 64;
constexpr std::size_t kMinValuesForBounds = 8;
constexpr std::uint32_t kBoundsEvery = 16;  // bounds move slowly
// Half-width of the clip interval in robust standard deviations, and its floor in log units (a
// factor of 2) so that a zero-spread baseline does not clip a real regression away.
constexpr double kClipSigmas = 3.0;
constexpr double kMinClipHalfWidth = 0.6931471805599453;
static_assert((kValueWindow & (kValueWindow - 1)) == 0 && (kGapWindow & (kGapWindow - 1)) == 0,
              "the windows are sorted by a bitonic network");

// The ring's two contiguous runs copied whole (order does not matter: it is sorted next), padded
// to the window. Copied element by element, each 8-byte store was soon read by a 16-byte load of
// the network that spans two of them: a store-forwarding stall per load, which perf put at most
// of MedianGapMs.
template <class Ring, class T, std::size_t N>
void CopyForSort(const Ring& ring, T (&out)[N], T pad) {
  const auto one = ring.array_one();
  const auto two = ring.array_two();
  std::memcpy(out, one.first, one.second * sizeof(T));
  std::memcpy(out + one.second, two.first, two.second * sizeof(T));
  std::fill(out + ring.size(), out + N, pad);
}

// The two windows' sorts, compiled twice and picked at load time by the CPU: with AVX2 the
// network's min/max passes take four doubles at a time, not two (x86-64's baseline SSE2), and a
// 64-value sort takes ~190 ns instead of ~320 (min and max are exact: the same order either way).
// The sort was 14% of a shard thread end to end (bench/RESULTS.md, Kafka session 19).
// Not under the sanitizers: the clone is chosen by an ifunc resolver that runs while the binary is
// relocated, before ThreadSanitizer's runtime is up, and the TSan unit tests crashed at start.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define CANARYD_SORT_CLONES __attribute__((target_clones("avx2", "default"), noinline))
#else
#define CANARYD_SORT_CLONES
#endif
CANARYD_SORT_CLONES void SortValueWindow(double* s) { BitonicSort<kValueWindow>(s); }
CANARYD_SORT_CLONES void SortGapWindow(std::int64_t* g) { BitonicSort<kGapWindow>(g); }
#undef CANARYD_SORT_CLONES

}  // namespace

BaselineTracker::PerMetric::PerMetric() : counts(kCountWindow), values(kValueWindow) {}

BaselineTracker::BaselineTracker() : gaps_ms_(kGapWindow) {}

BaselineTracker::PerMetric& BaselineTracker::At(int metric) {
  const auto i = static_cast<std::size_t>(metric);
  if (metrics_.size() <= i) metrics_.resize(i + 1);
  return metrics_[i];
}

void BaselineTracker::Add(const Sample& sample, const std::vector<LoadValue>& values) {
  for (const LoadValue& v : values) {
    PerMetric& m = At(v.metric);
    // The scale is learned on clipped values: the same values the comparisons score.
    m.scale.Add(m.bounds.Clip(v.value));
    m.values.push_back(v.value);  // a full ring drops its oldest
    if (++m.since_bounds >= kBoundsEvery || m.values.size() <= kMinValuesForBounds) {
      UpdateBounds(&m);
    }
    m.reported = true;
    m.last_all_null = v.every_row;
    if (v.rows > 0) {
      if (m.counts.full()) {
        const auto& [count, rows] = m.counts.front();
        m.count_sum -= static_cast<double>(count);
        m.rows_sum -= static_cast<double>(rows);
        if (count == rows) --m.all_null_loads;
      }
      m.counts.push_back({v.count, v.rows});  // a full ring drops its oldest
      m.count_sum += static_cast<double>(v.count);
      m.rows_sum += static_cast<double>(v.rows);
      if (v.count == v.rows) ++m.all_null_loads;
      m.profile_current = false;
    }
  }
  if (!sample.schema.empty() && sample.schema != schema()) {
    schema_changes_.emplace_back(sample.ts_ms, sample.schema);
    if (schema_changes_.size() > kSchemaChanges) schema_changes_.pop_front();
  }
  if (loads_ > 0 && sample.ts_ms >= last_ts_ms_) {
    gaps_ms_.push_back(sample.ts_ms - last_ts_ms_);
    median_gap_current_ = false;
  }
  last_ts_ms_ = std::max(last_ts_ms_, sample.ts_ms);
  ++loads_;
  empty_bits_ = (empty_bits_ << 1) | (sample.rows == 0 ? 1u : 0u);
}

BernoulliCounts BaselineTracker::EmptyLoads() const {
  return BernoulliCounts{.hits = static_cast<std::uint64_t>(std::popcount(empty_bits_)),
                         .trials = std::min<std::uint64_t>(loads_, 64)};
}

const std::string& BaselineTracker::schema() const {
  static const std::string kNone;
  return schema_changes_.empty() ? kNone : schema_changes_.back().second;
}

const std::string& BaselineTracker::SchemaAt(std::int64_t ts_ms) const {
  for (auto it = schema_changes_.rbegin(); it != schema_changes_.rend(); ++it) {
    if (it->first <= ts_ms) return it->second;
  }
  return schema_changes_.empty() ? schema() : schema_changes_.front().second;
}

ScaleEstimate BaselineTracker::Scale(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() ? metrics_[i].scale.Estimate() : ScaleEstimate{};
}

bool BaselineTracker::AllNullLoadPlausible(int metric, std::uint64_t rows) const {
  const auto i = static_cast<std::size_t>(metric);
  if (i >= metrics_.size() || !metrics_[i].reported) return false;
  const PerMetric& m = metrics_[i];
  if (m.last_all_null || m.all_null_loads > 0) return true;
  // Too few loads with rows to call one unusual: a column null in every row of half its loads
  // can go a few loads without one.
  if (m.counts.size() < kMinLoadsForAllNullRule) return true;
  // The chance that `rows` rows at the baseline's pooled null rate are all null, p^rows. One in
  // a billion: the baseline's rate varies from load to load (overdispersion), and at 60% jitter a
  // load two sd below the mean non-null share still keeps this near 0.2%.
  // With half a count added, as PooledRate does: a window of a few dozen rows without a null
  // made p = 0, and a 1-row canary load whose one row was null "impossible".
  if (m.rows_sum <= 0) return true;
  const double p = std::min(1.0, (m.count_sum + 0.5) / m.rows_sum);
  if (p >= 1.0) return true;
  return static_cast<double>(rows) * std::log(p) > kAllNullLogChance;
}

void BaselineTracker::UpdateBounds(PerMetric* m) {
  m->since_bounds = 0;
  const std::size_t n = m->values.size();
  if (n == 0) return;
  // The window sorted by a network (sorting_network.h: the two std::nth_element passes this
  // replaced ran fewer instructions but mispredicted, 7% slower per report in engine_bench). The
  // median is read off; the median absolute deviation is the mid-th smallest of the deviations
  // below and above it, two sorted runs merged outwards from the median. Both are the values the
  // two selections gave.
  double s[kValueWindow];
  CopyForSort(m->values, s, std::numeric_limits<double>::max());
  SortValueWindow(s);
  const std::size_t mid = n / 2;
  const double median = s[mid];
  m->median = median;
  if (n < kMinValuesForBounds) return;
  // The deviations below the median, nearest first, and those from it upwards: two ascending runs.
  // The median absolute deviation is the (mid + 1)-th smallest of their union, found by a binary
  // search for how many of it come from below (walking both runs outwards was a third of this
  // function: a chain of dependent loads and compares).
  const auto below = [&](std::size_t i) { return median - s[mid - 1 - i]; };
  const auto above = [&](std::size_t j) { return s[mid + j] - median; };
  const std::size_t k = mid + 1;
  const std::size_t n_below = mid;
  const std::size_t n_above = n - mid;
  std::size_t lo = k > n_above ? k - n_above : 0;
  std::size_t hi = std::min(k, n_below);
  while (lo < hi) {
    const std::size_t i = (lo + hi) / 2;
    if (below(i) < above(k - i - 1)) {
      lo = i + 1;
    } else {
      hi = i;
    }
  }
  const std::size_t from_above = k - lo;
  double deviation = from_above > 0 ? above(from_above - 1) : 0.0;
  if (lo > 0) deviation = std::max(deviation, below(lo - 1));
  const double robust_sd = 1.4826 * deviation;
  const double half_width = std::max(kClipSigmas * robust_sd, kMinClipHalfWidth);
  m->bounds = ClipBounds{median - half_width, median + half_width};
}

ClipBounds BaselineTracker::Bounds(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() ? metrics_[i].bounds : ClipBounds{};
}

double BaselineTracker::Median(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() ? metrics_[i].median : std::numeric_limits<double>::quiet_NaN();
}

bool BaselineTracker::SchemaMatches(std::int64_t ts_ms, const std::string& schema) const {
  if (schema == SchemaAt(ts_ms)) return true;
  int switches_to = 0;
  for (const auto& change : schema_changes_) switches_to += change.second == schema ? 1 : 0;
  return switches_to >= 2;
}

std::uint64_t CountCap(double expected) {
  const double mean = std::max(0.0, expected);
  return static_cast<std::uint64_t>(mean + 4.0 * std::sqrt(mean) + 3.0);
}

CountProfile BaselineTracker::ProfileOf(const PerMetric& m) {
  CountProfile profile;
  const auto& counts = m.counts;
  if (counts.empty()) return profile;
  // The running sums are exact: integers far below 2^53.
  const double k_sum = m.count_sum;
  const double n_sum = m.rows_sum;
  profile.loads = counts.size();
  profile.mean_count = k_sum / static_cast<double>(counts.size());
  profile.rate = n_sum > 0 ? k_sum / n_sum : 0.0;
  const double p = k_sum / n_sum;
  if (counts.size() >= 3 && p > 0 && p < 1) {
    double chi2 = 0;
    for (const auto& [k, n] : counts) {
      const double expected = static_cast<double>(n) * p;
      const double d = static_cast<double>(k) - expected;
      chi2 += d * d / (expected * (1 - p));
    }
    profile.dispersion = std::max(1.0, chi2 / static_cast<double>(counts.size() - 1));
  }
  if (n_sum <= 0) return profile;
  profile.capped = true;
  double capped_sum = 0;
  for (const auto& [k, n] : counts) {
    capped_sum += static_cast<double>(std::min(k, CountCap(static_cast<double>(n) * p)));
  }
  const double q = capped_sum / n_sum;
  profile.cap_rate = q;
  if (counts.size() >= 3 && q > 0 && q < 1) {
    double chi2 = 0;
    for (const auto& [k, n] : counts) {
      const double expected = static_cast<double>(n) * q;
      const double d = static_cast<double>(std::min(k, CountCap(expected))) - expected;
      chi2 += d * d / (expected * (1 - q));
    }
    profile.capped_dispersion = std::max(1.0, chi2 / static_cast<double>(counts.size() - 1));
  }
  return profile;
}

CountProfile BaselineTracker::Counts(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  if (i >= metrics_.size()) return CountProfile{};
  const PerMetric& m = metrics_[i];
  if (!m.profile_current) {
    m.profile = ProfileOf(m);
    m.profile_current = true;
  }
  return m.profile;
}

double BaselineTracker::PooledRate(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  if (i >= metrics_.size() || metrics_[i].rows_sum <= 0) return 0.0;
  return std::min(1.0, (metrics_[i].count_sum + 0.5) / metrics_[i].rows_sum);
}

bool BaselineTracker::Reported(int metric) const {
  const auto i = static_cast<std::size_t>(metric);
  return i < metrics_.size() && metrics_[i].reported;
}

std::int64_t BaselineTracker::MedianGapMs() const {
  if (!median_gap_current_) {
    median_gap_ms_ = 0;
    if (gaps_ms_.size() >= 3) {
      std::int64_t g[kGapWindow];
      CopyForSort(gaps_ms_, g, std::numeric_limits<std::int64_t>::max());
      const std::size_t n = gaps_ms_.size();
      SortGapWindow(g);
      median_gap_ms_ = g[n / 2];
    }
    median_gap_current_ = true;
  }
  return median_gap_ms_;
}

}  // namespace canaryd
