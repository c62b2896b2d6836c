#include "cli/relay_client/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "crypto/secret.hpp"
#include "cli/relay_client/transport.hpp"

namespace qrlogin::relay_client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct Context::Impl {
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> guard{ioc.get_executor()};
  std::vector<std::thread> threads;
};

Context::Context(unsigned threads) : impl_(std::make_unique<Impl>()) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

Context::~Context() {
  impl_->guard.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.get_id() == std::this_thread::get_id()) t.detach();
    else t.join();
  }
}

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  explicit Impl(net::io_context& ioc) : ws(net::make_strand(ioc)) {}

  websocket::stream<detail::Transport> ws;
  beast::flat_buffer buffer;
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Event> events;
  bool is_closed = false;
  bool paused = false;  // stopped reading with kMaxQueuedEvents queued (under mutex)
  bool reading = false;
  bool broken = false;
  std::size_t max_message_bytes = 0;
  std::function<void()> wake;
  std::mutex send_mutex;

  void push(Event event) {
    std::function<void()> w;
    {
      std::lock_guard lock(mutex);
      if (event.kind == Event::Kind::closed) {
        if (is_closed) return;
        is_closed = true;
      }
      events.push_back(std::move(event));
      w = wake;
    }
    cv.notify_all();
    if (w) w();
  }

  void do_read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      Event event;
      event.kind = Event::Kind::closed;
      if (ec == websocket::error::closed) {
        event.close_code = ws.reason().code;
        event.close_reason = std::string(ws.reason().reason.c_str());
      } else if (ec == websocket::error::message_too_big) {
        // Beast has sent close 1009 and drops the connection.
        event.close_reason = "the relay sent a message larger than " + std::to_string(max_message_bytes) + " bytes";
      } else {
        event.close_reason = ec.message();
      }
      push(std::move(event));
      return;
    }
    Event event;
    auto data = buffer.data();
    const auto* begin = static_cast<const std::uint8_t*>(data.data());
    if (ws.got_text()) {
      event.kind = Event::Kind::control;
      event.text.assign(reinterpret_cast<const char*>(begin), data.size());
      auto parsed = relay::parse_control(event.text);
      if (parsed.ok()) event.control = std::move(parsed.value());
      else event.control.type = "unparsable";
    } else {
      event.kind = Event::Kind::binary;
      event.bytes.assign(begin, begin + data.size());
    }
    buffer.consume(buffer.size());
    push(std::move(event));
    {
      std::lock_guard lock(mutex);
      if (events.size() >= kMaxQueuedEvents) {
        paused = true;  // take() reads on
        return;
      }
    }
    do_read();
  }

  // Takes the oldest event (called with `lock` held, which it releases) and
  // reads on if that makes room.
  std::optional<Event> take(std::unique_lock<std::mutex>& lock) {
    if (events.empty()) return std::nullopt;
    auto event = std::move(events.front());
    events.pop_front();
    bool resume = paused && events.size() < kMaxQueuedEvents;
    if (resume) paused = false;
    lock.unlock();
    if (resume) {
      net::post(ws.get_executor(), [self = shared_from_this()] {
        if (!self->broken) self->do_read();
      });
    }
    return event;
  }

  void cut() {
    broken = true;
    beast::error_code ignored;
    ws.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    ws.next_layer().socket().close(ignored);
  }

  // Starts an operation on the strand and waits for its completion.
  using Done = std::function<void(beast::error_code)>;
  Status run(Millis timeout, std::function<void(Done)> start) {
    auto promise = std::make_shared<std::promise<beast::error_code>>();
    auto future = promise->get_future();
    net::post(ws.get_executor(), [self = shared_from_this(), promise, start = std::move(start)] {
      if (self->broken) {
        promise->set_value(net::error::not_connected);
        return;
      }
      start([promise](beast::error_code ec) { promise->set_value(ec); });
    });
    if (future.wait_for(timeout) != std::future_status::ready) {
      net::post(ws.get_executor(), [self = shared_from_this()] { self->cut(); });
      return make_error(Errc::timeout, "timed out");
    }
    auto ec = future.get();
    if (ec) return make_error(std::error_code(ec), ec.message());
    return {};
  }
};

std::string channel_target(std::string_view cid, std::string_view role, std::optional<std::uint64_t> received,
                           bool code_channel) {
  std::string target = "/v1/channels/" + std::string(cid) + "?role=" + std::string(role);
  if (code_channel) target += "&kind=code";
  if (received) target += "&received=" + std::to_string(*received);
  return target;
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

namespace {
// What the upgrade request adds to Beast's headers. The decorator holds it
// for the stream's life, so it holds only this (never the Options, whose
// Context must not be released on its own I/O thread); the
// Sec-WebSocket-Protocol value may carry a resume token and is wiped when
// the last holder lets go.
struct UpgradeHeaders {
  SecretString protocols;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::shared_ptr<UpgradeHeaders> upgrade_headers(const Options& options) {
  constexpr std::string_view kResumePrefix = "qrlogin.resume.";
  // Reserved up front: a reallocation would leave a copy of the token behind.
  std::size_t size = kResumePrefix.size() + options.resume_token.size();
  for (const auto& p : options.subprotocols) size += p.size() + 2;
  std::string text;
  text.reserve(size + 2);
  for (const auto& p : options.subprotocols) {
    if (!text.empty()) text += ", ";
    text += p;
  }
  if (!options.resume_token.empty()) {
    if (!text.empty()) text += ", ";
    text += kResumePrefix;
    text += options.resume_token;
  }
  auto out = std::make_shared<UpgradeHeaders>();
  out->protocols = SecretString(std::move(text));
  out->headers = options.headers;
  return out;
}
}  // namespace

ConnectResult Client::connect(const Options& options) {
  ConnectResult result;
  auto context = options.context ? options.context : std::make_shared<Context>(1);
  auto impl = std::make_shared<Impl>(context->impl().ioc);
  impl->max_message_bytes = options.max_message_bytes;
  detail::Destination destination{options.host, options.port, options.bind_address, options.receive_buffer_bytes,
                                  options.tls, options.ca_file, options.server_name};
  auto target = options.target.empty() ? channel_target(options.cid, options.role, options.received) : options.target;
  auto host = detail::host_header(options.server_name.empty() ? options.host : options.server_name, options.port);

  struct Outcome {
    beast::error_code ec;
    std::string step;
    std::string open_error;  // resolve, connect or TLS
    TlsFailure tls = TlsFailure::none;
    websocket::response_type response;
  };
  auto outcome = std::make_shared<Outcome>();
  auto promise = std::make_shared<std::promise<void>>();
  auto future = promise->get_future();
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto upgrade = upgrade_headers(options);
  const auto timeout = options.timeout;
  const auto max_message_bytes = options.max_message_bytes;
  net::post(impl->ws.get_executor(), [impl, upgrade, timeout, max_message_bytes, destination, deadline, target, host,
                                      outcome, promise] {
    auto fail = [outcome, promise](std::string step, beast::error_code why) {
      outcome->ec = why;
      outcome->step = std::move(step);
      promise->set_value();
    };
    detail::async_open(impl->ws.next_layer(), destination, deadline,
                       [impl, upgrade, timeout, max_message_bytes, target, host, outcome, promise,
                        fail](std::optional<detail::OpenFailure> failed) {
      if (failed) {
        outcome->open_error = std::move(failed->message);
        outcome->tls = failed->tls;
        return fail("connect", net::error::not_connected);
      }
      auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
      timeouts.handshake_timeout = timeout;
      impl->ws.set_option(timeouts);
      impl->ws.read_message_max(max_message_bytes);
      impl->ws.set_option(websocket::stream_base::decorator([upgrade](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "qrlogin-relay-client");
        if (!upgrade->protocols.empty()) req.set(beast::http::field::sec_websocket_protocol, upgrade->protocols.view());
        for (const auto& [name, value] : upgrade->headers) req.set(name, value);
      }));
      impl->ws.async_handshake(outcome->response, host, target, [outcome, promise, fail](beast::error_code upgrade_ec) {
        if (upgrade_ec) return fail("upgrade", upgrade_ec);
        promise->set_value();
      });
    });
  });
  if (future.wait_for(options.timeout + Millis{1000}) != std::future_status::ready) {
    net::post(impl->ws.get_executor(), [impl] { impl->cut(); });
    result.error = "timed out";
    return result;
  }
  // Without an HTTP answer (no TCP connection, say) the response is the
  // default-constructed one, whose 200 means nothing.
  bool answered = !outcome->ec || outcome->ec == websocket::error::upgrade_declined;
  result.http_status = answered ? static_cast<int>(outcome->response.result_int()) : 0;
  result.body = outcome->response.body();
  if (auto it = outcome->response.find(beast::http::field::sec_websocket_protocol); it != outcome->response.end())
    result.subprotocol = std::string(it->value());
  if (outcome->ec) {
    result.error = outcome->open_error.empty() ? outcome->step + ": " + outcome->ec.message() : outcome->open_error;
    result.tls_failure = outcome->tls;
    net::post(impl->ws.get_executor(), [impl] { impl->cut(); });
    return result;
  }
  result.client.reset(new Client(impl));
  result.client->context_ = std::move(context);
  if (options.read) result.client->start_reading();
  return result;
}

Client::~Client() {
  if (!impl_) return;
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  net::post(impl_->ws.get_executor(), [impl = impl_, done] {
    impl->cut();
    done->set_value();
  });
  future.wait_for(Millis{2000});
  impl_.reset();
  context_.reset();
}

Result<Event> Client::next(Millis timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->events.empty(); }))
    return make_error(Errc::timeout, "no event within the timeout");
  return std::move(*impl_->take(lock));
}

std::optional<Event> Client::try_next() {
  std::unique_lock lock(impl_->mutex);
  return impl_->take(lock);
}

Result<Event> Client::next_control(std::string_view type, Millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    auto event = next(std::max(left, Millis{0}));
    if (!event.ok()) return event;
    if (event->kind == Event::Kind::closed) return event;
    if (event->kind == Event::Kind::control && event->control.type == type) return event;
  }
}

Result<Event> Client::wait_closed(Millis timeout) { return next_control("\x01never", timeout); }

Status Client::send(ByteView frame, Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  auto data = std::make_shared<Bytes>(frame.begin(), frame.end());
  return impl_->run(timeout, [impl = impl_, data](Impl::Done done) {
    impl->ws.binary(true);
    impl->ws.async_write(net::buffer(*data), [impl, data, done](beast::error_code ec, std::size_t) { done(ec); });
  });
}

Status Client::send_text(std::string_view text, Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  auto data = std::make_shared<std::string>(text);
  return impl_->run(timeout, [impl = impl_, data](Impl::Done done) {
    impl->ws.binary(false);
    impl->ws.async_write(net::buffer(*data), [impl, data, done](beast::error_code ec, std::size_t) { done(ec); });
  });
}

Status Client::send_fragmented(ByteView message, std::size_t fragment_bytes, Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  auto data = std::make_shared<Bytes>(message.begin(), message.end());
  fragment_bytes = std::max<std::size_t>(1, fragment_bytes);
  return impl_->run(timeout, [impl = impl_, data, fragment_bytes](Impl::Done done) {
    impl->ws.binary(true);
    auto step = std::make_shared<std::function<void(std::size_t)>>();
    *step = [impl, data, fragment_bytes, done, step](std::size_t offset) {
      auto n = std::min(fragment_bytes, data->size() - offset);
      bool fin = offset + n == data->size();
      impl->ws.async_write_some(fin, net::buffer(data->data() + offset, n),
                                [impl, done, step, offset, n, fin](beast::error_code ec, std::size_t) {
                                  if (ec || fin) {
                                    done(ec);
                                    *step = nullptr;  // break the cycle
                                    return;
                                  }
                                  (*step)(offset + n);
                                });
    };
    (*step)(0);
  });
}

Status Client::send_fragment(ByteView bytes, bool fin, Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  auto data = std::make_shared<Bytes>(bytes.begin(), bytes.end());
  return impl_->run(timeout, [impl = impl_, data, fin](Impl::Done done) {
    impl->ws.binary(true);
    impl->ws.async_write_some(fin, net::buffer(*data),
                              [impl, data, done](beast::error_code ec, std::size_t) { done(ec); });
  });
}

Status Client::ping(Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  return impl_->run(timeout, [impl = impl_](Impl::Done done) { impl->ws.async_ping({}, [impl, done](beast::error_code ec) { done(ec); }); });
}

Status Client::close(std::uint16_t code, Millis timeout) {
  std::lock_guard lock(impl_->send_mutex);
  return impl_->run(timeout, [impl = impl_, code](Impl::Done done) {
    impl->ws.async_close(websocket::close_reason(code), [impl, done](beast::error_code ec) { done(ec); });
  });
}

void Client::abort() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  net::post(impl_->ws.get_executor(), [impl = impl_, done] {
    beast::error_code ignored;
    impl->broken = true;
    impl->ws.next_layer().socket().set_option(net::socket_base::linger(true, 0), ignored);
    impl->ws.next_layer().socket().close(ignored);  // no shutdown(): that would send a FIN first
    done->set_value();
  });
  future.wait_for(Millis{2000});
}

void Client::start_reading() {
  net::post(impl_->ws.get_executor(), [impl = impl_] {
    if (impl->reading || impl->broken) return;
    impl->reading = true;
    impl->do_read();
  });
}

void Client::on_event(std::function<void()> wake) {
  std::lock_guard lock(impl_->mutex);
  impl_->wake = std::move(wake);
}

bool Client::closed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->is_closed;
}

std::size_t Client::queued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->events.size();
}

}  // namespace qrlogin::relay_client
