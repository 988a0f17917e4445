#include "detector/stats/e_process.h"

#include <algorithm>
#include <cmath>

namespace canaryd {
namespace {

double LogSumExp(const Eigen::ArrayXd& x) {
  const double m = x.maxCoeff();
  if (!std::isfinite(m)) return m;
  return m + std::log((x - m).exp().sum());
}

// Spreads `share` of the total wealth evenly over the bets; total wealth is unchanged, so the
// mixture stays a supermartingale (the mixing weights are predictable).
void FixedShare(Eigen::ArrayXd* log_weights, double log_wealth, double share) {
  if (share <= 0.0) return;
  const auto n = static_cast<double>(log_weights->size());
  Eigen::ArrayXd p = (*log_weights - log_wealth).exp();
  p = (1.0 - share) * p + share / n;
  *log_weights = p.log() + log_wealth;
}

}  // namespace

GaussianMixtureEProcess::GaussianMixtureEProcess(const GaussianMixtureOptions& options)
    : bets_(Eigen::Map<const Eigen::ArrayXd>(options.bets.data(),
                                              static_cast<Eigen::Index>(options.bets.size()))),
      half_bets_squared_(0.5 * bets_.square()),
      log_weights_(Eigen::ArrayXd::Constant(bets_.size(),
                                            -std::log(static_cast<double>(bets_.size())))),
      share_(std::clamp(options.share, 0.0, 1.0)) {}

void GaussianMixtureEProcess::Update(double z) {
  if (!std::isfinite(z)) z = z > 0 ? 1e3 : -1e3;
  // Bounding z keeps the arithmetic finite for zero-variance inputs; a score of 50 standard
  // errors is already overwhelming evidence, so nothing is lost.
  z = std::clamp(z, -50.0, 50.0);
  log_weights_ += bets_ * z - half_bets_squared_;
  log_wealth_ = LogSumExp(log_weights_);
  FixedShare(&log_weights_, log_wealth_, share_);
  ++updates_;
}

BernoulliMixtureEProcess::BernoulliMixtureEProcess(double p0) : p0_(p0) {
  const double max_bet = 1.0 / std::max(p0, 1e-9);
  bets_ = Eigen::ArrayXd(5);
  bets_ << 0.0, 0.1 * max_bet, 0.25 * max_bet, 0.5 * max_bet, 0.8 * max_bet;
  log_weights_ = Eigen::ArrayXd::Constant(bets_.size(), -std::log(5.0));
}

void BernoulliMixtureEProcess::Update(bool x) {
  const double centered = (x ? 1.0 : 0.0) - p0_;
  log_weights_ += (1.0 + bets_ * centered).log();
  log_wealth_ = LogSumExp(log_weights_);
  FixedShare(&log_weights_, log_wealth_, 0.01);
}

}  // namespace canaryd
