// judge_study: how often and how fast canaryd's judge rolls back, side by side with the methods
// teams use today, on the same simulated releases (issue 4; results in bench/RESULTS.md).
//
//   judge_study [--filter SUBSTR] [--aa N] [--detect N] [--peers N] [--nopromote N]
//               [--wide N] [--seed S] [--threads T] [--quick]
//
// Every release is simulated by sim::LoadSimulator from a seed derived from (--seed, scenario
// name, release index); canaryd judges it through sim::RunRelease (the real DatasetMonitor and
// ReleaseJudge, single-threaded) and the peers (bench/judge_study/peers.h) read the same loads.
// Releases are spread over threads, but each result lands in its release's slot and the tables are
// computed in release order, so the output does not depend on --threads.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "bench/judge_study/peers.h"
#include "detector/engine/engine_options.h"
#include "detector/sim/load_simulator.h"
#include "detector/sim/release_runner.h"

namespace canaryd::study {
namespace {

enum Method : int {
  kCanaryd,
  kCanarydNoPromote,
  kFixedZ,
  kFixedT,
  kMannWhitney,
  kStatic,
  kPooledZ,
  kOracle,
  kMethods
};
constexpr const char* kMethodNames[kMethods] = {
    "canaryd",      "canaryd (no promote)", "fixed horizon (z on rows)", "fixed horizon (Welch t)",
    "repeated MWU", "static 3 sd",          "pooled z (peeking)",        "oracle SPRT"};

// kInsideMargin: the canary is worse than the baseline but by less than the check's margin, which
// the rules say is not worth a rollback; every rollback breaks that promise (design §4.2).
enum class Kind { kAa, kStatistical, kRule, kInsideMargin };

struct StudyScenario {
  std::string name;
  std::string what;
  Kind kind = Kind::kStatistical;
  sim::Scenario sim;
  int target = -1;             // peers' metric that regresses (-1: none)
  int regression_after = 0;    // canary loads before the regression starts
  std::string expected_check;  // for rule scenarios
  // Judged by canaryd alone, on Counts::wide_releases: the peers are written for the 5 metrics
  // of the narrow table.
  bool canaryd_only = false;
};

constexpr int kHistory = 30;  // baseline loads before the release starts (it runs in production)
constexpr int kColumns = 2;   // email, customer_id
constexpr int kMetrics = 3 + kColumns;
constexpr double kAlpha = 0.01;

sim::Scenario Base(double rows, double jitter, double share, bool shadow, int canary_loads) {
  sim::Scenario s;
  s.baseline.rows_median = rows;
  s.baseline.rate_jitter = jitter;
  s.canary = s.baseline;
  s.canary_share = share;
  s.shadow = shadow;
  s.loads = shadow ? canary_loads : static_cast<int>(canary_loads / share);
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = kHistory;
  return s;
}

std::string Pct(double x) {
  char b[16];
  std::snprintf(b, sizeof b, "%g", 100 * x);
  return b;
}

std::vector<StudyScenario> Scenarios() {
  std::vector<StudyScenario> out;
  // A/A: both arms identical; every rollback is false.
  for (const bool shadow : {false, true}) {
    for (const double jitter : {0.0, 0.3, 0.6}) {
      for (const double rows : {300.0, 100000.0}) {
        for (const double share : {0.05, 0.1, 0.5}) {
          if (shadow && share < 0.5) continue;
          StudyScenario sc;
          sc.kind = Kind::kAa;
          sc.name = std::string(shadow ? "aa_shadow" : "aa_split") + "_j" + Pct(jitter) + "_r" +
                    (rows >= 1000 ? "100k" : "300") + (shadow ? "" : "_s" + Pct(share));
          sc.what = "A/A, " + std::string(shadow ? "shadow" : "split " + Pct(share) + "% canary") +
                    ", " + (rows >= 1000 ? "100k" : "300") + " rows/load, jitter ±" + Pct(jitter) +
                    "%";
          sc.sim = Base(rows, jitter, share, shadow, 200);
          out.push_back(sc);
        }
      }
    }
  }
  // Wide tables: 200 null-rate columns split alpha 205 ways, so each check's rollback threshold
  // is log(205 / 0.01) = 9.9 nats instead of log(5 / 0.01) = 6.2, a tail the narrow table never
  // asks the baseline's scale estimate for. With little baseline history that scale rests on a
  // few loads when the release starts.
  for (const int history : {5, 30}) {
    StudyScenario sc;
    sc.kind = Kind::kAa;
    sc.canaryd_only = true;
    sc.name = "aa_wide200_split_j30_r10k_h" + std::to_string(history);
    sc.what = "A/A, 200 columns, split 50% canary, 10k rows/load, jitter ±30%, " +
              std::to_string(history) + " baseline loads of history (canaryd only)";
    sc.sim = Base(1e4, 0.3, 0.5, false, 200);
    sc.sim.baseline_history_loads = history;
    sc.sim.columns.clear();
    for (int c = 0; c < 200; ++c) sc.sim.columns.push_back("c" + std::to_string(c));
    out.push_back(sc);
    // What the deeper threshold costs: one of the 200 columns doubles its null rate.
    sc.kind = Kind::kStatistical;
    sc.name = "wide200_null_1_to_2_r10k_j30_h" + std::to_string(history);
    sc.what = "null_rate(c0) 1% -> 2% in a 200-column table, 10k rows, jitter ±30%, split 50%, " +
              std::to_string(history) + " baseline loads of history (canaryd only)";
    sc.sim.canary.column_null_rates = {{"c0", 0.02}};
    sc.sim.loads = 600;
    out.push_back(sc);
  }
  // Inside the margin: real but small effects at high volume, where significance comes quickly and
  // only the margin stands between them and a rollback (canaryd only: the peers have no margin).
  {
    const auto inside = [&](std::string name, std::string what, sim::Scenario s) {
      StudyScenario sc;
      sc.kind = Kind::kInsideMargin;
      sc.canaryd_only = true;
      sc.name = std::move(name);
      sc.what = std::move(what) + " (canaryd only)";
      sc.sim = std::move(s);
      out.push_back(sc);
    };
    for (const double to : {0.011, 0.0115}) {
      sim::Scenario s = Base(1e5, 0.15, 0.5, false, 600);
      s.canary.column_null_rates = {{"email", to}};
      inside("inside_null_1_to_" + Pct(to) + "_r100k_j15",
             "null_rate(email) 1% -> " + Pct(to) +
                 "% (margin x1.2), 100k rows, jitter ±15%, split 50%",
             s);
    }
    // A sparse rate (3 nulls a load: the counts method), whose margin is the absolute +0.1 point:
    // x4.3 at 0.03%. The canary's x3.3 is real and inside it.
    sim::Scenario c = Base(1e4, 0.15, 0.5, false, 600);
    c.baseline.column_null_rates = {{"email", 0.0003}};
    c.canary.column_null_rates = {{"email", 0.001}};
    inside("inside_null_0.03_to_0.1_r10k_j15",
           "null_rate(email) 0.03% -> 0.1% (margin +0.1 point: x4.3), 10k rows, jitter ±15%, "
           "split 50%",
           c);
    sim::Scenario f = Base(1e4, 0.3, 0.5, false, 600);
    f.canary.freshness_median_s *= 1.15;
    inside("inside_fresh_x1.15", "freshness median x1.15 (margin x1.2), sigma 0.5, split 50%", f);
  }
  const auto add = [&](std::string name, std::string what, sim::Scenario s, int target) {
    StudyScenario sc;
    sc.name = std::move(name);
    sc.what = std::move(what);
    sc.sim = std::move(s);
    sc.target = target;
    out.push_back(sc);
    return &out.back();
  };
  // The regression starts after 40 canary loads; its delays count from there.
  const auto from_load_40 = [](StudyScenario* sc) {
    sc->regression_after = 40;
    sc->sim.regression_after_canary_loads = 40;
  };
  const int email = kFirstNull;
  const auto null_to = [&](double to, double rows, double jitter, int canary_loads,
                           bool shadow = false) {
    sim::Scenario s = Base(rows, jitter, 0.5, shadow, canary_loads);
    s.canary.column_null_rates = {{"email", to}};
    return s;
  };
  add("null_1_to_1.5_r10k_j30", "null_rate(email) 1% -> 1.5%, 10k rows, jitter ±30%, split 50%",
      null_to(0.015, 1e4, 0.3, 600), email);
  add("null_1_to_2_r300_j0", "null_rate(email) 1% -> 2%, 300 rows, no jitter, split 50% (target)",
      null_to(0.02, 300, 0.0, 600), email);
  add("null_1_to_2_r10k_j30",
      "null_rate(email) 1% -> 2%, 10k rows, jitter ±30%, split 50% (target)",
      null_to(0.02, 1e4, 0.3, 300), email);
  add("null_1_to_5_r10k_j30", "null_rate(email) 1% -> 5%, 10k rows, jitter ±30%, split 50%",
      null_to(0.05, 1e4, 0.3, 300), email);
  // Shadow at low volume: the paired non-inferiority test promotes identical arms quickly; these
  // show it neither slows detection nor promotes a canary just past the x1.2 margin.
  add("null_1_to_2_r300_shadow", "null_rate(email) 1% -> 2%, 300 rows, jitter ±30%, shadow",
      null_to(0.02, 300, 0.3, 600, true), email);
  add("null_1_to_1.3_r300_shadow",
      "null_rate(email) 1% -> 1.3%, 300 rows, jitter ±30%, shadow (just past the x1.2 margin)",
      null_to(0.013, 300, 0.3, 2000, true), email);
  // Sparse rates (the counts method), past the absolute +0.1 point margin: a column at 0.03%
  // going to 0.3%, one that was never null going to 0.3%, and the first one from mid-release.
  for (const double from : {0.0003, 0.0}) {
    sim::Scenario s = Base(1e4, 0.15, 0.5, false, 300);
    s.baseline.column_null_rates = {{"email", from}};
    s.canary.column_null_rates = {{"email", 0.003}};
    add("sparse_null_" + Pct(from) + "_to_0.3_r10k_j15",
        "null_rate(email) " + Pct(from) + "% -> 0.3% (margin +0.1 point), 10k rows, jitter ±15%, " +
            "split 50%",
        s, email);
    if (from == 0.0) continue;
    from_load_40(add("mid_release_sparse_null_0.03_to_0.3",
                     "null_rate(email) 0.03% -> 0.3% after 40 canary loads, 10k rows, "
                     "jitter ±15%, split 50% (delay counted from the change)",
                     s, email));
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 300);
    s.canary.duplicate_rate = 0.01;
    add("dup_0.1_to_1_r10k_j30", "duplicate_rate 0.1% -> 1%, 10k rows, jitter ±30%, split 50%", s,
        kDuplicateRate);
  }
  for (const bool shadow : {false, true}) {
    for (const double drop : {0.05, 0.20}) {
      sim::Scenario s = Base(1e4, 0.3, 0.5, shadow, 400);
      s.canary.rows_median = s.baseline.rows_median * (1 - drop);
      add(std::string("rows_minus") + Pct(drop) + (shadow ? "_shadow" : "_split"),
          "row_count -" + Pct(drop) + "%, " + (shadow ? "shadow" : "split 50%") +
              ", 10k rows (lognormal sd 0.05)",
          s, kRowCount);
    }
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 2000);
    s.baseline.freshness_sigma = 1.0;
    s.canary = s.baseline;
    s.canary.freshness_median_s *= 1.3;
    add("fresh_x1.3_sigma1", "freshness median x1.3, lognormal sigma 1, split 50% (target)", s,
        kFreshness);
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 300);
    s.canary.freshness_median_s *= 2;
    add("fresh_x2", "freshness median x2 (300 s -> 600 s, sigma 0.5), split 50%", s, kFreshness);
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 600);
    s.canary.late_share = 0.10;
    s.canary.late_extra_s = 1200;
    add("fresh_tail_10pct_20min", "10% of canary loads 20 min late (median 300 s), split 50%", s,
        kFreshness);
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 300);
    s.canary.column_null_rates = {{"email", 0.02}};
    from_load_40(add("mid_release_null_1_to_2",
                     "null_rate(email) 1% -> 2% after 40 canary loads, 10k rows, jitter "
                     "±30%, split 50% (delay counted from the change)",
                     s, email));
  }
  // Rules: the peers have no notion of them (a threshold on a missing series never fires).
  const auto rule = [&](std::string name, std::string what, sim::Scenario s, std::string check) {
    StudyScenario* sc = add(std::move(name), std::move(what), std::move(s), -1);
    sc->kind = Kind::kRule;
    sc->expected_check = std::move(check);
    return sc;
  };
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 200);
    s.canary_silent_after_loads = 8;
    rule("silent_split_random", "canary stops after 8 loads; split 50%, random slots", s,
         "canary_silent");
    s.canary_every = 2;
    rule("silent_split_scheduled", "canary stops after 8 loads; split, every 2nd slot", s,
         "canary_silent");
    sim::Scenario p = Base(1e4, 0.3, 0.5, true, 200);
    p.canary_silent_after_loads = 8;
    rule("silent_shadow", "canary stops after 8 loads; shadow", p, "canary_silent");
  }
  {
    sim::Scenario s = Base(1e4, 0.3, 0.5, false, 100);
    s.canary.schema = "sha256:changed";
    rule("schema_change", "canary writes a different schema", s, "schema");
    sim::Scenario n = Base(1e4, 0.3, 0.5, false, 100);
    n.canary.all_null_columns = {"email"};
    rule("all_null_column", "email 100% null in the canary", n, "null_rate(email)");
  }
  return out;
}

// ---- per-release work ----------------------------------------------------------------------

struct MethodResult {
  bool ran = false;
  bool rolled_back = false;
  bool promoted = false;
  bool active = false;  // regression active when it decided
  int loads = 0;        // canary loads since the regression started, at the decision
  std::uint64_t rows = 0;
  double silence_min = 0;  // rule scenarios: minutes from the last canary load to the decision
  bool right_check = false;
  std::string check;  // canaryd: the deciding check
};

struct ReleaseResult {
  MethodResult m[kMethods];
};

std::uint64_t Fnv(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::vector<Load> Simulate(const sim::Scenario& s) {
  std::vector<Load> loads;
  sim::LoadSimulator simulator(s);
  Sample sample;
  int canary_seen = 0;
  while (simulator.Next(&sample)) {
    Load l;
    l.canary = sample.arm == Arm::kCanary;
    if (l.canary) {
      ++canary_seen;
      l.regressed = canary_seen > s.regression_after_canary_loads;
    }
    l.ts_ms = sample.ts_ms;
    l.rows = sample.rows;
    l.freshness_s = sample.freshness_s.value_or(0.0);
    l.duplicates = sample.duplicates.value_or(0);
    for (const auto& n : sample.nulls) l.nulls.push_back(n.nulls);
    loads.push_back(std::move(l));
  }
  return loads;
}

// Rows of canary loads after the regression started, up to the `upto`-th canary load.
std::uint64_t RegressedRows(const std::vector<Load>& loads, int upto, int after) {
  std::uint64_t rows = 0;
  int k = 0;
  for (const Load& l : loads) {
    if (!l.canary) continue;
    if (++k > upto) break;
    if (k > after) rows += l.rows;
  }
  return rows;
}

struct Plan {
  PeerConfig peer;
  std::uint64_t z_rows = 0;  // fixed horizon, rates as rows (0: not a rate target)
  int z_loads = 0;           // the same in loads (or Welch loads for non-rates)
  int t_loads = 0;           // fixed horizon, Welch t on per-load log values
};

struct Counts {
  int aa_releases = 10000, detect_releases = 1000, peer_releases = 2000, nopromote_releases = 2000;
  int wide_releases = 2000;  // canaryd_only scenarios, with and without promotion
};

MethodResult FromPeer(const PeerOutcome& o, int after, const std::vector<Load>& loads) {
  MethodResult r;
  r.ran = true;
  r.rolled_back = o.rolled_back;
  r.promoted = o.promoted;
  r.active = o.regression_active;
  r.loads = o.canary_loads - after;
  r.rows = RegressedRows(loads, o.canary_loads, after);
  return r;
}

ReleaseResult RunOne(const StudyScenario& sc, const Plan& plan, std::uint64_t seed, int index,
                     const Counts& counts) {
  ReleaseResult rr;
  sim::Scenario s = sc.sim;
  s.seed = seed;
  s.release = sc.name + "-" + std::to_string(index);
  const std::vector<Load> loads = Simulate(s);
  const int after = sc.regression_after;

  EngineOptions options;
  const auto run_canaryd = [&](Method m) {
    const sim::ReleaseOutcome o = sim::RunRelease(s, options);
    MethodResult& r = rr.m[m];
    r.ran = true;
    r.rolled_back = o.decision == Decision::kRollback;
    r.promoted = o.decision == Decision::kPromote;
    r.active = o.regression_active;
    r.loads = o.canary_loads - after;
    r.rows = RegressedRows(loads, o.canary_loads, after);
    r.right_check = o.check == sc.expected_check;
    r.check = o.check;
    if (sc.kind == Kind::kRule && o.decided_at_ms > 0 && s.canary_silent_after_loads >= 0) {
      std::int64_t last_canary_ms = 0;
      for (const Load& l : loads) {
        if (l.canary) last_canary_ms = l.ts_ms;
      }
      r.silence_min = static_cast<double>(o.decided_at_ms - last_canary_ms) / 60000.0;
    }
  };
  const bool aa = sc.kind == Kind::kAa;
  if (sc.canaryd_only) {
    run_canaryd(kCanaryd);
    if (aa || sc.kind == Kind::kInsideMargin) {
      options.judge.promote_min_canary_loads = INT_MAX;
      run_canaryd(kCanarydNoPromote);
    }
    return rr;
  }
  if (!aa || index < counts.aa_releases) run_canaryd(kCanaryd);
  if (aa && index < counts.nopromote_releases) {
    options.judge.promote_min_canary_loads = INT_MAX;
    run_canaryd(kCanarydNoPromote);
    options = EngineOptions{};
  }
  const bool peers = aa ? index < counts.peer_releases : true;
  if (peers && sc.kind != Kind::kRule) {
    PeerConfig zc = plan.peer;
    zc.planned_rows = plan.z_rows;
    zc.planned_loads = plan.z_loads;
    zc.fixed_rates_on_rows = true;
    rr.m[kFixedZ] = FromPeer(FixedHorizon(loads, kHistory, zc), after, loads);
    PeerConfig tc = plan.peer;
    tc.planned_rows = 0;
    tc.planned_loads = plan.t_loads;
    tc.fixed_rates_on_rows = false;
    rr.m[kFixedT] = FromPeer(FixedHorizon(loads, kHistory, tc), after, loads);
  }
  if (peers) {
    rr.m[kMannWhitney] = FromPeer(RepeatedMannWhitney(loads, kHistory, plan.peer), after, loads);
    rr.m[kStatic] = FromPeer(StaticThreshold(loads, kHistory, plan.peer), after, loads);
    rr.m[kPooledZ] = FromPeer(PooledZ(loads, kHistory, plan.peer), after, loads);
  }
  if (!aa && plan.peer.oracle_metric >= 0 && !s.shadow) {
    rr.m[kOracle] = FromPeer(OracleSprt(loads, kHistory, plan.peer), after, loads);
  }
  return rr;
}

// ---- planning: the fixed horizon's n and the oracle's truth, from a long pilot ---------------

struct ArmStats {
  double mean = 0, sd = 0;
};

// Per-load oriented values of `metric` in each arm over a long pilot of the regressed profile.
void Pilot(const sim::Scenario& base, int metric, ArmStats* canary, ArmStats* baseline) {
  sim::Scenario s = base;
  s.seed = 0x5eed;
  s.shadow = false;
  s.canary_every = 0;
  s.canary_share = 0.5;
  s.loads = 40000;
  s.regression_after_canary_loads = 0;
  s.canary_silent_after_loads = -1;
  s.emit_baseline_before_start = false;
  double n[2] = {0, 0}, mean[2] = {0, 0}, m2[2] = {0, 0};
  for (const Load& l : Simulate(s)) {
    const int a = l.canary ? 1 : 0;
    const double x = OrientedValue(l, metric);
    ++n[a];
    const double d = x - mean[a];
    mean[a] += d / n[a];
    m2[a] += d * (x - mean[a]);
  }
  *baseline = {mean[0], std::sqrt(m2[0] / (n[0] - 1))};
  *canary = {mean[1], std::sqrt(m2[1] / (n[1] - 1))};
}

// Canary loads for a one-sided Welch t at level a with 80% power, kappa baseline loads per canary
// load: the smallest n whose t quantiles at the Welch df satisfy the textbook formula (plain
// fixed-point iteration oscillates when n is a few loads and the df swing the quantiles).
int WelchLoads(double effect, double sd_c, double sd_b, double kappa, double a) {
  if (effect <= 0) return INT_MAX;
  const double var1 = sd_c * sd_c + sd_b * sd_b / kappa;  // variance of the difference x n_c
  for (int n = 2; n < 1000000; n = n < 64 ? n + 1 : n + n / 64) {
    const double nc = n, nb = std::max(2.0, kappa * nc);
    const double vc = sd_c * sd_c / nc, vb = sd_b * sd_b / nb;
    const double df =
        std::max(1.0, (vc + vb) * (vc + vb) / (vc * vc / (nc - 1) + vb * vb / (nb - 1)));
    const boost::math::students_t_distribution<double> t(df);
    const double ta = boost::math::quantile(boost::math::complement(t, a));
    const double tb = boost::math::quantile(boost::math::complement(t, 0.2));
    if (std::pow(ta + tb, 2) * var1 / (effect * effect) <= nc) return n;
  }
  return INT_MAX;
}

// Canary rows for a one-sided two-proportion z at level a with 80% power, kappa baseline rows
// per canary row (the textbook formula with the pooled variance under the null).
std::uint64_t ZRows(double p0, double p1, double kappa, double a) {
  const double za = UpperZ(a), zb = UpperZ(0.2);
  const double pbar = (p1 + kappa * p0) / (1 + kappa);
  const double num = za * std::sqrt(pbar * (1 - pbar) * (1 + 1 / kappa)) +
                     zb * std::sqrt(p1 * (1 - p1) + p0 * (1 - p0) / kappa);
  return static_cast<std::uint64_t>(std::ceil(num * num / ((p1 - p0) * (p1 - p0))));
}

double RateOf(const sim::ArmProfile& p, int metric) {
  if (metric == kDuplicateRate) return p.duplicate_rate;
  for (const auto& [col, rate] : p.column_null_rates) {
    if (col == "email") return rate;
  }
  return p.null_rate;
}

Plan MakePlan(const StudyScenario& sc) {
  Plan plan;
  if (sc.canaryd_only) return plan;
  PeerConfig& c = plan.peer;
  c.metrics = kMetrics;
  c.alpha = kAlpha;
  const double a = kAlpha / kMetrics;
  // The A/A fixed horizon is the one a team would plan to catch a doubling of a null rate.
  sim::Scenario planned = sc.sim;
  int target = sc.target;
  if (sc.kind == Kind::kAa) {
    planned.canary.column_null_rates = {{"email", 2 * planned.baseline.null_rate}};
    target = kFirstNull;
  }
  if (target < 0) return plan;
  const double share = planned.shadow ? 0.5 : planned.canary_share;
  const double kappa = (1 - share) / share;
  ArmStats cs, bs;
  Pilot(planned, target, &cs, &bs);
  plan.t_loads = WelchLoads(cs.mean - bs.mean, cs.sd, bs.sd, kappa, a);
  if (IsRateMetric(target)) {
    const double p0 = RateOf(planned.baseline, target), p1 = RateOf(planned.canary, target);
    plan.z_rows = ZRows(p0, p1, kappa, a);
    plan.z_loads = static_cast<int>(
        std::ceil(static_cast<double>(plan.z_rows) / planned.baseline.rows_median));
  } else {
    plan.z_loads = plan.t_loads;
  }
  if (sc.kind == Kind::kAa) return plan;
  c.oracle_metric = target;
  const bool binomial = IsRateMetric(target) && planned.baseline.rate_jitter == 0.0;
  c.oracle_binomial = binomial;
  if (binomial) {
    c.oracle_ratio = RateOf(planned.canary, target) / RateOf(planned.baseline, target);
  }
  c.oracle_effect = cs.mean - bs.mean;
  c.oracle_sd_canary = cs.sd;
  c.oracle_sd_baseline = bs.sd;
  return plan;
}

// ---- aggregation and output ----------------------------------------------------------------

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())) - 1);
  return v[std::min(i, v.size() - 1)];
}

// One-sided 95% Clopper-Pearson upper bound on a share from x of n.
double UpperBound95(int x, int n) {
  if (n <= 0) return NAN;
  if (x >= n) return 1.0;
  return boost::math::ibeta_inv(x + 1.0, static_cast<double>(n - x), 0.95);
}

std::string Num(double x, const char* fmt = "%.0f") {
  if (std::isnan(x)) return "–";
  char b[32];
  std::snprintf(b, sizeof b, fmt, x);
  return b;
}

void Report(const StudyScenario& sc, const Plan& plan, const std::vector<ReleaseResult>& results) {
  std::printf("\n### %s\n%s", sc.name.c_str(), sc.what.c_str());
  if (plan.z_rows > 0) {
    std::printf("; fixed-horizon n: %llu canary rows (z, %d loads)",
                static_cast<unsigned long long>(plan.z_rows), plan.z_loads);
  }
  if (plan.t_loads > 0) std::printf("; %d canary loads (Welch t)", plan.t_loads);
  if (sc.kind == Kind::kAa && !sc.canaryd_only) std::printf(" [planned for a null-rate doubling]");
  std::printf("\n\n");
  if (sc.kind == Kind::kAa || sc.kind == Kind::kInsideMargin) {
    std::printf(
        "| method | releases | %s | 95%% upper | promoted | median loads to promote "
        "|\n|---|---|---|---|---|---|\n",
        sc.kind == Kind::kAa ? "false rollback" : "rolled back inside the margin");
  } else if (sc.kind == Kind::kRule) {
    std::printf(
        "| method | releases | rollback (right check) | promoted | median canary loads | median "
        "min "
        "silent | p90 min silent |\n|---|---|---|---|---|---|---|\n");
  } else {
    std::printf(
        "| method | releases | detected | early | promoted | median loads | p90 loads | median "
        "rows | p90 rows |\n|---|---|---|---|---|---|---|---|---|\n");
  }
  std::map<std::string, int> by_check;  // canaryd's deciding checks
  for (const ReleaseResult& rr : results) {
    if (rr.m[kCanaryd].ran && rr.m[kCanaryd].rolled_back) ++by_check[rr.m[kCanaryd].check];
  }
  for (int m = 0; m < kMethods; ++m) {
    int n = 0, rb = 0, detected = 0, early = 0, promoted = 0, right = 0;
    std::vector<double> loads, rows, silence, promote_loads;
    for (const ReleaseResult& rr : results) {
      const MethodResult& r = rr.m[m];
      if (!r.ran) continue;
      ++n;
      if (r.promoted) {
        ++promoted;
        promote_loads.push_back(r.loads);
      }
      if (!r.rolled_back) continue;
      ++rb;
      right += r.right_check ? 1 : 0;
      if (r.active) {
        ++detected;
        loads.push_back(r.loads);
        rows.push_back(static_cast<double>(r.rows));
        silence.push_back(r.silence_min);
      } else {
        ++early;
      }
    }
    if (n == 0) continue;
    const double dn = n;
    if (sc.kind == Kind::kAa || sc.kind == Kind::kInsideMargin) {
      std::printf("| %s | %d | %d (%.2f%%) | %.2f%% | %.1f%% | %s |\n", kMethodNames[m], n, rb,
                  100 * rb / dn, 100 * UpperBound95(rb, n), 100 * promoted / dn,
                  Num(Quantile(promote_loads, 0.5)).c_str());
    } else if (sc.kind == Kind::kRule) {
      std::printf("| %s | %d | %.1f%% (%d) | %.1f%% | %s | %s | %s |\n", kMethodNames[m], n,
                  100 * rb / dn, right, 100 * promoted / dn, Num(Quantile(loads, 0.5)).c_str(),
                  Num(Quantile(silence, 0.5), "%.1f").c_str(),
                  Num(Quantile(silence, 0.9), "%.1f").c_str());
    } else {
      std::printf("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %s | %s | %s | %s |\n", kMethodNames[m],
                  n, 100 * detected / dn, 100 * early / dn, 100 * promoted / dn,
                  Num(Quantile(loads, 0.5)).c_str(), Num(Quantile(loads, 0.9)).c_str(),
                  Num(Quantile(rows, 0.5)).c_str(), Num(Quantile(rows, 0.9)).c_str());
    }
  }
  if (!by_check.empty()) {
    std::printf("\ncanaryd rollbacks by check:");
    for (const auto& [check, count] : by_check) std::printf(" %s %d;", check.c_str(), count);
    std::printf("\n");
  }
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  std::string filter;
  std::uint64_t seed = 20261123;
  int threads = 2;
  Counts counts;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "judge_study: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--filter") {
      filter = value();
    } else if (arg == "--aa") {
      counts.aa_releases = std::atoi(value());
    } else if (arg == "--detect") {
      counts.detect_releases = std::atoi(value());
    } else if (arg == "--peers") {
      counts.peer_releases = std::atoi(value());
    } else if (arg == "--nopromote") {
      counts.nopromote_releases = std::atoi(value());
    } else if (arg == "--wide") {
      counts.wide_releases = std::atoi(value());
    } else if (arg == "--seed") {
      seed = std::strtoull(value(), nullptr, 10);
    } else if (arg == "--threads") {
      threads = std::max(1, std::atoi(value()));
    } else if (arg == "--quick") {
      counts = Counts{1000, 200, 500, 200, 200};
    } else {
      std::fprintf(stderr,
                   "usage: judge_study [--filter SUBSTR] [--aa N] [--detect N] [--peers N] "
                   "[--nopromote N] [--wide N] [--seed S] [--threads T] [--quick]\n");
      return 2;
    }
  }
  std::printf(
      "# judge_study seed=%llu aa=%d detect=%d peers(A/A)=%d nopromote=%d "
      "alpha=%.2f over %d checks\n",
      static_cast<unsigned long long>(seed), counts.aa_releases, counts.detect_releases,
      counts.peer_releases, counts.nopromote_releases, kAlpha, kMetrics);
  const auto t0 = std::chrono::steady_clock::now();
  for (const StudyScenario& sc : Scenarios()) {
    if (!filter.empty() && sc.name.find(filter) == std::string::npos) continue;
    const Plan plan = MakePlan(sc);
    const int n =
        sc.canaryd_only ? counts.wide_releases
        : sc.kind == Kind::kAa
            ? std::max({counts.aa_releases, counts.peer_releases, counts.nopromote_releases})
            : counts.detect_releases;
    std::vector<ReleaseResult> results(static_cast<std::size_t>(n));
    std::atomic<int> next{0};
    const std::uint64_t base = seed ^ Fnv(sc.name);
    const auto work = [&] {
      for (int i; (i = next.fetch_add(1)) < n;) {
        results[static_cast<std::size_t>(i)] =
            RunOne(sc, plan, base + static_cast<std::uint64_t>(i), i, counts);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    Report(sc, plan, results);
  }
  // On stderr: the tables on stdout must not depend on the machine.
  std::fprintf(stderr, "judge_study: %.0f s on %d threads\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
               threads);
  return 0;
}

}  // namespace
}  // namespace canaryd::study

int main(int argc, char** argv) { return canaryd::study::Main(argc, argv); }
