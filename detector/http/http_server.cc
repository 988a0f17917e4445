#include "detector/http/http_server.h"

#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "detector/http/api.h"

namespace canaryd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// What sessions share with the server. Held by shared_ptr because sessions may be destroyed
// with the io_context after the server object has started tearing down.
struct Shared {
  Shared(HttpServerOptions o, const VerdictSource& source)
      : options(std::move(o)), api(source, options.bearer_token) {}
  HttpServerOptions options;
  ApiHandler api;
  std::atomic<std::size_t> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}
  ~Session() { shared_->connections.fetch_sub(1, std::memory_order_relaxed); }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_request_bytes));
    parser_->body_limit(shared_->options.max_request_bytes);
    stream_.expires_after(shared_->options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::header_limit || ec == http::error::body_limit ||
        ec == http::error::buffer_overflow) {
      return Reply(ErrorResponse(413, "request_too_large",
                                 "request exceeds " +
                                     std::to_string(shared_->options.max_request_bytes) + " bytes"),
                   11, false);
    }
    if (ec) {
      return Reply(ErrorResponse(400, "bad_request", "malformed HTTP request"), 11, false);
    }
    const auto& req = parser_->get();
    const auto auth = req.find(http::field::authorization);
    ApiResponse r = shared_->api.Handle(
        std::string_view(req.method_string().data(), req.method_string().size()),
        std::string_view(req.target().data(), req.target().size()),
        auth == req.end() ? std::string_view()
                          : std::string_view(auth->value().data(), auth->value().size()));
    Reply(std::move(r), req.version(), req.keep_alive());
  }

  void Reply(ApiResponse r, unsigned version, bool keep_alive) {
    response_.emplace(static_cast<http::status>(r.status), version);
    response_->set(http::field::server, "canaryd");
    response_->set(http::field::content_type, r.content_type);
    response_->set(http::field::cache_control, "no-store");
    response_->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : r.headers) response_->set(name, value);
    response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    stream_.expires_after(shared_->options.request_timeout);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return Close();
    if (!response_->keep_alive()) return Close();
    Read();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Shared> shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<Shared> shared)
      : ioc_(ioc), acceptor_(std::move(acceptor)), shared_(std::move(shared)) {}

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      const std::size_t n = shared_->connections.fetch_add(1, std::memory_order_relaxed);
      if (n >= shared_->options.max_connections) {
        shared_->connections.fetch_sub(1, std::memory_order_relaxed);
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), shared_)->Run();
      }
    } else {
      // EMFILE and friends: keep serving the connections we have; accepting resumes.
      spdlog::warn("event=http_accept_failed reason=\"{}\"", ec.message());
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

bool ParseListenAddress(std::string_view text, HttpServerOptions* options, std::string* error) {
  std::string_view host = "127.0.0.1", port = text;
  if (text.starts_with("[")) {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      *error = "listen address '" + std::string(text) + "' must look like [::1]:8787";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  bool ok = !port.empty() && port.size() <= 5;
  for (char c : port) {
    ok = ok && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (!ok || value > 65535) {
    *error = "listen address '" + std::string(text) + "' needs a port 0..65535";
    return false;
  }
  beast::error_code ec;
  net::ip::make_address(std::string(host), ec);
  if (host.empty()) {
    // ":8787" means every interface to some tools and loopback to others: say which.
    *error = "listen address '" + std::string(text) +
             "' needs an IP address: 127.0.0.1:" + std::string(port) +
             " for loopback, 0.0.0.0:" + std::string(port) + " for every interface";
    return false;
  }
  if (ec) {
    *error = "listen address '" + std::string(text) + "' needs an IP address (e.g. 127.0.0.1)";
    return false;
  }
  options->bind_address = std::string(host);
  options->port = static_cast<std::uint16_t>(value);
  return true;
}

struct HttpServer::Impl {
  HttpServerOptions options;
  const VerdictSource& source;
  std::unique_ptr<net::io_context> ioc;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
};

HttpServer::HttpServer(HttpServerOptions options, const VerdictSource& source)
    : impl_(std::make_unique<Impl>(Impl{std::move(options), source, nullptr, nullptr, {}, 0})) {}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(std::string* error) {
  if (impl_->ioc) {
    *error = "already started";
    return false;
  }
  const HttpServerOptions& o = impl_->options;
  const std::string where = o.bind_address + ":" + std::to_string(o.port);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(o.bind_address, ec);
  if (ec) {
    *error = "bad bind address '" + o.bind_address + "': " + ec.message();
    return false;
  }
  auto ioc = std::make_unique<net::io_context>(std::max(1, o.threads));
  tcp::acceptor acceptor(*ioc);
  const tcp::endpoint endpoint(address, o.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "listen on " + where + ": " + ec.message();
    return false;
  }
  impl_->port = acceptor.local_endpoint(ec).port();
  auto shared = std::make_shared<Shared>(o, impl_->source);
  impl_->listener = std::make_shared<Listener>(*ioc, std::move(acceptor), std::move(shared));
  impl_->listener->Accept();
  impl_->ioc = std::move(ioc);
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([ioc = impl_->ioc.get()] {
      // A handler that throws is a bug (routes catch at the boundary); keep serving regardless.
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("event=http_handler_exception reason=\"{}\"", e.what());
        }
      }
    });
  }
  spdlog::info("event=http_listening address={} port={} auth={}", o.bind_address, impl_->port,
               o.bearer_token.empty() ? "none" : "bearer");
  return true;
}

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (!impl_->ioc) return;
  impl_->ioc->stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->listener->Close();  // no thread runs handlers any more, so this cannot race
  // Destroying the context destroys every pending handler and with it every session and socket.
  impl_->listener.reset();
  impl_->ioc.reset();
}

}  // namespace canaryd
