// The HTTP API's routes, independent of the transport: a request line and its Authorization header
// in, a complete response out. The Beast listener (http_server.h) calls it; tests call it
// directly. The JSON it returns is documented in detector/http/README.md.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "detector/http/verdict_source.h"
#include "metrics/exporter.h"

namespace canaryd {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// The JSON of one release over all its datasets (GET /v1/releases/{id}); nullopt-like empty
// object when the release is unknown. Shared with the gate and actions so all say the same thing.
nlohmann::ordered_json ReleaseJson(const std::string& release,
                                   const std::vector<const ReleaseDatasetView*>& datasets);

// {"error":{"status":..., "code":..., "message":...}}
ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message);

class ApiHandler {
 public:
  // source must outlive the handler. An empty bearer_token disables authentication; otherwise
  // every route but /healthz and /readyz (probes rarely carry credentials) requires
  // "Authorization: Bearer <token>".
  ApiHandler(const VerdictSource& source, std::string bearer_token);

  // Never throws: a failure inside a route becomes a 500 JSON error.
  ApiResponse Handle(std::string_view method, std::string_view target,
                     std::string_view authorization) const noexcept;

 private:
  ApiResponse Route(std::string_view method, std::string_view path,
                    std::string_view authorization) const;
  bool Authorized(std::string_view authorization) const;

  const VerdictSource& source_;
  MetricsExporter exporter_;
  std::string bearer_token_;
};

// Percent-decodes a path segment; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace canaryd
