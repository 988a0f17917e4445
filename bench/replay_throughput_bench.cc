// Replay throughput next to its floor, on the same bytes in the same run (issue 3, "Numbers to
// record"). Stages, each over every line of the input:
//
//   dom_parse      simdjson DOM parse of each line in place, every field touched  <- the peer
//                  (DOM, as SampleDecoder uses: its kernel is picked at run time. On-Demand is
//                  compiled for the build's target ISA, i.e. the scalar fallback without -march,
//                  so it would not be a fair floor in this build.)
//   decode         SampleDecoder::DecodeInto of each line into one reused Sample (parse + every
//                  contract rule), as the Kafka consumer decodes
//   decode_simdjson  the same with DecoderOptions::fast_path off: simdjson for every report
//   reader_decode  JsonLinesReader over an istream + Decode: replay's front end, no engine
//   replay_1shard  RunReplay, 1 shard, default options (output to a counting null stream)
//   replay_2shard  RunReplay, 2 shards, default options
//   replay_1shard_nosnap / replay_2shard_nosnap
//                  RunReplay with snapshot_interval_ms huge: no periodic snapshot publishing
//                  (diagnostic: isolates the cost of the shards' periodic Publish()).
//
// Rounds are interleaved (every stage once per round, `--repeats` rounds) so that load from other
// processes hits every stage alike; each figure is the median over rounds, and each ratio is the
// median over rounds of (stage time / peer time in the same round), for wall and for CPU time
// (CPU time of the whole process, all threads: less disturbed by other processes on a shared
// machine). A stage whose result differs between rounds is flagged: replay output must not.
//
//   replay_throughput_bench [FILE.jsonl] [--repeats 3] [--reports N] [--stages a,b,...]
//
// Without FILE the benchmark mix (bench/report_mix.h, N reports, default 1,000,000) is generated
// in memory. The input is held in memory; no stage touches the disk.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <simdjson.h>

#include <spdlog/spdlog.h>
#include "bench/dom_peer.h"

#include "bench/report_mix.h"
#include "detector/json_lines_reader.h"
#include "detector/replay/replay.h"
#include "detector/sample_decoder.h"

namespace {

using canaryd::DecoderOptions;
using canaryd::ReplayOptions;
using canaryd::ReplaySummary;
using canaryd::SampleDecoder;

// An istream over memory without copying it.
class MemoryBuf : public std::streambuf {
 public:
  MemoryBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);  // only ever read
    setg(p, p, p + size);
  }
};

// Discards output but counts bytes and lines (decision lines + the summary line).
class CountingBuf : public std::streambuf {
 public:
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;

 protected:
  int overflow(int c) override {
    if (c != traits_type::eof()) {
      ++bytes;
      lines += c == '\n' ? 1 : 0;
    }
    return c == traits_type::eof() ? 0 : c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    bytes += static_cast<std::uint64_t>(n);
    lines += static_cast<std::uint64_t>(std::count(s, s + n, '\n'));
    return n;
  }
};

// Calls f(line) for every non-blank line of text (no '\n').
template <class F>
void ForEachLine(std::string_view text, F&& f) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const auto* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    if (line_end > p) f(p, static_cast<std::size_t>(line_end - p));
    p = line_end + 1;
  }
}

struct Measured {
  double wall_s = 0;
  double cpu_s = 0;
};

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <class F>
Measured Time(F&& f) {
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return Measured{std::chrono::duration<double>(t1 - t0).count(), CpuSeconds() - cpu0};
}

// How many CPUs this process really gets right now: two threads spin for a fixed amount of work;
// CPU time / wall time is 2.0 on two idle cores and 1.0 when other load leaves only one.
double ParallelismProbe() {
  const Measured m = Time([] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([] {
        volatile double x = 0;
        for (long i = 0; i < 100'000'000L; ++i) x = x + 1e-9;
      });
    }
    for (auto& thread : threads) thread.join();
  });
  return m.cpu_s / m.wall_s;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Stage {
  Stage(std::string n, std::function<std::string()> r) : name(std::move(n)), run(std::move(r)) {}
  std::string name;
  std::function<std::string()> run;  // returns a short result description (for sanity)
  std::vector<Measured> runs;
  std::vector<std::string> results;
};

std::string ReplayResult(int rc, const ReplaySummary& s, const CountingBuf& out) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "exit=%d accepted=%llu rejected=%llu dup=%llu after_decision=%llu releases=%llu "
      "rollback=%llu promote=%llu out_lines=%llu",
      rc, static_cast<unsigned long long>(s.accepted), static_cast<unsigned long long>(s.rejected),
      static_cast<unsigned long long>(s.duplicate_deliveries),
      static_cast<unsigned long long>(s.after_decision),
      static_cast<unsigned long long>(s.releases), static_cast<unsigned long long>(s.rolled_back),
      static_cast<unsigned long long>(s.promoted), static_cast<unsigned long long>(out.lines));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int repeats = 3;
  canaryd::bench::ReportMixOptions mix;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--reports" && i + 1 < argc) {
      mix.reports = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--stages" && i + 1 < argc) {
      only = "," + std::string(argv[++i]) + ",";
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: replay_throughput_bench [FILE.jsonl] [--repeats 3] [--reports N] "
          "[--stages a,b,...]\n");
      return 0;
    } else if (!arg.empty() && arg[0] != '-') {
      path = arg;
    } else {
      std::fprintf(stderr, "replay_throughput_bench: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  // Replay logs rejects (warn) and decisions (info); keep the bench output to the figures.
  spdlog::set_level(spdlog::level::off);

  // The input, padded so simdjson may read past any line's end in place.
  simdjson::padded_string text;
  std::string source;
  if (path.empty()) {
    canaryd::bench::ReportMixStats stats;
    std::string generated = canaryd::bench::GenerateReportMixText(mix, &stats);
    text = simdjson::padded_string(generated);
    source = "generated in memory: " + canaryd::bench::DescribeReportMix(mix, stats);
  } else {
    auto loaded = simdjson::padded_string::load(path);
    if (loaded.error()) {
      std::fprintf(stderr, "replay_throughput_bench: cannot read %s\n", path.c_str());
      return 2;
    }
    text = std::move(loaded).value_unsafe();
    source = path;
  }
  const std::string_view input(text.data(), text.size());
  std::uint64_t lines = 0;
  ForEachLine(input, [&](const char*, std::size_t) { ++lines; });
  std::printf("input: %s\n", source.c_str());
  std::printf("lines: %llu, bytes: %zu, repeats: %d (interleaved rounds, median)\n",
              static_cast<unsigned long long>(lines), input.size(), repeats);
  std::printf("parallelism probe (2 spinning threads, cpu/wall; 2.00 = two free cores): %.2f\n",
              ParallelismProbe());

  std::vector<Stage> stages;
  stages.emplace_back("dom_parse", [&] {
    simdjson::dom::parser parser;
    std::uint64_t sum = 0, errors = 0;
    ForEachLine(input, [&](const char* p, std::size_t n) {
      simdjson::dom::element root;
      if (parser.parse(p, n, /*realloc_if_needed=*/false).get(root)) {
        ++errors;
      } else {
        sum += canaryd::bench::TouchDom(root);
      }
    });
    return "errors=" + std::to_string(errors) + " checksum=" + std::to_string(sum);
  });
  // Into one reused Sample, as the Kafka consumer decodes.
  const auto decode_stage = [&](bool fast_path) {
    return [&input, fast_path] {
      DecoderOptions options;
      options.fast_path = fast_path;
      SampleDecoder decoder(options);
      canaryd::Sample sample;
      std::uint64_t ok = 0, rejected = 0, rows = 0;
      ForEachLine(input, [&](const char* p, std::size_t n) {
        if (decoder.DecodeInto(std::string_view(p, n), &sample)) {
          ++rejected;
        } else {
          ++ok;
          rows += sample.rows;
        }
      });
      return "accepted=" + std::to_string(ok) + " rejected=" + std::to_string(rejected) +
             " rows=" + std::to_string(rows);
    };
  };
  stages.emplace_back("decode", decode_stage(true));
  stages.emplace_back("decode_simdjson", decode_stage(false));
  stages.emplace_back("reader_decode", [&] {
    MemoryBuf buf(input.data(), input.size());
    std::istream in(&buf);
    canaryd::JsonLinesReader reader(in, DecoderOptions{}.max_document_bytes);
    SampleDecoder decoder;
    canaryd::JsonLine line;
    std::uint64_t ok = 0, rejected = 0;
    while (reader.Next(&line)) {
      if (!line.oversize && decoder.Decode(line.text).has_value()) {
        ++ok;
      } else {
        ++rejected;
      }
    }
    return "accepted=" + std::to_string(ok) + " rejected=" + std::to_string(rejected);
  });
  auto replay = [&](int shards, bool snapshots) {
    return [&input, shards, snapshots] {
      MemoryBuf buf(input.data(), input.size());
      std::istream in(&buf);
      CountingBuf out_buf;
      std::ostream out(&out_buf);
      ReplayOptions options;
      options.engine.shards = shards;
      if (!snapshots) options.engine.snapshot_interval_ms = std::int64_t{1} << 40;
      ReplaySummary summary;
      const int rc = canaryd::RunReplay(in, out, options, &summary);
      return ReplayResult(rc, summary, out_buf);
    };
  };
  stages.emplace_back("replay_1shard", replay(1, true));
  stages.emplace_back("replay_2shard", replay(2, true));
  stages.emplace_back("replay_1shard_nosnap", replay(1, false));
  stages.emplace_back("replay_2shard_nosnap", replay(2, false));

  if (!only.empty()) {
    std::erase_if(stages, [&](const Stage& s) {
      return s.name != "dom_parse" && only.find("," + s.name + ",") == std::string::npos;
    });
  }

  for (int round = 0; round < repeats; ++round) {
    for (Stage& stage : stages) {
      std::string result;
      stage.runs.push_back(Time([&] { result = stage.run(); }));
      stage.results.push_back(result);
      std::fprintf(stderr, "round %d %-22s wall %8.3f s cpu %8.3f s  %s\n", round + 1,
                   stage.name.c_str(), stage.runs.back().wall_s, stage.runs.back().cpu_s,
                   result.c_str());
    }
  }

  std::printf("parallelism probe after the rounds: %.2f\n", ParallelismProbe());
  const Stage& peer = stages.front();
  std::printf("\n%-22s %12s %12s %12s %14s %12s %12s %s\n", "stage", "wall_s(med)", "reports/s",
              "cpu_s(med)", "ns_cpu/report", "x_peer_wall", "x_peer_cpu", "result (round 1)");
  for (const Stage& stage : stages) {
    std::vector<double> wall, cpu, ratio, cpu_ratio;
    for (std::size_t r = 0; r < stage.runs.size(); ++r) {
      wall.push_back(stage.runs[r].wall_s);
      cpu.push_back(stage.runs[r].cpu_s);
      ratio.push_back(stage.runs[r].wall_s / peer.runs[r].wall_s);
      cpu_ratio.push_back(stage.runs[r].cpu_s / peer.runs[r].cpu_s);
    }
    const double w = Median(wall);
    const double c = Median(cpu);
    std::printf("%-22s %12.3f %12.0f %12.3f %14.0f %12.2f %12.2f %s\n", stage.name.c_str(), w,
                static_cast<double>(lines) / w, c, c * 1e9 / static_cast<double>(lines),
                Median(ratio), Median(cpu_ratio), stage.results.front().c_str());
    bool same = true;
    for (const std::string& r : stage.results) same = same && r == stage.results.front();
    if (!same) {
      std::printf("  NOTE: %s gave different results across rounds:\n", stage.name.c_str());
      for (std::size_t r = 0; r < stage.results.size(); ++r) {
        std::printf("    round %zu: %s\n", r + 1, stage.results[r].c_str());
      }
    }
  }
  return 0;
}
