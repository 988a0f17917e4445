// canaryd's HTTP/1.1 listener (Boost.Beast): /metrics, /healthz, /readyz and the verdict API
// (api.h) on threads of its own, so a slow client or a scrape never touches the ingest path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "detector/http/verdict_source.h"

namespace canaryd {

// The port `canaryd run` listens on when the config names none, and `canaryd gate` polls.
inline constexpr std::uint16_t kDefaultHttpPort = 8787;

struct HttpServerOptions {
  // Loopback by default: the API is unauthenticated unless bearer_token is set.
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = kDefaultHttpPort;  // 0 = any free port; see HttpServer::port()
  std::string bearer_token;               // empty = no authentication
  int threads = 1;
  // A request line + headers (+ body) larger than this gets 413 and the connection is closed.
  std::size_t max_request_bytes = 16 * 1024;
  // Time to receive one whole request (also the keep-alive idle limit) and to send a response; a
  // client that trickles bytes (slowloris) is cut off.
  std::chrono::milliseconds request_timeout{10'000};
  // Connections beyond this are closed at once, so a flood cannot exhaust file descriptors.
  std::size_t max_connections = 256;
};

// Parses a listen address from configuration: "127.0.0.1:8787", "[::1]:8787", "0.0.0.0:8787", or
// a bare port ("8787", meaning loopback). False with *error set when malformed.
bool ParseListenAddress(std::string_view text, HttpServerOptions* options, std::string* error);

class HttpServer {
 public:
  // source must outlive the server.
  HttpServer(HttpServerOptions options, const VerdictSource& source);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. False with *error set (e.g. "bind 127.0.0.1:8787:
  // Address already in use") when it cannot.
  bool Start(std::string* error);
  // The bound port (the real one when options.port was 0); 0 before Start().
  std::uint16_t port() const;
  // Closes the listener and every connection, then joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace canaryd
