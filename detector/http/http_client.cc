#include "detector/http/http_client.h"

#include <exception>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace canaryd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<HttpUrl> ParseHttpUrl(std::string_view url, std::string* error) {
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with("https://")) {
    *error = "https is not supported; reach canaryd over loopback or through a TLS proxy";
    return std::nullopt;
  }
  if (!url.starts_with(kHttp)) {
    *error = "URL must start with http://";
    return std::nullopt;
  }
  url.remove_prefix(kHttp.size());
  HttpUrl out;
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    *error = "credentials in the URL are not supported; use --token";
    return std::nullopt;
  }
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 address in URL";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        *error = "unexpected text after the IPv6 address in URL";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    *error = "URL has no host";
    return std::nullopt;
  }
  if (!port.empty()) {
    if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) > 65535 ||
        std::stoi(std::string(port)) == 0) {
      *error = "bad port in URL";
      return std::nullopt;
    }
    out.port = std::string(port);
  }
  out.host = std::string(host);
  return out;
}

std::string JoinPath(std::string_view base_path, std::string_view path) {
  std::string out(base_path);
  // A query on the base URL has no meaning for API paths.
  if (const std::size_t q = out.find('?'); q != std::string::npos) out.resize(q);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (!path.starts_with("/")) out += '/';
  out += path;
  return out;
}

std::string PercentEncode(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpResult HttpFetch(const HttpUrl& url, const HttpRequestSpec& spec) noexcept {
  HttpResult result;
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) {
      result.error = "resolve " + url.host + ": " + ec.message();
      return result;
    }
    // One deadline for the whole exchange: each async step below runs against what is left.
    stream.expires_after(spec.timeout);
    std::string stage = "connect";
    http::request<http::string_body> req(http::string_to_verb(spec.method), spec.target, 11);
    req.set(http::field::host, url.host + ":" + url.port);
    req.set(http::field::user_agent, "canaryd");
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : spec.headers) req.set(name, value);
    req.body() = spec.body;
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(spec.max_response_bytes);

    bool done = false;
    auto fail = [&](beast::error_code e) {
      result.error = stage + ": " + (e == beast::error::timeout ? "timeout" : e.message());
      done = true;
    };
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      if (e) return fail(e);
      stage = "send";
      http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
        if (e2) return fail(e2);
        stage = "receive";
        http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) {
          if (e3) return fail(e3);
          result.ok = true;
          done = true;
        });
      });
    });
    ioc.run();
    if (!done) result.error = stage + ": interrupted";
    if (result.ok) {
      const auto& res = parser.get();
      result.status = static_cast<int>(res.result_int());
      result.body = res.body();
      if (auto it = res.find(http::field::content_type); it != res.end()) {
        result.content_type = std::string(it->value());
      }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = e.what();
  } catch (...) {
    result.ok = false;
    result.error = "unknown error";
  }
  return result;
}

}  // namespace canaryd
