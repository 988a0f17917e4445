// `canaryd run` and `canaryd broker`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include "detector/app/commands.h"
#include "detector/app/logging.h"
#include "detector/daemon/daemon.h"
#include "detector/ingest/embedded_broker.h"
#include "detector/replay/replay.h"

namespace po = boost::program_options;

namespace canaryd::app {
namespace {

constexpr const char* kRunHelp = R"(usage: canaryd run [--config canaryd.yaml] [options]

The daemon: consumes load reports from Kafka in a consumer group, judges every canary release
against its baseline while it runs, prints one JSON line per decision on standard output, and
publishes each decision once on the signal topic. With no brokers configured it starts an
embedded Kafka broker on 127.0.0.1 and logs its address (for trying canaryd, not production).
SIGTERM or SIGINT: drain, commit, print a summary line and exit 0. SIGHUP: reload the rules
file (new releases use it, running ones keep theirs; a bad file is logged and ignored). Exit 2 on
a bad config or rules file.
See examples/canaryd.yaml for every configuration key.

options:
)";

constexpr const char* kBrokerHelp = R"(usage: canaryd broker [options]

Runs only the embedded Kafka-protocol broker (librdkafka's mock cluster) on 127.0.0.1 and prints
its bootstrap address on standard output, until SIGTERM or SIGINT. Several `canaryd run`
instances can then share it as one consumer group. Keeps only recent messages; not for
production.

options:
)";

bool ParseArgs(const std::vector<std::string>& args, const po::options_description& opts,
               const char* command, po::variables_map* vm) {
  try {
    po::store(po::command_line_parser(args).options(opts).run(), *vm);
    po::notify(*vm);
    return true;
  } catch (const po::error& e) {
    std::fprintf(stderr, "canaryd %s: %s (see canaryd %s --help)\n", command, e.what(), command);
    return false;
  }
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  po::options_description opts;
  std::string config_path;
  std::string log_level = "info";
  opts.add_options()("help,h", "show this help")("config,c", po::value<std::string>(&config_path),
                                                 "configuration file (YAML)")(
      "brokers", po::value<std::string>(), "override kafka.brokers")(
      "group", po::value<std::string>(), "override kafka.group")(
      "instance-id", po::value<std::string>(), "override engine.instance_id")(
      "log-level", po::value<std::string>(&log_level)->default_value("info"),
      "trace, debug, info, warn, error, off");
  po::variables_map vm;
  if (!ParseArgs(args, opts, "run", &vm)) return kExitBadInput;
  if (vm.count("help")) {
    std::cout << kRunHelp << opts << '\n';
    return kExitOk;
  }
  if (!SetUpLogging(log_level)) {
    std::fprintf(stderr, "canaryd run: unknown --log-level '%s'\n", log_level.c_str());
    return kExitBadInput;
  }
  DaemonConfig config;
  if (!config_path.empty()) {
    std::vector<ConfigError> errors;
    if (!LoadDaemonConfig(config_path, &config, &errors)) {
      for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
      return kExitBadInput;
    }
  }
  if (vm.count("brokers")) config.brokers = vm["brokers"].as<std::string>();
  if (vm.count("group")) config.group = vm["group"].as<std::string>();
  if (vm.count("instance-id")) config.instance_id = vm["instance-id"].as<std::string>();

  const std::atomic<bool>* stop = InstallStopSignals();
  Daemon daemon(config, &std::cout);
  std::string error;
  if (!daemon.Start(&error)) {
    std::fprintf(stderr, "canaryd run: %s\n", error.c_str());
    return kExitBadInput;
  }
  // SIGHUP: reload the rules file; a bad file is logged and the old rules stay.
  const std::atomic<unsigned>* reloads = InstallReloadSignal();
  std::thread reloader([&] {
    unsigned seen = reloads->load();
    while (!stop->load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (reloads->load() == seen) continue;
      seen = reloads->load();
      std::string reload_error;
      if (daemon.ReloadRules(&reload_error)) {
        spdlog::warn(
            "event=rules_reloaded file={} note=\"new releases use them; running ones "
            "keep theirs\"",
            config.rules_file);
      } else {
        spdlog::error("event=rules_reload_failed error=\"{}\"", reload_error);
      }
    }
  });
  daemon.Run(stop);
  reloader.join();
  std::cout << daemon.Summary().dump() << '\n';
  std::cout.flush();
  return kExitOk;
}

int BrokerCommand(const std::vector<std::string>& args) {
  po::options_description opts;
  int partitions = 4;
  std::vector<std::string> topics;
  opts.add_options()("help,h", "show this help")(
      "partitions", po::value<int>(&partitions)->default_value(4), "partitions per report topic")(
      "topic", po::value<std::vector<std::string>>(&topics),
      "report topic to create (repeatable; default canaryd.reports)");
  po::variables_map vm;
  if (!ParseArgs(args, opts, "broker", &vm)) return kExitBadInput;
  if (vm.count("help")) {
    std::cout << kBrokerHelp << opts << '\n';
    return kExitOk;
  }
  if (partitions < 1 || partitions > 256) {
    std::fprintf(stderr, "canaryd broker: --partitions must be between 1 and 256\n");
    return kExitBadInput;
  }
  SetUpLogging("info");
  if (topics.empty()) topics.push_back("canaryd.reports");
  kafka::EmbeddedBrokerOptions options;
  for (const std::string& t : topics) options.topics.push_back({t, partitions});
  const DaemonConfig defaults;
  options.topics.push_back({defaults.signal_topic, 1});
  options.topics.push_back({defaults.dead_letter_topic, 1});
  const std::atomic<bool>* stop = InstallStopSignals();
  kafka::EmbeddedBroker broker;
  std::string error;
  if (!broker.Start(options, &error)) {
    std::fprintf(stderr, "canaryd broker: %s\n", error.c_str());
    return kExitInternal;
  }
  std::cout << broker.bootstrap_servers() << std::endl;
  while (!stop->load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return kExitOk;
}

}  // namespace canaryd::app
