#pragma once
// The /metrics listener (--metrics-listen, loopback by default): its own
// acceptor, separate from the public port. Each connection gets one HTTP
// request (headers at most 8 KiB, within the handshake timeout): GET or HEAD
// /metrics answers the Prometheus text, anything else 404; then it closes.
// At most kMaxMetricsConnections at once; more are closed at accept.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "relay/core/error.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

inline constexpr std::size_t kMaxMetricsConnections = 16;

class MetricsListener final : public std::enable_shared_from_this<MetricsListener> {
 public:
  using Render = std::function<std::string()>;
  MetricsListener(boost::asio::io_context& ioc, Render render, Millis timeout);
  Status open(const boost::asio::ip::tcp::endpoint& endpoint);
  [[nodiscard]] std::uint16_t port() const;
  void start();
  void stop();

  struct Shared;

 private:
  void do_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::shared_ptr<Shared> shared_;
  bool stopped_ = false;
};

}  // namespace qrlogin::relay
