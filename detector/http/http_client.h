// A small blocking HTTP/1.1 client (Boost.Beast) for `canaryd gate` and the webhook action: plain
// http:// only, one request per connection, one deadline for the whole exchange.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canaryd {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path = "/";  // path and query, always starting with '/'
};

// Parses "http://host[:port][/path]" (IPv6 hosts in brackets). https:// is refused with a hint:
// put canaryd behind a TLS-terminating proxy or reach it over loopback.
std::optional<HttpUrl> ParseHttpUrl(std::string_view url, std::string* error);

struct HttpResult {
  bool ok = false;    // a complete response arrived (any status)
  std::string error;  // why not, when !ok: "connect: Connection refused", "timeout", ...
  int status = 0;
  std::string body;
  std::string content_type;
};

struct HttpRequestSpec {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5'000};  // connect + send + receive
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

// Never throws.
HttpResult HttpFetch(const HttpUrl& url, const HttpRequestSpec& spec) noexcept;

// Joins a base URL's path with an API path ("/v1/releases/x") without doubling slashes.
std::string JoinPath(std::string_view base_path, std::string_view path);

// Percent-encodes a path segment (RFC 3986 unreserved characters stay as they are).
std::string PercentEncode(std::string_view segment);

}  // namespace canaryd
