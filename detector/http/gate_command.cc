#include "detector/http/gate_command.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <ostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "detector/http/http_client.h"
#include "detector/http/http_server.h"

namespace canaryd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kGateHelp =
    R"(usage: canaryd gate --release R [--wait 10m] [--url URL] [--token T]

Blocks until the canaryd daemon at URL decides release R, polling GET /v1/releases/R.

options:
  --release R      the release to wait for (required)
  --wait D         give up after D (default 10m; e.g. 90s, 1h30m, 500ms)
  --url URL        the daemon's HTTP listener (default http://127.0.0.1:8787)
  --token T        bearer token (default: $CANARYD_TOKEN; prefer the variable, argv is visible
                   to other users of the machine)
  --interval D     time between polls (default 2s)

Exit status: 0 promote; 3 rollback; 4 still undecided (or unknown) when --wait ran out;
2 bad options, or canaryd unreachable or refusing the token; 1 internal error.
)";

// How long the daemon may stay unreachable before the gate blames the configuration (wrong
// URL, daemon not running) rather than a restart in progress.
constexpr milliseconds kUnreachableGrace{15'000};

std::string FormatDuration(milliseconds d) {
  const auto ms = d.count();
  if (ms % 3'600'000 == 0 && ms > 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms > 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

struct GateOptions {
  std::string release;
  milliseconds wait{600'000};
  std::string url = "http://127.0.0.1:" + std::to_string(kDefaultHttpPort);
  std::string token;
  milliseconds interval{2'000};
  bool help = false;
};

// Returns an error message, empty on success.
std::string ParseArgs(const std::vector<std::string>& args, GateOptions* o) {
  if (const char* env = std::getenv("CANARYD_TOKEN")) o->token = env;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    bool has_value = false;
    if (name == "-h" || name == "--help") {
      o->help = true;
      continue;
    }
    if (!name.starts_with("--")) return "unexpected argument '" + name + "'";
    if (const std::size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const bool known = name == "--release" || name == "--wait" || name == "--url" ||
                       name == "--token" || name == "--interval";
    if (!known) return "unknown option '" + name + "'";
    if (!has_value) {
      if (i + 1 >= args.size()) return "option " + name + " needs a value";
      value = args[++i];
    }
    if (name == "--release") {
      o->release = value;
    } else if (name == "--url") {
      o->url = value;
    } else if (name == "--token") {
      o->token = value;
    } else {
      const auto d = ParseDuration(value);
      if (!d) return "bad duration '" + value + "' for " + name + " (e.g. 10m, 90s, 500ms)";
      (name == "--wait" ? o->wait : o->interval) = *d;
    }
  }
  if (o->help) return {};
  if (o->release.empty()) return "--release is required";
  if (o->interval <= milliseconds(0)) return "--interval must be positive";
  return {};
}

}  // namespace

std::optional<milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const bool bare = std::all_of(text.begin(), text.end(),
                                [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (bare) {
    try {
      const double s = std::stod(std::string(text));
      if (!(s >= 0) || s > 1e9) return std::nullopt;
      return milliseconds(static_cast<std::int64_t>(s * 1000));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::int64_t unit_ms = 0;
    if (text.substr(i).starts_with("ms")) {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit_ms = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_ms = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit_ms = 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    total += n * unit_ms;
  }
  return milliseconds(total);
}

int RunGate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    GateOptions o;
    if (std::string e = ParseArgs(args, &o); !e.empty()) {
      err << "canaryd gate: " << e << " (see canaryd gate --help)\n";
      return kGateExitUsage;
    }
    if (o.help) {
      out << kGateHelp;
      return kGateExitPromote;
    }
    std::string url_error;
    const std::optional<HttpUrl> url = ParseHttpUrl(o.url, &url_error);
    if (!url) {
      err << "canaryd gate: bad --url '" << o.url << "': " << url_error << '\n';
      return kGateExitUsage;
    }
    HttpRequestSpec spec;
    spec.target = JoinPath(url->path, "/v1/releases/" + PercentEncode(o.release));
    if (!o.token.empty()) spec.headers.emplace_back("Authorization", "Bearer " + o.token);

    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + o.wait;
    const Clock::time_point unreachable_deadline = start + std::min(o.wait, kUnreachableGrace);
    bool reached = false;
    std::string last_state = "unknown to canaryd (no canary report seen yet)";
    for (;;) {
      const auto now = Clock::now();
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
      spec.timeout = std::clamp(left, milliseconds(200), milliseconds(5'000));
      const HttpResult r = HttpFetch(*url, spec);
      if (!r.ok) {
        if (!reached && Clock::now() >= unreachable_deadline) {
          err << "canaryd gate: cannot reach canaryd at " << o.url << ": " << r.error << '\n';
          return kGateExitUsage;
        }
        last_state = "undecided; canaryd last unreachable (" + r.error + ")";
      } else {
        reached = true;
        if (r.status == 401 || r.status == 403) {
          err << "canaryd gate: canaryd refused the request (HTTP " << r.status
              << "); check --token or CANARYD_TOKEN\n";
          return kGateExitUsage;
        }
        if (r.status == 200) {
          const auto j = nlohmann::json::parse(r.body, nullptr, false);
          const std::string decision =
              j.is_object() ? j.value("decision", std::string()) : std::string();
          const std::string reason = j.is_object() ? j.value("reason", std::string()) : "";
          if (decision == "promote") {
            out << "promote: release " << o.release << ": " << reason << '\n';
            return kGateExitPromote;
          }
          if (decision == "rollback") {
            out << "rollback: release " << o.release << ": " << reason << '\n';
            return kGateExitRollback;
          }
          last_state = decision == "continue" ? "undecided: " + reason
                                              : "undecided (unreadable response from canaryd)";
        } else if (r.status == 404) {
          last_state = "unknown to canaryd (no canary report seen yet)";
        } else {
          last_state = "undecided; canaryd answered HTTP " + std::to_string(r.status);
        }
      }
      const auto after = Clock::now();
      if (after >= deadline) break;
      std::this_thread::sleep_for(std::min<Clock::duration>(o.interval, deadline - after));
    }
    err << "timeout: release " << o.release << " still " << last_state << " after "
        << FormatDuration(o.wait) << '\n';
    return kGateExitTimeout;
  } catch (const std::exception& e) {
    err << "canaryd gate: internal error: " << e.what() << '\n';
    return kGateExitInternal;
  }
}

}  // namespace canaryd
