#include "detector/stats/e_process.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <numbers>
#include <string>
#include <unordered_map>
#include <vector>

namespace canaryd {
namespace {

Eigen::ArrayXd FromVector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::ArrayXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// Prior weights for n alternatives: the given ones, or equal ones when none (or the wrong number)
// are given.
Eigen::ArrayXd PriorOf(const std::vector<double>& weights, Eigen::Index n) {
  if (static_cast<Eigen::Index>(weights.size()) != n) return Eigen::ArrayXd::Ones(n);
  return FromVector(weights);
}

// Per-thread scratch for an update's intermediate arrays, so that an update allocates nothing once
// warm and an instance carries none. One array per use and length: grids of different lengths (a
// regression test's 9 rate ratios, the margin test's 10) sharing one would reallocate it at every
// switch.
enum ScratchSlot : std::size_t {
  kGaussianFactors,
  kDriftBets,
  kDriftFactors,
  kRateMultipliers,
  kRatePi,
  kRateFactors,
  kScratchSlots
};

Eigen::ArrayXd& Scratch(ScratchSlot slot, Eigen::Index size) {
  thread_local std::array<std::vector<Eigen::ArrayXd>, kScratchSlots> scratch;
  std::vector<Eigen::ArrayXd>& by_size = scratch[slot];
  const auto i = static_cast<std::size_t>(size);
  if (by_size.size() <= i) by_size.resize(i + 1);
  if (by_size[i].size() != size) by_size[i].resize(size);
  return by_size[i];
}

}  // namespace

const Eigen::ArrayXd* InternArray(const Eigen::ArrayXd& values) {
  // Keyed by the bytes, so that equal means equal bit for bit (and a NaN is still a key).
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<const Eigen::ArrayXd>> interned;
  std::string key(reinterpret_cast<const char*>(values.data()),
                  static_cast<std::size_t>(values.size()) * sizeof(double));
  const std::lock_guard<std::mutex> lock(mu);
  auto& slot = interned[std::move(key)];
  if (!slot) slot = std::make_unique<const Eigen::ArrayXd>(values);
  return slot.get();
}

MixtureEProcess::MixtureEProcess(Eigen::Index alternatives, double share)
    : MixtureEProcess(Eigen::ArrayXd::Ones(alternatives), share) {}

MixtureEProcess::MixtureEProcess(const Eigen::ArrayXd& prior_weights, double share)
    : prior_(InternArray(prior_weights.max(0.0) / prior_weights.max(0.0).sum())),
      share_(std::clamp(share, 0.0, 1.0)),
      weights_(*prior_) {}

void MixtureEProcess::Update(const Eigen::ArrayXd& log_factors) {
  ++updates_;
  if (!std::isfinite(log_wealth_)) return;  // an alternative-free mixture stays where it is
  // The weights are kept normalized, with the total wealth apart on the log scale: one exp per
  // alternative and one log per update (log-sum-exp over log weights took two exps and a log
  // per alternative). Factors are scaled by the largest so none overflows.
  const double top = log_factors.maxCoeff();
  if (!std::isfinite(top)) {
    log_wealth_ = top;
    return;
  }
  weights_ *= (log_factors - top).exp();
  const double total = weights_.sum();
  log_wealth_ += top + std::log(total);
  weights_ /= total;
  if (share_ <= 0.0 || !std::isfinite(log_wealth_)) return;
  // Sharing moves wealth between alternatives without changing the total, and the mixing
  // weights are known before the next factor: the total stays a supermartingale.
  const double share = 1.0 / (static_cast<double>(updates_ - 1) + 1.0 / share_);
  weights_ = (1.0 - share) * weights_ + share * *prior_;
}

GaussianMixtureEProcess::GaussianMixtureEProcess(const GaussianMixtureOptions& options)
    : bets_(InternArray(FromVector(options.bets))),
      half_bets_squared_(InternArray(0.5 * bets_->square())),
      mixture_(PriorOf(options.weights, bets_->size()), options.share) {}

void GaussianMixtureEProcess::Update(double z) {
  if (!std::isfinite(z)) z = z > 0 ? 1e3 : -1e3;
  // Bounding z keeps the arithmetic finite for zero-variance inputs; 50 standard errors is
  // already overwhelming evidence, so nothing is lost.
  z = std::clamp(z, -50.0, 50.0);
  Eigen::ArrayXd& factors = Scratch(kGaussianFactors, bets_->size());
  factors = *bets_ * z - *half_bets_squared_;
  mixture_.Update(factors);
}

namespace {
Eigen::ArrayXd Concat(const Eigen::ArrayXd& a, const Eigen::ArrayXd& b) {
  Eigen::ArrayXd out(a.size() + b.size());
  out << a, b;
  return out;
}
}  // namespace

DriftScaledGaussianEProcess::DriftScaledGaussianEProcess(const DriftMixtureOptions& options)
    : multiples_(InternArray(FromVector(options.multiples))),
      fixed_bets_(InternArray(FromVector(options.fixed_bets))),
      mixture_(Concat(PriorOf(options.weights, multiples_->size()),
                      PriorOf(options.fixed_weights,
                              static_cast<Eigen::Index>(options.fixed_bets.size()))),
               options.share) {}

void DriftScaledGaussianEProcess::Update(double z, double drift) {
  if (!std::isfinite(z)) z = z > 0 ? 1e3 : -1e3;
  z = std::clamp(z, -50.0, 50.0);  // as GaussianMixtureEProcess::Update
  // A drift of 0 (no margin) leaves the fixed bets only; a huge one (a zero-spread arm at the
  // scale floor) needs no bet beyond what 50 standard errors already prove.
  const double d = std::isfinite(drift) ? std::clamp(drift, 0.0, 50.0) : 0.0;
  const Eigen::Index n = multiples_->size() + fixed_bets_->size();
  Eigen::ArrayXd& bets = Scratch(kDriftBets, n);
  bets.head(multiples_->size()) = *multiples_ * d;
  bets.tail(fixed_bets_->size()) = *fixed_bets_;
  Eigen::ArrayXd& factors = Scratch(kDriftFactors, n);
  factors = bets * z - 0.5 * bets.square();
  mixture_.Update(factors);
}

RateRatioEProcess::RateRatioEProcess(double null_ratio, bool upward,
                                     const RateRatioMixtureOptions& options)
    : alternatives_(InternArray(FromVector(upward ? options.upward : options.downward))),
      upward_(upward),
      null_ratio_(null_ratio),
      mixture_(PriorOf(upward ? options.upward_weights : options.downward_weights,
                       alternatives_->size()),
               options.share) {}

RateRatioEProcess::RateRatioEProcess(double null_ratio, bool upward, double share)
    : RateRatioEProcess(null_ratio, upward, [share] {
        RateRatioMixtureOptions o;
        o.share = share;
        return o;
      }()) {}

void RateRatioEProcess::Update(std::uint64_t canary_count, double canary_rows,
                               std::uint64_t baseline_count, double baseline_rows,
                               double dispersion) {
  if (canary_rows <= 0 || baseline_rows <= 0 || canary_count + baseline_count == 0) return;
  const double kc = static_cast<double>(canary_count);
  const double kb = static_cast<double>(baseline_count);
  // The alternatives as multiples of the null ratio.
  const Eigen::ArrayXd* multipliers = alternatives_;
  if (!upward_) {
    Eigen::ArrayXd& scaled = Scratch(kRateMultipliers, alternatives_->size());
    scaled = (*alternatives_ / null_ratio_).min(1.0);
    multipliers = &scaled;
  }
  const double pi0 = null_ratio_ * canary_rows / (null_ratio_ * canary_rows + baseline_rows);
  // pi: the canary's share of the counts under each alternative ratio.
  Eigen::ArrayXd& pi = Scratch(kRatePi, alternatives_->size());
  pi = (*multipliers * null_ratio_ * canary_rows) /
       (*multipliers * null_ratio_ * canary_rows + baseline_rows);
  Eigen::ArrayXd& factors = Scratch(kRateFactors, alternatives_->size());
  factors =
      (kc * (pi / pi0).log() + kb * ((1.0 - pi) / (1.0 - pi0)).log()) / std::max(1.0, dispersion);
  mixture_.Update(factors);
}

BernoulliMixtureEProcess::BernoulliMixtureEProcess(double p0) : p0_(p0), mixture_(5, 0.01) {
  const double max_bet = 1.0 / std::max(p0, 1e-9);
  bets_ = Eigen::ArrayXd(5);
  bets_ << 0.0, 0.1 * max_bet, 0.25 * max_bet, 0.5 * max_bet, 0.8 * max_bet;
}

void BernoulliMixtureEProcess::Update(bool x) {
  const double centered = (x ? 1.0 : 0.0) - p0_;
  factors_ = (1.0 + bets_ * centered).log();
  mixture_.Update(factors_);
}

namespace {
// log of the Beta(1/2, 1/2) mixture of p^h (1 - p)^(n - h): B(h + 1/2, n - h + 1/2) / B(1/2, 1/2).
double LogJeffreysMarginal(double h, double n) {
  return std::lgamma(h + 0.5) + std::lgamma(n - h + 0.5) - std::lgamma(n + 1.0) -
         std::log(std::numbers::pi);
}
// log p^h (1 - p)^(n - h), with 0 log 0 = 0.
double LogBernoulliLikelihood(double h, double n, double p) {
  double out = 0.0;
  if (h > 0) out += h * std::log(p);
  if (n - h > 0) out += (n - h) * std::log1p(-p);
  return out;
}
}  // namespace

double LogEShareAbove(BernoulliCounts canary, BernoulliCounts baseline) {
  const auto hc = static_cast<double>(canary.hits);
  const auto nc = static_cast<double>(canary.trials);
  const auto hb = static_cast<double>(baseline.hits);
  const auto nb = static_cast<double>(baseline.trials);
  if (nc <= 0 || nb <= 0) return 0.0;
  // With the canary's share at or below the baseline's the unconstrained maximum is in the null
  // (and a mixture never beats the maximum it mixes over: log e < 0); above it, the null's
  // maximum is at a common share.
  const double null_max =
      hc * nb <= hb * nc
          ? LogBernoulliLikelihood(hc, nc, hc / nc) + LogBernoulliLikelihood(hb, nb, hb / nb)
          : LogBernoulliLikelihood(hc + hb, nc + nb, (hc + hb) / (nc + nb));
  return LogJeffreysMarginal(hc, nc) + LogJeffreysMarginal(hb, nb) - null_max;
}

}  // namespace canaryd
