#include "detector/sim/load_simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace canaryd::sim {
namespace {

constexpr double kLn2Hi = 6.93147180369123816490e-01;  // upper bits of ln 2 (exact in k·kLn2Hi)
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
constexpr double kLog2E = 1.44269504088896338700e+00;
constexpr double kSqrtHalf = 0.70710678118654752440;
// Above this n·p·(1-p) (or lambda) the binomial (Poisson) draw uses the normal approximation.
constexpr double kNormalApproxVariance = 30.0;
constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 62;

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Independent engine seeds for the simulator's streams.
std::uint64_t StreamSeed(std::uint64_t seed, std::uint64_t stream) {
  return SplitMix64(SplitMix64(seed) ^ (stream * 0xD1B54A32D192ED03ULL));
}

// ln(1 + x), accurate for small |x| too.
double DetLog1p(double x) {
  if (std::fabs(x) < 1e-4) {
    // x - x^2/2 + x^3/3 - x^4/4: the next term is < 2e-21.
    return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * 0.25)));
  }
  return DetLog(1.0 + x);
}

// A non-negative count from a double: NaN and negatives give 0, huge values kMaxCount.
std::uint64_t ToCount(double x) {
  if (!(x > 0.0)) return 0;
  if (x >= static_cast<double>(kMaxCount)) return kMaxCount;
  return static_cast<std::uint64_t>(x);
}

std::uint64_t RoundCount(double x) { return ToCount(std::floor(x + 0.5)); }

double Clamp01(double p) {
  if (!(p > 0.0)) return 0.0;  // also NaN
  return p < 1.0 ? p : 1.0;
}

// The load's latent rate: the arm's rate times the jitter factor 1 + j·(2u - 1), floored at 0.
double LatentRate(double rate, double jitter, double u) {
  const double factor = 1.0 + jitter * (2.0 * u - 1.0);
  return Clamp01(rate * (factor > 0.0 ? factor : 0.0));
}

// Rows and freshness from their latent normals.
double RowsFromLatent(const ArmProfile& profile, double z) {
  return profile.rows_median * DetExp(profile.rows_sigma * z);
}
double FreshnessFromLatent(const ArmProfile& profile, double z, double u_late) {
  double freshness = profile.freshness_median_s * DetExp(profile.freshness_sigma * z);
  if (u_late < profile.late_share) freshness += profile.late_extra_s;
  return freshness > 0.0 ? freshness : 0.0;  // also NaN
}

// Re-draws a count of `count` successes out of `rows_from` trials at rate p_from as a count out
// of `rows_to` trials at rate p_to, changing only what differs (the shadow transform). Every step
// keeps the Binomial(rows_to, p_to) marginal given Binomial(rows_from, p_from); nothing is drawn
// when rows and rate are unchanged.
std::uint64_t Recount(Rng& rng, std::uint64_t count, std::uint64_t rows_from, double p_from,
                      std::uint64_t rows_to, double p_to) {
  if (rows_to > rows_from) {
    count += rng.Binomial(rows_to - rows_from, p_from);
  } else if (rows_to < rows_from) {
    const double keep = static_cast<double>(rows_to) / static_cast<double>(rows_from);
    count = std::min(rng.Binomial(count, keep), rows_to);
  }
  if (p_to > p_from) {
    count += rng.Binomial(rows_to - count, (p_to - p_from) / (1.0 - p_from));
  } else if (p_to < p_from) {
    count = rng.Binomial(count, p_to / p_from);
  }
  return std::min(count, rows_to);
}

void AppendDigits(std::string* s, std::int64_t value, int width) {
  char buf[24];
  int n = 0;
  std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 20);
  while (n < width) buf[n++] = '0';
  while (n > 0) s->push_back(buf[--n]);
}

// "YYYY-MM-DDTHH:MMZ" for the minute containing epoch milliseconds `ms` (proleptic Gregorian,
// Howard Hinnant's civil_from_days).
void AppendMinute(std::string* s, std::int64_t ms) {
  constexpr std::int64_t kMsPerMinute = 60000;
  constexpr std::int64_t kMinutesPerDay = 1440;
  std::int64_t minutes = ms / kMsPerMinute - (ms % kMsPerMinute < 0 ? 1 : 0);
  std::int64_t days = minutes / kMinutesPerDay - (minutes % kMinutesPerDay < 0 ? 1 : 0);
  const std::int64_t minute_of_day = minutes - days * kMinutesPerDay;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  AppendDigits(s, year, 4);
  s->push_back('-');
  AppendDigits(s, month, 2);
  s->push_back('-');
  AppendDigits(s, day, 2);
  s->push_back('T');
  AppendDigits(s, minute_of_day / 60, 2);
  s->push_back(':');
  AppendDigits(s, minute_of_day % 60, 2);
  s->push_back('Z');
}

std::vector<char> AllNullMask(const std::vector<std::string>& columns,
                              const std::vector<std::string>& all_null) {
  std::vector<char> mask(columns.size(), 0);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    mask[i] = std::find(all_null.begin(), all_null.end(), columns[i]) != all_null.end() ? 1 : 0;
  }
  return mask;
}

Scenario Sanitized(Scenario scenario) {
  std::vector<std::string> unique;
  unique.reserve(scenario.columns.size());
  for (auto& column : scenario.columns) {
    if (std::find(unique.begin(), unique.end(), column) == unique.end()) {
      unique.push_back(std::move(column));
    }
  }
  scenario.columns = std::move(unique);
  scenario.loads = std::max(scenario.loads, 0);
  scenario.baseline_history_loads = std::max(scenario.baseline_history_loads, 0);
  if (!(scenario.canary_share >= 0.0)) scenario.canary_share = 0.0;  // also NaN
  scenario.canary_share = std::min(scenario.canary_share, 1.0);
  scenario.interval_ms = std::max<std::int64_t>(scenario.interval_ms, 0);
  return scenario;
}

}  // namespace

double DetExp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  // x = k·ln2 + r with |r| <= ln2/2 (Cody-Waite: k·kLn2Hi is exact for |k| < 2^11).
  const double k = std::floor(x * kLog2E + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Taylor series of e^r to r^15/15!: |r|^16/16! < 2e-21 for |r| <= 0.35.
  double sum = 1.0 / 1307674368000.0;  // 1/15!
  constexpr double kInvFactorial[] = {1.0 / 87178291200.0,
                                      1.0 / 6227020800.0,
                                      1.0 / 479001600.0,
                                      1.0 / 39916800.0,
                                      1.0 / 3628800.0,
                                      1.0 / 362880.0,
                                      1.0 / 40320.0,
                                      1.0 / 5040.0,
                                      1.0 / 720.0,
                                      1.0 / 120.0,
                                      1.0 / 24.0,
                                      1.0 / 6.0,
                                      1.0 / 2.0,
                                      1.0,
                                      1.0};  // 1/14! .. 1/0!
  for (const double c : kInvFactorial) sum = sum * r + c;
  return std::ldexp(sum, static_cast<int>(k));  // exact, or one rounding into the subnormals
}

double DetLog(double x) {
  if (std::isnan(x) || x < 0.0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m·2^e, m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2.0;
    --e;
  }
  // ln m = 2·atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: series to s^25 (next term < 1e-21).
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double poly = 1.0 / 25.0;
  for (int n = 23; n >= 1; n -= 2) poly = poly * s2 + 1.0 / n;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (2.0 * s * poly + ed * kLn2Lo);
}

double Rng::Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  double u = 0;
  double v = 0;
  double s = 0;
  do {
    u = 2.0 * Uniform() - 1.0;
    v = 2.0 * Uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * DetLog(s) / s);
  cached_normal_ = v * factor;
  has_cached_normal_ = true;
  return u * factor;
}

double Rng::LogNormal(double median, double sigma) { return median * DetExp(sigma * Normal()); }

std::uint64_t Rng::Binomial(std::uint64_t n, double p) {
  if (n == 0 || !(p > 0.0)) return 0;
  if (p >= 1.0) return n;
  const bool flip = p > 0.5;
  const double pp = flip ? 1.0 - p : p;
  const double q = 1.0 - pp;
  const double nd = static_cast<double>(n);
  const double mean = nd * pp;
  const double variance = mean * q;
  std::uint64_t k = 0;
  if (variance > kNormalApproxVariance) {
    k = std::min(ToCount(std::floor(mean + std::sqrt(variance) * Normal() + 0.5)), n);
  } else {
    // Inversion. Here mean = variance/q <= 60 (q >= 1/2), so P(0) = q^n >= e^-84 is a normal
    // double and the walk takes about mean + 1 steps.
    double u = Uniform();
    double f = DetExp(nd * DetLog1p(-pp));
    const double ratio = pp / q;
    while (u > f && k < n) {
      u -= f;
      ++k;
      f *= ratio * (static_cast<double>(n - k + 1) / static_cast<double>(k));
      if (f <= 0.0) break;  // rounding left u beyond the total mass: stop in the far tail
    }
  }
  return flip ? n - k : k;
}

std::uint64_t Rng::Poisson(double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda > kNormalApproxVariance) {
    return ToCount(std::floor(lambda + std::sqrt(lambda) * Normal() + 0.5));
  }
  double u = Uniform();
  double f = DetExp(-lambda);
  std::uint64_t k = 0;
  while (u > f) {
    u -= f;
    ++k;
    f *= lambda / static_cast<double>(k);
    if (f <= 0.0) break;
  }
  return k;
}

LoadSimulator::LoadSimulator(Scenario scenario)
    : scenario_(Sanitized(std::move(scenario))),
      baseline_all_null_(AllNullMask(scenario_.columns, scenario_.baseline.all_null_columns)),
      canary_all_null_(AllNullMask(scenario_.columns, scenario_.canary.all_null_columns)),
      assign_rng_(StreamSeed(scenario_.seed, 0)),
      baseline_rng_(StreamSeed(scenario_.seed, 1)),
      canary_rng_(StreamSeed(scenario_.seed, 2)),
      history_total_(scenario_.emit_baseline_before_start ? scenario_.baseline_history_loads : 0) {
  const std::size_t columns = scenario_.columns.size();
  base_figures_.nulls.assign(columns, 0);
  canary_figures_.nulls.assign(columns, 0);
  latent_.u_null_jitter.assign(columns, 0.0);
}

namespace {
double NullRateFor(const ArmProfile& profile, const std::string& column) {
  for (const auto& [name, rate] : profile.column_null_rates) {
    if (name == column) return rate;
  }
  return profile.null_rate;
}
}  // namespace

void LoadSimulator::DrawLoad(Rng& rng, const ArmProfile& profile, const std::vector<char>& all_null,
                             LoadFigures* figures, Latent* latent) {
  latent->z_rows = rng.Normal();
  figures->rows = RoundCount(RowsFromLatent(profile, latent->z_rows));
  for (std::size_t i = 0; i < scenario_.columns.size(); ++i) {
    const double u = rng.Uniform();
    latent->u_null_jitter[i] = u;
    figures->nulls[i] =
        all_null[i]
            ? figures->rows
            : rng.Binomial(figures->rows, LatentRate(NullRateFor(profile, scenario_.columns[i]),
                                                     profile.rate_jitter, u));
  }
  latent->u_dup_jitter = rng.Uniform();
  figures->duplicates = rng.Binomial(
      figures->rows, LatentRate(profile.duplicate_rate, profile.rate_jitter, latent->u_dup_jitter));
  // Drawn only for a profile with bursts, so every other scenario keeps its random stream.
  if (profile.duplicate_burst_share > 0 && rng.Uniform() < profile.duplicate_burst_share) {
    figures->duplicates = RoundCount(static_cast<double>(figures->rows) *
                                     std::clamp(profile.burst_duplicate_rate, 0.0, 1.0));
  }
  latent->z_freshness = rng.Normal();
  latent->u_late = rng.Uniform();
  figures->freshness_s = FreshnessFromLatent(profile, latent->z_freshness, latent->u_late);
  // Drawn only for a profile with empty loads, so every other scenario keeps its random stream.
  if (profile.empty_share > 0 && rng.Uniform() < profile.empty_share) {
    figures->rows = 0;
    std::fill(figures->nulls.begin(), figures->nulls.end(), 0);
    figures->duplicates = 0;
  }
}

void LoadSimulator::TransformShadow(const ArmProfile& to, const std::vector<char>& to_all_null,
                                    LoadFigures* figures) {
  const ArmProfile& from = scenario_.baseline;
  const LoadFigures& base = base_figures_;
  figures->rows = RoundCount(RowsFromLatent(to, latent_.z_rows));
  for (std::size_t i = 0; i < scenario_.columns.size(); ++i) {
    if (to_all_null[i]) {
      figures->nulls[i] = figures->rows;
      continue;
    }
    const double p_from = baseline_all_null_[i]
                              ? 1.0
                              : LatentRate(NullRateFor(from, scenario_.columns[i]),
                                           from.rate_jitter, latent_.u_null_jitter[i]);
    const double p_to =
        LatentRate(NullRateFor(to, scenario_.columns[i]), to.rate_jitter, latent_.u_null_jitter[i]);
    figures->nulls[i] = Recount(canary_rng_, base.nulls[i], base.rows, p_from, figures->rows, p_to);
  }
  figures->duplicates =
      Recount(canary_rng_, base.duplicates, base.rows,
              LatentRate(from.duplicate_rate, from.rate_jitter, latent_.u_dup_jitter),
              figures->rows, LatentRate(to.duplicate_rate, to.rate_jitter, latent_.u_dup_jitter));
  figures->freshness_s = FreshnessFromLatent(to, latent_.z_freshness, latent_.u_late);
}

bool LoadSimulator::CanaryCanEmit() const {
  return scenario_.canary_silent_after_loads < 0 ||
         canary_emitted_ < scenario_.canary_silent_after_loads;
}

bool LoadSimulator::CanaryRegressedNext() const {
  return canary_emitted_ >= scenario_.regression_after_canary_loads;
}

void LoadSimulator::Emit(Arm arm, const LoadFigures& figures, const ArmProfile& profile,
                         std::int64_t slot_ms, char slot_kind, std::int64_t slot_index,
                         Sample* out) {
  const bool canary = arm == Arm::kCanary;
  out->dataset.assign(scenario_.dataset);
  out->arm = arm;
  if (canary) {
    out->release.assign(scenario_.release);
  } else {
    out->release.clear();
  }
  out->load_id.clear();
  AppendMinute(&out->load_id, slot_ms);
  out->load_id.push_back('/');
  out->load_id.push_back(slot_kind);
  AppendDigits(&out->load_id, slot_index, 1);
  const std::int64_t offset_ms = canary ? std::min<std::int64_t>(4000, scenario_.interval_ms / 2)
                                        : std::min<std::int64_t>(1000, scenario_.interval_ms / 4);
  out->ts_ms = slot_ms + offset_ms;
  out->rows = figures.rows;
  out->freshness_s = figures.freshness_s;
  const std::size_t columns = scenario_.columns.size();
  if (out->nulls.size() != columns) out->nulls.resize(columns);
  for (std::size_t i = 0; i < columns; ++i) {
    out->nulls[i].column.assign(scenario_.columns[i]);
    out->nulls[i].nulls = figures.nulls[i];
  }
  out->duplicates = figures.duplicates;
  out->schema.assign(profile.schema);
  if (canary) {
    ++canary_emitted_;
  } else {
    ++baseline_emitted_;
  }
}

bool LoadSimulator::Next(Sample* out) {
  if (pending_canary_) {
    pending_canary_ = false;
    const bool regressed = pending_regressed_;
    Emit(Arm::kCanary, canary_figures_, regressed ? scenario_.canary : scenario_.baseline,
         pending_slot_ms_, 'p', pending_slot_index_, out);
    if (regressed) regression_active_ = true;
    return true;
  }
  if (history_next_ < history_total_) {
    const int h = history_next_++;
    const std::int64_t slot_ms =
        scenario_.start_ts_ms -
        static_cast<std::int64_t>(history_total_ - h) * scenario_.interval_ms;
    DrawLoad(baseline_rng_, scenario_.baseline, baseline_all_null_, &base_figures_, &latent_);
    Emit(Arm::kBaseline, base_figures_, scenario_.baseline, slot_ms, 'h', h, out);
    return true;
  }
  while (slot_next_ < scenario_.loads) {
    const int slot = slot_next_++;
    const std::int64_t slot_ms =
        scenario_.start_ts_ms + static_cast<std::int64_t>(slot) * scenario_.interval_ms;
    if (scenario_.shadow) {
      DrawLoad(baseline_rng_, scenario_.baseline, baseline_all_null_, &base_figures_, &latent_);
      if (CanaryCanEmit()) {
        pending_regressed_ = CanaryRegressedNext();
        if (pending_regressed_) {
          TransformShadow(scenario_.canary, canary_all_null_, &canary_figures_);
        } else {
          canary_figures_.rows = base_figures_.rows;
          std::copy(base_figures_.nulls.begin(), base_figures_.nulls.end(),
                    canary_figures_.nulls.begin());
          canary_figures_.duplicates = base_figures_.duplicates;
          canary_figures_.freshness_s = base_figures_.freshness_s;
        }
        pending_canary_ = true;
        pending_slot_ms_ = slot_ms;
        pending_slot_index_ = slot;
      }
      Emit(Arm::kBaseline, base_figures_, scenario_.baseline, slot_ms, 'p', slot, out);
      return true;
    }
    const bool canary_slot = scenario_.canary_every > 0
                                 ? slot % scenario_.canary_every == scenario_.canary_every - 1
                                 : assign_rng_.Uniform() < scenario_.canary_share;
    if (!canary_slot) {
      DrawLoad(baseline_rng_, scenario_.baseline, baseline_all_null_, &base_figures_, &latent_);
      Emit(Arm::kBaseline, base_figures_, scenario_.baseline, slot_ms, 'p', slot, out);
      return true;
    }
    if (!CanaryCanEmit()) continue;  // the silent canary's slot reports nothing
    const bool regressed = CanaryRegressedNext();
    const ArmProfile& profile = regressed ? scenario_.canary : scenario_.baseline;
    DrawLoad(canary_rng_, profile, regressed ? canary_all_null_ : baseline_all_null_,
             &canary_figures_, &latent_);
    Emit(Arm::kCanary, canary_figures_, profile, slot_ms, 'p', slot, out);
    if (regressed) regression_active_ = true;
    return true;
  }
  return false;
}

Scenario AaScenario(std::uint64_t seed, double jitter, double rows, double canary_share,
                    bool shadow) {
  Scenario scenario;
  scenario.seed = seed;
  scenario.release = "aa-" + std::to_string(seed);
  scenario.canary_share = canary_share;
  scenario.shadow = shadow;
  scenario.baseline.rows_median = rows;
  scenario.baseline.rate_jitter = jitter;
  scenario.canary = scenario.baseline;
  return scenario;
}

Scenario SteadyMartScenario(std::uint64_t seed, std::string dataset, std::string release,
                            std::int64_t start_ts_ms, int loads) {
  Scenario s;
  s.seed = seed;
  s.dataset = std::move(dataset);
  s.release = std::move(release);
  s.columns = {"email", "customer_id"};
  s.start_ts_ms = start_ts_ms;
  s.interval_ms = 60'000;
  s.loads = loads;
  s.canary_share = 0.5;
  s.baseline.rows_median = 20'000;
  s.baseline.rows_sigma = 0.03;
  s.baseline.null_rate = 0.01;
  s.baseline.duplicate_rate = 0.0005;
  s.baseline.rate_jitter = 0.1;
  s.baseline.freshness_median_s = 240;
  s.baseline.freshness_sigma = 0.15;
  s.canary = s.baseline;
  return s;
}

Scenario NullRateScenario(std::uint64_t seed, double from, double to, double rows,
                          double canary_share, double jitter) {
  Scenario scenario;
  scenario.seed = seed;
  scenario.release = "nullrate-" + std::to_string(seed);
  scenario.canary_share = canary_share;
  scenario.baseline.rows_median = rows;
  scenario.baseline.rate_jitter = jitter;
  scenario.baseline.null_rate = from;
  scenario.canary = scenario.baseline;
  scenario.canary.null_rate = to;
  return scenario;
}

}  // namespace canaryd::sim
