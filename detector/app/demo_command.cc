// `canaryd demo`.
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "detector/app/commands.h"
#include "detector/app/logging.h"
#include "detector/daemon/demo.h"
#include "detector/replay/replay.h"

namespace po = boost::program_options;

namespace canaryd::app {

int DemoCommand(const std::vector<std::string>& args) {
  po::options_description opts("options");
  DemoOptions options;
  std::string log_level = "warn";
  opts.add_options()("help,h", "show this help")(
      "pace-ms", po::value<int>(&options.pace_ms)->default_value(options.pace_ms),
      "wall milliseconds per simulated minute")(
      "seed", po::value<std::uint64_t>(&options.seed)->default_value(options.seed),
      "simulation seed")("log-level", po::value<std::string>(&log_level)->default_value("warn"),
                         "trace, debug, info, warn, error, off");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "canaryd demo: %s (see canaryd demo --help)\n", e.what());
    return kExitBadInput;
  }
  if (vm.count("help")) {
    std::cout << "usage: canaryd demo [options]\n\nStarts the embedded Kafka broker and the "
                 "daemon, produces a healthy and a regressing canary release through a real "
                 "Kafka producer, shows live progress and ends with the decisions and the signal "
                 "messages. Exit 0 when the healthy release is promoted and the bad one rolled "
                 "back.\n\n"
              << opts << '\n';
    return kExitOk;
  }
  if (options.pace_ms < 1 || options.pace_ms > 10'000) {
    std::fprintf(stderr, "canaryd demo: --pace-ms must be between 1 and 10000\n");
    return kExitBadInput;
  }
  if (!SetUpLogging(log_level)) {
    std::fprintf(stderr, "canaryd demo: unknown --log-level '%s'\n", log_level.c_str());
    return kExitBadInput;
  }
  return RunDemo(options, std::cout);
}

}  // namespace canaryd::app
