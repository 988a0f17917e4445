// gen_reports: writes the deterministic benchmark mix of v1 load reports (bench/report_mix.h) as
// JSON Lines.
//
//   gen_reports [--reports N] [--datasets D] [--seed S] [--malformed P] [--duplicates P] [OUT|-]
//
// Same arguments, same bytes, on any machine. A description of the mix goes to stderr.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "bench/report_mix.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: gen_reports [--reports N] [--datasets D] [--seed S] [--malformed P]\n"
               "                   [--duplicates P] [--releases MIN:MAX] [--manifest M.jsonl]\n"
               "                   [OUT.jsonl|-]\n"
               "Writes N (default 1000000) v1 load reports as JSON Lines to OUT (default\n"
               "stdout). --manifest writes one JSON line per release: release, dataset, kind\n"
               "(\"aa\" = no regression, else the regression injected), mode.\n");
}

}  // namespace

int main(int argc, char** argv) {
  canaryd::bench::ReportMixOptions options;
  std::string out_path = "-";
  std::string manifest_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else if (arg == "--reports" && has_value) {
      options.reports = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--datasets" && has_value) {
      options.datasets = std::atoi(argv[++i]);
    } else if (arg == "--seed" && has_value) {
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--malformed" && has_value) {
      options.malformed_share = std::strtod(argv[++i], nullptr);
    } else if (arg == "--duplicates" && has_value) {
      options.duplicate_share = std::strtod(argv[++i], nullptr);
    } else if (arg == "--manifest" && has_value) {
      manifest_path = argv[++i];
    } else if (arg == "--releases" && has_value) {
      const std::string_view v = argv[++i];
      const auto colon = v.find(':');
      options.min_releases = std::atoi(std::string(v.substr(0, colon)).c_str());
      options.max_releases = colon == std::string_view::npos
                                 ? options.min_releases
                                 : std::atoi(std::string(v.substr(colon + 1)).c_str());
    } else if (!arg.empty() && arg[0] != '-') {
      out_path = arg;
    } else if (arg == "-") {
      out_path = "-";
    } else {
      Usage();
      return 2;
    }
  }
  if (options.reports == 0 || options.datasets < 1 || options.min_releases < 1 ||
      options.max_releases < options.min_releases) {
    Usage();
    return 2;
  }

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "gen_reports: cannot write %s: %s\n", out_path.c_str(),
                   std::strerror(errno));
      return 2;
    }
    out = &file;
  }
  std::ios::sync_with_stdio(false);
  std::string buffer;
  buffer.reserve(1 << 20);
  const auto stats = canaryd::bench::GenerateReportMix(options, [&](std::string_view line) {
    buffer.append(line);
    buffer.push_back('\n');
    if (buffer.size() >= (1 << 20) - 4096) {
      out->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  });
  out->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  out->flush();
  if (!*out) {
    std::fprintf(stderr, "gen_reports: write failed\n");
    return 1;
  }
  if (!manifest_path.empty()) {
    std::ofstream manifest(manifest_path, std::ios::trunc);
    for (const auto& r : stats.release_list) {
      // Names come from the generator's own alphabet: no JSON escaping needed.
      manifest << "{\"release\":\"" << r.release << "\",\"dataset\":\"" << r.dataset
               << "\",\"kind\":\"" << r.kind << "\",\"mode\":\"" << (r.shadow ? "shadow" : "split")
               << "\",\"canary_share\":" << r.canary_share
               << ",\"regression_after_canary_loads\":" << r.regression_after_canary_loads << "}\n";
    }
    if (!manifest) {
      std::fprintf(stderr, "gen_reports: cannot write %s\n", manifest_path.c_str());
      return 2;
    }
  }
  std::fprintf(stderr, "gen_reports: %s\n",
               canaryd::bench::DescribeReportMix(options, stats).c_str());
  return stats.lines == options.reports ? 0 : 1;
}
