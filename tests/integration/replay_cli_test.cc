// Runs the real canaryd binary on files and checks what a user sees: output lines, exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err_path;  // the run's standard error
};

// CANARYD_BIN in the environment overrides the binary built beside the tests.
std::string Bin() {
  const char* bin = std::getenv("CANARYD_BIN");
  return bin != nullptr ? bin : CANARYD_BIN_PATH;
}

std::string SourceDir() { return CANARYD_SOURCE_DIR; }

// Runs a shell command with a time limit, capturing stdout; stderr goes to a file for failures.
RunResult RunCanaryd(const std::string& args, const std::string& stdin_file = "/dev/null") {
  static int runs = 0;
  RunResult r;
  r.err_path = ::testing::TempDir() + "canaryd_stderr_" + std::to_string(getpid()) + "_" +
               std::to_string(++runs);
  const std::string cmd =
      "timeout 60 " + Bin() + " " + args + " <" + stdin_file + " 2>" + r.err_path;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << content;
  return path;
}

TEST(ReplayCli, ShippedExampleRollsBackTheBadReleaseAndPromotesTheGoodOne) {
  const RunResult r = RunCanaryd("replay " + SourceDir() + "/examples/orders_two_releases.jsonl");
  ASSERT_EQ(r.exit_code, 3) << r.out;
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;

  const auto& rollback = lines[0];
  EXPECT_EQ(rollback["release"], "customers-dbt-2026.11.23.2");
  EXPECT_EQ(rollback["dataset"], "analytics.customers");
  EXPECT_EQ(rollback["decision"], "rollback");
  EXPECT_EQ(rollback["check"], "null_rate(email)");
  EXPECT_EQ(rollback["verdict"], "FAIL");
  EXPECT_GE(rollback["evidence"]["log_e_value"].get<double>(),
            rollback["evidence"]["log_threshold"].get<double>());
  EXPECT_GT(rollback["evidence"]["canary_estimate"].get<double>(),
            rollback["evidence"]["baseline_estimate"].get<double>());
  EXPECT_NE(rollback["reason"].get<std::string>().find("rollback"), std::string::npos);

  const auto& promote = lines[1];
  EXPECT_EQ(promote["release"], "orders-dbt-2026.11.23.1");
  EXPECT_EQ(promote["decision"], "promote");

  const auto& summary = lines[2]["summary"];
  EXPECT_EQ(summary["reports_read"], 240);
  EXPECT_EQ(summary["accepted"], 240);
  EXPECT_EQ(summary["releases"], 2);
  EXPECT_EQ(summary["decisions"]["rollback"], 1);
  EXPECT_EQ(summary["decisions"]["promote"], 1);
  EXPECT_EQ(summary["rolled_back"][0], "customers-dbt-2026.11.23.2");
}

TEST(ReplayCli, OutputIsIdenticalAcrossShardCounts) {
  const std::string file = SourceDir() + "/examples/orders_two_releases.jsonl";
  const RunResult one = RunCanaryd("replay --shards 1 " + file);
  const RunResult four = RunCanaryd("replay --shards 4 " + file);
  EXPECT_EQ(one.exit_code, 3);
  EXPECT_EQ(one.out, four.out);
}

TEST(ReplayCli, ReadsStandardInput) {
  const RunResult r = RunCanaryd("replay -", SourceDir() + "/examples/orders_two_releases.jsonl");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(JsonLines(r.out).back()["summary"]["reports_read"], 240);
}

TEST(ReplayCli, MissingFileIsOneClearLineAndExitTwo) {
  const RunResult r = RunCanaryd("replay /nonexistent/reports.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  std::ifstream err(r.err_path);
  std::string first;
  std::getline(err, first);
  EXPECT_NE(first.find("cannot open '/nonexistent/reports.jsonl'"), std::string::npos) << first;
}

TEST(ReplayCli, BadOptionsExitTwo) {
  EXPECT_EQ(RunCanaryd("replay --shards 0 x").exit_code, 2);
  EXPECT_EQ(RunCanaryd("replay").exit_code, 2);
  EXPECT_EQ(RunCanaryd("frobnicate").exit_code, 2);
}

TEST(ReplayCli, HelpExplainsExitCodes) {
  const RunResult r = RunCanaryd("replay --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit status"), std::string::npos);
  EXPECT_NE(r.out.find("--shards"), std::string::npos);
}

TEST(ReplayCli, RejectedLinesAreCountedByReasonAndDoNotStopTheStream) {
  std::ifstream example(SourceDir() + "/examples/orders_two_releases.jsonl");
  std::stringstream content;
  content
      << "not json\n"
      << R"({"v":1,"dataset":"d","arm":"canary","load_id":"x","ts":1795428000000,"rows":5})"
      << "\n"
      << R"({"v":1,"dataset":"d","arm":"baseline","load_id":"x","ts":1795428000000,"rows":5,"nulls":{"a":6}})"
      << "\n"
      << example.rdbuf();
  const std::string path = TempFile("mixed.jsonl", content.str());
  const RunResult r = RunCanaryd("replay " + path);
  EXPECT_EQ(r.exit_code, 3);
  const auto summary = JsonLines(r.out).back()["summary"];
  EXPECT_EQ(summary["reports_read"], 243);
  EXPECT_EQ(summary["rejected"], 3);
  EXPECT_EQ(summary["rejected_by_reason"]["invalid_json"], 1);
  EXPECT_EQ(summary["rejected_by_reason"]["missing_release"], 1);
  EXPECT_EQ(summary["rejected_by_reason"]["nulls_exceed_rows"], 1);
  EXPECT_EQ(summary["decisions"]["rollback"], 1);
}

TEST(ReplayCli, RedeliveredReportsAreCountedOnce) {
  std::ifstream example(SourceDir() + "/examples/orders_two_releases.jsonl");
  std::stringstream once;
  once << example.rdbuf();
  const std::string path = TempFile("twice.jsonl", once.str() + once.str());
  const RunResult r = RunCanaryd("replay " + path);
  EXPECT_EQ(r.exit_code, 3);
  const auto summary = JsonLines(r.out).back()["summary"];
  EXPECT_EQ(summary["reports_read"], 480);
  EXPECT_EQ(summary["duplicate_deliveries"], 240);
  EXPECT_EQ(summary["decisions"]["rollback"], 1);
  EXPECT_EQ(summary["decisions"]["promote"], 1);
}

std::string StderrOf(const RunResult& r) {
  std::ifstream err(r.err_path);
  return std::string((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
}

// The shipped example sorted by arm (every baseline report, then every canary report, or the
// other way round): nothing can be compared, and replay says so on stderr for both releases
// instead of ending in a silent `continue`. Canary first was silent: the freshness tail, which
// compares running counts, read as a comparison.
TEST(ReplayCli, InputSortedByArmIsNamedOnStderr) {
  std::ifstream example(SourceDir() + "/examples/orders_two_releases.jsonl");
  std::string line;
  std::string baseline;
  std::string canary;
  while (std::getline(example, line)) {
    (line.find(R"("arm":"canary")") != std::string::npos ? canary : baseline) += line + "\n";
  }
  ASSERT_FALSE(canary.empty());
  const RunResult sorted = RunCanaryd("replay " + TempFile("by_arm.jsonl", baseline + canary));
  EXPECT_EQ(sorted.exit_code, 0);
  std::ifstream err(sorted.err_path);
  const std::string stderr_text((std::istreambuf_iterator<char>(err)),
                                std::istreambuf_iterator<char>());
  EXPECT_NE(stderr_text.find("event=nothing_compared"), std::string::npos) << stderr_text;
  const RunResult canary_first =
      RunCanaryd("replay " + TempFile("canary_first.jsonl", canary + baseline));
  EXPECT_EQ(canary_first.exit_code, 0);
  const std::string canary_first_err = StderrOf(canary_first);
  for (const char* release : {"customers-dbt-2026.11.23.2", "orders-dbt-2026.11.23.1"}) {
    EXPECT_NE(canary_first_err.find(std::string("event=nothing_compared release=") + release),
              std::string::npos)
        << canary_first_err;
  }

  // In time order the same reports compare, and nothing is said.
  const RunResult in_order =
      RunCanaryd("replay " + SourceDir() + "/examples/orders_two_releases.jsonl");
  std::ifstream err2(in_order.err_path);
  const std::string stderr2((std::istreambuf_iterator<char>(err2)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(stderr2.find("event=nothing_compared"), std::string::npos) << stderr2;
}

TEST(ReplayCli, NoReleaseMeansExitZero) {
  const std::string path =
      TempFile("baseline_only.jsonl",
               R"({"v":1,"dataset":"d","arm":"baseline","load_id":"a","ts":1795428000000,"rows":5})"
               "\n");
  const RunResult r = RunCanaryd("replay " + path);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(JsonLines(r.out).back()["summary"]["releases"], 0);
}

TEST(ReplayCli, RulesFileChangesTheJudgeAndBadRulesExitTwo) {
  const std::string example = SourceDir() + "/examples/orders_two_releases.jsonl";
  const RunResult defaults = RunCanaryd("replay " + example);
  ASSERT_EQ(defaults.exit_code, 3);
  const int default_loads = JsonLines(defaults.out).front()["canary_loads"];

  // A far stricter alpha needs far more evidence: the rollback comes later or not at all.
  const std::string strict = TempFile("strict.yaml", "version: 1\ndefaults:\n  alpha: 1e-12\n");
  const RunResult r = RunCanaryd("replay --rules " + strict + " " + example);
  const auto lines = JsonLines(r.out);
  bool rolled_back_early = false;
  for (const auto& line : lines) {
    if (line.contains("decision") && line["decision"] == "rollback" &&
        line["canary_loads"].get<int>() <= default_loads) {
      rolled_back_early = true;
    }
  }
  EXPECT_FALSE(rolled_back_early) << r.out;

  // The shipped example rules are valid and keep the example's decisions.
  const RunResult demo =
      RunCanaryd("replay --rules " + SourceDir() + "/rules/examples/demo.yaml " + example);
  EXPECT_EQ(demo.exit_code, 3);

  const std::string bad = TempFile("bad.yaml", "version: 1\ndefaults:\n  alpha: 2\n");
  const RunResult b = RunCanaryd("replay --rules " + bad + " " + example);
  EXPECT_EQ(b.exit_code, 2);
  std::ifstream err(b.err_path);
  std::stringstream text;
  text << err.rdbuf();
  EXPECT_NE(text.str().find(bad + ":3:10: alpha must be between 0 and 1"), std::string::npos)
      << text.str();
}

}  // namespace
