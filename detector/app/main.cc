// canaryd: catches bad data-pipeline releases by comparing a canary against its baseline.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include "detector/app/commands.h"
#include "detector/app/logging.h"
#include "detector/http/gate_command.h"
#include "detector/replay/replay.h"
#include "rules/check_rules_command.h"

namespace po = boost::program_options;
using namespace canaryd;

namespace {

constexpr const char* kUsage = R"(canaryd - roll back bad data-pipeline releases within minutes

usage: canaryd <command> [options]

commands:
  demo              see it work: embedded Kafka, a healthy and a bad release, the decisions
  run               the daemon: consume reports from Kafka, publish decisions (--config FILE)
  replay FILE|-     judge a JSON Lines file of load reports offline (deterministic)
  check-rules FILE  validate a rules file; print what each dataset will be checked for
  gate --release R  wait for a running daemon's decision: exit 0 promote, 3 rollback, 4 timeout
  broker            run only the embedded Kafka broker (for trying and testing)
  version           print the version

Run 'canaryd <command> --help' for the options of a command.
)";

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "replay") return app::ReplayCommand(args);
    if (command == "run") return app::RunCommand(args);
    if (command == "demo") return app::DemoCommand(args);
    if (command == "broker") return app::BrokerCommand(args);
    if (command == "gate") return RunGate(args, std::cout, std::cerr);
    if (command == "check-rules") return RunCheckRules(args, std::cout, std::cerr);
    if (command == "version" || command == "--version") {
      std::printf("canaryd %s\n", CANARYD_VERSION);
      return kExitOk;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    std::fprintf(stderr, "canaryd: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "canaryd: internal error: %s\n", e.what());
    return kExitInternal;
  }
}
