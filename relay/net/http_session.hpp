#pragma once
// A TCP connection before any WebSocket upgrade: reads HTTP requests (at
// most max_header_bytes, no body, within handshake_timeout), serves the
// embedded web pages and /healthz, and checks a channel request (cid, role,
// upgrade, Origin, subprotocol, client address) before handing the socket
// to a WsSession.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>

#include "relay/core/address.hpp"
#include "relay/net/hub.hpp"
#include "relay/net/lease.hpp"

namespace qrlogin::relay {

struct HttpPolicy {
  std::vector<std::string> allowed_origins;
  std::string public_url;
};

class HttpSession final : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, Hub& hub, const HttpPolicy& policy, ConnectionLease lease,
              ConnId id, IpAddress peer);
  void start();

 private:
  using Request = boost::beast::http::request<boost::beast::http::empty_body>;

  void do_read();
  void on_read(boost::beast::error_code ec);
  void route(const Request& request);
  void route_channel(const Request& request);
  void respond(boost::beast::http::message_generator message, bool keep_alive);
  void on_timeout(boost::beast::error_code ec);
  void finish();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
  Hub& hub_;
  const HttpPolicy& policy_;
  ConnectionLease lease_;
  ConnId id_;
  IpAddress peer_;
  unsigned requests_ = 0;
  bool upgraded_ = false;
};

}  // namespace qrlogin::relay
