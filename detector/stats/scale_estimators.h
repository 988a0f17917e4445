// Scale estimates for per-load values. Each returns the estimate together with its degrees of
// freedom so that the caller can studentize honestly (StudentTToZ).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace canaryd {

struct ScaleEstimate {
  double sd = 0.0;
  double df = 0.0;               // 0: no estimate yet
  std::size_t observations = 0;  // values (successive differences) behind the estimate
};

// Standard deviation from the mean squared successive difference over the last `window` values.
// Successive differences cancel slow drift shared by neighbouring loads (a daily cycle in row
// counts, a backfill raising freshness), which a plain variance would count as noise.
class SuccessiveDifferenceScale {
 public:
  explicit SuccessiveDifferenceScale(std::size_t window = 64) : squares_(window, 0.0) {}

  void Add(double x) {
    if (has_last_) {
      const double d = x - last_;
      const double sq = d * d;
      if (count_ == squares_.size())
        sum_ -= squares_[next_];
      else
        ++count_;
      squares_[next_] = sq;
      sum_ += sq;
      if (++next_ == squares_.size()) next_ = 0;
    }
    last_ = x;
    has_last_ = true;
  }

  ScaleEstimate Estimate() const {
    if (count_ == 0) return {};
    const double var = std::max(0.0, sum_) / (2.0 * static_cast<double>(count_));
    // The MSSD estimator has about two thirds of the efficiency of the sample variance.
    return {std::sqrt(var), 0.66 * static_cast<double>(count_), count_};
  }

  std::size_t differences() const { return count_; }

 private:
  std::vector<double> squares_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  double sum_ = 0.0;
  double last_ = 0.0;
  bool has_last_ = false;
};

// Welford's running mean and variance.
class RunningMoments {
 public:
  void Add(double x) {
    ++n_;
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (x - mean_);
  }
  std::uint64_t count() const { return n_; }
  double mean() const { return mean_; }
  ScaleEstimate Estimate() const {
    if (n_ < 2) return {};
    return {std::sqrt(m2_ / static_cast<double>(n_ - 1)), static_cast<double>(n_ - 1),
            static_cast<std::size_t>(n_ - 1)};
  }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

// Welford's running means, variances and covariance of pairs (x, y), for the spread of any
// linear contrast x - a*y: one pass serves every a, so a contrast whose coefficient moves (a
// margin that follows the baseline's level) needs no history.
class RunningCovariance {
 public:
  void Add(double x, double y) {
    ++n_;
    const double n = static_cast<double>(n_);
    const double dx = x - mean_x_;
    mean_x_ += dx / n;
    const double dy = y - mean_y_;
    mean_y_ += dy / n;
    m2_x_ += dx * (x - mean_x_);
    m2_y_ += dy * (y - mean_y_);
    c_xy_ += dx * (y - mean_y_);
  }
  std::uint64_t count() const { return n_; }
  double mean_x() const { return mean_x_; }
  double mean_y() const { return mean_y_; }
  // Sample standard deviation of x - a*y, with n - 1 degrees of freedom.
  ScaleEstimate ContrastScale(double a) const {
    if (n_ < 2) return {};
    const double m2 = m2_x_ - 2.0 * a * c_xy_ + a * a * m2_y_;
    return {std::sqrt(std::max(0.0, m2) / static_cast<double>(n_ - 1)), static_cast<double>(n_ - 1),
            static_cast<std::size_t>(n_ - 1)};
  }

 private:
  std::uint64_t n_ = 0;
  double mean_x_ = 0.0;
  double mean_y_ = 0.0;
  double m2_x_ = 0.0;
  double m2_y_ = 0.0;
  double c_xy_ = 0.0;
};

}  // namespace canaryd
