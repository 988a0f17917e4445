#include "detector/http/api.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>

#include <spdlog/spdlog.h>

#include "detector/judge/verdict_json.h"
#include "detector/timestamp.h"

namespace canaryd {
namespace {

using Json = nlohmann::ordered_json;
using ReleaseIndex = std::map<std::string, std::vector<const ReleaseDatasetView*>>;

ReleaseIndex ByRelease(const std::vector<ReleaseDatasetView>& views) {
  ReleaseIndex index;
  for (const ReleaseDatasetView& v : views) index[v.release].push_back(&v);
  for (auto& [release, datasets] : index) {
    std::sort(datasets.begin(), datasets.end(),
              [](const auto* a, const auto* b) { return a->dataset < b->dataset; });
  }
  return index;
}

ApiResponse JsonResponse(int status, const Json& body) {
  ApiResponse r;
  r.status = status;
  // Replace invalid UTF-8 rather than throw: names come from reports already validated as UTF-8,
  // but a failing dump must not turn a verdict into a 500.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

// Constant time in the token's length, so response timing does not leak a prefix match.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// The release-level summary shared by the list and the detail route.
Json ReleaseHeader(const std::string& release,
                   const std::vector<const ReleaseDatasetView*>& datasets) {
  const Decision decision = ReleaseDecisionOf(datasets);
  std::int64_t start = 0, last = 0, decided = 0;
  std::uint64_t canary_loads = 0, baseline_loads = 0;
  const ReleaseDatasetView* first_rollback = nullptr;
  std::vector<std::string> undecided;
  for (const ReleaseDatasetView* v : datasets) {
    if (v->release_start_ms != 0 && (start == 0 || v->release_start_ms < start)) {
      start = v->release_start_ms;
    }
    last = std::max(last, v->last_report_ms);
    canary_loads += v->canary_loads;
    baseline_loads += v->baseline_loads;
    if (v->decision == Decision::kRollback &&
        (first_rollback == nullptr || v->decided_at_ms < first_rollback->decided_at_ms)) {
      first_rollback = v;
    }
    if (v->decision == Decision::kContinue) undecided.push_back(v->dataset);
  }
  std::string reason;
  if (decision == Decision::kRollback) {
    decided = first_rollback->decided_at_ms;
    reason = first_rollback->dataset + ": " + first_rollback->reason;
  } else if (decision == Decision::kPromote) {
    for (const ReleaseDatasetView* v : datasets) decided = std::max(decided, v->decided_at_ms);
    reason = "all " + std::to_string(datasets.size()) +
             (datasets.size() == 1 ? " dataset" : " datasets") + " promoted";
  } else {
    constexpr std::size_t kNamed = 5;  // keeps the sentence one readable line
    reason = std::to_string(datasets.size() - undecided.size()) + " of " +
             std::to_string(datasets.size()) + " datasets decided; waiting on ";
    for (std::size_t i = 0; i < undecided.size() && i < kNamed; ++i) {
      if (i > 0) reason += ", ";
      reason += undecided[i];
    }
    if (undecided.size() > kNamed) {
      reason += " and " + std::to_string(undecided.size() - kNamed) + " more";
    }
  }
  Json j = {
      {"release", release},
      {"decision", DecisionName(decision)},
      {"reason", reason},
      {"release_start", FormatTimestampMs(start)},
      {"last_report", FormatTimestampMs(last)},
  };
  if (decision != Decision::kContinue) j["decided_at"] = FormatTimestampMs(decided);
  j["canary_loads"] = canary_loads;
  j["baseline_loads"] = baseline_loads;
  return j;
}

Json DatasetSummary(const ReleaseDatasetView& v) {
  Json j = {
      {"dataset", v.dataset},
      {"decision", DecisionName(v.decision)},
      {"canary_loads", v.canary_loads},
      {"baseline_loads", v.baseline_loads},
      {"last_report", FormatTimestampMs(v.last_report_ms)},
  };
  if (v.decision != Decision::kContinue) {
    j["decided_at"] = FormatTimestampMs(v.decided_at_ms);
    j["deciding_check"] = v.deciding_check;
  }
  return j;
}

}  // namespace

Json ReleaseJson(const std::string& release,
                 const std::vector<const ReleaseDatasetView*>& datasets) {
  Json j = ReleaseHeader(release, datasets);
  Json list = Json::array();
  for (const ReleaseDatasetView* v : datasets) list.push_back(ToJson(*v));
  j["datasets"] = std::move(list);
  return j;
}

ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return JsonResponse(status,
                      Json{{"error", {{"status", status}, {"code", code}, {"message", message}}}});
}

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

ApiHandler::ApiHandler(const VerdictSource& source, std::string bearer_token)
    : source_(source), exporter_(source), bearer_token_(std::move(bearer_token)) {}

bool ApiHandler::Authorized(std::string_view authorization) const {
  if (bearer_token_.empty()) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  return SameSecret(authorization.substr(kScheme.size()), bearer_token_);
}

ApiResponse ApiHandler::Handle(std::string_view method, std::string_view target,
                               std::string_view authorization) const noexcept {
  try {
    std::string_view path = target.substr(0, target.find_first_of("?#"));
    return Route(method, path, authorization);
  } catch (const std::exception& e) {
    spdlog::error("event=http_error reason=\"{}\"", e.what());
  } catch (...) {
    spdlog::error("event=http_error reason=unknown");
  }
  try {
    return ErrorResponse(500, "internal", "internal error; see canaryd's log");
  } catch (...) {
    ApiResponse r;
    r.status = 500;
    r.body = "{\"error\":{\"status\":500,\"code\":\"internal\",\"message\":\"internal error\"}}\n";
    return r;
  }
}

ApiResponse ApiHandler::Route(std::string_view method, std::string_view path,
                              std::string_view authorization) const {
  constexpr std::string_view kReleases = "/v1/releases";
  constexpr std::string_view kRules = "/v1/rules";
  const bool known = path == "/healthz" || path == "/readyz" || path == "/metrics" ||
                     path == kReleases || path == "/v1/releases/" ||
                     path.starts_with("/v1/releases/") || path == kRules ||
                     path.starts_with("/v1/rules/");
  if (!known) {
    return ErrorResponse(
        404, "not_found",
        "no such route; try /v1/releases, /v1/rules, /metrics, /healthz or /readyz");
  }
  if (method != "GET") {
    ApiResponse r = ErrorResponse(405, "method_not_allowed", "only GET is supported");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (path == "/healthz") return JsonResponse(200, Json{{"status", "ok"}});
  if (path == "/readyz") {
    if (source_.Ready()) return JsonResponse(200, Json{{"status", "ready"}});
    return JsonResponse(503, Json{{"status", "not_ready"}, {"reason", source_.NotReadyReason()}});
  }
  if (!Authorized(authorization)) {
    ApiResponse r =
        ErrorResponse(401, "unauthorized",
                      authorization.empty() ? "missing bearer token" : "invalid bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"canaryd\"");
    return r;
  }
  if (path == "/metrics") {
    ApiResponse r;
    r.content_type = std::string(kMetricsContentType);
    r.body = exporter_.Render();
    return r;
  }
  if (path == kRules || path.starts_with("/v1/rules/")) {
    std::string dataset;
    if (path.size() > kRules.size() + 1 &&
        !PercentDecode(path.substr(kRules.size() + 1), &dataset)) {
      return ErrorResponse(400, "bad_request", "malformed percent-escape in the dataset name");
    }
    ApiResponse r;
    r.body = source_.RulesJson(dataset);
    if (r.body.empty()) return ErrorResponse(404, "no_rules", "this server has no rules to show");
    r.body += '\n';
    return r;
  }
  if (path == kReleases || path == "/v1/releases/") {
    const std::vector<ReleaseDatasetView> views = source_.Releases();  // index points into it
    const ReleaseIndex index = ByRelease(views);
    Json list = Json::array();
    for (const auto& [release, datasets] : index) {
      Json j = ReleaseHeader(release, datasets);
      Json ds = Json::array();
      for (const ReleaseDatasetView* v : datasets) ds.push_back(DatasetSummary(*v));
      j["datasets"] = std::move(ds);
      list.push_back(std::move(j));
    }
    return JsonResponse(200, Json{{"releases", std::move(list)}});
  }
  // /v1/releases/{id}: release names may hold '/', so the id is everything after the prefix.
  std::string release;
  if (!PercentDecode(path.substr(kReleases.size() + 1), &release)) {
    return ErrorResponse(400, "bad_request", "malformed percent-escape in the release id");
  }
  const std::vector<ReleaseDatasetView> views = source_.Releases();
  std::vector<const ReleaseDatasetView*> datasets;
  for (const ReleaseDatasetView& v : views) {
    if (v.release == release) datasets.push_back(&v);
  }
  if (datasets.empty()) {
    return ErrorResponse(404, "unknown_release",
                         "release '" + release.substr(0, 200) +
                             "' is unknown: no canary report seen yet, or retired after its "
                             "decision");
  }
  std::sort(datasets.begin(), datasets.end(),
            [](const auto* a, const auto* b) { return a->dataset < b->dataset; });
  return JsonResponse(200, ReleaseJson(release, datasets));
}

}  // namespace canaryd
