#pragma once
// A small blocking HTTP/1.1 client over loopback for the application's tests
// and benchmark (Beast stays in http_client.cpp). One Connection keeps its
// socket open across requests (keep-alive), optionally bound to a chosen
// source address (127.0.0.2 is another client to rate limits).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qrlogin::testing {

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (case-insensitive); "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> all(std::string_view name) const;
};

struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port from `source` (an address on lo). Throws
  // std::runtime_error when it cannot connect.
  explicit HttpConnection(std::uint16_t port, const std::string& source = "127.0.0.1");
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  HttpConnection(HttpConnection&&) noexcept;
  HttpConnection& operator=(HttpConnection&&) noexcept;

  // Sends one request and reads its answer; reconnects once when the server
  // had closed the connection. Throws std::runtime_error on I/O errors.
  HttpReply send(const HttpCall& call);
  // The raw bytes, written as they are; the answer read back.
  HttpReply send_raw(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpReply http_send(std::uint16_t port, const HttpCall& call, const std::string& source = "127.0.0.1");

}  // namespace qrlogin::testing
