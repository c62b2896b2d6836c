#include "relay/redis/client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <array>
#include <optional>

#include "relay/redis/sentinel.hpp"

// hiredis 0.14 exports redisProcessCallbacks (async.c) without declaring it
// (later versions declare it in async.h): it hands every complete reply in
// the reader to its callback, as redisAsyncHandleRead does after a read.
extern "C" void redisProcessCallbacks(redisAsyncContext* ac);

namespace qrlogin::relay::redis {

using SteadyClock = std::chrono::steady_clock;

// One connection attempt: the hiredis context and its socket, which Asio
// also holds. hiredis owns the socket (and closes it); Asio's handle is
// released, never closed, when hiredis cleans up.
//
// Once connected, the link reads the socket itself into `inbox` and hands
// the bytes to hiredis's reader, and has hiredis write its output buffer in
// the next turn of the loop: a read or a write that Asio starts at once
// costs no system call when it cannot proceed, where a wait for readiness
// re-arms the socket (EPOLL_CTL_MOD) every time (docs/benchmarks.md, "Leaner
// functions"). Only a write the socket could not take whole waits.
struct Client::Link : std::enable_shared_from_this<Link> {
  Link(Client& client, const asio::any_io_executor& executor) : owner(&client), socket(executor) {}
  ~Link() {
    if (socket.is_open()) (void)socket.release();
  }

  Client* owner;
  redisAsyncContext* ac = nullptr;
  asio::ip::tcp::socket socket;
  bool want_read = false;
  bool want_write = false;
  bool read_waiting = false;
  bool write_waiting = false;
  bool write_posted = false;    // a write is due in the next turn of the loop
  bool writing_now = false;     // inside hiredis's write, from that turn
  bool write_left_over = false;  // ... which could not write everything
  std::array<char, 16384> inbox{};
  bool ready = false;    // handshake done, reported up
  bool freeing = false;  // we asked hiredis to free the context
  bool closed = false;   // hiredis freed it: nothing may touch `ac`
  std::size_t handshake_left = 0;
  std::size_t subscribes_left = 0;
  std::string drop_reason;
  // Commands awaiting a reply, oldest first (replies come in order): when
  // each was sent (for the link timeout) and its own deadline, if any.
  struct Sent {
    SteadyClock::time_point at;
    SteadyClock::time_point deadline;  // max(): none
    Pending* pending;                  // owned by hiredis's callback until the reply
  };
  std::deque<Sent> sent;
  SteadyClock::time_point last_activity = SteadyClock::now();
  // Subscriber: the SUBSCRIBE probe awaiting its confirmation.
  std::optional<SteadyClock::time_point> probe_since;
};

struct Client::Pending {
  std::function<void(Result<Reply>)> done;  // empty once answered (or timed out)
  bool counted = false;  // a caller's command, still counted in in_flight_
};

namespace {

Result<Reply> to_result(const redisReply* reply) {
  if (reply == nullptr) return make_error(Errc::unavailable, "the connection to Redis was lost before the reply");
  auto owned = Reply::from_hiredis(*reply);
  if (owned.is_error()) return make_error(Errc::server, std::move(owned.str));
  return owned;
}

}  // namespace

std::shared_ptr<Client> Client::create(asio::any_io_executor executor, ClientOptions options, StateHandler on_state,
                                       MessageHandler on_message) {
  return std::shared_ptr<Client>(
      new Client(std::move(executor), std::move(options), std::move(on_state), std::move(on_message)));
}

Client::Client(asio::any_io_executor executor, ClientOptions options, StateHandler on_state, MessageHandler on_message)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      on_state_(std::move(on_state)),
      on_message_(std::move(on_message)),
      resolver_(executor_),
      connect_timer_(executor_),
      retry_timer_(executor_),
      health_timer_(executor_),
      jitter_(std::random_device{}()) {}

Client::~Client() {
  if (link_ && link_->ac && !link_->closed) {
    link_->freeing = true;
    link_->drop_reason = "client destroyed";
    redisAsyncFree(link_->ac);  // fails what is pending; cleanup releases the socket
  }
}

void Client::start() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_) return;
    self->started_ = true;
    self->arm_health();
    self->connect();
  });
}

void Client::stop() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->up_.store(false, std::memory_order_release);
    self->resolver_.cancel();
    self->connect_timer_.cancel();
    self->retry_timer_.cancel();
    self->health_timer_.cancel();
    auto link = std::move(self->link_);
    if (link && link->ac && !link->closed && !link->freeing) {
      link->freeing = true;
      link->drop_reason = "stopped";
      redisAsyncFree(link->ac);
    }
  });
}

void Client::fail_now(Completion completion, std::string reason) {
  completion(make_error(Errc::unavailable, std::move(reason)));  // the completion posts: never inline
}

void Client::submit(Args args, CommandOptions options, Completion completion) {
  if (!options_.subscriptions.empty()) {
    completion(make_error(Errc::protocol, "a subscriber connection takes no commands"));
    return;
  }
  if (!up_.load(std::memory_order_acquire)) {
    fail_now(std::move(completion), "Redis is not connected");
    return;
  }
  if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= options_.max_pending && !options.unbounded) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    fail_now(std::move(completion), "too many Redis commands pending");
    return;
  }
  asio::dispatch(executor_, [self = shared_from_this(), args = std::move(args), options,
                             completion = std::move(completion)]() mutable {
    self->send(args, options, std::move(completion));
  });
}

namespace {

// hiredis takes arguments as (pointer, length) pairs: binary-safe.
int send_argv(redisAsyncContext* ac, redisCallbackFn* fn, void* privdata, const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(args.size()), argv.data(), lengths.data());
}

}  // namespace

void Client::send(const Args& args, CommandOptions options, Completion completion) {
  auto release = [this] { in_flight_.fetch_sub(1, std::memory_order_acq_rel); };
  if (stopped_ || !link_ || !link_->ready || link_->closed || link_->freeing || !link_->ac) {
    release();
    fail_now(std::move(completion), "Redis is not connected");
    return;
  }
  auto* pending = new Pending{std::move(completion), true};
  std::vector<std::string_view> views(args->begin(), args->end());
  if (send_argv(link_->ac, &Client::on_reply_cb, pending, views) != REDIS_OK) {
    auto done = std::move(pending->done);
    delete pending;
    release();
    fail_now(std::move(done), "Redis refused the command (connection closing)");
    return;
  }
  auto now = SteadyClock::now();
  auto deadline = options.timeout.count() > 0 ? now + options.timeout : SteadyClock::time_point::max();
  link_->sent.push_back({now, deadline, pending});
}

bool Client::send_internal(const std::vector<std::string>& args, std::function<void(Result<Reply>)> on_reply) {
  if (!link_ || !link_->ac || link_->closed || link_->freeing) return false;
  auto* pending = new Pending{std::move(on_reply), false};
  std::vector<std::string_view> views(args.begin(), args.end());
  if (send_argv(link_->ac, &Client::on_reply_cb, pending, views) != REDIS_OK) {
    delete pending;
    return false;
  }
  link_->sent.push_back({SteadyClock::now(), SteadyClock::time_point::max(), pending});
  return true;
}

void Client::on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  auto* link = static_cast<Link*>(ac->ev.data);
  if (link != nullptr) {
    if (!link->sent.empty()) link->sent.pop_front();
    link->last_activity = SteadyClock::now();
    if (pending->counted) link->owner->in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  }
  auto result = to_result(static_cast<const redisReply*>(reply));
  // A master demoted to a replica (a failover) refuses writes: find the new
  // master rather than fail every write.
  if (link != nullptr && !result.ok() && result.error().code == Errc::server &&
      result.error().message.find("READONLY") != std::string::npos)
    link->owner->drop(link->shared_from_this(), "Redis is a replica now (a failover): finding the master again");
  // Empty when the command's deadline passed first: its caller has moved on.
  if (pending->done) pending->done(std::move(result));
}

// Commands whose own deadline passed complete with `timeout` now; hiredis
// still owns their callback, which will find nothing left to do.
void Client::expire_commands(Link& link, SteadyClock::time_point now) {
  for (auto& entry : link.sent) {
    if (entry.deadline > now || !entry.pending->done) continue;
    auto done = std::move(entry.pending->done);
    entry.pending->done = nullptr;
    if (entry.pending->counted) {
      entry.pending->counted = false;
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    }
    done(make_error(Errc::timeout, "Redis did not answer within the command's deadline"));
  }
}

// ---- connecting -------------------------------------------------------------

void Client::connect() {
  if (stopped_) return;
  auto link = std::make_shared<Link>(*this, executor_);
  link_ = link;
  if (options_.endpoint.sentinel()) {
    // Where is the master now? Asked again after every lost connection, so
    // the node follows a failover. The connect timeout starts once a
    // Sentinel answered (each Sentinel has its own).
    find_master(executor_, options_.endpoint.sentinels, options_.endpoint.master_name, options_.connect_timeout,
                [self = shared_from_this(), link](Result<MasterAddress> master) {
                  if (self->link_ != link || self->stopped_) return;
                  if (!master.ok()) return self->on_link_closed(link, master.error().message);
                  self->resolve(link, master->host, master->port);
                });
    return;
  }
  resolve(link, options_.endpoint.host, options_.endpoint.port);
}

void Client::resolve(const std::shared_ptr<Link>& link, const std::string& host, std::uint16_t port) {
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this(), link](boost::system::error_code ec) {
    if (ec || self->link_ != link || link->ready) return;
    self->resolver_.cancel();
    if (link->ac && !link->closed) self->drop(link, "no connection to Redis within the connect timeout");
    else self->on_link_closed(link, "no connection to Redis within the connect timeout");
  });
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this(), link](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
        if (self->link_ != link || self->stopped_) return;
        if (ec || results.empty()) {
          self->on_link_closed(link, "cannot resolve the Redis host: " + ec.message());
          return;
        }
        self->on_resolved(results.begin()->endpoint());
      });
}

void Client::on_resolved(const asio::ip::tcp::endpoint& address) {
  auto link = link_;
  // A numeric address: hiredis's getaddrinfo does no lookup, so the connect
  // below never blocks (the socket is non-blocking, the connect completes
  // when Asio reports it writable).
  auto ip = address.address().to_string();
  redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), address.port());
  if (ac == nullptr) {
    on_link_closed(link, "out of memory connecting to Redis");
    return;
  }
  if (ac->err != 0) {
    std::string reason = std::string("cannot connect to Redis: ") + ac->errstr;
    redisAsyncFree(ac);
    on_link_closed(link, reason);
    return;
  }
  boost::system::error_code ec;
  link->socket.assign(address.protocol(), ac->c.fd, ec);
  if (ec) {
    redisAsyncFree(ac);
    on_link_closed(link, "cannot watch the Redis socket: " + ec.message());
    return;
  }
  link->ac = ac;
  ac->data = link.get();
  ac->ev.data = link.get();
  ac->ev.addRead = &Client::ev_add_read;
  ac->ev.delRead = &Client::ev_del_read;
  ac->ev.addWrite = &Client::ev_add_write;
  ac->ev.delWrite = &Client::ev_del_write;
  ac->ev.cleanup = &Client::ev_cleanup;
  (void)redisEnableKeepAlive(&ac->c);
  redisAsyncSetConnectCallback(ac, &Client::on_connect_cb);  // waits for writability
}

void Client::on_connect_cb(const redisAsyncContext* ac, int status) {
  // On failure hiredis frees the context right after this returns; the
  // cleanup hook reports it. Nothing may free the context from here.
  if (status != REDIS_OK) return;
  auto* link = static_cast<Link*>(ac->data);
  link->owner->on_connected(*link);
}

void Client::on_connected(Link& link) {
  std::vector<std::pair<std::vector<std::string>, std::string_view>> steps;
  const auto& endpoint = options_.endpoint;
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.emplace_back(as_chars(endpoint.password.view()));
    steps.emplace_back(std::move(auth), "AUTH");
  }
  if (endpoint.db != 0) steps.push_back({{"SELECT", std::to_string(endpoint.db)}, "SELECT"});
  if (!options_.client_name.empty()) steps.push_back({{"CLIENT", "SETNAME", options_.client_name}, "CLIENT SETNAME"});
  // Through Sentinel: the address may be a master that was just demoted.
  if (endpoint.sentinel()) steps.push_back({{"ROLE"}, "ROLE"});
  for (const auto& command : options_.setup) steps.emplace_back(command, "a setup command");
  // Up means Redis answers, not that the kernel accepted the connection (a
  // frozen Redis still completes TCP handshakes from its backlog).
  steps.push_back({{"PING"}, "PING"});
  link.handshake_left = steps.size();
  for (auto& [args, what] : steps) {
    auto weak = link.weak_from_this();
    bool sent = send_internal(args, [this, weak, what = what](Result<Reply> reply) {
      if (auto l = weak.lock()) handshake_step_done(*l, reply, what);
    });
    // The AUTH arguments held the password: wipe our copy (hiredis's output
    // buffer is freed without wiping; best effort, as for every sds string).
    for (auto& a : args) secure_wipe(a);
    if (!sent) {
      drop(link.shared_from_this(), std::string("cannot send ") + std::string(what));
      return;
    }
  }
}

void Client::handshake_step_done(Link& link, const Result<Reply>& reply, std::string_view what) {
  if (link.closed || link.freeing || link_.get() != &link) return;
  if (!reply.ok()) {
    drop(link.shared_from_this(), std::string(what) + " failed: " + reply.error().message);
    return;
  }
  if (what == "ROLE") {
    auto role = reply->is_array() && !reply->elements.empty() ? reply->elements[0].text() : std::nullopt;
    if (!role || *role != "master") {
      drop(link.shared_from_this(), "the address Sentinel named is not the master (a failover under way)");
      return;
    }
  }
  if (--link.handshake_left > 0) return;
  if (options_.subscriptions.empty()) declare_up(link);
  else subscribe_all(link);
}

void Client::subscribe_all(Link& link) {
  std::vector<std::string_view> args{"SUBSCRIBE"};
  for (const auto& channel : options_.subscriptions) args.emplace_back(channel);
  link.subscribes_left = options_.subscriptions.size();
  if (send_argv(link.ac, &Client::on_subscription_cb, nullptr, args) != REDIS_OK)
    drop(link.shared_from_this(), "cannot send SUBSCRIBE");
}

void Client::on_subscription_cb(redisAsyncContext* ac, void* reply_ptr, void* /*privdata*/) {
  auto* link = static_cast<Link*>(ac->ev.data);
  const auto* reply = static_cast<const redisReply*>(reply_ptr);
  if (link == nullptr || reply == nullptr || link->closed || link->freeing) return;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING)
    return;
  std::string_view kind(reply->element[0]->str, reply->element[0]->len);
  link->last_activity = SteadyClock::now();
  auto* self = link->owner;
  if (kind == "subscribe") {
    if (link->subscribes_left > 0) {
      if (--link->subscribes_left == 0) self->declare_up(*link);
    } else {
      link->probe_since.reset();  // the liveness probe came back
    }
    return;
  }
  if (kind == "message" && reply->element[2]->type == REDIS_REPLY_STRING && self->on_message_) {
    asio::post(self->executor_, [handler = self->on_message_,
                                 channel = std::string(reply->element[1]->str, reply->element[1]->len),
                                 payload = std::string(reply->element[2]->str, reply->element[2]->len)]() mutable {
      handler(std::move(channel), std::move(payload));
    });
  }
}

void Client::declare_up(Link& link) {
  if (link.closed || link.freeing || link_.get() != &link) return;
  link.ready = true;
  link.last_activity = SteadyClock::now();
  connect_timer_.cancel();
  backoff_ = Millis{0};
  up_.store(true, std::memory_order_release);
  report(true, "connected");
}

// ---- losing the connection ---------------------------------------------------

void Client::drop(const std::shared_ptr<Link>& link, std::string reason) {
  // Deferred: hiredis must not be freed from inside one of its callbacks.
  if (link->freeing || link->closed) return;
  link->freeing = true;
  link->drop_reason = std::move(reason);
  up_.store(false, std::memory_order_release);
  asio::post(executor_, [link] {
    if (link->ac && !link->closed) redisAsyncFree(link->ac);
  });
}

void Client::ev_cleanup(void* data) {
  auto* link = static_cast<Link*>(data);
  std::string reason = link->drop_reason;
  if (reason.empty()) {
    reason = "the connection to Redis was lost";
    if (link->ac != nullptr && link->ac->err != 0 && link->ac->errstr != nullptr)
      reason += std::string(": ") + link->ac->errstr;
  }
  link->closed = true;
  if (link->ac != nullptr) link->ac->ev.data = nullptr;
  link->ac = nullptr;
  if (link->socket.is_open()) (void)link->socket.release();  // cancels the waits; hiredis closes the fd
  auto owner = link->owner->weak_from_this();
  asio::post(link->owner->executor_, [owner, self_link = link->shared_from_this(), reason = std::move(reason)] {
    if (auto client = owner.lock()) client->on_link_closed(self_link, reason);
  });
}

void Client::on_link_closed(const std::shared_ptr<Link>& link, std::string reason) {
  if (link_ != link) return;
  link_.reset();
  connect_timer_.cancel();
  up_.store(false, std::memory_order_release);
  if (stopped_) return;
  report(false, std::move(reason));
  schedule_reconnect();
}

void Client::schedule_reconnect() {
  backoff_ = backoff_.count() == 0 ? options_.reconnect_min : std::min(backoff_ * 2, options_.reconnect_max);
  // Half fixed, half random: nodes that lost Redis together do not all
  // come back in the same millisecond.
  auto half = backoff_.count() / 2;
  auto delay = Millis{half + (half > 0 ? static_cast<long>(jitter_() % static_cast<unsigned long>(half + 1)) : 0)};
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->stopped_) self->connect();
  });
}

void Client::report(bool up, std::string reason) {
  // Once per change; the first failed connect counts as a change (so a relay
  // that starts while Redis is down says so).
  auto state = up ? Reported::up : Reported::down;
  if (reported_ == state) return;
  reported_ = state;
  if (!on_state_) return;
  asio::post(executor_, [handler = on_state_, up, reason = std::move(reason)] { handler(up, reason); });
}

// ---- health ------------------------------------------------------------------

void Client::arm_health() {
  health_timer_.expires_after(options_.health_interval);
  health_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->check_health();
    self->arm_health();
  });
}

void Client::check_health() {
  auto link = link_;
  if (!link || !link->ready || link->closed || link->freeing || !link->ac) return;
  auto now = SteadyClock::now();
  if (!options_.subscriptions.empty()) {
    if (link->probe_since) {
      if (now - *link->probe_since > options_.link_timeout) drop(link, "Redis did not answer within the link timeout");
      return;
    }
    if (now - link->last_activity < options_.health_interval) return;
    std::vector<std::string_view> args{"SUBSCRIBE", options_.subscriptions.front()};
    if (send_argv(link->ac, &Client::on_subscription_cb, nullptr, args) != REDIS_OK) {
      drop(link, "cannot send the SUBSCRIBE probe");
      return;
    }
    link->probe_since = now;
    return;
  }
  if (!link->sent.empty()) {
    expire_commands(*link, now);
    if (now - link->sent.front().at > options_.link_timeout) drop(link, "Redis did not answer within the link timeout");
    return;
  }
  if (now - link->last_activity >= options_.health_interval)
    (void)send_internal({"PING"}, [](const Result<Reply>&) {});
}

// ---- readiness ---------------------------------------------------------------

bool Client::connected(const Link& link) { return link.ac != nullptr && (link.ac->c.flags & REDIS_CONNECTED) != 0; }

void Client::watch(const std::shared_ptr<Link>& link, bool write) {
  bool& waiting = write ? link->write_waiting : link->read_waiting;
  if (waiting || link->closed) return;
  if (!write && connected(*link)) {
    read(link);
    return;
  }
  waiting = true;
  // Until connected (hiredis finishes the connect on writability), and for
  // a write the socket could not take whole.
  link->socket.async_wait(
      write ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read,
      [link, write](boost::system::error_code ec) {
        (write ? link->write_waiting : link->read_waiting) = false;
        if (ec == asio::error::operation_aborted || link->closed || link->ac == nullptr) return;
        if (write) {
          if (link->want_write) redisAsyncHandleWrite(link->ac);
        } else {
          if (link->want_read) redisAsyncHandleRead(link->ac);
        }
      });
}

void Client::read(const std::shared_ptr<Link>& link) {
  link->read_waiting = true;
  link->socket.async_read_some(asio::buffer(link->inbox), [link](boost::system::error_code ec, std::size_t n) {
    link->read_waiting = false;
    if (ec == asio::error::operation_aborted || link->closed || link->ac == nullptr) return;
    if (ec || n == 0) {
      // The end, or an error: hiredis reads again, meets it and disconnects
      // as it always does (the cleanup hook reports it).
      redisAsyncHandleRead(link->ac);
      return;
    }
    if (redisReaderFeed(link->ac->c.reader, link->inbox.data(), n) != REDIS_OK) {
      redisAsyncHandleRead(link->ac);  // the reader failed before: hiredis ends the link
      return;
    }
    redisProcessCallbacks(link->ac);  // may free the context (a callback disconnects)
    if (!link->closed && link->want_read) link->owner->watch(link, false);
  });
}

void Client::write_soon(const std::shared_ptr<Link>& link) {
  if (link->write_posted || link->write_waiting || link->closed) return;
  link->write_posted = true;
  asio::post(executor_, [link] {
    link->write_posted = false;
    if (link->closed || link->ac == nullptr || !link->want_write) return;
    link->writing_now = true;
    link->write_left_over = false;
    redisAsyncHandleWrite(link->ac);  // may free the context (a write error)
    link->writing_now = false;
    if (!link->closed && link->want_write && link->write_left_over) link->owner->watch(link, true);
  });
}

void Client::ev_add_read(void* data) {
  auto* link = static_cast<Link*>(data);
  link->want_read = true;
  link->owner->watch(link->shared_from_this(), false);
}

void Client::ev_del_read(void* data) { static_cast<Link*>(data)->want_read = false; }

void Client::ev_add_write(void* data) {
  auto* link = static_cast<Link*>(data);
  link->want_write = true;
  if (link->writing_now) {
    link->write_left_over = true;  // hiredis wrote part of its buffer: wait until the socket takes more
    return;
  }
  if (connected(*link)) link->owner->write_soon(link->shared_from_this());
  else link->owner->watch(link->shared_from_this(), true);  // the connect completes on writability
}

void Client::ev_del_write(void* data) { static_cast<Link*>(data)->want_write = false; }

}  // namespace qrlogin::relay::redis
