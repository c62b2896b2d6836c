#pragma once
// GET /api/events: one authenticated connection turned into a stream of
// server-sent events (text/event-stream) carrying the account's notices
// (web/app/notices.hpp). Included by server.cpp only (Beast).
//
// The stream writes `event: <name>` / `data: <one line of JSON>` blocks, a
// comment every kHeartbeat (so proxies keep it open), and ends:
//   - with `event: ended` when its own device is logged out or revoked
//     (seen at once from a notice, or at the next heartbeat's check);
//   - when the client closes, falls kMaxQueuedBytes behind, or after
//     kMaxLifetime (EventSource reconnects by itself, re-authenticated).
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "web/app/api.hpp"

namespace qrlogin::app {

template <class Stream>
class EventStream final : public std::enable_shared_from_this<EventStream<Stream>> {
 public:
  static constexpr auto kHeartbeat = std::chrono::seconds(15);
  static constexpr auto kMaxLifetime = std::chrono::hours(1);
  static constexpr std::size_t kMaxQueuedBytes = 64 * 1024;

  EventStream(Stream stream, Api& api, DeviceRow device)
      : stream_(std::move(stream)), api_(api), device_(std::move(device)), heartbeat_(stream_.get_executor()) {}

  void start() {
    auto self = this->shared_from_this();
    std::weak_ptr<EventStream> weak = self;
    auto executor = stream_.get_executor();
    subscription_ = api_.notices().subscribe(device_.account_id, [weak, executor](const Notice& notice) {
      // Called on the publishing thread: hand the notice to this stream's strand.
      boost::asio::post(executor, [weak, notice] {
        if (auto s = weak.lock()) s->on_notice(notice);
      });
    });
    if (!subscription_) {
      write_and_close(
          "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
          "Retry-After: 60\r\nConnection: close\r\n\r\n"
          R"({"error":"too_many_streams","message":"too many open notice streams; reload the device list instead"})");
      return;
    }
    // No Content-Length and Connection: close: the body is the stream.
    enqueue(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
        "retry: 3000\n\n");
    ends_at_ = std::chrono::steady_clock::now() + kMaxLifetime;
    boost::beast::get_lowest_layer(stream_).expires_never();
    schedule_heartbeat();
    watch_for_close();
  }

 private:
  void on_notice(const Notice& notice) {
    if (closed_) return;
    enqueue("event: " + notice.event + "\ndata: " + notice.json + "\n\n");
    if (notice.device_id == device_.id && (notice.event == "revoked" || notice.event == "logout")) end_stream();
  }

  void schedule_heartbeat() {
    heartbeat_.expires_after(kHeartbeat);
    heartbeat_.async_wait([self = this->shared_from_this()](boost::beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->api_.device_active(self->device_.id)) {
        self->end_stream();
        return;
      }
      if (std::chrono::steady_clock::now() >= self->ends_at_) {
        // Only closed: the device is still logged in; EventSource reconnects.
        self->closing_ = true;
        if (!self->writing_) self->close();
        return;
      }
      self->enqueue(": still here\n\n");
      self->schedule_heartbeat();
    });
  }

  // The client sends nothing more; a read completes only when it closes.
  void watch_for_close() {
    stream_.async_read_some(boost::asio::buffer(discard_),
                            [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->watch_for_close();
                            });
  }

  void end_stream() {
    enqueue("event: ended\ndata: {}\n\n");
    closing_ = true;
  }

  void write_and_close(std::string text) {
    closing_ = true;
    enqueue(std::move(text));
  }

  void enqueue(std::string text) {
    if (closed_) return;
    queued_bytes_ += text.size();
    if (queued_bytes_ > kMaxQueuedBytes) return close();  // a reader this slow gets nothing more
    queue_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void write_next() {
    if (queue_.empty()) {
      writing_ = false;
      if (closing_) close();
      return;
    }
    writing_ = true;
    boost::asio::async_write(stream_, boost::asio::buffer(queue_.front()),
                             [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                               if (ec) return self->close();
                               self->queued_bytes_ -= self->queue_.front().size();
                               self->queue_.pop_front();
                               self->write_next();
                             });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    subscription_.reset();
    heartbeat_.cancel();
    auto& tcp_layer = boost::beast::get_lowest_layer(stream_);
    boost::beast::error_code ignored;
    tcp_layer.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    tcp_layer.close();
  }

  Stream stream_;
  Api& api_;
  DeviceRow device_;
  boost::asio::steady_timer heartbeat_;
  std::unique_ptr<Notices::Subscription> subscription_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point ends_at_{};
  char discard_[256] = {};
};

}  // namespace qrlogin::app
