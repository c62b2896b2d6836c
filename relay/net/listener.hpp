#pragma once
// The accept loop. It always re-arms, also after an error such as EMFILE
// (after a short pause, so a full file table does not spin the CPU), and
// refuses connections past the total or per-address caps right at accept.
// With TLS, each connection takes the context current at its accept.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "relay/core/error.hpp"
#include "relay/net/http_session.hpp"
#include "relay/net/tls.hpp"

namespace qrlogin::relay {

class Listener final : public std::enable_shared_from_this<Listener> {
 public:
  // `tls`: null for plain http/ws; else it outlives the listener.
  Listener(boost::asio::io_context& ioc, Hub& hub, const HttpPolicy& policy, const TlsContexts* tls);
  // Errors: listen_failed with the OS's reason (address in use, permission).
  Status open(const boost::asio::ip::tcp::endpoint& endpoint);
  [[nodiscard]] std::uint16_t port() const;
  void start();
  void stop();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  Hub& hub_;
  const HttpPolicy& policy_;
  const TlsContexts* tls_;
  TimePoint last_error_log_{};
  bool stopped_ = false;
};

}  // namespace qrlogin::relay
