// Test supermartingales ("e-processes") that stay valid under continuous monitoring: by Ville's
// inequality P(sup_t E_t >= 1/a) <= a under the null, so a verdict may be re-evaluated after every
// load for as long as a release runs.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

namespace canaryd {

struct GaussianMixtureOptions {
  // Bet sizes (Gaussian likelihood-ratio slopes) mixed with equal prior weight. The zero bet keeps
  // evidence from decaying while nothing happens; large bets make big regressions fast.
  std::vector<double> bets = {0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0};
  // Fixed share: each step this fraction of the wealth is spread evenly over the bets, so a bet
  // that lost for a long time can recover quickly after a late change.
  double share = 0.01;
};

// Evidence that standardized scores z_t have positive mean. Each factor exp(l*z - l^2/2) has
// expectation <= 1 when z ~ N(mu <= 0, 1), so the mixture wealth is a test supermartingale.
// Bounded betting factors cap the speed (the design's ~9 loads at K/a = 500); these do not.
class GaussianMixtureEProcess {
 public:
  explicit GaussianMixtureEProcess(const GaussianMixtureOptions& options = {});

  void Update(double z);
  double log_e() const { return log_wealth_; }
  std::uint64_t updates() const { return updates_; }

 private:
  Eigen::ArrayXd bets_;
  Eigen::ArrayXd half_bets_squared_;
  Eigen::ArrayXd log_weights_;  // log of each bet's wealth; their log-sum-exp is log_wealth_
  double share_;
  double log_wealth_ = 0.0;
  std::uint64_t updates_ = 0;
};

// Evidence that a Bernoulli share exceeds p0 (e.g. share of late loads above 5%). Factors
// 1 + l*(x - p0) with 0 <= l < 1/p0 are nonnegative with expectation <= 1 under p <= p0.
class BernoulliMixtureEProcess {
 public:
  explicit BernoulliMixtureEProcess(double p0);

  void Update(bool x);
  double log_e() const { return log_wealth_; }

 private:
  Eigen::ArrayXd bets_;
  Eigen::ArrayXd log_weights_;
  double p0_;
  double log_wealth_ = 0.0;
};

}  // namespace canaryd
