#pragma once
// A TCP connection before any WebSocket upgrade: with TLS, the handshake
// first; then HTTP requests (at most max_header_bytes, no body, the TLS
// handshake and each request within handshake_timeout), serving the
// embedded web pages and /healthz, and checking a channel request (cid,
// role, upgrade, Origin, subprotocol, client address) before handing the
// stream to a WebSocket session. The session types are templates over the
// stream (plain TCP or TLS over TCP), so the plain path pays nothing for TLS;
// they live in http_session.cpp and ws_session.cpp, the only files that
// include Beast's HTTP, WebSocket and SSL headers.
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "relay/core/address.hpp"
#include "relay/net/hub.hpp"
#include "relay/net/lease.hpp"

namespace boost::asio::ssl {
class context;
}

namespace qrlogin::relay {

struct HttpPolicy {
  std::vector<std::string> allowed_origins;
};

// Serves an accepted connection; over TLS when `tls` is set (the
// connection keeps that context, whatever a reload does later).
void serve_connection(boost::asio::ip::tcp::socket socket, const std::shared_ptr<boost::asio::ssl::context>& tls,
                      Hub& hub, const HttpPolicy& policy, ConnectionLease lease, ConnId id, IpAddress peer);

}  // namespace qrlogin::relay
