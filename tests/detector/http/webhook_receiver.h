// A webhook receiver for tests on 127.0.0.1, port 0: answers each request with the next status
// of a script (then 200) and records what it got.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace canaryd::testing {

class Receiver {
  using tcp = boost::asio::ip::tcp;

 public:
  struct Request {
    std::string target;
    std::map<std::string, std::string> headers;
    std::string body;
  };

  explicit Receiver(std::vector<int> statuses = {}) : statuses_(std::move(statuses)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return base_url() + "/hook"; }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      boost::beast::flat_buffer buffer;
      boost::beast::http::request<boost::beast::http::string_body> req;
      boost::beast::http::read(socket, buffer, req, ec);
      if (ec) continue;
      int status = 200;
      {
        std::lock_guard<std::mutex> lock(mu_);
        Request r{std::string(req.target()), {}, req.body()};
        for (const auto& f : req) r.headers[std::string(f.name_string())] = std::string(f.value());
        requests_.push_back(std::move(r));
        if (next_ < statuses_.size()) status = statuses_[next_++];
      }
      boost::beast::http::response<boost::beast::http::string_body> res(
          static_cast<boost::beast::http::status>(status), 11);
      res.body() = "{}";
      res.keep_alive(false);  // one request per connection keeps this loop simple
      res.prepare_payload();
      boost::beast::http::write(socket, res, ec);
    }
  }

  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<int> statuses_;
  std::size_t next_ = 0;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace canaryd::testing
