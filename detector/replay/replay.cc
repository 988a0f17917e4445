#include "detector/replay/replay.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <istream>
#include <mutex>
#include <ostream>
#include <set>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "detector/engine/engine.h"
#include "detector/json_lines_reader.h"
#include "detector/sample_decoder.h"
#include "detector/signal/decision_message.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

// Collects decisions from the shard threads; replay prints them in input order at the end so
// the output does not depend on shard count or thread timing.
class CollectingSink : public DecisionSink {
 public:
  void OnDecision(DecisionEvent event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  std::vector<DecisionEvent> TakeSorted() {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(events_.begin(), events_.end(), [](const DecisionEvent& a, const DecisionEvent& b) {
      return a.seq != b.seq ? a.seq < b.seq : a.view.dataset < b.view.dataset;
    });
    return std::move(events_);
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

 private:
  std::mutex mu_;
  std::vector<DecisionEvent> events_;
};

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(Clock::now()), last_(start_) {}
  void Tick(std::uint64_t reports, std::uint64_t rejected, std::size_t decisions) {
    if (!enabled_ || (reports & 0xfff) != 0) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    Print(reports, rejected, decisions, false);
  }
  void Done(std::uint64_t reports, std::uint64_t rejected, std::size_t decisions) {
    if (enabled_) Print(reports, rejected, decisions, true);
  }

 private:
  using Clock = std::chrono::steady_clock;
  void Print(std::uint64_t reports, std::uint64_t rejected, std::size_t decisions, bool done) {
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(stderr, "\rreplay: %llu reports, %llu rejected, %zu decisions, %.0f reports/s%s",
                 static_cast<unsigned long long>(reports),
                 static_cast<unsigned long long>(rejected), decisions,
                 s > 0 ? static_cast<double>(reports) / s : 0.0, done ? "\n" : "");
    std::fflush(stderr);
  }
  bool enabled_;
  Clock::time_point start_;
  Clock::time_point last_;
};

// A release that saw both arms and compared nothing: in a replay that is nearly always input
// sorted by arm rather than by time (the judge takes reports in input order, so a canary whose
// baseline loads all came before it, or all after it, has nothing to be compared with). Silent,
// it read as a healthy `continue`.
void WarnIfNothingCompared(const ReleaseDatasetView& v) {
  constexpr std::uint64_t kLoads = 3;
  if (v.decision != Decision::kContinue || v.canary_loads < kLoads) return;
  // The shares of loads (late, empty) compare running counts, whichever arm comes first: they do
  // not show that loads were compared.
  const bool compared = std::any_of(v.checks.begin(), v.checks.end(), [](const CheckEvidence& e) {
    return e.observations > 0 && e.check != "freshness_tail" && e.check != "empty_loads";
  });
  if (compared) return;
  spdlog::warn(
      "event=nothing_compared release={} dataset={} canary_loads={} baseline_loads={} "
      "detail=\"no canary load could be compared with a baseline load; reports are judged in "
      "input order, so a file sorted by arm must be sorted by ts\"",
      v.release, v.dataset, v.canary_loads, v.baseline_loads);
}

}  // namespace

int RunReplay(std::istream& in, std::ostream& out, const ReplayOptions& options,
              ReplaySummary* summary_out) {
  ReplaySummary summary;
  CollectingSink sink;
  Engine engine(options.engine, &sink);
  SampleDecoder decoder;
  JsonLinesReader reader(in, DecoderOptions{}.max_document_bytes);
  Progress progress(options.progress);

  JsonLine line;
  while (reader.Next(&line)) {
    ++summary.reports_read;
    DecodeResult decoded = line.oversize
                               ? DecodeResult(Rejection{RejectReason::kOversize,
                                                        "line longer than the document limit"})
                               : decoder.Decode(line.text);
    if (decoded.has_error()) {
      const Rejection& r = decoded.error();
      ++summary.rejected;
      ++summary.rejected_by_reason[std::string(RejectReasonName(r.reason))];
      if (summary.rejected <= options.max_logged_rejects) {
        spdlog::warn("event=reject line={} offset={} reason={} detail=\"{}\"", line.line_no,
                     line.offset, RejectReasonName(r.reason), r.detail);
      } else if (summary.rejected == options.max_logged_rejects + 1) {
        spdlog::warn("event=reject_log_suppressed after={} (all are counted in the summary)",
                     options.max_logged_rejects);
      }
    } else {
      ++summary.accepted;
      engine.Submit(line.line_no, std::move(decoded).value());
    }
    progress.Tick(summary.reports_read, summary.rejected, sink.size());
  }
  if (reader.failed()) {
    spdlog::error("event=read_error offset={}", reader.bytes_read());
    return kExitBadInput;
  }
  engine.Flush();
  progress.Done(summary.reports_read, summary.rejected, sink.size());

  const EngineStats stats = engine.Stats();
  summary.duplicate_deliveries = stats.duplicates;
  summary.too_old = stats.too_old;
  summary.after_decision = stats.after_decision;
  summary.future_ts = stats.future_ts;

  // Decision lines, in input order, with the release-level decision as it stood then.
  std::map<std::string, std::map<std::string, Decision>> release_state;
  for (const ReleaseDatasetView& v : engine.Releases()) {
    release_state[v.release][v.dataset] = Decision::kContinue;
    WarnIfNothingCompared(v);
  }
  for (const DecisionEvent& event : sink.TakeSorted()) {
    auto& per_dataset = release_state[event.view.release];
    per_dataset[event.view.dataset] = event.view.decision;
    out << DecisionJson(event.view, ReleaseDecision(per_dataset)).dump() << '\n';
  }

  nlohmann::ordered_json rolled_back = nlohmann::ordered_json::array();
  for (const auto& [release, per_dataset] : release_state) {
    switch (ReleaseDecision(per_dataset)) {
      case Decision::kRollback:
        ++summary.rolled_back;
        rolled_back.push_back(release);
        break;
      case Decision::kPromote:
        ++summary.promoted;
        break;
      case Decision::kContinue:
        ++summary.continuing;
        break;
    }
  }
  summary.releases = release_state.size();

  nlohmann::ordered_json by_reason = nlohmann::ordered_json::object();
  for (const auto& [reason, n] : summary.rejected_by_reason) by_reason[reason] = n;
  out << nlohmann::ordered_json{{"summary",
                                 {{"reports_read", summary.reports_read},
                                  {"accepted", summary.accepted},
                                  {"rejected", summary.rejected},
                                  {"rejected_by_reason", std::move(by_reason)},
                                  {"duplicate_deliveries", summary.duplicate_deliveries},
                                  {"too_old", summary.too_old},
                                  {"after_decision", summary.after_decision},
                                  {"future_ts", summary.future_ts},
                                  {"releases", summary.releases},
                                  {"decisions",
                                   {{"rollback", summary.rolled_back},
                                    {"promote", summary.promoted},
                                    {"continue", summary.continuing}}},
                                  {"rolled_back", std::move(rolled_back)}}}}
             .dump()
      << '\n';
  out.flush();
  if (summary_out != nullptr) *summary_out = summary;
  return summary.rolled_back > 0 ? kExitRollback : kExitOk;
}

}  // namespace canaryd
