// Converting a studentized score to the standard normal scale, so that a Gaussian e-process can
// be fed scores whose scale was estimated from few loads without inflating their tails.
#pragma once

namespace canaryd {

// Returns z with Phi(z) = F_t(t; df). For df >= 1e6 (or non-finite df) returns t unchanged.
double StudentTToZ(double t, double df);

}  // namespace canaryd
