// `canaryd replay`.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>

#include "detector/app/commands.h"
#include "detector/app/logging.h"
#include "detector/replay/replay.h"
#include "rules/rules_judge_source.h"

namespace po = boost::program_options;

namespace canaryd::app {
namespace {

constexpr const char* kReplayHelp = R"(usage: canaryd replay [options] FILE|-

Reads load reports (the v1 sample contract, one JSON object per line; '-' reads standard input),
judges every canary release against its baseline with the rules file given by --rules (see
rules/README.md) or else the built-in defaults (null rate of every column, duplicate rate, row
count and freshness of every dataset, alpha = 0.01 per release),
and prints one JSON line per decision (rollback or promote) with its evidence, then a summary line.

Exit status: 0 no release rolled back; 3 some release rolled back; 2 bad input (unreadable file,
bad options); 1 internal error. Rejected lines do not stop the replay: they are logged (line,
offset, reason) and counted in the summary.

options:
)";

}  // namespace

int ReplayCommand(const std::vector<std::string>& args) {
  po::options_description opts;
  std::string log_level = "warn";
  int shards = 2;
  opts.add_options()("help,h", "show this help")(
      "shards", po::value<int>(&shards)->default_value(2), "engine shards (writer threads)")(
      "log-level", po::value<std::string>(&log_level)->default_value("warn"),
      "trace, debug, info, warn, error, off")("rules", po::value<std::string>(),
                                              "rules file (YAML; default: the built-in rules)")(
      "no-progress", "never show progress (shown on stderr when it is a terminal)");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::string>());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "canaryd replay: %s (see canaryd replay --help)\n", e.what());
    return kExitBadInput;
  }
  if (vm.count("help")) {
    std::cout << kReplayHelp << opts << '\n';
    return kExitOk;
  }
  if (!SetUpLogging(log_level)) {
    std::fprintf(stderr, "canaryd replay: unknown --log-level '%s'\n", log_level.c_str());
    return kExitBadInput;
  }
  std::shared_ptr<const RulesJudgeSource> rules;
  if (vm.count("rules")) {
    std::vector<std::string> errors;
    rules = LoadRulesSource(vm["rules"].as<std::string>(), &errors);
    if (!rules) {
      for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      std::fprintf(stderr,
                   "canaryd replay: the rules file has errors (canaryd check-rules FILE)\n");
      return kExitBadInput;
    }
  }
  if (!vm.count("file")) {
    std::fprintf(stderr, "canaryd replay: missing FILE (use - for standard input)\n");
    return kExitBadInput;
  }
  if (shards < 1 || shards > 64) {
    std::fprintf(stderr, "canaryd replay: --shards must be between 1 and 64\n");
    return kExitBadInput;
  }
  ReplayOptions options;
  options.engine.shards = shards;
  options.engine.rules = rules;
  options.progress = !vm.count("no-progress") && isatty(STDERR_FILENO) == 1;

  const std::string path = vm["file"].as<std::string>();
  if (path == "-") return RunReplay(std::cin, std::cout, options);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "canaryd replay: cannot open '%s': %s\n", path.c_str(),
                 std::strerror(errno));
    return kExitBadInput;
  }
  return RunReplay(file, std::cout, options);
}

}  // namespace canaryd::app
