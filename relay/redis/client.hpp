#pragma once
// An asynchronous Redis connection on Asio, driven by hiredis's async API.
//
// hiredis does the protocol; Asio does the I/O: once connected, Asio reads
// the socket into hiredis's reader, and hiredis writes its output buffer in
// the loop's next turn (waiting for writability only when the socket is
// full), so nothing here blocks an io_context thread —
// host names are resolved with Asio's resolver before hiredis connects to
// the address. Everything runs on one executor (a strand, or an io_context
// run by one thread); the public methods may be called from any thread.
//
// - Connects with a timeout, sends AUTH (user and password), SELECT and the
//   caller's own setup commands (say FUNCTION LOAD), then reports `up`. When
//   the connection breaks, Redis answers nothing to a command for
//   `link_timeout` (a frozen or unreachable Redis), or a connect fails, it
//   reports `down` once, fails every pending command with `unavailable`, and
//   reconnects by itself with exponential backoff (with jitter) between
//   reconnect_min and reconnect_max. One slow reply shorter than that is
//   only slow: nothing is dropped.
// - A command may have its own deadline (CommandOptions::timeout): past it
//   the command completes with `timeout` and its late reply, if any, is
//   ignored (Redis may still run it: give deadlines only to commands that are
//   safe to run late or twice).
// - A bounded number of commands may wait for their reply (`max_pending`);
//   past it, and whenever the connection is not up, a command fails at once
//   with `unavailable` (never queued for later, never blocking). A command
//   marked `unbounded` (a liveness heartbeat) is never refused for the bound.
// - Replies are copied into an owned Reply. A Redis error reply becomes an
//   Error with code `server` and Redis's message.
// - A subscriber connection (Options::subscriptions not empty) only
//   SUBSCRIBEs: to those channels, again after every reconnect (before it
//   reports `up`), and hands each message to `on_message`. Its liveness probe
//   is a repeated SUBSCRIBE of its first channel (hiredis 0.14 cannot route a
//   PING reply in subscribed mode); `command` on it fails with `protocol`.
//
// Logs: the adapter logs nothing itself; the state handler gets a reason
// without secrets (Redis's error text for AUTH failures never quotes the
// password).
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/redis/reply.hpp"
#include "relay/redis/result.hpp"
#include "relay/redis/url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace qrlogin::relay::redis {

namespace asio = boost::asio;
using Millis = std::chrono::milliseconds;

struct ClientOptions {
  Endpoint endpoint;
  // Connect + AUTH + SELECT (+ SUBSCRIBE) must finish within this.
  Millis connect_timeout{1000};
  // The oldest command without a reply after this long: the connection is
  // declared dead (a frozen or unreachable Redis), pending commands fail.
  Millis link_timeout{5000};
  // How often the connection is checked; an idle one is PINGed this often.
  Millis health_interval{200};
  Millis reconnect_min{100};
  Millis reconnect_max{2000};
  // Commands waiting for a reply, at most; more fail with `unavailable`.
  std::size_t max_pending = 4096;
  // CLIENT SETNAME after connecting (shown by CLIENT LIST); empty: none.
  std::string client_name;
  // Not empty: a subscriber connection for these pub/sub channels.
  std::vector<std::string> subscriptions;
  // Sent after AUTH/SELECT on every connect, before `up` (a failure is a
  // failed connect): e.g. FUNCTION LOAD, so FCALL finds its functions.
  std::vector<std::vector<std::string>> setup;
};

struct CommandOptions {
  // Completes with `timeout` if Redis has not answered by then; 0: no deadline.
  Millis timeout{0};
  // Not refused for max_pending (a liveness heartbeat must get through).
  bool unbounded = false;
};

// A command's arguments, shared so that a retry (EVAL after NOSCRIPT) does
// not copy a frame again.
using Args = std::shared_ptr<const std::vector<std::string>>;

class Client : public std::enable_shared_from_this<Client> {
 public:
  using Completion = std::function<void(Result<Reply>)>;
  // `up`: true when the connection is ready for commands, false when it went
  // away (reason: why, without secrets). Called on the client's executor,
  // once per change.
  using StateHandler = std::function<void(bool up, std::string_view reason)>;
  // A pub/sub message: channel, payload. Called on the client's executor.
  using MessageHandler = std::function<void(std::string channel, std::string payload)>;

  static std::shared_ptr<Client> create(asio::any_io_executor executor, ClientOptions options,
                                        StateHandler on_state = {}, MessageHandler on_message = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting (and reconnecting, until stop()).
  void start();
  // Disconnects for good: pending commands fail with `unavailable`, no
  // reconnect, no more state reports. Call it before dropping the client.
  void stop();

  // Sends one command (binary-safe arguments). `handler(Result<Reply>)` runs
  // on its associated executor (by default the client's), never inline.
  // Refused at once, with `unavailable`, while the connection is not up or
  // when max_pending commands already wait.
  template <class Handler>
  void command(std::vector<std::string> args, Handler&& handler, CommandOptions options = {}) {
    command(std::make_shared<const std::vector<std::string>>(std::move(args)), std::forward<Handler>(handler),
            options);
  }
  template <class Handler>
  void command(Args args, Handler&& handler, CommandOptions options = {}) {
    auto executor = asio::get_associated_executor(handler, executor_);
    submit(std::move(args), options,
           [executor, h = std::forward<Handler>(handler)](Result<Reply> result) mutable {
             asio::post(executor, [h = std::move(h), result = std::move(result)]() mutable { h(std::move(result)); });
           });
  }

  [[nodiscard]] bool is_up() const noexcept { return up_.load(std::memory_order_acquire); }
  // Commands submitted and not yet completed.
  [[nodiscard]] std::size_t pending() const noexcept { return in_flight_.load(std::memory_order_acquire); }
  [[nodiscard]] const asio::any_io_executor& executor() const noexcept { return executor_; }

 private:
  struct Link;
  struct Pending;

  Client(asio::any_io_executor executor, ClientOptions options, StateHandler on_state, MessageHandler on_message);

  void submit(Args args, CommandOptions options, Completion completion);
  void send(const Args& args, CommandOptions options, Completion completion);
  void expire_commands(Link& link, std::chrono::steady_clock::time_point now);
  bool send_internal(const std::vector<std::string>& args, std::function<void(Result<Reply>)> on_reply);
  void fail_now(Completion completion, std::string reason);

  void connect();
  void resolve(const std::shared_ptr<Link>& link, const std::string& host, std::uint16_t port);
  void on_resolved(const asio::ip::tcp::endpoint& address);
  void on_connected(Link& link);
  void handshake_step_done(Link& link, const Result<Reply>& reply, std::string_view what);
  void subscribe_all(Link& link);
  void declare_up(Link& link);
  void drop(const std::shared_ptr<Link>& link, std::string reason);
  void on_link_closed(const std::shared_ptr<Link>& link, std::string reason);
  void schedule_reconnect();
  void arm_health();
  void check_health();
  void report(bool up, std::string reason);

  void watch(const std::shared_ptr<Link>& link, bool write);
  void read(const std::shared_ptr<Link>& link);
  void write_soon(const std::shared_ptr<Link>& link);
  static bool connected(const Link& link);

  static void on_connect_cb(const redisAsyncContext* ac, int status);
  static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_subscription_cb(redisAsyncContext* ac, void* reply, void* privdata);
  static void ev_add_read(void* data);
  static void ev_del_read(void* data);
  static void ev_add_write(void* data);
  static void ev_del_write(void* data);
  static void ev_cleanup(void* data);

  asio::any_io_executor executor_;
  ClientOptions options_;
  StateHandler on_state_;
  MessageHandler on_message_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer retry_timer_;
  asio::steady_timer health_timer_;
  std::shared_ptr<Link> link_;  // the current connection (attempt), if any
  std::atomic<bool> up_{false};
  std::atomic<std::size_t> in_flight_{0};
  bool started_ = false;
  bool stopped_ = false;
  enum class Reported : std::uint8_t { none, up, down };
  Reported reported_ = Reported::none;
  Millis backoff_{0};
  std::minstd_rand jitter_;
};

}  // namespace qrlogin::relay::redis
