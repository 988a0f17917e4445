// The daemon on Kafka, end to end (issue 5, "Numbers to record"). Three measurements, each next to
// its peer in the same run:
//
//   throughput  N reports of the benchmark mix (bench/report_mix.h) are produced first into a
//               4-partition topic on a `canaryd broker` started as a separate process (so the
//               mock broker's CPU is not in this process; it still shares the machine). Then, per
//               round, in alternating order: a bare librdkafka high-level consumer with canaryd's
//               fetch settings reads all N (the peer), and canaryd's Daemon (in process, its own
//               group) consumes all N until the engine has applied them. Rates are measured from
//               the first message read to the end; the figure is the median over rounds, the
//               ratio the median of per-round ratios.
//   latency     A producer paces baseline reports at a steady rate (default 50k/s) across many
//               datasets into a running Daemon and injects, at a steady rate, a canary load of a
//               new release whose schema fingerprint differs from the dataset's baseline (the
//               schema rule rolls it back on that load). A consumer of the signal topic records
//               when each release's signal arrives: latency = arrival - produce call. One
//               decision is made during the warm-up so that the window is the steady state
//               (--cold leaves it out: then the first second of signals shows the cold start).
//   memory      A child process (this binary again) runs a Daemon over D datasets x both arms,
//               each with an open canary release and a few loads per arm, and reads its own VmRSS
//               before the daemon starts (the peer), after Start, and after every report is
//               applied.
//
//   kafka_e2e_bench [--only throughput,latency,memory] [--reports 400000] [--rounds 3]
//                   [--compression zstd] [--checkpoint-ms 1000] [--rate 50000]
//                   [--lat-seconds 12] [--lat-datasets 2000] [--trigger-rate 20] [--cold]
//                   [--mem-datasets 5000] [--mem-loads 3] [--arms bare,canaryd]
//
// The mock broker keeps only ~5 MB per partition, so the throughput topic is produced compressed
// (zstd by default) and the run checks that every one of the N reports is still on the topic.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/report_mix.h"
#include "detector/daemon/daemon.h"
#include "detector/ingest/kafka_client.h"
#include "detector/timestamp.h"

extern char** environ;

namespace {

using canaryd::Daemon;
using canaryd::DaemonConfig;
namespace kafka = canaryd::kafka;

// ---------------------------------------------------------------------------------------------
// Small utilities.

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }
// CPU time of this process, every thread (librdkafka's, the daemon's, the bench's own): the cost
// of a measurement that contention from other processes does not inflate, unlike wall time.
std::int64_t ProcessCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Broker processes still running, killed by Die (std::exit runs no destructors of locals).
std::vector<pid_t>& LiveBrokers() {
  static std::vector<pid_t> pids;
  return pids;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "kafka_e2e_bench: %s\n", what.c_str());
  for (const pid_t pid : LiveBrokers()) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::exit(1);
}

// VmRSS of this process in bytes (0 if unreadable).
std::int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank.
  std::size_t rank = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

std::string CanarydBin() {
  const char* bin = std::getenv("CANARYD_BIN");
  return bin != nullptr ? bin : CANARYD_BIN_PATH;
}

// Spawns argv with stdout on a pipe (returned in *out_fd) and stderr to stderr_path.
pid_t Spawn(const std::vector<std::string>& argv, int* out_fd, const std::string& stderr_path) {
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    Die("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  *out_fd = fds[0];
  return pid;
}

// Reads one line from fd, waiting up to timeout_ms. Empty on timeout or EOF.
std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const std::int64_t deadline = NowNs() + std::int64_t{timeout_ms} * 1'000'000;
  while (NowNs() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int left_ms = static_cast<int>((deadline - NowNs()) / 1'000'000) + 1;
    if (poll(&p, 1, left_ms) <= 0) continue;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) break;
    if (c == '\n') return line;
    line.push_back(c);
  }
  return {};
}

// Reads everything until EOF.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// `canaryd broker` as a separate process.

class BrokerProcess {
 public:
  BrokerProcess(const std::vector<std::string>& topics, int partitions) {
    std::vector<std::string> argv = {CanarydBin(), "broker", "--partitions",
                                     std::to_string(partitions)};
    for (const std::string& t : topics) {
      argv.push_back("--topic");
      argv.push_back(t);
    }
    log_ = "/tmp/kafka_e2e_bench_broker_" + std::to_string(getpid()) + ".log";
    int fd = -1;
    pid_ = Spawn(argv, &fd, log_);
    LiveBrokers().push_back(pid_);
    bootstrap_ = ReadLine(fd, 15'000);
    close(fd);
    if (bootstrap_.empty()) {
      Stop();
      Die("`canaryd broker` printed no bootstrap address (log: " + log_ + ")");
    }
  }
  ~BrokerProcess() { Stop(); }
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  pid_t pid() const { return pid_; }

  void Stop() {
    if (pid_ <= 0) return;
    std::erase(LiveBrokers(), pid_);
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      SleepMs(20);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  std::string bootstrap_;
  std::string log_;
};

// ---------------------------------------------------------------------------------------------
// Kafka clients.

kafka::Handle MakeProducer(const std::string& bootstrap, const kafka::Properties& extra) {
  kafka::Properties props = {{"bootstrap.servers", bootstrap},
                             {"queue.buffering.max.messages", "1000000"},
                             {"queue.buffering.max.kbytes", "1048576"}};
  for (const auto& [k, v] : extra) props[k] = v;
  std::string error;
  kafka::Conf conf = kafka::MakeConf(props, &error);
  if (!conf) Die("producer config: " + error);
  kafka::Handle producer = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(conf), &error);
  if (!producer) Die("producer: " + error);
  return producer;
}

// Produces one message (copied), waiting while the local queue is full.
void Produce(rd_kafka_t* producer, const std::string& topic, std::string_view key,
             std::string_view value) {
  for (;;) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      Die(std::string("produce: ") + rd_kafka_err2str(err));
    }
    rd_kafka_poll(producer, 5);
  }
}

void FlushProducer(rd_kafka_t* producer) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer, 60'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) Die(std::string("flush: ") + rd_kafka_err2str(err));
}

// Total messages on a topic, checking nothing was dropped by the mock's retention.
std::int64_t CheckTopicHolds(rd_kafka_t* client, const std::string& topic, std::int64_t expected) {
  std::vector<kafka::PartitionRange> ranges;
  std::string error;
  if (!kafka::TopicRanges(client, topic, 10'000, &ranges, &error)) Die(error);
  std::int64_t total = 0;
  for (const kafka::PartitionRange& r : ranges) {
    if (r.low != 0) {
      Die("topic " + topic + " partition " + std::to_string(r.partition) +
          " lost its oldest messages to the mock broker's retention (low watermark " +
          std::to_string(r.low) + "): use fewer --reports or stronger --compression");
    }
    total += r.high - r.low;
  }
  if (total != expected) {
    Die("topic " + topic + " holds " + std::to_string(total) + " messages, expected " +
        std::to_string(expected));
  }
  return total;
}

// The consumer settings canaryd's ReportConsumer uses (detector/ingest/report_consumer.cc).
kafka::Properties ConsumerProps(const std::string& bootstrap, const std::string& group) {
  return {{"bootstrap.servers", bootstrap},
          {"group.id", group},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"auto.offset.reset", "earliest"},
          {"fetch.wait.max.ms", "10"},
          {"session.timeout.ms", "6000"},
          {"heartbeat.interval.ms", "500"},
          {"partition.assignment.strategy", "range,roundrobin"}};
}

std::string_view DatasetOf(std::string_view line) {
  constexpr std::string_view kField = "\"dataset\":\"";
  const std::size_t at = line.find(kField);
  if (at == std::string_view::npos) return {};
  const std::size_t begin = at + kField.size();
  const std::size_t end = line.find('"', begin);
  return end == std::string_view::npos ? std::string_view{} : line.substr(begin, end - begin);
}

// ---------------------------------------------------------------------------------------------
// Options.

struct Options {
  std::set<std::string> only = {"throughput", "latency", "memory"};
  std::set<std::string> arms = {"bare", "canaryd"};
  std::size_t reports = 400'000;
  int mix_datasets = 200;
  int rounds = 3;
  int partitions = 4;
  std::string compression = "zstd";
  std::int64_t checkpoint_ms = 1000;
  double rate = 50'000;
  double lat_seconds = 12;
  double warmup_seconds = 3;
  int lat_datasets = 2000;
  bool warm_signal = true;  // --cold: no decision during the warm-up
  double trigger_rate = 20;
  int mem_datasets = 5000;
  int mem_loads = 3;
  // Internal: the memory measurement's child process.
  bool memory_child = false;
  std::string child_brokers;
  std::string child_topic;
  std::int64_t child_expect = 0;
};

std::set<std::string> SplitCommas(const std::string& s) {
  std::set<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--only") {
      o.only = SplitCommas(value());
    } else if (a == "--arms") {
      o.arms = SplitCommas(value());
    } else if (a == "--reports") {
      o.reports = std::stoull(value());
    } else if (a == "--mix-datasets") {
      o.mix_datasets = std::stoi(value());
    } else if (a == "--rounds") {
      o.rounds = std::stoi(value());
    } else if (a == "--partitions") {
      o.partitions = std::stoi(value());
    } else if (a == "--compression") {
      o.compression = value();
    } else if (a == "--checkpoint-ms") {
      o.checkpoint_ms = std::stoll(value());
    } else if (a == "--rate") {
      o.rate = std::stod(value());
    } else if (a == "--lat-seconds") {
      o.lat_seconds = std::stod(value());
    } else if (a == "--warmup-seconds") {
      o.warmup_seconds = std::stod(value());
    } else if (a == "--lat-datasets") {
      o.lat_datasets = std::stoi(value());
    } else if (a == "--trigger-rate") {
      o.trigger_rate = std::stod(value());
    } else if (a == "--cold") {
      o.warm_signal = false;
    } else if (a == "--mem-datasets") {
      o.mem_datasets = std::stoi(value());
    } else if (a == "--mem-loads") {
      o.mem_loads = std::stoi(value());
    } else if (a == "--memory-child") {
      o.memory_child = true;
    } else if (a == "--child-brokers") {
      o.child_brokers = value();
    } else if (a == "--child-topic") {
      o.child_topic = value();
    } else if (a == "--child-expect") {
      o.child_expect = std::stoll(value());
    } else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: kafka_e2e_bench [--only throughput,latency,memory] [--reports N] [--rounds R]\n"
          "  [--compression zstd|lz4|none] [--checkpoint-ms MS] [--arms bare,canaryd]\n"
          "  [--rate R] [--lat-seconds S] [--warmup-seconds S] [--lat-datasets D]\n"
          "  [--trigger-rate R] [--cold] [--mem-datasets D] [--mem-loads L]\n");
      std::exit(0);
    } else {
      Die("unknown option " + a + " (see --help)");
    }
  }
  return o;
}

DaemonConfig BenchDaemonConfig(const std::string& bootstrap, const std::string& topic,
                               const std::string& group, std::int64_t checkpoint_ms) {
  DaemonConfig config;
  config.brokers = bootstrap;
  config.topics = {topic};
  config.group = group;
  config.checkpoint_interval_ms = checkpoint_ms;
  config.http_listen.clear();
  config.instance_id = "kafka-e2e-bench-" + group;
  return config;
}

// A Daemon running its poll loop on a thread.
class RunningDaemon {
 public:
  explicit RunningDaemon(DaemonConfig config) : daemon_(std::move(config), nullptr) {
    std::string error;
    if (!daemon_.Start(&error)) Die("daemon: " + error);
    thread_ = std::thread([this] { daemon_.Run(&stop_); });
  }
  ~RunningDaemon() { Stop(); }
  RunningDaemon(const RunningDaemon&) = delete;
  RunningDaemon& operator=(const RunningDaemon&) = delete;

  Daemon& daemon() { return daemon_; }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    thread_.join();
  }
  // Reports the engine has finished with (applied, deduplicated or dropped).
  std::uint64_t EngineDone() const {
    const canaryd::EngineStats e = daemon_.EngineCounters();
    return e.applied + e.duplicates + e.too_old + e.after_decision + e.future_ts;
  }
  bool WaitAssigned(int timeout_ms) {
    const std::int64_t deadline = NowNs() + std::int64_t{timeout_ms} * 1'000'000;
    while (NowNs() < deadline) {
      if (daemon_.ConsumerCounters().rebalances > 0) return true;
      SleepMs(10);
    }
    return false;
  }

 private:
  Daemon daemon_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// 1. Throughput.

struct BareResult {
  double seconds = 0;  // first message -> N-th message
  double rate = 0;
  double cpu_seconds = 0;  // process CPU over the same span
  std::uint64_t bytes = 0;
};

BareResult RunBareConsumer(const std::string& bootstrap, const std::string& topic,
                           const std::string& group, std::uint64_t n) {
  std::string error;
  kafka::Conf conf = kafka::MakeConf(ConsumerProps(bootstrap, group), &error);
  if (!conf) Die(error);
  kafka::Handle consumer = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(conf), &error);
  if (!consumer) Die(error);
  rd_kafka_poll_set_consumer(consumer.get());
  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_subscribe(consumer.get(), topics.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Die("bare consumer: subscribe failed");
  }
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::int64_t first_cpu_ns = 0;
  std::int64_t last_cpu_ns = 0;
  const std::int64_t deadline = NowNs() + 300'000'000'000LL;
  while (count < n && NowNs() < deadline) {
    kafka::Message m(rd_kafka_consumer_poll(consumer.get(), 50));
    if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (count == 0) {
      first_ns = NowNs();
      first_cpu_ns = ProcessCpuNs();
    }
    ++count;
    bytes += m->len + m->key_len;
    if (count == n) {
      last_ns = NowNs();
      last_cpu_ns = ProcessCpuNs();
    }
  }
  if (count < n) Die("bare consumer: read only " + std::to_string(count) + " messages");
  rd_kafka_consumer_close(consumer.get());
  BareResult r;
  r.seconds = Seconds(last_ns - first_ns);
  r.rate = static_cast<double>(n) / r.seconds;
  r.cpu_seconds = Seconds(last_cpu_ns - first_cpu_ns);
  r.bytes = bytes;
  return r;
}

struct CanarydResult {
  double seconds = 0;       // first message read -> all but the last partial batches applied
  double rate = 0;          // n / seconds
  double read_seconds = 0;  // first message -> N-th message read by the consumer loop
  double all_seconds = 0;   // first message -> every report applied (incl. the checkpoint wait)
  double cpu_seconds = 0;   // process CPU from the first message read to applied (`seconds`)
  std::uint64_t decisions = 0;
  std::uint64_t rejected = 0;
  std::uint64_t checkpoints = 0;
};

CanarydResult RunCanaryd(const std::string& bootstrap, const std::string& topic,
                         const std::string& group, std::uint64_t n, std::int64_t checkpoint_ms) {
  RunningDaemon d(BenchDaemonConfig(bootstrap, topic, group, checkpoint_ms));
  // Partial batches (< batch_size per shard) wait for the next checkpoint's Flush; the end of the
  // run is when only those remain.
  const canaryd::EngineOptions engine_defaults;
  const std::uint64_t slack =
      static_cast<std::uint64_t>(d.daemon().config().shards) * (engine_defaults.batch_size - 1);
  std::int64_t first_ns = 0;
  std::int64_t read_ns = 0;
  std::int64_t applied_ns = 0;
  std::int64_t all_ns = 0;
  std::int64_t first_cpu_ns = 0;
  std::int64_t applied_cpu_ns = 0;
  const std::int64_t deadline = NowNs() + 300'000'000'000LL;
  while (NowNs() < deadline) {
    // The lock-free counters: copying ConsumerStats every 2 ms contends with the consumer.
    const kafka::ConsumerProgress c = d.daemon().ConsumerProgress();
    const std::int64_t now = NowNs();
    if (first_ns == 0 && c.messages > 0) {
      first_ns = now;
      first_cpu_ns = ProcessCpuNs();
    }
    if (read_ns == 0 && c.messages >= n) read_ns = now;
    if (read_ns != 0) {
      const std::uint64_t done = d.EngineDone();
      if (applied_ns == 0 && done + slack >= c.accepted) {
        applied_ns = now;
        applied_cpu_ns = ProcessCpuNs();
      }
      if (done >= c.accepted) {
        all_ns = now;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(2000));
  }
  if (all_ns == 0) Die("canaryd: did not apply every report in time");
  CanarydResult r;
  r.seconds = Seconds(applied_ns - first_ns);
  r.rate = static_cast<double>(n) / r.seconds;
  r.read_seconds = Seconds(read_ns - first_ns);
  r.all_seconds = Seconds(all_ns - first_ns);
  r.cpu_seconds = Seconds(applied_cpu_ns - first_cpu_ns);
  const kafka::ConsumerStats c = d.daemon().ConsumerCounters();
  r.rejected = c.rejected;
  r.checkpoints = c.checkpoints;
  d.Stop();
  r.decisions = d.daemon().Decisions().size();
  return r;
}

struct ThroughputSummary {
  double bare_rate = 0;
  double canaryd_rate = 0;
  double ratio = 0;
  double bare_cpu_us = 0;  // process CPU per report
  double canaryd_cpu_us = 0;
  double canaryd_read_rate = 0;
  double canaryd_all_rate = 0;
  std::uint64_t bytes = 0;
};

ThroughputSummary RunThroughput(const Options& o) {
  std::printf("\n== throughput: %zu reports, %d partitions, compression %s, %d rounds ==\n",
              o.reports, o.partitions, o.compression.c_str(), o.rounds);
  const std::string topic = "bench.throughput";
  BrokerProcess broker({topic}, o.partitions);
  std::printf("broker pid %d at %s\n", static_cast<int>(broker.pid()), broker.bootstrap().c_str());

  canaryd::bench::ReportMixOptions mix;
  mix.reports = o.reports;
  mix.datasets = o.mix_datasets;
  canaryd::bench::ReportMixStats mix_stats;
  std::uint64_t mix_bytes = 0;
  {
    kafka::Handle producer = MakeProducer(
        broker.bootstrap(), {{"compression.type", o.compression},
                             {"linger.ms", "50"},
                             {"batch.size", "1000000"},
                             {"batch.num.messages", "100000"},
                             {"compression.level", o.compression == "zstd" ? "12" : "-1"}});
    const std::int64_t t0 = NowNs();
    mix_stats = canaryd::bench::GenerateReportMix(mix, [&](std::string_view line) {
      mix_bytes += line.size();
      Produce(producer.get(), topic, DatasetOf(line), line);
      rd_kafka_poll(producer.get(), 0);
    });
    FlushProducer(producer.get());
    CheckTopicHolds(producer.get(), topic, static_cast<std::int64_t>(o.reports));
    std::printf("produced %zu reports (%.1f MB, %.0f B/report) in %.1f s; all on the topic\n",
                o.reports, static_cast<double>(mix_bytes) / 1e6,
                static_cast<double>(mix_bytes) / static_cast<double>(o.reports),
                Seconds(NowNs() - t0));
  }
  std::printf("mix: %s\n", canaryd::bench::DescribeReportMix(mix, mix_stats).c_str());

  std::vector<double> bare_rates, canaryd_rates, ratios, read_rates, all_rates, bare_cpu,
      canaryd_cpu;
  for (int round = 0; round < o.rounds; ++round) {
    const bool bare_first = round % 2 == 0;
    BareResult bare;
    CanarydResult can;
    for (int step = 0; step < 2; ++step) {
      const bool do_bare = (step == 0) == bare_first;
      const std::string group = (do_bare ? "bench-bare-" : "bench-canaryd-") +
                                std::to_string(getpid()) + "-" + std::to_string(round);
      if (do_bare && o.arms.count("bare")) {
        bare = RunBareConsumer(broker.bootstrap(), topic, group, o.reports);
      } else if (!do_bare && o.arms.count("canaryd")) {
        can = RunCanaryd(broker.bootstrap(), topic, group, o.reports, o.checkpoint_ms);
      }
    }
    const double ratio = bare.rate > 0 ? can.rate / bare.rate : 0;
    const double reports = static_cast<double>(o.reports);
    const double bare_cpu_us = bare.cpu_seconds * 1e6 / reports;
    const double can_cpu_us = can.cpu_seconds * 1e6 / reports;
    std::printf(
        "round %d (%s first): bare %.0f/s (%.2f s, cpu %.2f us/report) | canaryd %.0f/s (%.2f s "
        "to applied, cpu %.2f us/report; read %.2f s; all applied incl. checkpoint wait %.2f s; "
        "%" PRIu64 " decisions, %" PRIu64 " rejected, %" PRIu64 " checkpoints) | ratio %.2f\n",
        round + 1, bare_first ? "bare" : "canaryd", bare.rate, bare.seconds, bare_cpu_us, can.rate,
        can.seconds, can_cpu_us, can.read_seconds, can.all_seconds, can.decisions, can.rejected,
        can.checkpoints, ratio);
    bare_cpu.push_back(bare_cpu_us);
    canaryd_cpu.push_back(can_cpu_us);
    std::fflush(stdout);
    bare_rates.push_back(bare.rate);
    canaryd_rates.push_back(can.rate);
    ratios.push_back(ratio);
    if (can.read_seconds > 0)
      read_rates.push_back(static_cast<double>(o.reports) / can.read_seconds);
    if (can.all_seconds > 0) all_rates.push_back(static_cast<double>(o.reports) / can.all_seconds);
  }
  ThroughputSummary s;
  s.bare_rate = Median(bare_rates);
  s.canaryd_rate = Median(canaryd_rates);
  s.ratio = Median(ratios);
  s.canaryd_read_rate = Median(read_rates);
  s.canaryd_all_rate = Median(all_rates);
  s.bare_cpu_us = Median(bare_cpu);
  s.canaryd_cpu_us = Median(canaryd_cpu);
  s.bytes = mix_bytes;
  std::printf(
      "throughput (median of %d): bare %.0f reports/s, canaryd %.0f reports/s, ratio %.2f "
      "(target >= 0.60: %s); canaryd read-only rate %.0f/s, incl. final checkpoint wait %.0f/s\n",
      o.rounds, s.bare_rate, s.canaryd_rate, s.ratio, s.ratio >= 0.6 ? "met" : "NOT met",
      s.canaryd_read_rate, s.canaryd_all_rate);
  std::printf(
      "process CPU per report (median): bare %.2f us, canaryd %.2f us (bare / canaryd = %.2f)\n",
      s.bare_cpu_us, s.canaryd_cpu_us, s.canaryd_cpu_us > 0 ? s.bare_cpu_us / s.canaryd_cpu_us : 0);
  return s;
}

// ---------------------------------------------------------------------------------------------
// 2. Decision latency at a steady rate.

struct LatencySummary {
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  double to_emit_p50 = 0, to_emit_p99 = 0, to_emit_max = 0;  // produce -> publisher's emitted_at
  double from_emit_p50 = 0, from_emit_p99 = 0;               // emitted_at -> signal read
  std::vector<double> sorted_ms;
  std::size_t triggers = 0, received = 0, rollbacks_schema = 0;
  double background_rate = 0;
  double window_s = 0;
  std::uint64_t lag_at_end = 0;
};

LatencySummary RunLatency(const Options& o) {
  std::printf(
      "\n== decision latency: %.0f baseline reports/s over %d datasets, %.0f schema-change "
      "releases/s, %.0f s (+%.0f s warm-up) ==\n",
      o.rate, o.lat_datasets, o.trigger_rate, o.lat_seconds, o.warmup_seconds);
  const std::string topic = "bench.latency";
  BrokerProcess broker({topic}, o.partitions);
  RunningDaemon d(BenchDaemonConfig(broker.bootstrap(), topic, "bench-latency", o.checkpoint_ms));
  if (!d.WaitAssigned(30'000)) Die("latency: daemon got no partitions");

  const auto max_triggers = static_cast<std::size_t>(o.trigger_rate * o.lat_seconds + 16);
  std::vector<std::atomic<std::int64_t>> produced_ns(max_triggers);
  std::vector<std::atomic<std::int64_t>> arrived_ns(max_triggers);
  // Wall clock (ms) of the produce call and of the publisher's emitted_at, to split the latency.
  std::vector<std::atomic<std::int64_t>> produced_wall_ms(max_triggers);
  std::vector<std::atomic<std::int64_t>> emitted_wall_ms(max_triggers);
  for (std::size_t i = 0; i < max_triggers; ++i) {
    produced_ns[i].store(0);
    arrived_ns[i].store(0);
    produced_wall_ms[i].store(0);
    emitted_wall_ms[i].store(0);
  }
  std::atomic<bool> stop_signals{false};
  std::atomic<std::uint64_t> signals_seen{0};
  std::atomic<std::uint64_t> schema_rollbacks{0};

  // The signal topic's reader.
  std::thread signal_reader([&] {
    kafka::Properties props = ConsumerProps(broker.bootstrap(), "bench-signal-reader");
    std::string error;
    kafka::Conf conf = kafka::MakeConf(props, &error);
    if (!conf) Die(error);
    kafka::Handle consumer = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(conf), &error);
    if (!consumer) Die(error);
    rd_kafka_poll_set_consumer(consumer.get());
    const DaemonConfig defaults;
    kafka::PartitionList assign(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(assign.get(), defaults.signal_topic.c_str(), 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer.get(), assign.get());
    while (!stop_signals.load()) {
      kafka::Message m(rd_kafka_consumer_poll(consumer.get(), 20));
      if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const std::int64_t now = NowNs();
      const std::string key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
      ++signals_seen;
      if (key.rfind("lat-", 0) != 0) continue;
      const std::size_t i = std::stoull(key.substr(4));
      const std::string_view body(static_cast<const char*>(m->payload), m->len);
      if (i < max_triggers && arrived_ns[i].load() == 0) {
        arrived_ns[i].store(now);
        constexpr std::string_view kEmitted = "\"emitted_at\":\"";
        const std::size_t at = body.find(kEmitted);
        if (at != std::string_view::npos) {
          const std::size_t b = at + kEmitted.size();
          const std::size_t e = body.find('"', b);
          if (e != std::string_view::npos) {
            emitted_wall_ms[i].store(canaryd::ParseTimestampMs(body.substr(b, e - b)).value_or(0));
          }
        }
      }
      if (body.find("\"rollback\"") != std::string_view::npos &&
          body.find("schema") != std::string_view::npos) {
        ++schema_rollbacks;
      }
    }
    rd_kafka_consumer_close(consumer.get());
  });

  // The producer: background baseline reports at o.rate, triggers at o.trigger_rate after the
  // warm-up.
  kafka::Handle producer =
      MakeProducer(broker.bootstrap(), {{"compression.type", "lz4"}, {"linger.ms", "5"}});
  const std::int64_t start_ts_ms = 1795428000000;  // 2026-11-23T10:00:00Z, report time
  std::vector<std::int64_t> next_load(static_cast<std::size_t>(o.lat_datasets), 0);
  std::uint64_t rng = 0x9E3779B97F4A7C15ULL;
  auto next_random = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  char line[512];
  char key[64];
  std::uint64_t background = 0;
  std::uint64_t background_in_window = 0;
  std::size_t triggers = 0;
  const std::int64_t t0 = NowNs();
  const std::int64_t warmup_end = t0 + static_cast<std::int64_t>(o.warmup_seconds * 1e9);
  const std::int64_t end = warmup_end + static_cast<std::int64_t>(o.lat_seconds * 1e9);
  std::int64_t window_start = 0;
  bool warm_sent = false;
  while (NowNs() < end) {
    const std::int64_t now = NowNs();
    const auto due = static_cast<std::uint64_t>(Seconds(now - t0) * o.rate);
    while (background < due) {
      const int ds = static_cast<int>(background % static_cast<std::uint64_t>(o.lat_datasets));
      const std::int64_t k = next_load[static_cast<std::size_t>(ds)]++;
      const std::uint64_t rows = 9000 + next_random() % 2000;
      const std::uint64_t n1 = rows / 100 + next_random() % 20;
      const std::uint64_t n2 = next_random() % 3;
      const std::uint64_t dups = rows / 1000 + next_random() % 4;
      const int len = std::snprintf(
          line, sizeof line,
          "{\"v\":1,\"dataset\":\"lat.ds%d\",\"arm\":\"baseline\",\"load_id\":\"L%" PRId64
          "\",\"ts\":%" PRId64 ",\"rows\":%" PRIu64
          ",\"freshness_s\":%.1f,\"nulls\":{\"email\":%" PRIu64 ",\"customer_id\":%" PRIu64
          "},\"duplicates\":%" PRIu64 ",\"schema\":\"sha256:base\"}",
          ds, k, start_ts_ms + k * 60'000, rows,
          200.0 + static_cast<double>(next_random() % 2000) / 10, n1, n2, dups);
      const int klen = std::snprintf(key, sizeof key, "lat.ds%d", ds);
      Produce(producer.get(), topic, std::string_view(key, static_cast<std::size_t>(klen)),
              std::string_view(line, static_cast<std::size_t>(len)));
      ++background;
      if (window_start != 0) ++background_in_window;
    }
    if (o.warm_signal && !warm_sent && now >= t0 + (warmup_end - t0) / 3) {
      // One decision during the warm-up, so the window measures the steady state: the first
      // signal after start waits for the signal topic's metadata (see RESULTS.md).
      warm_sent = true;
      const int len = std::snprintf(
          line, sizeof line,
          "{\"v\":1,\"dataset\":\"lat.ds0\",\"arm\":\"canary\",\"release\":\"warm-0\","
          "\"load_id\":\"W0\",\"ts\":%" PRId64 ",\"rows\":10000,\"schema\":\"sha256:v2\"}",
          start_ts_ms + next_load[0] * 60'000 - 30'000);
      Produce(producer.get(), topic, "lat.ds0",
              std::string_view(line, static_cast<std::size_t>(len)));
    }
    if (now >= warmup_end) {
      if (window_start == 0) window_start = now;
      const auto due_triggers =
          static_cast<std::size_t>(Seconds(now - warmup_end) * o.trigger_rate) + 1;
      while (triggers < due_triggers && triggers < max_triggers) {
        const std::size_t i = triggers++;
        // Spread over datasets that have a warm baseline (with its schema).
        const int ds = static_cast<int>((i * 7919) % static_cast<std::size_t>(o.lat_datasets));
        const std::int64_t k = next_load[static_cast<std::size_t>(ds)];
        const int len = std::snprintf(
            line, sizeof line,
            "{\"v\":1,\"dataset\":\"lat.ds%d\",\"arm\":\"canary\",\"release\":\"lat-%zu\","
            "\"load_id\":\"C%zu\",\"ts\":%" PRId64
            ",\"rows\":10000,\"freshness_s\":300.0,\"nulls\":{\"email\":100,\"customer_id\":1},"
            "\"duplicates\":10,\"schema\":\"sha256:v2\"}",
            ds, i, i, start_ts_ms + k * 60'000 - 30'000);
        const int klen = std::snprintf(key, sizeof key, "lat.ds%d", ds);
        produced_ns[i].store(NowNs());
        produced_wall_ms[i].store(WallMs());
        Produce(producer.get(), topic, std::string_view(key, static_cast<std::size_t>(klen)),
                std::string_view(line, static_cast<std::size_t>(len)));
      }
    }
    rd_kafka_poll(producer.get(), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const std::int64_t window_end = NowNs();
  FlushProducer(producer.get());
  // Wait for the last signals.
  const std::int64_t wait_end = NowNs() + 5'000'000'000LL;
  while (NowNs() < wait_end) {
    std::size_t got = 0;
    for (std::size_t i = 0; i < triggers; ++i) got += arrived_ns[i].load() != 0 ? 1 : 0;
    if (got == triggers) break;
    SleepMs(20);
  }
  const kafka::ConsumerStats c = d.daemon().ConsumerCounters();
  stop_signals.store(true);
  signal_reader.join();
  d.Stop();

  LatencySummary s;
  s.triggers = triggers;
  std::vector<double> lat_ms, to_emit, from_emit;
  for (std::size_t i = 0; i < triggers; ++i) {
    const std::int64_t a = arrived_ns[i].load();
    if (a == 0) continue;
    const double total = static_cast<double>(a - produced_ns[i].load()) / 1e6;
    lat_ms.push_back(total);
    if (emitted_wall_ms[i].load() != 0) {
      const auto e = static_cast<double>(emitted_wall_ms[i].load() - produced_wall_ms[i].load());
      to_emit.push_back(e);
      from_emit.push_back(total - e);
    }
  }
  s.to_emit_p50 = Quantile(to_emit, 0.5);
  s.to_emit_p99 = Quantile(to_emit, 0.99);
  s.to_emit_max = to_emit.empty() ? 0 : *std::max_element(to_emit.begin(), to_emit.end());
  s.from_emit_p50 = Quantile(from_emit, 0.5);
  s.from_emit_p99 = Quantile(from_emit, 0.99);
  s.sorted_ms = lat_ms;
  std::sort(s.sorted_ms.begin(), s.sorted_ms.end());
  s.received = lat_ms.size();
  s.rollbacks_schema = schema_rollbacks.load();
  s.window_s = Seconds(window_end - window_start);
  s.background_rate = static_cast<double>(background_in_window) / s.window_s;
  s.lag_at_end = background + triggers > c.messages ? background + triggers - c.messages : 0;
  if (!lat_ms.empty()) {
    s.p50_ms = Quantile(lat_ms, 0.5);
    s.p99_ms = Quantile(lat_ms, 0.99);
    s.max_ms = *std::max_element(lat_ms.begin(), lat_ms.end());
    double sum = 0;
    for (double v : lat_ms) sum += v;
    s.mean_ms = sum / static_cast<double>(lat_ms.size());
  }
  std::printf("background: %" PRIu64
              " reports, %.0f/s achieved over the %.1f s window; consumer read %" PRIu64
              " messages (%" PRIu64 " short at the end of the wait)\n",
              background, s.background_rate, s.window_s, c.messages, s.lag_at_end);
  std::printf(
      "latency (report produced -> signal read): %zu/%zu releases signalled (%zu schema "
      "rollbacks); p50 %.1f ms, p99 %.1f ms, max %.1f ms, mean %.1f ms (target p99 <= 100 ms: "
      "%s)\n",
      s.received, s.triggers, s.rollbacks_schema, s.p50_ms, s.p99_ms, s.max_ms, s.mean_ms,
      s.received == s.triggers && s.p99_ms <= 100 ? "met" : "NOT met");
  std::printf(
      "split (wall clock, ms resolution): produce -> decision emitted p50 %.0f ms, p99 %.0f ms, "
      "max %.0f ms; emitted -> signal read p50 %.0f ms, p99 %.0f ms\n",
      s.to_emit_p50, s.to_emit_p99, s.to_emit_max, s.from_emit_p50, s.from_emit_p99);
  std::size_t over100 = 0;
  for (double v : s.sorted_ms) over100 += v > 100 ? 1 : 0;
  std::printf("releases over 100 ms: %zu of %zu (by trigger index:", over100, s.sorted_ms.size());
  for (std::size_t i = 0; i < triggers; ++i) {
    const std::int64_t a = arrived_ns[i].load();
    if (a != 0 && a - produced_ns[i].load() > 100'000'000) std::printf(" %zu", i);
  }
  std::printf("); slowest 10:");
  for (std::size_t i = s.sorted_ms.size() > 10 ? s.sorted_ms.size() - 10 : 0;
       i < s.sorted_ms.size(); ++i) {
    std::printf(" %.0f", s.sorted_ms[i]);
  }
  std::printf("\n");
  return s;
}

// ---------------------------------------------------------------------------------------------
// 3. Resident memory at 2 x D active (dataset, arm) series.

struct MemorySummary {
  std::int64_t rss_before = 0, rss_started = 0, rss_ingested = 0;
  std::int64_t series = 0;
  std::int64_t open_releases = 0;
  std::int64_t reports = 0;
};

// In the child: run the daemon, print one line "rss_before rss_started rss_ingested open".
int MemoryChild(const Options& o) {
  spdlog::set_level(spdlog::level::err);
  const std::int64_t before = RssBytes();
  RunningDaemon d(BenchDaemonConfig(o.child_brokers, o.child_topic, "bench-memory", 1000));
  if (!d.WaitAssigned(30'000)) Die("memory: daemon got no partitions");
  SleepMs(1500);  // a checkpoint on the empty topic
  const std::int64_t started = RssBytes();
  // The parent produces the reports only now, so "started" is the daemon with no data.
  std::printf("ready\n");
  std::fflush(stdout);
  const std::int64_t deadline = NowNs() + 120'000'000'000LL;
  while (NowNs() < deadline) {
    const kafka::ConsumerStats c = d.daemon().ConsumerCounters();
    if (c.messages >= static_cast<std::uint64_t>(o.child_expect) && d.EngineDone() >= c.accepted) {
      break;
    }
    SleepMs(20);
  }
  SleepMs(1500);  // a checkpoint and a snapshot after the last report
  const std::int64_t ingested = RssBytes();
  std::int64_t open = 0;
  for (const canaryd::ReleaseDatasetView& v : d.daemon().Releases()) {
    open += v.decision == canaryd::Decision::kContinue ? 1 : 0;
  }
  const kafka::ConsumerStats c = d.daemon().ConsumerCounters();
  std::printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 "\n", before, started,
              ingested, open, c.messages);
  std::fflush(stdout);
  d.Stop();
  return 0;
}

MemorySummary RunMemory(const Options& o) {
  std::printf(
      "\n== memory: %d datasets x 2 arms, an open canary release each, %d loads per arm ==\n",
      o.mem_datasets, o.mem_loads);
  const std::string topic = "bench.memory";
  BrokerProcess broker({topic}, o.partitions);
  const std::int64_t expected = 2LL * o.mem_datasets * o.mem_loads;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) Die("cannot find /proc/self/exe");
  self[n] = '\0';
  int fd = -1;
  const pid_t child =
      Spawn({self, "--memory-child", "--child-brokers", broker.bootstrap(), "--child-topic", topic,
             "--child-expect", std::to_string(expected)},
            &fd, "/tmp/kafka_e2e_bench_memory_child_" + std::to_string(getpid()) + ".log");
  if (ReadLine(fd, 60'000) != "ready") Die("memory child did not start");
  const std::int64_t start_ts_ms = 1795428000000;
  std::int64_t produced = 0;
  {
    kafka::Handle producer =
        MakeProducer(broker.bootstrap(), {{"compression.type", "lz4"}, {"linger.ms", "20"}});
    char line[512];
    std::uint64_t rng = 12345;
    auto next_random = [&rng] {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return rng;
    };
    for (int load = 0; load < o.mem_loads; ++load) {
      for (int ds = 0; ds < o.mem_datasets; ++ds) {
        for (int arm = 0; arm < 2; ++arm) {
          const std::uint64_t rows = 9000 + next_random() % 2000;
          const std::string dataset = "mem.ds" + std::to_string(ds);
          const std::int64_t ts = start_ts_ms + load * 3'600'000LL + arm * 4000;
          const int len = std::snprintf(
              line, sizeof line,
              "{\"v\":1,\"dataset\":\"%s\",\"arm\":\"%s\",%s\"load_id\":\"%s%d\",\"ts\":%" PRId64
              ",\"rows\":%" PRIu64 ",\"freshness_s\":%.1f,\"nulls\":{\"email\":%" PRIu64
              ",\"customer_id\":%" PRIu64 ",\"address\":%" PRIu64 "},\"duplicates\":%" PRIu64
              ",\"schema\":\"sha256:base\"}",
              dataset.c_str(), arm == 0 ? "baseline" : "canary",
              arm == 0 ? "" : ("\"release\":\"mem-rel-" + std::to_string(ds) + "\",").c_str(),
              arm == 0 ? "b" : "c", load, ts, rows,
              200.0 + static_cast<double>(next_random() % 2000) / 10,
              rows / 100 + next_random() % 20, next_random() % 3, rows / 50 + next_random() % 30,
              rows / 1000 + next_random() % 4);
          Produce(producer.get(), topic, dataset,
                  std::string_view(line, static_cast<std::size_t>(len)));
          ++produced;
          rd_kafka_poll(producer.get(), 0);
        }
      }
    }
    FlushProducer(producer.get());
    CheckTopicHolds(producer.get(), topic, produced);
  }
  const std::string out = ReadAll(fd);
  close(fd);
  int status = 0;
  waitpid(child, &status, 0);
  MemorySummary s;
  std::uint64_t messages = 0;
  if (std::sscanf(out.c_str(), "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNu64,
                  &s.rss_before, &s.rss_started, &s.rss_ingested, &s.open_releases,
                  &messages) != 5) {
    Die("memory child failed: '" + out + "'");
  }
  s.series = 2LL * o.mem_datasets;
  s.reports = produced;
  const double mb = 1024.0 * 1024.0;
  std::printf("%" PRId64 " reports read, %" PRId64
              " open releases; VmRSS: before daemon %.1f MiB, after "
              "Start %.1f MiB, after ingest %.1f MiB\n",
              static_cast<std::int64_t>(messages), s.open_releases,
              static_cast<double>(s.rss_before) / mb, static_cast<double>(s.rss_started) / mb,
              static_cast<double>(s.rss_ingested) / mb);
  std::printf("memory at %" PRId64
              " (dataset, arm) series: +%.1f MiB over the started daemon = %.0f B "
              "per series; +%.1f MiB over the process before the daemon\n",
              s.series, static_cast<double>(s.rss_ingested - s.rss_started) / mb,
              static_cast<double>(s.rss_ingested - s.rss_started) / static_cast<double>(s.series),
              static_cast<double>(s.rss_ingested - s.rss_before) / mb);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (o.memory_child) return MemoryChild(o);
  spdlog::set_level(spdlog::level::err);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  char when[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  std::printf("kafka_e2e_bench %s, %u cores, canaryd %s\n", when,
              std::thread::hardware_concurrency(), CanarydBin().c_str());
  const std::int64_t t0 = NowNs();
  if (o.only.count("throughput")) RunThroughput(o);
  if (o.only.count("latency")) RunLatency(o);
  if (o.only.count("memory")) RunMemory(o);
  std::printf("\ntotal %.0f s\n", Seconds(NowNs() - t0));
  return 0;
}
