#pragma once
// A TCP proxy for tests that sits between a client and the relay and cuts
// the network under them: every connection it carries is reset (RST, via
// SO_LINGER 0, no FIN and no close frame), either when the test says so or
// at an exact point of a WebSocket stream — after a given number of payload
// bytes of the N-th binary message in one direction, with the rest of what
// it had read thrown away (frames in flight are lost, as on a real network).
// It can also stay "down" for a while: new connections are reset at once.
//
// It knows just enough of HTTP and WebSocket to find those points: the
// upgrade's head ends at the first blank line, then frames follow. Plain
// POSIX sockets, one thread per connection, poll().
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace qrlogin::testing {

class CutProxy {
 public:
  enum class Direction { to_relay, to_client };

  // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:upstream_port.
  explicit CutProxy(std::uint16_t upstream_port);
  ~CutProxy();
  CutProxy(const CutProxy&) = delete;
  CutProxy& operator=(const CutProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  // One cut, armed until it happens: once a connection's stream in
  // `direction` has carried `payload_bytes` bytes of its `message`-th binary
  // message (counted from 0 on each connection), forwards exactly that much
  // and resets every connection. `stay_down` keeps the proxy down after it.
  void cut_at(Direction direction, int message, std::size_t payload_bytes, bool stay_down = false);
  // Resets every connection now.
  void cut_now();
  // While down, new connections are accepted and reset at once.
  void set_down(bool down);

  // Waits until `count` cuts happened.
  [[nodiscard]] bool wait_cuts(int count, std::chrono::milliseconds timeout);
  [[nodiscard]] int cuts() const;
  // Connections accepted so far, and those of them reset while down.
  [[nodiscard]] int connections() const;
  [[nodiscard]] int refused_while_down() const;

  struct Pair;

 private:
  void accept_loop();
  void pump(const std::shared_ptr<Pair>& pair);
  void cut_all(const Pair* except);
  void note_cut();

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes the accept loop at the end
  std::uint16_t port_ = 0;
  std::uint16_t upstream_port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Pair>> pairs_;
  std::vector<std::thread> threads_;
  bool down_ = false;
  bool stopping_ = false;
  int cuts_ = 0;
  int connections_ = 0;
  int refused_ = 0;
  struct Rule {
    Direction direction;
    int message;
    std::size_t payload_bytes;
    bool stay_down;
  };
  std::optional<Rule> rule_;
};

}  // namespace qrlogin::testing
